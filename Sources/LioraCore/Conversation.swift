public import Foundation

/// One end user's conversation state with one tenant (table `user_contexts`): created on the
/// user's first message, keyed by tenant + WhatsApp id.
public struct UserContext: Sendable, Equatable {
    public var id: UUID
    public var tenantID: UUID
    public var waID: String
    public var profileName: String?
    public var language: String
    public var lastIntent: String?
    /// Start of the 24-hour customer-service window: the time of the user's latest message.
    public var windowStartedAt: Date?
    public var lastMessageAt: Date?
    public var messageCount: Int
    public var createdAt: Date
    /// The conversation engine's state, as stored JSON (`user_contexts.context`).
    public var conversationJSON: String?

    public init(id: UUID, tenantID: UUID, waID: String, profileName: String?, language: String, lastIntent: String?,
                windowStartedAt: Date?, lastMessageAt: Date?, messageCount: Int, createdAt: Date, conversationJSON: String? = nil) {
        self.id = id; self.tenantID = tenantID; self.waID = waID; self.profileName = profileName
        self.language = language; self.lastIntent = lastIntent; self.windowStartedAt = windowStartedAt
        self.lastMessageAt = lastMessageAt; self.messageCount = messageCount; self.createdAt = createdAt
        self.conversationJSON = conversationJSON
    }

    /// Whether free-form replies are allowed at `now` (within 24 hours of the user's last message).
    public func isWindowOpen(at now: Date) -> Bool {
        guard let start = windowStartedAt else { return false }
        return now.timeIntervalSince(start) < 24 * 3600
    }
}

/// Direction of a logged message.
public enum MessageDirection: String, Sendable, Codable { case inbound, outbound }

/// One inbound or outbound message (table `conversation_logs`).
public struct ConversationLogEntry: Sendable, Equatable {
    public var id: UUID
    public var tenantID: UUID
    public var userContextID: UUID?
    public var wabaAccountID: UUID?
    public var direction: MessageDirection
    public var waMessageID: String?
    public var messageType: String
    public var body: String?
    public var intent: String?
    public var status: String
    public var statusRank: Int
    public var statusUpdatedAt: Date?
    public var errorCode: Int?
    public var createdAt: Date

    /// `id` defaults to a version-7 UUID of `createdAt`: log rows are written in time order, so
    /// their primary-key index grows at its end instead of at a random page per row.
    public init(id: UUID? = nil, tenantID: UUID, userContextID: UUID?, wabaAccountID: UUID?, direction: MessageDirection,
                waMessageID: String?, messageType: String, body: String?, intent: String? = nil, status: String,
                statusRank: Int = 0, statusUpdatedAt: Date? = nil, errorCode: Int? = nil, createdAt: Date) {
        self.id = id ?? UUID.timeOrdered(at: createdAt); self.tenantID = tenantID; self.userContextID = userContextID
        self.wabaAccountID = wabaAccountID; self.direction = direction; self.waMessageID = waMessageID; self.messageType = messageType; self.body = body
        self.intent = intent; self.status = status; self.statusRank = statusRank; self.statusUpdatedAt = statusUpdatedAt
        self.errorCode = errorCode; self.createdAt = createdAt
    }
}

/// A delivery status for an outbound message (from a `statuses` webhook item).
public struct OutboundStatusUpdate: Sendable, Equatable {
    public var waMessageID: String
    public var status: String
    /// Ordering of states (sent 1 < delivered 2 < read 3 < played 4); a lower rank never
    /// overwrites a higher one. `failed` carries rank 100 so it always lands.
    public var rank: Int
    public var at: Date
    public var errorCode: Int?

    public init(waMessageID: String, status: String, rank: Int, at: Date, errorCode: Int? = nil) {
        self.waMessageID = waMessageID; self.status = status; self.rank = rank; self.at = at; self.errorCode = errorCode
    }
}

/// One user's messages seen in a batch: how many, the latest time, the profile name Meta sent.
public struct UserContextTouch: Sendable, Equatable {
    public var waID: String
    public var profileName: String?
    public var messageAt: Date
    public var messages: Int

    public init(waID: String, profileName: String?, messageAt: Date, messages: Int = 1) {
        self.waID = waID; self.profileName = profileName; self.messageAt = messageAt; self.messages = messages
    }

    /// Folds many touches into one per user (latest time and name win, counts add up), sorted by
    /// `wa_id`: two transactions writing the same users' rows lock them in the same order, so
    /// concurrent processors on PostgreSQL cannot deadlock on them.
    public static func merged(_ touches: [UserContextTouch]) -> [UserContextTouch] {
        var order: [String] = []
        var byUser: [String: UserContextTouch] = [:]
        for t in touches {
            if var m = byUser[t.waID] {
                m.messages += t.messages
                if t.messageAt >= m.messageAt {
                    m.messageAt = t.messageAt
                    m.profileName = t.profileName ?? m.profileName
                } else if m.profileName == nil {
                    m.profileName = t.profileName
                }
                byUser[t.waID] = m
            } else {
                byUser[t.waID] = t
                order.append(t.waID)
            }
        }
        return order.sorted().map { byUser[$0]! }
    }
}
