public import Foundation

/// What the router should answer for one labelled utterance.
public enum ExpectedRoute: Sendable, Hashable, CustomStringConvertible {
    /// Exactly this intent.
    case intent(String)
    /// Any intent of the skill with this intent-id prefix (`core`, `catalogo`, `vida_sana`, `reciclaje`).
    case skill(prefix: String)
    /// No intent: the router must not match.
    case none

    /// The label as written in the file.
    public var description: String {
        switch self {
        case .intent(let id): id
        case .skill(let prefix): prefix
        case .none: "none"
        }
    }

    /// Whether answering `intentID` (`nil`: no match) satisfies this expectation.
    public func accepts(_ intentID: String?) -> Bool {
        switch self {
        case .intent(let id): intentID == id
        case .skill(let prefix): intentID?.hasPrefix(prefix + ".") ?? false
        case .none: intentID == nil
        }
    }
}

/// One line of a labelled set.
public struct LabelledUtterance: Sendable, Equatable {
    public var text: String
    public var expected: ExpectedRoute
    /// 1-based line number in the file.
    public var line: Int

    public init(text: String, expected: ExpectedRoute, line: Int = 0) {
        self.text = text
        self.expected = expected
        self.line = line
    }
}

/// Why a labelled set could not be read: `file:line: message`.
public struct LabelledSetError: Error, Sendable, Equatable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var message: String

    public init(file: String, line: Int, _ message: String) {
        self.file = file
        self.line = line
        self.message = message
    }

    public var description: String { line > 0 ? "\(file):\(line): \(message)" : "\(file): \(message)" }
}

/// A labelled set of utterances (`Tests/nlu/labelled.tsv`): one `utterance<TAB>expected` per
/// line; blank lines and lines starting with `#` are skipped; further tab-separated columns are
/// ignored. `expected` is an intent id, a skill prefix without a dot (or a skill id, taken as
/// its prefix) meaning any intent of that skill, or `none`. Every label must exist in the catalog.
public enum LabelledSet {
    /// Parses the text of a labelled file; `file` names it in errors.
    public static func parse(_ text: String, file: String, catalog: SkillCatalog) throws(LabelledSetError) -> [LabelledUtterance] {
        let prefixes = Dictionary(catalog.skills.map { ($0.intentPrefix, $0.intentPrefix) } + catalog.skills.map { ($0.id, $0.intentPrefix) },
                                  uniquingKeysWith: { a, _ in a })
        var out: [LabelledUtterance] = []
        for (n, rawLine) in text.split(omittingEmptySubsequences: false, whereSeparator: \.isNewline).enumerated() {
            let line = rawLine.hasSuffix("\r") ? rawLine.dropLast() : rawLine
            if line.trimmingCharacters(in: .whitespaces).isEmpty || line.hasPrefix("#") { continue }
            let fields = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard fields.count >= 2 else {
                throw LabelledSetError(file: file, line: n + 1, "expected `utterance<TAB>expected`")
            }
            let utterance = String(fields[0])
            let label = fields[1].trimmingCharacters(in: .whitespaces)
            let expected: ExpectedRoute
            if label == "none" {
                expected = .none
            } else if label.contains(".") {
                guard catalog.intent(id: label) != nil else {
                    throw LabelledSetError(file: file, line: n + 1, "unknown intent \(label)")
                }
                expected = .intent(label)
            } else if let prefix = prefixes[label] {
                expected = .skill(prefix: prefix)
            } else {
                throw LabelledSetError(file: file, line: n + 1, "unknown label '\(label)' (an intent id, a skill prefix or none)")
            }
            out.append(LabelledUtterance(text: utterance, expected: expected, line: n + 1))
        }
        return out
    }

    /// Reads and parses a labelled file.
    public static func load(_ url: URL, catalog: SkillCatalog) throws -> [LabelledUtterance] {
        let name = url.lastPathComponent
        guard let data = FileManager.default.contents(atPath: url.path) else {
            throw LabelledSetError(file: url.path, line: 0, "cannot be read")
        }
        guard let text = String(data: data, encoding: .utf8) else { throw LabelledSetError(file: name, line: 0, "is not UTF-8") }
        return try parse(text, file: name, catalog: catalog)
    }
}
