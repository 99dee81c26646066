import Foundation

/// The exact rules of a catalog: each intent's keywords, normalised, matched as whole words or
/// whole phrases of a normalised message.
struct KeywordRules: Sendable {
    private struct Rule: Sendable {
        var phrase: [String]
        var intent: Int
    }

    /// Rules by the phrase's first word.
    private let byFirstWord: [String: [Rule]]

    /// `intents[i]`'s keywords become rules for intent index `i`.
    init(intents: [Intent], normalizer: TextNormalizer) {
        var byFirstWord: [String: [Rule]] = [:]
        for (i, intent) in intents.enumerated() {
            var seen = Set<[String]>()
            for keyword in intent.keywords.all {
                let phrase = normalizer.normalize(keyword).tokens
                guard let first = phrase.first, seen.insert(phrase).inserted else { continue }
                byFirstWord[first, default: []].append(Rule(phrase: phrase, intent: i))
            }
        }
        self.byFirstWord = byFirstWord
    }

    /// The intents whose keyword matches, restricted by `allowed`, as (intent index, words of the
    /// longest matching keyword), longest first then in catalog order.
    func matches(_ tokens: [String], allowed: (Int) -> Bool) -> [(intent: Int, length: Int)] {
        var best: [Int: Int] = [:]
        for start in tokens.indices {
            guard let rules = byFirstWord[tokens[start]] else { continue }
            for rule in rules where allowed(rule.intent) {
                let end = start + rule.phrase.count
                guard end <= tokens.count, tokens[start..<end].elementsEqual(rule.phrase) else { continue }
                best[rule.intent] = max(best[rule.intent] ?? 0, rule.phrase.count)
            }
        }
        return best.map { (intent: $0.key, length: $0.value) }
            .sorted { $0.length != $1.length ? $0.length > $1.length : $0.intent < $1.intent }
    }
}

/// The pattern rules of a catalog: each intent's regular expressions, matched against the
/// normalised message (`NormalizedText.text`: lowercase, no accents, words of letters and digits
/// separated by one space). Checked after the keywords; compiled once, at start-up.
struct PatternRules: @unchecked Sendable {  // NSRegularExpression is immutable and thread-safe once built
    private struct Rule {
        var regex: NSRegularExpression
        var intent: Int
    }

    private let rules: [Rule]

    /// The longest pattern a skill file may hold (patterns are for short, precise rules).
    static let maximumLength = 200

    /// `intents[i]`'s patterns become rules for intent index `i`; the catalog has validated them.
    init(intents: [Intent]) {
        var rules: [Rule] = []
        for (i, intent) in intents.enumerated() {
            for source in Set(intent.patterns.all).sorted() {
                if let regex = try? Self.compile(source) { rules.append(Rule(regex: regex, intent: i)) }
            }
        }
        self.rules = rules
    }

    var isEmpty: Bool { rules.isEmpty }

    static func compile(_ source: String) throws -> NSRegularExpression {
        try NSRegularExpression(pattern: source, options: [.caseInsensitive])
    }

    /// The intents (indexes, in catalog order, once each) with a pattern found in `text`,
    /// restricted by `allowed`.
    func matches(_ text: String, allowed: (Int) -> Bool) -> [Int] {
        guard !text.isEmpty else { return [] }
        let range = NSRange(text.startIndex..., in: text)
        var found: [Int] = []
        for rule in rules where !found.contains(rule.intent) && allowed(rule.intent) {  // rules are in intent order
            if rule.regex.firstMatch(in: text, options: [], range: range) != nil { found.append(rule.intent) }
        }
        return found
    }
}
