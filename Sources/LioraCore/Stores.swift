public import Foundation

/// The platform's webhook inbox: raw bodies and their items, stored before Meta is answered,
/// then claimed and processed off the request path. Not tenant-scoped (the tenant is not known
/// until an item is processed).
public protocol WebhookInbox: Sendable {
    /// Stores the deliveries in one transaction (group commit). Returns, per delivery, how many of
    /// its items were new; an item whose key is already stored (a retry) is not stored again.
    func store(_ deliveries: [WebhookDelivery]) async throws -> [Int]
    /// Claims up to `limit` pending items in id order under a lease until `now + lease` seconds,
    /// each with its raw body; an item whose lease ran out (a crashed worker) is claimed again,
    /// unless it has been claimed `maxAttempts` times already: then it is `failed`
    /// (`attempts_exhausted`) instead, so an item that crashes or stalls its worker every time
    /// does not come back forever.
    func claimPendingEvents(limit: Int, now: Date, lease: TimeInterval, maxAttempts: Int) async throws -> [PendingWebhookEvent]
    /// The raw bodies with these ids.
    func payloadBodies(_ ids: [UUID]) async throws -> [UUID: [UInt8]]
    /// Records how items ended when no tenant transaction was involved (unknown number, …).
    /// Throws `claimLost` (changing nothing) when an item is no longer pending under the claim
    /// its outcome names.
    func finishEvents(_ outcomes: [WebhookEventOutcome], now: Date) async throws
    /// Gives back claimed items that were never worked on (a processor stopping with a batch
    /// claimed ahead): claimable again at once, the claim not counted as an attempt. An item whose
    /// claim has since run out and been taken by someone else is left to them. Returns how many
    /// items were given back.
    @discardableResult
    func releaseEvents(_ events: [PendingWebhookEvent]) async throws -> Int
    /// Gives back claimed items not worked on, claimable again only from `until` (held behind
    /// earlier items that are waiting for a retry); the claim is not counted as an attempt.
    func postponeEvents(_ events: [PendingWebhookEvent], until: Date) async throws
    /// Moves the lease of items still pending under the claim that returned them, and still on
    /// its lease ending at `current`, to `until` (a batch that runs long keeps its items; one
    /// claimed again elsewhere, or failed and waiting to retry, is left alone).
    func renewClaims(_ events: [PendingWebhookEvent], from current: Date, until: Date) async throws
    /// Releases items whose processing threw: retried after a back-off, `failed` after `maxAttempts`.
    /// Only items still pending under the claim that returned them: one claimed again elsewhere
    /// since (this worker's lease ran out) is left to that claim.
    func failEvents(_ events: [PendingWebhookEvent], error: String, now: Date, maxAttempts: Int) async throws
    /// Stored items, oldest first (for operators and tests).
    func webhookEvents(limit: Int) async throws -> [WebhookEventRecord]
    /// How many raw bodies are stored.
    func payloadCount() async throws -> Int
}

extension WebhookInbox {
    /// Claims with the processor's default number of attempts.
    public func claimPendingEvents(limit: Int, now: Date, lease: TimeInterval) async throws -> [PendingWebhookEvent] {
        try await claimPendingEvents(limit: limit, now: now, lease: lease, maxAttempts: PendingWebhookEvent.defaultMaxAttempts)
    }
}

/// Platform-level operations that are not inside one tenant.
public protocol TenantDirectory: Sendable {
    /// The narrow cross-tenant read: which live account and tenant own a phone number id.
    func route(phoneNumberID: String) async throws -> PhoneNumberRoute?
    /// The narrow cross-tenant read behind `GET /s/{code}`: which link and tenant a code is.
    func resolveShortLink(code: String) async throws -> (linkID: UUID, tenantID: UUID)?
    /// The narrow cross-tenant read behind the sender: tenants with replies due at `now` that a
    /// claim by `claimer` would take (nil: as another sender's claim would).
    func tenantsWithDueReplies(now: Date, limit: Int, claimer: UUID?) async throws -> [UUID]
    /// Creates a tenant (slug unique case-insensitively among live tenants) and audits it.
    func createTenant(_ tenant: NewTenant, actor: String, now: Date) async throws -> Tenant
    /// Creates a tenant and runs `setUp` in the same transaction, as that tenant: if `setUp`
    /// throws, the tenant does not exist either.
    func createTenant<T: Sendable>(_ tenant: NewTenant, actor: String, now: Date,
                                   setUp: (any TenantSession) async throws -> T) async throws -> (Tenant, T)
}

