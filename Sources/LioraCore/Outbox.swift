public import Foundation

/// A reply waiting to be sent through the WhatsApp Cloud API (table `outbox`), written in the
/// same transaction as the conversation state that produced it.
public struct OutboxEntry: Sendable, Equatable {
    public enum State: String, Sendable { case pending, sent, failed }

    public var id: UUID
    public var tenantID: UUID
    public var userContextID: UUID?
    public var wabaAccountID: UUID
    public var toWaID: String
    /// The message kind (`text`, `interactive`, `image`, …), for logs and metrics.
    public var kind: String
    /// The Graph API request body, as JSON.
    public var payloadJSON: String
    /// A short, loggable rendering of what is sent (stored in `conversation_logs.body`).
    public var summary: String?
    public var intent: String?
    /// The inbound message this answers (its wamid), if any.
    public var replyTo: String?
    /// Whether the sender marks `replyTo` read (with the typing indicator) just before sending
    /// this: set on the first part of each answer, so marking read costs no row of its own.
    public var marksRead: Bool
    public var state: State
    public var attempts: Int
    public var nextAttemptAt: Date
    public var lastError: String?
    public var waMessageID: String?
    public var createdAt: Date
    /// The lease of the claim that handed this reply out (`claimDueReplies`), nil when not
    /// claimed. It fences the claim: recording an attempt changes the row only while this claim
    /// still holds it, so a sender whose lease ran out cannot overwrite what the next claimant did.
    public var claimedUntil: Date?

    public init(id: UUID = UUID.timeOrdered(), tenantID: UUID, userContextID: UUID?, wabaAccountID: UUID, toWaID: String,
                kind: String, payloadJSON: String, summary: String? = nil, intent: String? = nil, replyTo: String? = nil,
                marksRead: Bool = false, state: State = .pending, attempts: Int = 0, nextAttemptAt: Date, lastError: String? = nil,
                waMessageID: String? = nil, createdAt: Date, claimedUntil: Date? = nil) {
        self.id = id; self.tenantID = tenantID; self.userContextID = userContextID; self.wabaAccountID = wabaAccountID
        self.toWaID = toWaID; self.kind = kind; self.payloadJSON = payloadJSON; self.summary = summary; self.intent = intent
        self.replyTo = replyTo; self.marksRead = marksRead; self.state = state; self.attempts = attempts; self.nextAttemptAt = nextAttemptAt
        self.lastError = lastError; self.waMessageID = waMessageID; self.createdAt = createdAt
        self.claimedUntil = claimedUntil
    }
}

/// Exponential back-off with jitter for retrying sends: `base × 2^(attempt-1)`, capped, then
/// spread by ±`jitter` so retries of many replies do not arrive together. The defaults (12
/// attempts, 1 s doubling up to 5 min) keep retrying for about 18 minutes (1,111 s): a reply outlives an
/// outage of Meta's or the network's of that long (with 8 attempts it was about 2 minutes, and
/// the 5-minute cap was never reached).
public struct RetryPolicy: Sendable, Equatable {
    public var maxAttempts: Int
    public var base: TimeInterval
    public var cap: TimeInterval
    public var jitter: Double

    public init(maxAttempts: Int = 12, base: TimeInterval = 1, cap: TimeInterval = 300, jitter: Double = 0.2) {
        self.maxAttempts = maxAttempts; self.base = base; self.cap = cap; self.jitter = jitter
    }

    /// How long the attempts span without jitter (1,111 s with the defaults): how long a reply
    /// keeps being retried.
    public var span: TimeInterval {
        (1..<max(1, maxAttempts)).reduce(0) { $0 + backOff(afterAttempt: $1) }
    }

    /// The delay after `attempt` failures before jitter: `base × 2^(attempt-1)`, capped.
    public func backOff(afterAttempt attempt: Int) -> TimeInterval {
        min(cap, base * pow(2, Double(min(max(0, attempt - 1), 62))))
    }

    /// The delay before attempt `attempt + 1` after `attempt` failed, or nil when out of attempts.
    public func delay(afterAttempt attempt: Int, using generator: inout some RandomNumberGenerator) -> TimeInterval? {
        guard attempt < maxAttempts else { return nil }
        let raw = backOff(afterAttempt: attempt)
        let spread = raw * jitter
        return max(0, raw + Double.random(in: -spread...spread, using: &generator))
    }
}
