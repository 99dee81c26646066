import Foundation

/// Decides which intent a user's message is for: one call per inbound message, well under a
/// millisecond (see bench/nlu).
///
/// In order, the first step that decides wins:
/// 1. **Reply id.** An interactive reply (button or list row) whose id is an intent id,
///    written plainly (`reciclaje.vidrio`) or prefixed (`intent:reciclaje.vidrio`), selects that
///    intent with confidence 1, when its skill is enabled. Other reply ids are ignored and the
///    text is routed as usual.
/// 2. **Rules.** First the patterns that describe a whole message (`^…$`, see
///    `PatternRules.isWholeMessage`): "me voy al gym" said alone is a goodbye, whatever keyword
///    ("gym") it holds. Then keywords of enabled skills that appear whole in the normalised
///    message. The longest matching keyword wins; when several intents match with equally long keywords the
///    classifier picks among them. Then, when no keyword matched, the intents' regular
///    expressions (`patterns`) over the normalised text, ties again broken by the classifier.
///    Confidence 1.
/// 3. **Classifier**, over the intents of enabled skills. Below `threshold` → `.noMatch`; when
///    other intents score within `ambiguityMargin` of the best → `.ambiguous` (best first, at
///    most `maximumAlternatives`); otherwise `.matched` with the score as confidence.
///
/// A message with no words (empty, only punctuation or emoji) is `.noMatch`. A skill that is not
/// in `enabledSkills` never answers. The answer language is detected from the text, falling
/// back to the user's previous language (always kept for an interactive reply).
public struct IntentRouter: Sendable {
    /// Thresholds of the classifier step.
    public struct Configuration: Sendable, Equatable {
        /// The lowest classifier score that can match.
        public var threshold: Double
        /// Intents scoring within this much of the best make the result ambiguous.
        public var ambiguityMargin: Double
        /// The most intents an ambiguous result offers (WhatsApp allows three reply buttons).
        public var maximumAlternatives: Int
        /// How the classifier is trained.
        public var classifier: IntentClassifier.Configuration

        public init(threshold: Double = 0.18, ambiguityMargin: Double = 0.02, maximumAlternatives: Int = 3,
                    classifier: IntentClassifier.Configuration = .default) {
            self.threshold = threshold
            self.ambiguityMargin = ambiguityMargin
            self.maximumAlternatives = max(2, maximumAlternatives)
            self.classifier = classifier
        }

        /// The defaults, tuned on skills/ and Tests/nlu/labelled.tsv by a grid search over the
        /// thresholds and the classifier's weights (accuracy 0.935 there; the flat optimum spans
        /// thresholds 0.18–0.22 and margins 0–0.02).
        public static let `default` = Configuration()
    }

    /// The prefix a reply id may carry before an intent id.
    public static let replyIDPrefix = "intent:"

    public let catalog: SkillCatalog
    public let configuration: Configuration
    public let classifier: IntentClassifier
    private let normalizer: TextNormalizer
    /// Examples written only in function words ("what do you do?", "nada más por ahora"): the
    /// skills' authors meant them, so they are classified.
    private let functionWordExamples: Set<String>
    private let detector: LanguageDetector
    private let intents: [Intent]
    private let rules: KeywordRules
    private let patterns: PatternRules
    /// The patterns that describe a whole message (`PatternRules.isWholeMessage`), tried before
    /// any keyword: "me voy al gym" is a goodbye although "gym" is an activity keyword.
    private let wholeMessagePatterns: PatternRules
    private let hasUrgent: Bool
    /// Whether intent `i` is urgent (`Intent.urgent`), by intent index.
    private let isUrgent: [Bool]
    /// Each intent's skill, as an index into `skillIDs`: which intents a tenant's skills enable is
    /// worked out with one lookup per skill, not one per intent.
    private let skillIDs: [String]
    private let skillOfIntent: [Int]
    /// Each intent's `notPhrases`, matched as keywords are: a message holding one is never
    /// answered with that intent.
    private let notPhrases: KeywordRules
    private let hasNotPhrases: Bool
    /// Each intent's not-phrases, normalised (by intent index).
    private let notPhraseTokens: [Int: [[String]]]
    /// The intents with their own classifier threshold (`Intent.minConfidence`), by id.
    private let minConfidence: [String: Double]