extension TenantDirectory {
    /// Tenants with replies due at `now` for a sender with nothing in flight.
    public func tenantsWithDueReplies(now: Date, limit: Int) async throws -> [UUID] {
        try await tenantsWithDueReplies(now: now, limit: limit, claimer: nil)
    }
}

/// Work inside one tenant: everything runs in one transaction that can only see that tenant.
public protocol TenantScopedStore: Sendable {
    func withTenant<T: Sendable>(_ tenantID: UUID, _ body: (any TenantSession) async throws -> T) async throws -> T
}

/// One tenant's data inside one transaction.
public protocol TenantSession: Sendable {
    var tenantID: UUID { get }
    func tenant() async throws -> Tenant?
    func setTenantStatus(_ status: TenantStatus, actor: String, now: Date) async throws
    /// Registers a phone number; a number live on any account of any tenant is a conflict.
    func addWabaAccount(_ account: NewWabaAccount, actor: String, now: Date) async throws -> WabaAccount
    func wabaAccounts() async throws -> [WabaAccount]
    /// Loads or creates each user's context and records their messages (the latest message time
    /// opens the 24-hour window; an older one never moves it back). One statement for the batch.
    /// Returns each user's context and whether it was created now, by `wa_id`.
    func touchUserContexts(_ touches: [UserContextTouch], now: Date) async throws -> [String: (context: UserContext, created: Bool)]
    /// `touchUserContexts` without reading the contexts back: for a caller that already has them.
    func countUserMessages(_ touches: [UserContextTouch], now: Date) async throws
    /// Loads each user's context, creating (as `touchUserContexts` would, without counting
    /// messages) only the missing ones: an existing context is read, not written. Returns each
    /// user's context and whether it was created now, by `wa_id`.
    func ensureUserContexts(_ touches: [UserContextTouch], now: Date) async throws -> [String: (context: UserContext, created: Bool)]
    func userContext(waID: String) async throws -> UserContext?
    func userContext(id: UUID) async throws -> UserContext?
    /// Stores the engine's state after a message (language, last intent, conversation JSON).
    func saveConversation(contextID: UUID, language: String, lastIntent: String?, conversationJSON: String, now: Date) async throws
    /// `saveConversation` for several users at once (on PostgreSQL one statement per 500 users).
    func saveConversations(_ saves: [ConversationSave], now: Date) async throws
    /// The tenant's enabled skills: every skill in `all` unless switched off in `tenant_skills`.
    func enabledSkills(among all: Set<String>) async throws -> Set<String>
    func setSkill(_ skill: String, enabled: Bool, now: Date) async throws
    func userContexts() async throws -> [UserContext]
    /// Appends to `conversation_logs` in one statement; returns how many were new (a message
    /// already logged with the same direction and id is skipped).
    @discardableResult
    func appendLogs(_ entries: [ConversationLogEntry]) async throws -> Int
    /// Applies a delivery status to the matching outbound log row; false when there is none or
    /// the row already has a later status.
    @discardableResult
    func updateOutboundStatus(_ update: OutboundStatusUpdate) async throws -> Bool
    /// Whether an outbound message with Meta's id `waMessageID` is in the conversation log.
    func hasOutboundMessage(waMessageID: String) async throws -> Bool
    func conversationLogs(limit: Int) async throws -> [ConversationLogEntry]
    /// The tenant's short link for `longURL`, created with a code from `makeCode` the first time
    /// (a code already taken anywhere is replaced by a new one).
    func shortLink(longURL: String, intent: String?, makeCode: @Sendable () -> String, now: Date) async throws -> ShortLink
    func shortLink(id: UUID) async throws -> ShortLink?
    func recordClick(_ click: LinkClick) async throws
    func linkClicks(limit: Int) async throws -> [LinkClick]
    func record(_ event: TenantEvent) async throws
    /// Queues replies (in the caller's transaction, with the state change that produced them) and
    /// logs each (read receipts excepted) as an outbound message with status `queued`, under the
    /// reply's outbox id.
    func enqueueReplies(_ entries: [OutboxEntry]) async throws
    /// Claims up to `limit` due replies, oldest first, under a lease until `now + lease` (each
    /// entry's `claimedUntil`), for the sender `claimer`. A reply is not claimed while an older
    /// one to the same user waits for a later attempt, nor (on PostgreSQL, where several
    /// instances send) while one is in flight under another sender's lease; the claimer's own
    /// replies in flight it orders itself.
    func claimDueReplies(now: Date, limit: Int, lease: TimeInterval, claimer: UUID) async throws -> [OutboxEntry]
    /// Marks replies sent; each one's queued log row (read receipts have none) becomes `accepted`
    /// with Meta's id. A reply without a queued row (queued by an earlier version) is logged now.
    /// The outbox row changes only while the entry's claim (`claimedUntil`) still holds it; the
    /// send is logged either way (it went out). Returns the ids whose claim was lost.
    @discardableResult
    func markRepliesSent(_ sent: [SentReply]) async throws -> [UUID]
    /// Records a failed attempt: retried at `retryAt`, or `failed` for good (its log row too) when
    /// nil. False, with nothing changed, when the entry's claim no longer holds the row.
    @discardableResult
    func markReplyAttemptFailed(_ entry: OutboxEntry, error: String, retryAt: Date?, now: Date) async throws -> Bool
    /// Puts a claimed reply back, unsent and not counted as an attempt, until `until`: an earlier
    /// reply to the same user waits for its retry, and this one must not overtake it. False, with
    /// nothing changed, when the entry's claim no longer holds the row.
    @discardableResult
    func deferReply(_ entry: OutboxEntry, until: Date, now: Date) async throws -> Bool
    func outbox(limit: Int) async throws -> [OutboxEntry]
    func tenantEvents(limit: Int) async throws -> [TenantEvent]
    /// The audit trail newest first, a page of `limit` before the event (time, id) `before`.
    func tenantEventsPage(limit: Int, before: (createdAt: Date, id: UUID)?) async throws -> [TenantEvent]
    /// Marks inbox items done in the same transaction as the work they caused (exactly once).
    func finishEvents(_ outcomes: [WebhookEventOutcome], now: Date) async throws

