import Foundation
import LioraCore

/// Namespace of the skills/NLU suites (`swift test --filter SkillsTests`), with shared fixtures.
enum SkillsTests {
    /// The package root.
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// A temporary directory holding `SkillsFixtures.files`: a small core + recycling catalog.
    static let fixtureDirectory: URL = {
        do {
            let dir = try directory(SkillsFixtures.files)
            // Shared by every test of the process: removed when the process exits.
            atexit { try? FileManager.default.removeItem(at: SkillsTests.fixtureDirectory) }
            return dir
        } catch { fatalError("fixture skills: \(error)") }
    }()

    static let fixtureCatalog: SkillCatalog = {
        do { return try SkillCatalog.load(directory: fixtureDirectory) } catch { fatalError("fixture skills: \(error)") }
    }()

    static let fixtureRouter = IntentRouter(catalog: fixtureCatalog)

    static let allFixtureSkills: Set<String> = ["core", "recycling"]

    /// The real skills and labelled set, once they exist.
    static let realSkills = root.appendingPathComponent("skills", isDirectory: true)
    static let realLabelled = root.appendingPathComponent("Tests/nlu/labelled.tsv")
    static var realFilesExist: Bool {
        FileManager.default.fileExists(atPath: realLabelled.path)
            && FileManager.default.fileExists(atPath: realSkills.appendingPathComponent("core.yaml").path)
    }

    /// A fresh directory holding `files` (name → YAML text); the caller removes it.
    static func directory(_ files: [String: String]) throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-skills-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        for (name, text) in files {
            try Data(text.utf8).write(to: dir.appendingPathComponent(name))
        }
        return dir
    }

    /// A minimal valid intent in YAML, indented for an `intents:` list.
    static func intentYAML(_ id: String, examples: String = #"{es: ["hola amigo"], en: ["hello friend"]}"#,
                           responses: String = #"{es: ["hola"], en: ["hi"]}"#, extra: String = "") -> String {
        """
          - id: \(id)
            title: {es: "T", en: "T"}
            examples: \(examples)
            responses: \(responses)
        \(extra)
        """
    }

    /// A skill file in YAML.
    static func skillYAML(_ skill: String, intents: [String]) -> String {
        """
        skill: \(skill)
        name: {es: "N", en: "N"}
        description: {es: "D", en: "D"}
        intents:
        \(intents.joined(separator: "\n"))
        """
    }
}
