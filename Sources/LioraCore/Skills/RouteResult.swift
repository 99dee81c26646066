/// What the router decided for one message.
public struct RouteResult: Sendable, Equatable {
    /// How a match was made.
    public enum Via: String, Sendable, Equatable {
        /// The id of an interactive reply (button or list row).
        case reply
        /// A keyword of the intent appeared whole in the message.
        case rule
        /// The example-trained classifier.
        case classifier
    }

    /// The decision.
    public enum Outcome: Sendable, Equatable {
        /// One intent, with a confidence in 0…1 (1 for replies and rules).
        case matched(intentID: String, confidence: Double, via: Via)
        /// Two (or more) intents scored too close to choose: ask "did you mean …?", best first.
        case ambiguous([String])
        /// Nothing of the enabled skills fits.
        case noMatch
    }

    public var outcome: Outcome
    /// The language to answer in.
    public var language: Language

    public init(outcome: Outcome, language: Language) {
        self.outcome = outcome
        self.language = language
    }

    /// The matched intent id, if any.
    public var intentID: String? {
        if case .matched(let id, _, _) = outcome { return id }
        return nil
    }
}