    // MARK: Keys and secrets (envelope encryption; see `SecretVault`)

    /// The tenant's wrapped data keys, newest version first.
    func dataKeys() async throws -> [Envelope.WrappedKey]
    /// Stores a new wrapped data key (its version must be new for the tenant).
    func addDataKey(_ key: Envelope.WrappedKey, now: Date) async throws
    /// Catalog signing secrets still accepted at `now`, newest first.
    func catalogSecrets(validAt now: Date) async throws -> [StoredSecret]
    /// Adds a signing secret; the current one (the newest before it) stops being accepted at
    /// `othersExpireAt`, and any older one still valid at once: at most two are valid.
    func addCatalogSecret(_ secret: StoredSecret, othersExpireAt: Date, now: Date) async throws
    /// Whether a signed request id (`webhook-id`) was already used by this tenant.
    func isRequestIDUsed(_ id: String) async throws -> Bool
    /// Records a signed request id; false when it was already used. Ids older than `forgetBefore`
    /// are forgotten (their timestamps are out of the accepted window anyway).
    func useRequestID(_ id: String, now: Date, forgetBefore: Date) async throws -> Bool

    // MARK: Catalog

    /// Stores a snapshot with the next version number.
    func addCatalogSnapshot(_ snapshot: NewCatalogSnapshot, now: Date) async throws -> CatalogSnapshotInfo
    func catalogSnapshot(version: Int) async throws -> CatalogSnapshotInfo?
    func catalogSnapshot(contentHash: String) async throws -> CatalogSnapshotInfo?
    /// The bytes of a snapshot, exactly as published.
    func catalogSnapshotBody(version: Int) async throws -> [UInt8]?
    /// Snapshots, newest first.
    func catalogSnapshots(limit: Int, beforeVersion: Int?) async throws -> [CatalogSnapshotInfo]
    /// Deletes up to `atMost` of the snapshots older than the `keepNewest` newest versions, oldest
    /// first, except the active one and the versions in `alsoKeeping`, and audits it
    /// (`catalog.pruned`, with the versions). Returns the versions deleted, oldest first. Version
    /// numbers are never reused: the newest snapshot is always kept.
    func pruneCatalogSnapshots(keepNewest: Int, alsoKeeping: [Int], atMost: Int, actor: String, now: Date) async throws -> [Int]
    func activeCatalog() async throws -> ActiveCatalog?
    /// Makes `version` the active catalog and audits it (`catalog.activated`).
    func activateCatalog(version: Int, actor: String, now: Date) async throws -> ActiveCatalog
    func recordIngest(_ entry: IngestLogEntry) async throws
    /// Publish attempts, newest first.
    func ingestLogs(limit: Int) async throws -> [IngestLogEntry]

