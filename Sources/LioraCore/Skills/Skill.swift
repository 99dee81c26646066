import Foundation

/// A skill: a set of intents the bot can recognise and answer, loaded from one YAML file of
/// `skills/` (see `SkillCatalog.load(directory:)`). A tenant enables skills by `id`.
public struct Skill: Sendable, Equatable, Identifiable {
    /// The skill's id, as written in its file's `skill:` key (`core`, `ecommerce`, …).
    public var id: String
    /// The prefix every intent id of this skill starts with, before the dot (see `intentPrefix(forSkill:)`).
    public var intentPrefix: String
    public var name: LocalizedText
    public var description: LocalizedText
    /// The skill's line in the help menu (`{skills}` in a response), when it has one.
    public var menu: LocalizedText?
    /// The intents, in file order (which is also the classifier's tie-break order).
    public var intents: [Intent]

    public init(id: String, intentPrefix: String? = nil, name: LocalizedText, description: LocalizedText,
                menu: LocalizedText? = nil, intents: [Intent]) {
        self.id = id
        self.intentPrefix = intentPrefix ?? Skill.intentPrefix(forSkill: id)
        self.name = name
        self.description = description
        self.menu = menu
        self.intents = intents
    }

    /// The intent-id prefix of a skill: `core` → `core`, `ecommerce` → `catalogo`,
    /// `healthy-living` → `vida_sana`, `recycling` → `reciclaje`; any other skill id is its own
    /// prefix with dashes turned into underscores.
    public static func intentPrefix(forSkill id: String) -> String {
        switch id {
        case "ecommerce": "catalogo"
        case "healthy-living": "vida_sana"
        case "recycling": "reciclaje"
        default: id.replacingOccurrences(of: "-", with: "_")
        }
    }
}

/// One thing a user may want (`reciclaje.plasticos`), with what recognises it and what answers it.
public struct Intent: Sendable, Equatable, Identifiable {
    /// The id, `prefix.name`, unique across the catalog.
    public var id: String
    /// The id of the skill it belongs to.
    public var skill: String
    public var title: LocalizedText
    /// Phrases the classifier is trained on.
    public var examples: LocalizedList
    /// Exact rules: words or phrases that select this intent when they appear whole in a
    /// message (compared after `TextNormalizer`).
    public var keywords: LocalizedList
    /// Exact rules: regular expressions (case-insensitive) that select this intent when found in
    /// the normalised message (`NormalizedText.text`), checked after the keywords.
    public var patterns: LocalizedList
    /// Response variants.
    public var responses: LocalizedList
    /// Intent ids offered as reply buttons (at most three).
    public var buttons: [String]
    /// An optional follow-up question.
    public var slot: SlotDefinition?
    /// Someone may be at risk, or asks for a person: the intent's keywords and patterns are
    /// checked before anything else in a message (other rules, a pending question, the catalog),
    /// and answering it hands the conversation to a person.
    public var urgent: Bool
    /// Only its keywords and patterns select it; the classifier never does (its examples document
    /// it). For an intent whose answer would be wrong to give on a guess: a crisis reply to "quiero
    /// bajar de peso".
    public var rulesOnly: Bool
    /// Answering it hands the conversation to a person, as asking for one does (questions the bot
    /// cannot answer, such as where an order is), without being urgent: its rules and examples
    /// are read in the usual order.
    public var handsOff: Bool
    /// Phrases that look like this intent but are not ("ponte las pilas" is not about batteries):
    /// a message holding one whole (compared after `TextNormalizer`) is never answered with this
    /// intent, by its rules or by the classifier.
    public var notPhrases: LocalizedList
    /// Answering it switches the conversation to this language, whatever the message was written
    /// in ("¿hablas inglés?" is answered, and followed, in English).
    public var replyLanguage: Language?
    /// The lowest classifier score that may select it (`nil`: the router's threshold). For an
    /// intent whose examples share common words with everyday messages: a goodbye's "mañana" and
    /// "me voy" made "voy a la playa mañana" a goodbye. Its keywords and patterns are unaffected.
    public var minConfidence: Double?

    public init(id: String, skill: String, title: LocalizedText, examples: LocalizedList, keywords: LocalizedList = .empty,
                patterns: LocalizedList = .empty, responses: LocalizedList, buttons: [String] = [], slot: SlotDefinition? = nil,
                urgent: Bool = false, rulesOnly: Bool = false, handsOff: Bool = false, notPhrases: LocalizedList = .empty,
                replyLanguage: Language? = nil, minConfidence: Double? = nil) {
        self.id = id; self.skill = skill; self.title = title; self.examples = examples; self.keywords = keywords
        self.patterns = patterns; self.responses = responses; self.buttons = buttons; self.slot = slot; self.urgent = urgent
        self.rulesOnly = rulesOnly; self.handsOff = handsOff; self.notPhrases = notPhrases; self.replyLanguage = replyLanguage
        self.minConfidence = minConfidence
    }
}

/// A follow-up question asked after an intent's response; the user's answer picks the next intent.
public struct SlotDefinition: Sendable, Equatable {
    public var name: String
    public var ask: LocalizedText
    /// Answer word or phrase → intent id.
    public var values: [String: String]

    public init(name: String, ask: LocalizedText, values: [String: String]) {
        self.name = name
        self.ask = ask
        self.values = values
    }

    /// The intent id the answer `text` selects: a value that appears whole in the normalised
    /// answer (the longest one wins); `nil` if none, or if the longest values found name different
    /// intents ("envases de vidrio": plastics or glass?), which the router then decides.
    public func resolve(_ text: String, normalizer: TextNormalizer = TextNormalizer()) -> String? {
        let answer = normalizer.normalize(text).tokens
        var best: (length: Int, intents: Set<String>)?
        for (key, intent) in values {
            let phrase = normalizer.normalize(key).tokens
            guard !phrase.isEmpty, answer.containsPhrase(phrase) else { continue }
            if best == nil || phrase.count > best!.length {
                best = (phrase.count, [intent])
            } else if phrase.count == best!.length {
                best!.intents.insert(intent)
            }
        }
        guard let best, best.intents.count == 1 else { return nil }
        return best.intents.first
    }
}

extension Array where Element == String {
    /// Whether `phrase` occurs as a contiguous run of whole tokens.
    func containsPhrase(_ phrase: [String]) -> Bool {
        guard !phrase.isEmpty, phrase.count <= count else { return false }
        for start in 0...(count - phrase.count) where self[start] == phrase[0] {
            if self[start..<(start + phrase.count)].elementsEqual(phrase) { return true }
        }
        return false
    }
}