    /// Trains the classifier and indexes the keywords of `catalog` (done once, at start-up).
    public init(catalog: SkillCatalog, configuration: Configuration = .default, normalizer: TextNormalizer = TextNormalizer()) {
        self.catalog = catalog
        self.configuration = configuration
        self.normalizer = normalizer
        self.intents = catalog.intents
        self.rules = KeywordRules(intents: intents, normalizer: normalizer)
        // A whole-message pattern is more specific than any keyword it holds; the urgent intents'
        // patterns run first anyway (`urgentMatch`).
        self.patterns = PatternRules(intents: Self.keepingPatterns(of: intents, wholeMessage: false))
        self.wholeMessagePatterns = PatternRules(intents: Self.keepingPatterns(of: intents, wholeMessage: true))
        self.classifier = IntentClassifier(catalog: catalog, configuration: configuration.classifier, normalizer: normalizer)
        self.detector = LanguageDetector(catalog: catalog, normalizer: normalizer)
        var functionWordExamples: Set<String> = []
        for intent in intents {
            for example in intent.examples.all {
                let tokens = normalizer.normalize(example).tokens
                if !tokens.isEmpty, tokens.allSatisfy(Self.functionWords.contains) { functionWordExamples.insert(tokens.joined(separator: " ")) }
            }
        }
        self.functionWordExamples = functionWordExamples
        self.hasUrgent = intents.contains(where: \.urgent)
        self.isUrgent = intents.map(\.urgent)
        var skillIDs: [String] = []
        self.skillOfIntent = intents.map { intent in
            if let i = skillIDs.firstIndex(of: intent.skill) { return i }
            skillIDs.append(intent.skill)
            return skillIDs.count - 1
        }
        self.skillIDs = skillIDs
        self.notPhrases = KeywordRules(intents: intents.map { intent in
            var phrases = intent
            phrases.keywords = intent.notPhrases
            return phrases
        }, normalizer: normalizer)
        self.hasNotPhrases = intents.contains { !$0.notPhrases.all.isEmpty }
        var notPhraseTokens: [Int: [[String]]] = [:]
        for (i, intent) in intents.enumerated() where !intent.notPhrases.all.isEmpty {
            notPhraseTokens[i] = intent.notPhrases.all.map { normalizer.normalize($0).tokens }.filter { !$0.isEmpty }
        }
        self.notPhraseTokens = notPhraseTokens
        self.minConfidence = Dictionary(intents.compactMap { intent in intent.minConfidence.map { (intent.id, $0) } },
                                        uniquingKeysWith: max)
    }

    /// The intents (indexes) a message must not be answered with: one of their `notPhrases` is in
    /// it, and none of their keywords is outside it ("ya no dura la batería, ¿cómo desecho la
    /// batería?" still asks how to dispose of a battery).
    private func excluded(_ normalized: NormalizedText) -> Set<Int> {
        guard hasNotPhrases else { return [] }
        var out = Set<Int>()
        for i in Set(notPhrases.matches(normalized.tokens, allowed: { _ in true }).map(\.intent)) {
            var masked = normalized.tokens
            for phrase in notPhraseTokens[i] ?? [] where phrase.count <= masked.count {
                for start in 0...(masked.count - phrase.count) where masked[start..<(start + phrase.count)].elementsEqual(phrase) {
                    for k in start..<(start + phrase.count) { masked[k] = "" }
                }
            }
            if rules.matches(masked, allowed: { $0 == i }).isEmpty { out.insert(i) }
        }
        return out
    }

    /// Whether each intent (by index) belongs to one of `enabledSkills`.
    private func enabledIntents(_ enabledSkills: Set<String>) -> [Bool] {
        let enabled = skillIDs.map(enabledSkills.contains)
        return skillOfIntent.map { enabled[$0] }
    }

    /// The language `text` is written in, as `route` would answer it (`previous` when the text
    /// does not show one), without routing it.
    public func language(of text: String, previous: Language, established: Bool = true) -> Language {
        detector.detect(text, normalized: normalizer.normalize(text), previous: previous, established: established)
    }

