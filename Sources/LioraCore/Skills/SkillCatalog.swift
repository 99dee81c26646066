public import Foundation

/// Every skill the service knows, validated: intent ids are unique and carry their skill's
/// prefix, buttons and slot values name existing intents, every intent has Spanish and English
/// examples and responses. Tenants enable a subset (see `IntentRouter`).
public struct SkillCatalog: Sendable {
    /// The skills, in file-name order.
    public let skills: [Skill]
    /// Content problems that do not stop loading (few examples, a keyword or example shared by
    /// two intents), one line each, naming the file and intent.
    public let warnings: [String]
    private let index: [String: (skill: Int, intent: Int)]

    /// The fewest examples per language an intent should have before a warning is given.
    public static let recommendedExamples = 10
    /// The most buttons an intent may offer (WhatsApp's limit for reply buttons).
    public static let maximumButtons = 3
    /// The longest title that fits a WhatsApp reply button; longer titles give a warning.
    public static let maximumTitleLength = 20

    /// Validates skills built in code; errors name the skill id in place of a file.
    public init(skills: [Skill]) throws(SkillCatalogError) {
        try self.init(skills: skills, files: skills.map(\.id))
    }

    init(skills: [Skill], files: [String]) throws(SkillCatalogError) {
        var index: [String: (skill: Int, intent: Int)] = [:]
        var skillFiles: [String: String] = [:]
        for (s, skill) in skills.enumerated() {
            let file = files[s]
            guard !skill.id.isEmpty else { throw SkillCatalogError(file: file, "missing skill id") }
            if let other = skillFiles[skill.id] {
                throw SkillCatalogError(file: file, "skill \(skill.id) is also defined in \(other)")
            }
            skillFiles[skill.id] = file
            for language in Language.allCases where skill.name[language].trimmingCharacters(in: .whitespaces).isEmpty {
                throw SkillCatalogError(file: file, "missing \(language.rawValue) name")
            }
            if let menu = skill.menu {
                for language in Language.allCases where menu[language].trimmingCharacters(in: .whitespaces).isEmpty {
                    throw SkillCatalogError(file: file, "missing \(language.rawValue) menu line")
                }
            }
            for (i, intent) in skill.intents.enumerated() {
                guard intent.id.hasPrefix(skill.intentPrefix + "."), intent.id.count > skill.intentPrefix.count + 1 else {
                    throw SkillCatalogError(file: file, intent: intent.id,
                                            "id must start with '\(skill.intentPrefix).' (the prefix of skill \(skill.id))")
                }
                if let other = index[intent.id] {
                    throw SkillCatalogError(file: file, intent: intent.id, "duplicate intent id (also in \(files[other.skill]))")
                }
                index[intent.id] = (s, i)
            }
        }
        var warnings: [String] = []
        let normalizer = TextNormalizer()
        var keywordOwners: [[String]: String] = [:]
        var exampleOwners: [[String]: String] = [:]
        for (s, skill) in skills.enumerated() {
            let file = files[s]
            for intent in skill.intents {
                func fail(_ message: String) -> SkillCatalogError {
                    SkillCatalogError(file: file, intent: intent.id, message)
                }
                for language in Language.allCases {
                    if intent.title[language].trimmingCharacters(in: .whitespaces).isEmpty {
                        throw fail("missing \(language.rawValue) title")
                    }
                    if intent.title[language].count > Self.maximumTitleLength {
                        warnings.append("\(file): intent \(intent.id): \(language.rawValue) title longer than \(Self.maximumTitleLength) characters (WhatsApp's button limit)")
                    }
                    let examples = intent.examples[language].filter { !normalizer.normalize($0).isEmpty }
                    if examples.isEmpty { throw fail("missing \(language.rawValue) examples") }
                    if examples.count < Self.recommendedExamples {
                        warnings.append("\(file): intent \(intent.id): only \(examples.count) \(language.rawValue) examples (\(Self.recommendedExamples) recommended)")
                    }
                    if intent.responses[language].allSatisfy({ $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
                        throw fail("missing \(language.rawValue) responses")
                    }
                }
                if intent.buttons.count > Self.maximumButtons {
                    throw fail("\(intent.buttons.count) buttons (at most \(Self.maximumButtons))")
                }
                for target in intent.buttons where index[target] == nil {
                    throw fail("button references unknown intent \(target)")
                }
                if let slot = intent.slot {
                    if slot.name.isEmpty { throw fail("slot has no name") }
                    for language in Language.allCases where slot.ask[language].trimmingCharacters(in: .whitespaces).isEmpty {
                        throw fail("slot \(slot.name) has no \(language.rawValue) question")
                    }
                    if slot.values.isEmpty { throw fail("slot \(slot.name) has no values") }
                    for (value, target) in slot.values.sorted(by: { $0.key < $1.key }) {
                        if index[target] == nil { throw fail("slot value '\(value)' references unknown intent \(target)") }
                        if normalizer.normalize(value).isEmpty { throw fail("slot value '\(value)' has no words") }
                    }
                }
                for keyword in intent.keywords.all {
                    let tokens = normalizer.normalize(keyword).tokens
                    if tokens.isEmpty { throw fail("keyword '\(keyword)' has no words") }
                    if let owner = keywordOwners[tokens], owner != intent.id {
                        warnings.append("\(file): intent \(intent.id): keyword '\(keyword)' is also a keyword of \(owner)")
                    } else {
                        keywordOwners[tokens] = intent.id
                    }
                }
                for phrase in intent.notPhrases.all where normalizer.normalize(phrase).isEmpty {
                    throw fail("not_phrases entry '\(phrase)' has no words")
                }
                for pattern in intent.patterns.all {
                    guard pattern.count <= PatternRules.maximumLength else {
                        throw fail("pattern '\(pattern.prefix(40))…' is longer than \(PatternRules.maximumLength) characters")
                    }
                    // Patterns see the normalised message, which has no accents and writes ñ as n:
                    // "niño" in a pattern could never match, silently.
                    if let letter = pattern.unicodeScalars.first(where: { !$0.isASCII && $0.properties.isAlphabetic }) {
                        throw fail("pattern '\(pattern)' has the letter '\(letter)', but patterns see the normalised message (no accents, ñ as n): write it without")
                    }
                    let regex: NSRegularExpression
                    do { regex = try PatternRules.compile(pattern) } catch { throw fail("pattern '\(pattern)' is not a valid regular expression") }
                    // A pattern that matches nothing at all would match every message.
                    if regex.firstMatch(in: "", options: [], range: NSRange(location: 0, length: 0)) != nil {
                        throw fail("pattern '\(pattern)' matches an empty message, so it would match every message")
                    }
                }
                for example in intent.examples.all {
                    let tokens = normalizer.normalize(example).tokens
                    if let owner = exampleOwners[tokens], owner != intent.id {
                        warnings.append("\(file): intent \(intent.id): example '\(example)' is also an example of \(owner)")
                    } else {
                        exampleOwners[tokens] = intent.id
                    }
                }
            }
        }
        self.skills = skills
        self.index = index
        self.warnings = warnings
    }

    /// Loads and validates every `*.yaml` / `*.yml` file of `directory` (one skill per file,
    /// in file-name order). Throws `SkillCatalogError` naming the file (and intent) at fault.
    public static func load(directory: URL) throws -> SkillCatalog {
        let fm = FileManager.default
        let dirName = directory.path
        var isDirectory: ObjCBool = false
        guard fm.fileExists(atPath: dirName, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw SkillCatalogError(file: dirName, "no such directory")
        }
        let names = try fm.contentsOfDirectory(atPath: dirName)
            .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
            .sorted()
        guard !names.isEmpty else { throw SkillCatalogError(file: dirName, "no skill files (*.yaml)") }
        var skills: [Skill] = []
        for name in names {
            let url = directory.appendingPathComponent(name)
            guard let data = fm.contents(atPath: url.path) else { throw SkillCatalogError(file: name, "cannot be read") }
            guard let text = String(data: data, encoding: .utf8) else { throw SkillCatalogError(file: name, "is not UTF-8") }
            skills.append(try skill(from: SkillFile.decode(text, file: name), file: name))
        }
        return try SkillCatalog(skills: skills, files: names)
    }

    /// Parses one skill file's text (the directory loader's per-file step), `file` naming it in errors.
    public static func parseSkill(yaml: String, file: String) throws(SkillCatalogError) -> Skill {
        try skill(from: SkillFile.decode(yaml, file: file), file: file)
    }

    private static func skill(from raw: SkillFile, file: String) throws(SkillCatalogError) -> Skill {
        func text(_ map: [String: String]?, _ what: String, intent: String? = nil) throws(SkillCatalogError) -> LocalizedText {
            let map = map ?? [:]
            try checkLanguages(map.keys, what, file: file, intent: intent)
            return LocalizedText(es: map["es"] ?? "", en: map["en"] ?? "")
        }
        func list(_ map: [String: [String]]?, _ what: String, intent: String) throws(SkillCatalogError) -> LocalizedList {
            let map = map ?? [:]
            try checkLanguages(map.keys, what, file: file, intent: intent)
            return LocalizedList(es: map["es"] ?? [], en: map["en"] ?? [])
        }
        var intents: [Intent] = []
        for i in raw.intents ?? [] {
            var slot: SlotDefinition?
            if let s = i.slot {
                slot = SlotDefinition(name: s.name, ask: try text(s.ask, "slot ask", intent: i.id), values: s.values ?? [:])
            }
            var replyLanguage: Language?
            if let code = i.replyLanguage {
                guard let language = Language(rawValue: code) else {
                    throw SkillCatalogError(file: file, intent: i.id, "reply_language must be one of \(Language.allCases.map(\.rawValue).joined(separator: ", ")), not '\(code)'")
                }
                replyLanguage = language
            }
            if let minimum = i.minConfidence, !(minimum > 0 && minimum <= 1) {
                throw SkillCatalogError(file: file, intent: i.id, "min_confidence must be above 0 and at most 1, not \(minimum)")
            }
            intents.append(Intent(
                id: i.id, skill: raw.skill,
                title: try text(i.title, "title", intent: i.id),
                examples: try list(i.examples, "examples", intent: i.id),
                keywords: try list(i.keywords, "keywords", intent: i.id),
                patterns: try list(i.patterns, "patterns", intent: i.id),
                responses: try list(i.responses, "responses", intent: i.id),
                buttons: (i.buttons ?? []).map(\.intent),
                slot: slot, urgent: i.urgent ?? false, rulesOnly: i.rulesOnly ?? false, handsOff: i.handsOff ?? false,
                notPhrases: try list(i.notPhrases, "not_phrases", intent: i.id),
                replyLanguage: replyLanguage, minConfidence: i.minConfidence))
            if i.rulesOnly == true, (i.keywords ?? [:]).values.allSatisfy(\.isEmpty), (i.patterns ?? [:]).values.allSatisfy(\.isEmpty) {
                throw SkillCatalogError(file: file, intent: i.id, "rules_only needs keywords or patterns: nothing would select it")
            }
        }
        if intents.isEmpty { throw SkillCatalogError(file: file, "skill \(raw.skill) has no intents") }
        return Skill(id: raw.skill, name: try text(raw.name, "name"), description: try text(raw.description, "description"),
                     menu: try raw.menu.map { map throws(SkillCatalogError) in try text(map, "menu") }, intents: intents)
    }

    private static func checkLanguages(_ keys: Dictionary<String, some Any>.Keys, _ what: String, file: String,
                                       intent: String?) throws(SkillCatalogError) {
        for key in keys.sorted() where Language(rawValue: key) == nil {
            throw SkillCatalogError(file: file, intent: intent, "\(what): unknown language '\(key)' (expected es, en)")
        }
    }

    // MARK: Lookups

    /// Every intent of every skill, in catalog order.
    public var intents: [Intent] { skills.flatMap(\.intents) }

    /// The ids of all skills.
    public var skillIDs: Set<String> { Set(skills.map(\.id)) }

    /// The intent with this id.
    public func intent(id: String) -> Intent? {
        index[id].map { skills[$0.skill].intents[$0.intent] }
    }

    /// The skill with this id.
    public func skill(id: String) -> Skill? {
        skills.first { $0.id == id }
    }

    /// The skill an intent id belongs to.
    public func skill(forIntent id: String) -> Skill? {
        index[id].map { skills[$0.skill] }
    }
}
