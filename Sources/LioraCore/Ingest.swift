public import Foundation

/// One message, status or error found in a webhook body, with its dedup key.
public struct IngestItem: Sendable, Equatable {
    public enum Kind: String, Sendable { case message, status, error }
    public var kind: Kind
    /// `m:<wamid>`, `s:<status id>:<status>` or `e:…`: a retried delivery maps to the same keys.
    public var key: String
    public var field: String
    public var phoneNumberID: String?
    public var wabaID: String
    /// The item's position among all the body's items, when it differs from its position in the
    /// delivery (a per-account webhook drops other numbers' items); the processor finds the item
    /// in the stored body by it.
    public var index: Int?

    public init(kind: Kind, key: String, field: String, phoneNumberID: String?, wabaID: String, index: Int? = nil) {
        self.kind = kind; self.key = key; self.field = field; self.phoneNumberID = phoneNumberID; self.wabaID = wabaID
        self.index = index
    }
}

/// A verified webhook body about to be stored, with the items it carries.
public struct WebhookDelivery: Sendable {
    public var id: UUID
    public var receivedAt: Date
    /// Set when the body came through a per-account route (`/webhook/meta/{waba_account_id}`).
    public var wabaAccountID: UUID?
    public var body: [UInt8]
    public var items: [IngestItem]

    public init(id: UUID? = nil, receivedAt: Date, wabaAccountID: UUID? = nil, body: [UInt8], items: [IngestItem]) {
        self.id = id ?? UUID.timeOrdered(at: receivedAt); self.receivedAt = receivedAt; self.wabaAccountID = wabaAccountID; self.body = body; self.items = items
    }
}

/// A stored webhook item waiting to be processed (claimed under a lease).
public struct PendingWebhookEvent: Sendable, Equatable {
    public var id: Int64
    public var payloadID: UUID
    public var itemIndex: Int
    public var key: String
    public var kind: IngestItem.Kind
    public var field: String
    public var phoneNumberID: String?
    public var attempts: Int
    /// The claim that returned the item (`releaseEvents` gives back only that claim's items).
    public var claimToken: UUID?
    /// When that claim's lease ends.
    public var claimedUntil: Date?

    /// How many times an item is claimed before it is given up as `failed`.
    public static let defaultMaxAttempts = 5

    public init(id: Int64, payloadID: UUID, itemIndex: Int, key: String, kind: IngestItem.Kind, field: String,
                phoneNumberID: String?, attempts: Int, claimToken: UUID? = nil, claimedUntil: Date? = nil) {
        self.id = id; self.payloadID = payloadID; self.itemIndex = itemIndex; self.key = key; self.kind = kind
        self.field = field; self.phoneNumberID = phoneNumberID; self.attempts = attempts
        self.claimToken = claimToken
        self.claimedUntil = claimedUntil
    }
}

/// How processing one stored item ended.
public struct WebhookEventOutcome: Sendable, Equatable {
    public enum State: String, Sendable {
        case processed, ignored, failed
        /// Not done yet: left pending, handed out again at `retryAt` (a delivery status that came
        /// before its message's id was recorded).
        case retryLater = "pending"
    }
    public var eventID: Int64
    public var state: State
    /// A short machine-readable reason (`stored`, `unknown_phone_number`, `tenant_suspended`, …).
    public var outcome: String
    public var tenantID: UUID?
    /// The claim that handed the item out: it is finished only while still pending under that
    /// claim (a worker whose lease ran out, and whose items were claimed again elsewhere, must not
    /// finish them too). Nil: only while still pending.
    public var claimToken: UUID?
    /// With `retryLater`: when the item is handed out again.
    public var retryAt: Date?

    public init(eventID: Int64, state: State, outcome: String, tenantID: UUID? = nil, claimToken: UUID? = nil, retryAt: Date? = nil) {
        self.eventID = eventID; self.state = state; self.outcome = outcome; self.tenantID = tenantID; self.claimToken = claimToken
        self.retryAt = retryAt
    }

    /// How `event` ended, under the claim that returned it.
    public init(_ event: PendingWebhookEvent, state: State, outcome: String, tenantID: UUID? = nil, retryAt: Date? = nil) {
        self.init(eventID: event.id, state: state, outcome: outcome, tenantID: tenantID, claimToken: event.claimToken, retryAt: retryAt)
    }
}

/// A stored item with how it ended, for inspection (tests, operators).
public struct WebhookEventRecord: Sendable, Equatable {
    public var id: Int64
    public var key: String
    public var kind: IngestItem.Kind
    public var state: String
    public var outcome: String?
    public var tenantID: UUID?
    public var attempts: Int

    public init(id: Int64, key: String, kind: IngestItem.Kind, state: String, outcome: String?, tenantID: UUID?, attempts: Int) {
        self.id = id; self.key = key; self.kind = kind; self.state = state; self.outcome = outcome
        self.tenantID = tenantID; self.attempts = attempts
    }
}