    /// Routes one message.
    /// - Parameters:
    ///   - text: the message text (for an interactive reply, its title).
    ///   - replyID: the id of the interactive reply, if the message is one.
    ///   - enabledSkills: the skill ids the tenant has enabled (`Skill.id`: `core`, `recycling`, …).
    ///   - language: the user's previous language, kept when the text does not show its language.
    ///   - languageEstablished: whether `language` is the user's own (false on a first message; see
    ///     `LanguageDetector.detect`).
    ///   - checkingUrgent: false when the caller has already looked for an urgent intent in `text`
    ///     (`urgentIntent(in:enabledSkills:)`, as the engine does first).
    ///   - excludingIntents: intents that must not answer (as if the message held one of their
    ///     not-phrases): a follow-up is about something other than what was just answered.
    public func route(_ text: String, replyID: String? = nil, enabledSkills: Set<String>,
                      language: Language = .default, languageEstablished: Bool = true, checkingUrgent: Bool = true,
                      excludingIntents: Set<String> = []) -> RouteResult {
        let normalized = normalizer.normalize(text)
        // An interactive reply's title is the bot's own text or catalog data (a product named
        // "Running Aire"), not the user's words: it never changes the conversation's language.
        let language = replyID != nil ? language
            : detector.detect(text, normalized: normalized, previous: language, established: languageEstablished)
        func result(_ outcome: RouteResult.Outcome) -> RouteResult { RouteResult(outcome: outcome, language: language) }

        if let replyID, let intent = intent(forReplyID: replyID), enabledSkills.contains(intent.skill) {
            return result(.matched(intentID: intent.id, confidence: 1, via: .reply))
        }
        guard !normalized.isEmpty else { return result(.noMatch) }

        // Urgent intents' rules first: "quiero hablar con una persona, la batería no funciona" asks
        // for a person, whatever the other keywords.
        var excluded = excluded(normalized)
        if !excludingIntents.isEmpty { excluded.formUnion(intents.indices.filter { excludingIntents.contains(intents[$0].id) }) }
        let enabled = enabledIntents(enabledSkills)
        let urgentChecked = checkingUrgent && hasUrgent
        if urgentChecked, let urgent = urgentMatch(text, normalized: normalized, enabled: enabled, excluded: excluded) {
            return result(.matched(intentID: urgent, confidence: 1, via: .rule))
        }
        let mask = intents.indices.map { enabled[$0] && !excluded.contains($0) }
        let allowed = { (i: Int) in mask[i] }
        var tied = wholeMessagePatterns.matches(normalized.text, allowed: allowed).map { intents[$0].id }
        if tied.isEmpty {
            let keywordMatches = rules.matches(normalized.tokens, allowed: allowed)
            tied = keywordMatches.prefix { $0.length == keywordMatches[0].length }.map { intents[$0.intent].id }
        }
        if tied.isEmpty, !patterns.isEmpty {
            // The urgent intents' patterns were just run over this same text, with these same
            // intents allowed, and found nothing: not again (they are most of the patterns).
            let unchecked = urgentChecked ? intents.indices.map { mask[$0] && !isUrgent[$0] } : mask
            tied = patterns.matches(normalized.text, allowed: { unchecked[$0] }).map { intents[$0].id }
        }
        if !tied.isEmpty {
            var chosen = tied[0]
            if tied.count > 1 {
                let ranked = classifier.classify(normalized, enabledSkills: enabledSkills, limit: intents.count)
                chosen = ranked.first { tied.contains($0.intentID) }?.intentID ?? chosen
            }
            return result(.matched(intentID: chosen, confidence: 1, via: .rule))
        }

        // Only function words ("no", "ya", "eso", "no quiero", "I don't want it"): nothing to
        // classify. One shared word would otherwise pick an intent at random ("no" → sleep tips,
        // "no quiero" → hand-off to a person).
        if normalized.tokens.allSatisfy(Self.functionWords.contains),
           !functionWordExamples.contains(normalized.tokens.joined(separator: " ")) {
            return result(.noMatch)
        }
        let excludedIDs = Set(excluded.map { intents[$0].id })
        let ranked = classifier.classify(normalized, enabledSkills: enabledSkills, limit: configuration.maximumAlternatives + excluded.count)
            .filter { !excludedIDs.contains($0.intentID) }.prefix(configuration.maximumAlternatives)
        guard let best = ranked.first, best.score >= configuration.threshold else { return result(.noMatch) }
        // The best guess is an intent that asks for more than the router's threshold: below it,
        // nothing is understood (not the next guess, which scored lower still).
        if let minimum = minConfidence[best.intentID], best.score < minimum { return result(.noMatch) }
        let close = ranked.prefix { best.score - $0.score < configuration.ambiguityMargin }
        if close.count > 1 {
            return result(.ambiguous(close.map(\.intentID)))
        }
        return result(.matched(intentID: best.intentID, confidence: best.score, via: .classifier))
    }

