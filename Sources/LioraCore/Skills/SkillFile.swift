import Foundation
import Yams

/// The YAML shape of one skill file, decoded loosely so that validation can name what is missing.
struct SkillFile: Decodable {
    var skill: String
    var name: [String: String]?
    var description: [String: String]?
    var menu: [String: String]?
    var intents: [IntentFile]?

    struct IntentFile: Decodable {
        var id: String
        var title: [String: String]?
        var examples: [String: [String]]?
        var keywords: [String: [String]]?
        var patterns: [String: [String]]?
        var responses: [String: [String]]?
        var buttons: [Button]?
        var slot: Slot?
        var urgent: Bool?
        var rulesOnly: Bool?
        var handsOff: Bool?
        var notPhrases: [String: [String]]?
        var replyLanguage: String?
        var minConfidence: Double?

        enum CodingKeys: String, CodingKey {
            case id, title, examples, keywords, patterns, responses, buttons, slot, urgent, rulesOnly = "rules_only", handsOff = "hands_off"
            case notPhrases = "not_phrases", replyLanguage = "reply_language", minConfidence = "min_confidence"
        }
    }

    struct Button: Decodable {
        var intent: String
    }

    struct Slot: Decodable {
        var name: String
        var ask: [String: String]?
        var values: [String: String]?
    }

    /// The keys each level of a skill file may have: anything else is a typo or a feature that
    /// does not exist (`regex:` for `patterns:`), refused rather than silently ignored.
    static let skillKeys: Set<String> = ["skill", "name", "description", "menu", "intents"]
    static let intentKeys: Set<String> = ["id", "title", "examples", "keywords", "patterns", "responses", "buttons", "slot", "urgent", "rules_only",
                                          "hands_off", "not_phrases", "reply_language", "min_confidence"]
    static let buttonKeys: Set<String> = ["intent"]
    static let slotKeys: Set<String> = ["name", "ask", "values"]

    /// Decodes `yaml`, turning YAML and decoding errors into one-line `SkillCatalogError`s.
    static func decode(_ yaml: String, file: String) throws(SkillCatalogError) -> SkillFile {
        do {
            let decoded = try YAMLDecoder().decode(SkillFile.self, from: yaml)
            try checkKeys(yaml, file: file)
            return decoded
        } catch let error as SkillCatalogError {
            throw error
        } catch let error as DecodingError {
            throw describe(error, yaml: yaml, file: file)
        } catch let error as YamlError {
            throw SkillCatalogError(file: file, describe(error))
        } catch {
            throw SkillCatalogError(file: file, "not a valid skill file (\(error))")
        }
    }

    private static func checkKeys(_ yaml: String, file: String) throws {
        guard let root = try Yams.compose(yaml: yaml) else { return }
        func check(_ node: Node?, _ allowed: Set<String>, intent: String?, what: String) throws {
            guard let mapping = node?.mapping else { return }
            for key in mapping.keys.compactMap(\.string) where !allowed.contains(key) {
                throw SkillCatalogError(file: file, intent: intent,
                                        "unknown key '\(key)' in \(what) (expected one of: \(allowed.sorted().joined(separator: ", ")))")
            }
        }
        try check(root, skillKeys, intent: nil, what: "the skill")
        for (i, intent) in (root["intents"]?.sequence ?? []).enumerated() {
            let id = intent["id"]?.string ?? "#\(i + 1)"
            try check(intent, intentKeys, intent: id, what: "an intent")
            for button in intent["buttons"]?.sequence ?? [] { try check(button, buttonKeys, intent: id, what: "a button") }
            try check(intent["slot"], slotKeys, intent: id, what: "the slot")
        }
    }

    private static func describe(_ error: YamlError) -> String {
        switch error {
        case let .scanner(_, problem, mark, _), let .parser(_, problem, mark, _), let .composer(_, problem, mark, _):
            "invalid YAML at line \(mark.line), column \(mark.column): \(problem)"
        default:
            "invalid YAML: \(String(describing: error).split(separator: "\n").first ?? "")"
        }
    }

    private static func describe(_ error: DecodingError, yaml: String, file: String) -> SkillCatalogError {
        let path: [any CodingKey]
        let problem: String
        switch error {
        case let .dataCorrupted(context):
            if let yamlError = context.underlyingError as? YamlError {
                return SkillCatalogError(file: file, describe(yamlError))
            }
            path = context.codingPath
            problem = context.debugDescription
        case let .keyNotFound(key, context):
            path = context.codingPath
            problem = "missing key '\(key.stringValue)'"
        case let .typeMismatch(_, context), let .valueNotFound(_, context):
            path = context.codingPath
            problem = "unexpected value at '\(keyPath(context.codingPath))': \(context.debugDescription)"
        @unknown default:
            return SkillCatalogError(file: file, "not a valid skill file")
        }
        // Name the intent when the problem lies inside `intents[i]`.
        if path.count >= 2, path[0].stringValue == "intents", let index = path[1].intValue,
           let node = try? Yams.compose(yaml: yaml), let intents = node["intents"]?.sequence, index < intents.count {
            let id = intents[index]["id"]?.string ?? "#\(index + 1)"
            return SkillCatalogError(file: file, intent: id, problem)
        }
        return SkillCatalogError(file: file, problem)
    }

    private static func keyPath(_ path: [any CodingKey]) -> String {
        path.map { $0.intValue.map { "[\($0)]" } ?? ".\($0.stringValue)" }.joined()
            .drop(while: { $0 == "." }).description
    }
}
