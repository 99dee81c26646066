import Foundation

/// Scores an `IntentRouter` over a labelled set.
///
/// A row is right when the router's answer satisfies its expectation (`ExpectedRoute.accepts`),
/// taking an ambiguous result as follows: for a `none` row it counts as no match (asking "did
/// you mean …?" is an acceptable non-answer), for any other row it counts as its first
/// (best) intent — right only when that one is right.
public struct NLUEvaluator: Sendable {
    public let router: IntentRouter
    /// Skills enabled during the run (default: all of the router's catalog).
    public let enabledSkills: Set<String>
    /// The previous language given to the router for every row.
    public let language: Language

    public init(router: IntentRouter, enabledSkills: Set<String>? = nil, language: Language = .default) {
        self.router = router
        self.enabledSkills = enabledSkills ?? router.catalog.skillIDs
        self.language = language
    }

    /// Routes every utterance once and scores the answers.
    public func evaluate(_ utterances: [LabelledUtterance]) -> NLUEvaluation {
        let rows = utterances.map { u in
            let result = router.route(u.text, enabledSkills: enabledSkills, language: language)
            return NLUEvaluation.Row(utterance: u, outcome: result.outcome)
        }
        return NLUEvaluation(rows: rows)
    }
}

/// The scores of one evaluation run.
public struct NLUEvaluation: Sendable {
    /// One routed utterance.
    public struct Row: Sendable, Equatable {
        public var utterance: LabelledUtterance
        public var outcome: RouteResult.Outcome

        public init(utterance: LabelledUtterance, outcome: RouteResult.Outcome) {
            self.utterance = utterance
            self.outcome = outcome
        }

        /// The answer scored: the matched intent, the first intent of an ambiguous result
        /// (`nil` for an ambiguous result on a `none` row), or `nil` for no match.
        public var predicted: String? {
            switch outcome {
            case .matched(let id, _, _): id
            case .ambiguous(let ids): utterance.expected == .none ? nil : ids.first
            case .noMatch: nil
            }
        }

        public var isCorrect: Bool { utterance.expected.accepts(predicted) }

        /// The answer as shown in confusions: an intent id, `none`, or `ambiguous(a|b)`.
        public var answerLabel: String {
            if case .ambiguous(let ids) = outcome, utterance.expected != .none { return "ambiguous(\(ids.joined(separator: "|")))" }
            return predicted ?? "none"
        }
    }

    /// Precision and recall of one label.
    public struct LabelScore: Sendable, Equatable {
        /// An intent id, a skill prefix followed by ` (any)`, or `none`.
        public var label: String
        /// Rows expecting this label.
        public var support: Int
        /// Rows expecting this label that were answered right.
        public var hits: Int
        /// Rows the router answered with this label (intents and `none`; 0 for skill prefixes).
        public var predicted: Int
        /// Of those, how many were right.
        public var predictedRight: Int

        public var recall: Double? { support == 0 ? nil : Double(hits) / Double(support) }
        public var precision: Double? { predicted == 0 ? nil : Double(predictedRight) / Double(predicted) }
    }

    /// A frequent mistake.
    public struct Confusion: Sendable, Equatable {
        public var expected: String
        public var answered: String
        public var count: Int
        /// The first utterance that made it.
        public var example: String

        public init(expected: String, answered: String, count: Int, example: String) {
            self.expected = expected; self.answered = answered; self.count = count; self.example = example
        }
    }

    public let rows: [Row]

    public init(rows: [Row]) {
        self.rows = rows
    }

    public var total: Int { rows.count }
    public var correct: Int { rows.filter(\.isCorrect).count }
    public var accuracy: Double { total == 0 ? 0 : Double(correct) / Double(total) }

    /// Rows answered wrong, in file order.
    public var mistakes: [Row] { rows.filter { !$0.isCorrect } }

    /// Scores per label: intents (sorted by id), then skill prefixes, then `none`.
    public var labelScores: [LabelScore] {
        var intents: [String: LabelScore] = [:]
        var skills: [String: LabelScore] = [:]
        var none = LabelScore(label: "none", support: 0, hits: 0, predicted: 0, predictedRight: 0)
        func blank(_ label: String) -> LabelScore { LabelScore(label: label, support: 0, hits: 0, predicted: 0, predictedRight: 0) }
        for row in rows {
            let right = row.isCorrect
            switch row.utterance.expected {
            case .intent(let id):
                intents[id, default: blank(id)].support += 1
                if right { intents[id, default: blank(id)].hits += 1 }
            case .skill(let prefix):
                let label = "\(prefix) (any)"
                skills[label, default: blank(label)].support += 1
                if right { skills[label, default: blank(label)].hits += 1 }
            case .none:
                none.support += 1
                if right { none.hits += 1 }
            }
            if let id = row.predicted {
                intents[id, default: blank(id)].predicted += 1
                if right { intents[id, default: blank(id)].predictedRight += 1 }
            } else {
                none.predicted += 1
                if right { none.predictedRight += 1 }
            }
        }
        return intents.values.sorted { $0.label < $1.label } + skills.values.sorted { $0.label < $1.label } + [none]
    }

    /// The most frequent (expected, answered) pairs among mistakes, most frequent first.
    public func topConfusions(_ limit: Int = 10) -> [Confusion] {
        var byPair: [String: Confusion] = [:]
        var order: [String] = []
        for row in mistakes {
            let expected = row.utterance.expected.description
            let answered = row.answerLabel
            let key = expected + "\u{0}" + answered
            if byPair[key] == nil {
                byPair[key] = Confusion(expected: expected, answered: answered, count: 0, example: row.utterance.text)
                order.append(key)
            }
            byPair[key]!.count += 1
        }
        return order.enumerated()
            .sorted { byPair[$0.element]!.count != byPair[$1.element]!.count
                ? byPair[$0.element]!.count > byPair[$1.element]!.count : $0.offset < $1.offset }
            .prefix(limit).map { byPair[$0.element]! }
    }

    /// A plain-text report: per-label precision and recall, the top confusions, and a last line
    /// `accuracy: 0.NNN (N/M)`.
    public var report: String {
        var lines: [String] = []
        let scores = labelScores
        let width = max(20, scores.map(\.label.count).max() ?? 0)
        func pct(_ v: Double?) -> String { v.map { String(format: "%6.1f%%", $0 * 100) } ?? "      -" }
        func pad(_ s: String, _ n: Int) -> String { s.count >= n ? s : s + String(repeating: " ", count: n - s.count) }
        lines.append("labels (n: rows expecting it; answered: rows the router answered with it):")
        lines.append("  \(pad("label", width))     n  answered  precision   recall")
        for s in scores where s.support > 0 || s.predicted > 0 {
            let answered = s.label.hasSuffix(" (any)") ? "-" : String(s.predicted)
            lines.append("  \(pad(s.label, width)) \(String(format: "%5d", s.support))  \(String(repeating: " ", count: max(0, 8 - answered.count)))\(answered)    \(pct(s.label.hasSuffix(" (any)") ? nil : s.precision))  \(pct(s.recall))")
        }
        let confusions = topConfusions()
        lines.append("top confusions (expected -> answered):")
        if confusions.isEmpty { lines.append("  (none)") }
        for c in confusions {
            lines.append("  \(String(format: "%3d", c.count))  \(c.expected) -> \(c.answered)   e.g. \"\(c.example)\"")
        }
        lines.append(String(format: "accuracy: %.3f (%d/%d)", accuracy, correct, total))
        return lines.joined(separator: "\n")
    }
}