    /// `intents` with only the patterns that describe a whole message (`wholeMessage`), or only
    /// the others; an urgent intent keeps all of its patterns among the others.
    private static func keepingPatterns(of intents: [Intent], wholeMessage: Bool) -> [Intent] {
        intents.map { intent in
            var kept = intent
            if !intent.urgent {
                kept.patterns = LocalizedList(es: intent.patterns.es.filter { PatternRules.isWholeMessage($0) == wholeMessage },
                                              en: intent.patterns.en.filter { PatternRules.isWholeMessage($0) == wholeMessage })
            } else if wholeMessage {
                kept.patterns = .empty
            }
            return kept
        }
    }

    /// The urgent intent (`Intent.urgent`) whose keyword phrase or pattern is in the message, if
    /// any; when several are, the one listed first (`core.crisis` before `core.humano`: someone at
    /// risk who also asks for a person gets the crisis reply). An urgent intent's one-word keywords
    /// are ordinary keywords: "humano" in "¿cuánta agua necesita el cuerpo humano?" or "human hair
    /// extensions" must not override the request.
    ///
    /// A message with a negation and no match is also read clause by clause (split at
    /// `, . ; : ! ? …`): normalising drops the punctuation, and "No, me quiero morir" must not read
    /// as the negated "no me quiero morir".
    /// `excluded`: the intents the message's not-phrases rule out (`excluded(_:)`).
    private func urgentMatch(_ text: String, normalized: NormalizedText, enabled: [Bool], excluded: Set<Int>) -> String? {
        let mask = intents.indices.map { isUrgent[$0] && enabled[$0] && !excluded.contains($0) }
        let allowed = { (i: Int) in mask[i] }
        func found(in normalized: NormalizedText, endsMessage: Bool = true) -> [Int] {
            rules.matches(normalized.tokens, allowed: allowed).filter { $0.length >= 2 }.map(\.intent)
                + patterns.matches(endsMessage ? normalized.text : normalized.text + " .", allowed: allowed)
        }
        var matched = found(in: normalized)
        // Rules that want the statement to end the message ("quiero acabar con todo$") must not
        // lose it to a goodbye, thanks or time after it: "quiero acabar con todo, adiós", "i want
        // to end it, bye", "me voy a colgar hoy". Those words are taken off the end one at a time
        // ("todo" in "acabar con todo, adiós" is the statement's own), the rules tried after each
        // (a joke after it, "jajaja", is not one of them).
        var kept = normalized.tokens[...]
        while matched.isEmpty, kept.count > 1, let last = kept.last, Self.trailingWords.contains(last) {
            kept = kept.dropLast()
            matched = found(in: normalizer.normalize(kept.joined(separator: " ")))
        }
        // Only a negation ("no", "don't") can reach across a clause break into a rule's look-behind;
        // and a clause alone must not lose its idiom ("me quiero morir, jajaja" stays a joke).
        if matched.isEmpty, normalized.tokens.contains(where: Self.negations.contains),
           text.unicodeScalars.contains(where: Self.clauseBreaks.contains) {
            let clauses = text.unicodeScalars.split(whereSeparator: Self.clauseBreaks.contains)
            // A clause with more than goodbyes after it does not end the message: a rule that wants
            // the statement alone ("ya no aguanto más$") must not take the first clause of "ya no
            // aguanto más, ¿cuándo llega mi pedido?" (a " ." after it fails `$` and nothing else).
            let normalizedClauses = clauses.map { normalizer.normalize(String(String.UnicodeScalarView($0))) }
            if normalizedClauses.count > 1 {
                let lastSaying = normalizedClauses.lastIndex {
                    !$0.tokens.allSatisfy { Self.trailingWords.contains($0) || Self.closingWords.contains($0) }
                } ?? 0
                for (i, n) in normalizedClauses.enumerated() where !n.isEmpty {
                    matched += found(in: n, endsMessage: i >= lastSaying)
                }
            }
        }
        return matched.min().map { intents[$0].id }
    }

