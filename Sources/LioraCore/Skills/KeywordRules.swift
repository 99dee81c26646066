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
