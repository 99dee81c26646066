public import Foundation

// MARK: Conversation logs (admin API reads and exports)

/// What a conversation-log read is narrowed to; every field is optional. `from` is inclusive,
/// `to` exclusive; `waID` is the end user (matched through `user_contexts`).
public struct ConversationLogFilter: Sendable, Equatable {
    public var from: Date?
    public var to: Date?
    public var waID: String?
    public var direction: MessageDirection?
    public var intent: String?

    public init(from: Date? = nil, to: Date? = nil, waID: String? = nil, direction: MessageDirection? = nil, intent: String? = nil) {
        self.from = from; self.to = to; self.waID = waID; self.direction = direction; self.intent = intent
    }

    /// No filter at all: the whole log.
    public var isEmpty: Bool { from == nil && to == nil && waID == nil && direction == nil && intent == nil }

    /// The longest time range an export may cover without being a bulk export.
    public static let boundedExportSpan: TimeInterval = 31 * 86_400

    /// A bulk export (`export_conversations`, which may need approval): one not narrowed to a user
    /// (`wa_id`) or to at most `boundedExportSpan` between `from` and `to`. A direction or intent,
    /// or a `from` far in the past, still exports every user's messages.
    public var isBulk: Bool {
        if waID != nil { return false }
        guard let from, let to else { return true }
        return to.timeIntervalSince(from) > Self.boundedExportSpan
    }
}

/// Where a keyset-paged read continues: after the row with this (created_at, id).
public struct ConversationLogCursor: Sendable, Equatable {
    public var createdAt: Date
    public var id: UUID

    public init(createdAt: Date, id: UUID) { self.createdAt = createdAt; self.id = id }

    /// Microseconds since 1970 that a paging cursor may carry: 1970 to 2200. A cursor is echoed
    /// back by clients, so anything else (a hand-made value near Int64's ends) is refused as
    /// invalid before it reaches a database.
    public static let plausibleMicroseconds: ClosedRange<Int64> = 0...7_258_118_400_000_000
}

/// A conversation-log row with its end user's `wa_id` (nil when the row has no user context).
public struct ConversationLogRecord: Sendable, Equatable {
    public var entry: ConversationLogEntry
    public var waID: String?

    public init(entry: ConversationLogEntry, waID: String?) { self.entry = entry; self.waID = waID }

    public var cursor: ConversationLogCursor { ConversationLogCursor(createdAt: entry.createdAt, id: entry.id) }
}

// MARK: Four-eyes approvals

/// Destructive actions that may need a second person's approval.
public enum ApprovalAction: String, Sendable, CaseIterable, Codable {
    case deleteTenant = "delete_tenant"
    case deleteWabaAccount = "delete_waba_account"
    case exportConversations = "export_conversations"
}

/// pending → approved (an export waiting for its one download) → executed; or pending →
/// executed (deletions run when approved), rejected or expired.
public enum ApprovalStatus: String, Sendable, CaseIterable, Codable {
    case pending, approved, rejected, expired, executed
}

/// One approval request (table `approvals`).
public struct ApprovalRecord: Sendable, Equatable {
    public var id: UUID
    public var tenantID: UUID
    public var action: ApprovalAction
    /// The exact parameters of the requested action (string values only).
    public var params: [String: String]
    /// The audit actor of the requester (`usuario:<id>` or `platform_admin:<id>`).
    public var requestedBy: String
    public var status: ApprovalStatus
    public var decidedBy: String?
    public var decidedAt: Date?
    public var executedAt: Date?
    public var expiresAt: Date
    public var createdAt: Date

    public init(id: UUID, tenantID: UUID, action: ApprovalAction, params: [String: String], requestedBy: String,
                status: ApprovalStatus = .pending, decidedBy: String? = nil, decidedAt: Date? = nil, executedAt: Date? = nil,
                expiresAt: Date, createdAt: Date) {
        self.id = id; self.tenantID = tenantID; self.action = action; self.params = params; self.requestedBy = requestedBy
        self.status = status; self.decidedBy = decidedBy; self.decidedAt = decidedAt; self.executedAt = executedAt
        self.expiresAt = expiresAt; self.createdAt = createdAt
    }
}

/// Which actions need approval in a tenant (table `tenant_settings`); all of them by default.
public struct ApprovalSettings: Sendable, Equatable {
    public var deleteTenant: Bool
    public var deleteWabaAccount: Bool
    public var exportConversations: Bool

    public init(deleteTenant: Bool = true, deleteWabaAccount: Bool = true, exportConversations: Bool = true) {
        self.deleteTenant = deleteTenant; self.deleteWabaAccount = deleteWabaAccount; self.exportConversations = exportConversations
    }

    public func requires(_ action: ApprovalAction) -> Bool {
        switch action {
        case .deleteTenant: deleteTenant
        case .deleteWabaAccount: deleteWabaAccount
        case .exportConversations: exportConversations
        }
    }
}