    /// Goodbyes, thanks and times that may close an urgent statement (see `urgentMatch`).
    private static let trailingWords: Set<String> = [
        "adios", "chao", "chau", "bye", "goodbye", "gracias", "por", "todo", "todos", "a", "hasta", "siempre", "luego", "pronto",
        "hoy", "ya", "ahora", "esta", "noche", "manana", "mismo", "perdon", "perdonen", "lo", "siento", "los", "las", "quiero",
        "te", "amo", "thanks", "thank", "you", "for", "everything", "all", "sorry", "tonight", "today", "now", "right", "love",
        "forever", "mama", "mom", "mum",
    ]

    /// Besides `trailingWords`, what a clause that closes an urgent statement may say ("me quiero
    /// colgar, no doy más", "…, en serio") without taking the end of the message from it.
    private static let closingWords: Set<String> = [
        "no", "doy", "mas", "puedo", "aguanto", "de", "verdad", "en", "serio", "neta", "i", "cant", "anymore", "really", "mean", "it",
    ]

    /// Words the urgent rules' look-behinds treat as negating what follows (see `urgentMatch`).
    private static let negations: Set<String> = ["no", "dont", "not"]

    /// Punctuation that ends a clause (see `urgentMatch`).
    private static let clauseBreaks: Set<Unicode.Scalar> = [",", ".", ";", ":", "!", "?", "\u{2026}", "\u{A1}", "\u{BF}"]

    /// The urgent intent named by `text`'s keywords or patterns, if any (see `Intent.urgent`).
    public func urgentIntent(in text: String, enabledSkills: Set<String>) -> Intent? {
        guard hasUrgent else { return nil }
        let normalized = normalizer.normalize(text)
        guard !normalized.isEmpty else { return nil }
        return urgentMatch(text, normalized: normalized, enabled: enabledIntents(enabledSkills), excluded: excluded(normalized))
            .flatMap { catalog.intent(id: $0) }
    }

    /// Words that carry no request on their own (normalised: lowercase, no accents), Spanish and
    /// English. A message made only of them is not classified.
    static let functionWords: Set<String> = [
        // Spanish
        "no", "si", "ya", "eso", "esto", "esa", "ese", "aso", "que", "quiero", "quieres", "nada", "algo", "pues", "ahora", "por",
        "para", "el", "la", "los", "las", "lo", "le", "un", "una", "de", "del", "al", "a", "y", "o", "e", "me", "mi", "te", "tu",
        "se", "es", "son", "esta", "estoy", "yo", "mas", "muy", "tambien", "pero", "con", "sin", "en", "aqui", "ahi", "asi",
        "todavia", "aun", "nunca", "mmm", "mm", "ah", "eh", "oh", "aja", "bueno", "pues", "entonces", "tampoco", "se",
        // English
        "yes", "yeah", "yep", "nope", "nah", "i", "it", "that", "this", "the", "an", "to", "want", "dont", "do", "not", "nothing",
        "something", "what", "so", "well", "just", "now", "for", "and", "or", "my", "you", "is", "am", "are", "be", "of", "in",
        "on", "with", "hmm", "maybe", "right", "im", "its", "thats", "really", "still", "yet",
    ]

    /// The intent a reply id names (`catalogo.ver` or `intent:catalogo.ver`), if any.
    public func intent(forReplyID replyID: String) -> Intent? {
        var id = Substring(replyID.trimmingCharacters(in: .whitespaces))
        if id.hasPrefix(Self.replyIDPrefix) { id = id.dropFirst(Self.replyIDPrefix.count) }
        return catalog.intent(id: String(id))
    }
}