    // MARK: External link shortener

    func linkProviderSettings() async throws -> LinkProviderSettings?
    /// Sets (or with nil removes) the tenant's external shortener, audited without the token.
    func setLinkProviderSettings(_ settings: LinkProviderSettings?, actor: String, now: Date) async throws
    func externalLink(provider: String, longURL: String) async throws -> String?
    func saveExternalLink(provider: String, longURL: String, shortURL: String, now: Date) async throws

    // MARK: Plan quotas in the bot

    /// The tenant's plan (nil when its plan id is unknown).
    func plan() async throws -> Plan?
    /// Counts `waIDs` as this month's conversations while the month stays within `limit`: a user
    /// already counted this month is always allowed; a new one only while fewer than `limit` are
    /// counted. Returns the users allowed.
    func admitConversations(_ waIDs: [String], month: String, limit: Int, now: Date) async throws -> Set<String>

    // MARK: Admin users (table usuarios)

    /// Holds the tenant's row lock until the transaction ends, so that checks-then-writes on the
    /// tenant's users and accounts (plan quotas, the last active owner) run one at a time: two
    /// concurrent invitations for the last seat cannot both pass the count. PostgreSQL
    /// `FOR NO KEY UPDATE` (inserts referencing the tenant are not blocked); on SQLite the single
    /// writer already serializes transactions.
    func lockForAdminChange() async throws
    func adminUsers() async throws -> [AdminUser]
    func adminUser(id: UUID) async throws -> AdminUser?
    /// Invites a user: stored `invited` with the SHA-256 of a single-use invitation token.
    /// Inviting again an address whose invitation expired renews that invitation (new token,
    /// expiry, name and role) and returns its existing id; any other account of the tenant with the
    /// address is a conflict. Returns the invited user's id.
    func inviteUser(_ user: AdminUser, invitationHash: String, expiresAt: Date, actor: String, now: Date) async throws -> UUID
    /// Users who hold a seat of the plan: everyone not deactivated, except invitations that expired.
    func seatedUserCount(now: Date) async throws -> Int
    /// Sets the password of an invited user whose invitation matches and has not expired; the
    /// invitation is spent. False when it does not match or expired.
    func acceptInvitation(userID: UUID, invitationHash: String, passwordHash: String, now: Date) async throws -> Bool
    func setUserRole(_ id: UUID, role: Role, actor: String, now: Date) async throws
    func deactivateUser(_ id: UUID, actor: String, now: Date) async throws
    func recordLogin(userID: UUID, now: Date) async throws
    /// Renames the tenant or changes its plan (nil leaves a field), audited.
    func updateTenant(name: String?, plan: String?, actor: String, now: Date) async throws
    /// Soft-deletes the tenant (`deleting`, then `deleted_at`), audited.
    func deleteTenant(actor: String, now: Date) async throws

    // MARK: WhatsApp accounts (admin API)

    /// Stores an account with its sealed secrets, audited (`waba.registered`, no secrets). A phone
    /// number live on any account of any tenant is a conflict that does not say which tenant has it.
    func registerWabaAccount(_ account: WabaAccountRecord, actor: String, now: Date) async throws
    /// The tenant's live accounts (not deleted), oldest first.
    func wabaAccountRecords() async throws -> [WabaAccountRecord]
    func wabaAccountRecord(id: UUID) async throws -> WabaAccountRecord?
    /// Replaces a live account's sealed secrets (a new access token), audited (`waba.token_replaced`). False when there is none.
    func replaceWabaSecrets(id: UUID, secrets: WabaSealedSecrets, accessTokenLast4: String?, actor: String, now: Date) async throws -> Bool
    /// Records the outcome of a token check (`ok` or `failed` with a short code).
    func recordWabaVerification(id: UUID, status: String, error: String?, now: Date) async throws
    /// Soft-deletes a live account (status `deleted`, `deleted_at`; its number stops routing), audited (`waba.deleted`).
    func deleteWabaAccount(id: UUID, actor: String, now: Date) async throws -> Bool

