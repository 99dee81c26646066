/// Why a skills directory could not be loaded: names the file and, when it is about one
/// intent, the intent. `description` is one line, e.g.
/// `recycling.yaml: intent reciclaje.vidrio: button references unknown intent reciclaje.latas`.
public struct SkillCatalogError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The file name (no directory), or the skill id for catalogs built in code.
    public var file: String
    /// The intent id, when the problem is inside one intent.
    public var intent: String?
    public var message: String

    public init(file: String, intent: String? = nil, _ message: String) {
        self.file = file
        self.intent = intent
        self.message = message
    }

    public var description: String {
        if let intent { return "\(file): intent \(intent): \(message)" }
        return "\(file): \(message)"
    }
}