    // MARK: Logs export and approvals (admin API)

    /// Conversation logs matching `filter`, each with its end user's `wa_id`, in (created_at, id)
    /// order strictly after `cursor` (keyset paging), at most `limit`.
    func conversationLogs(filter: ConversationLogFilter, after cursor: ConversationLogCursor?, limit: Int) async throws -> [ConversationLogRecord]
    /// Which actions need a second person's approval (all, until the tenant changes it).
    func approvalSettings() async throws -> ApprovalSettings
    func setApprovalSettings(_ settings: ApprovalSettings, now: Date) async throws
    func addApproval(_ approval: ApprovalRecord) async throws
    func approval(id: UUID) async throws -> ApprovalRecord?
    /// Approvals, newest first; only those in `status` when given.
    /// The tenant's pending requests for one action, however many other requests are pending.
    func pendingApprovals(action: ApprovalAction) async throws -> [ApprovalRecord]
    /// Newest first; with `before`, only those after that position in the order (a page's last).
    func approvals(status: ApprovalStatus?, before: ConversationLogCursor?, limit: Int) async throws -> [ApprovalRecord]
    /// Moves an approval from `from` to `to` only if it is still in `from` (exactly once), recording
    /// the decider (when given) and, for `executed`, when. False when it was not in `from`.
    func transitionApproval(id: UUID, from: ApprovalStatus, to: ApprovalStatus, decidedBy: String?, now: Date) async throws -> Bool
    /// Marks pending approvals whose time ran out at `now` as `expired` and returns them.
    func expireApprovals(now: Date) async throws -> [ApprovalRecord]
    /// Puts a live WABA account in `pending_deletion` (true) or back to `active` (false). False when
    /// there is no such live account.
    func setWabaAccountPendingDeletion(id: UUID, _ pending: Bool, now: Date) async throws -> Bool

    // MARK: Retention

    /// Deletes up to `limit` of each of this tenant's history rows older than `before`:
    /// conversation log rows after `after` in (created_at, id) order (with the outbox rows of
    /// replies sent or failed; a reply still pending keeps both), link clicks and catalog ingest
    /// log rows; the `wa_id` parameter of approvals, the last product search of users quiet
    /// since, and which users wrote in months before. Contexts, short links, catalogs and the
    /// audit trail are kept.
    func forgetHistory(before: Date, after: ConversationLogCursor?, limit: Int) async throws -> ForgottenHistory
}

extension TenantSession {
    /// Loads or creates one user's context and records one message from them at `messageAt`.
    public func touchUserContext(waID: String, profileName: String?, messageAt: Date, now: Date) async throws -> (context: UserContext, created: Bool) {
        let result = try await touchUserContexts([UserContextTouch(waID: waID, profileName: profileName, messageAt: messageAt)], now: now)
        guard let touched = result[waID] else { throw LioraError(.storage, "user context was not stored") }
        return touched
    }

    /// Appends one entry; false when the same message (direction + id) is already logged.
    @discardableResult
    public func appendLog(_ entry: ConversationLogEntry) async throws -> Bool {
        try await appendLogs([entry]) == 1
    }
}

/// Deleting history older than the operator's retention period (`LIORA_RETENTION_DAYS`), in
/// small batches so live traffic gets the database between them. Each batch scans at most `limit`
/// rows in key order after a cursor; keys grow with time, so a pass is `done` at the first batch
/// with nothing older than `before` (one row dated in the future by a clock that jumped does not
/// stop it).
public protocol RetentionStore: Sendable {
    /// Deletes the finished webhook items (processed, ignored, failed) received before `before`
    /// among the next `limit` after `after`. Pending items are never deleted.
    func forgetFinishedEvents(receivedBefore before: Date, after: Int64, limit: Int) async throws
        -> (deleted: Int, lastScanned: Int64, done: Bool)
    /// Deletes the raw webhook bodies received before `before`, among the next `limit` after
    /// `after` (fewer when they hold more than 16 MB), that no item refers to any more (their
    /// items were deleted, or all were retries).
    func forgetUnusedPayloads(receivedBefore before: Date, after: UUID?, limit: Int) async throws
        -> (deleted: Int, lastScanned: UUID?, done: Bool)
    /// Every tenant's id, deleted tenants included.
    func retentionTenantIDs() async throws -> [UUID]
}

/// What one batch of `TenantSession.forgetHistory` deleted.
public struct ForgottenHistory: Sendable, Equatable {
    /// The last log row looked at: the next batch starts after it (replies still waiting are
    /// passed over, not read again).
    public var lastLog: ConversationLogCursor?
    /// Conversation log rows (inbound messages and replies).
    public var logs = 0
    /// Outbox rows of replies sent or failed (their log rows go with them).
    public var replies = 0
    public var clicks = 0
    public var ingestLogs = 0
    /// Approvals whose `wa_id` parameter (an export filter) was forgotten.
    public var approvals = 0
    /// Conversation states of users quiet for the whole period whose last product search was forgotten.
    public var searches = 0
    /// `monthly_usage` rows of months before the period's start (who wrote that month).
    public var usage = 0
    /// Some table had `limit` rows to delete: there may be more.
    public var more = false
    public init() {}
}

/// Everything the service stores, on SQLite or PostgreSQL.
public protocol LioraStore: WebhookInbox, TenantDirectory, TenantScopedStore, AdminDirectory, WabaDirectory, RetentionStore {
    /// Succeeds when the database answers.
    func ping() async throws
    func close() async
}

/// Slug rules: 2–63 characters of lowercase letters, digits and hyphens, starting with a letter or digit.
public enum SlugRule {
    public static func isValid(_ slug: String) -> Bool {
        let bytes = Array(slug.utf8)
        guard (2...63).contains(bytes.count), bytes[0] != UInt8(ascii: "-") else { return false }
        return bytes.allSatisfy { (97...122).contains($0) || (48...57).contains($0) || $0 == UInt8(ascii: "-") }
    }
}

/// One user's conversation state after a message (see `TenantSession.saveConversations`).
public struct ConversationSave: Sendable {
    public var contextID: UUID
    public var language: String
    public var lastIntent: String?
    public var conversationJSON: String

    public init(contextID: UUID, language: String, lastIntent: String?, conversationJSON: String) {
        self.contextID = contextID
        self.language = language
        self.lastIntent = lastIntent
        self.conversationJSON = conversationJSON
    }
}

/// A reply Meta accepted: the outbox row, Meta's message id for it, and when.
public struct SentReply: Sendable {
    public var entry: OutboxEntry
    public var waMessageID: String
    public var at: Date

    public init(entry: OutboxEntry, waMessageID: String, at: Date) {
        self.entry = entry
        self.waMessageID = waMessageID
        self.at = at
    }
}

extension TenantSession {
    /// Claims due replies as a sender of its own that has nothing in flight (see
    /// `claimDueReplies(now:limit:lease:claimer:)`).
    public func claimDueReplies(now: Date, limit: Int, lease: TimeInterval) async throws -> [OutboxEntry] {
        try await claimDueReplies(now: now, limit: limit, lease: lease, claimer: UUID())
    }

    /// Marks one reply sent (see `markRepliesSent`).
    public func markReplySent(_ entry: OutboxEntry, waMessageID: String, now: Date) async throws {
        try await markRepliesSent([SentReply(entry: entry, waMessageID: waMessageID, at: now)])
    }
}

/// How durable the commits made in a scope must be.
///
/// By default a commit is on disk when it returns. Inside `WriteDurability.$relaxed.withValue(true)`
/// the stores may return first — SQLite without waiting for the fsync of its WAL that durable
/// transactions wait for, PostgreSQL with `synchronous_commit = off`: such a commit survives a crash of the
/// process, and is lost only if the machine loses power (or the database server crashes) before
/// the next durable commit, at most a few hundred milliseconds later. The processor and the
/// reply sender's records use it; webhook ingest (a 200 means stored), the sender's claims (nothing
/// is sent that is not on disk), and everything else do not.
public enum WriteDurability {
    @TaskLocal public static var relaxed = false
}

/// The quota month of a date: "2026-11" (UTC), as `monthly_usage.month` holds it.
public enum QuotaMonth {
    public static func of(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", c.year ?? 1970, c.month ?? 1)
    }
}
