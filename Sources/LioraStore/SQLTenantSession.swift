import Foundation
import LioraCore

/// One tenant's data inside one transaction. Every statement names `cliente_id` (on PostgreSQL,
/// row-level security enforces it again underneath).
struct SQLTenantSession: TenantSession {
    let c: any SQLConnection
    let tenantID: UUID

    private var tenant: SQLValue { .uuid(tenantID) }

    func tenant() async throws -> Tenant? {
        let rows = try await c.query("""
            SELECT id, slug, name, plan, status, created_at, updated_at, deleted_at FROM clientes WHERE id = $1
            """, [tenant])
        return try rows.first.map { r in
            Tenant(id: try r.required("id", r.uuid), slug: try r.required("slug", r.string), name: try r.required("name", r.string),
                   plan: try r.required("plan", r.string),
                   status: TenantStatus(rawValue: try r.required("status", r.string)) ?? .suspended,
                   createdAt: try r.required("created_at", r.date), updatedAt: try r.required("updated_at", r.date),
                   deletedAt: try r.date("deleted_at"))
        }
    }

    func setTenantStatus(_ status: TenantStatus, actor: String, now: Date) async throws {
        let rows = try await c.query("""
            UPDATE clientes SET status = $1, updated_at = $2 WHERE id = $3 AND deleted_at IS NULL RETURNING id
            """, [.text(status.rawValue), .date(now), tenant])
        guard !rows.isEmpty else { throw LioraError(.notFound, "tenant not found") }
        try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "tenant.status_changed",
                                     payloadJSON: JSONText.object(["status": status.rawValue]), createdAt: now))
    }

    func addWabaAccount(_ a: NewWabaAccount, actor: String, now: Date) async throws -> WabaAccount {
        do {
            try await c.query("""
                INSERT INTO waba_accounts (id, cliente_id, waba_id, phone_number_id, display_phone_number, created_at, updated_at)
                VALUES ($1,$2,$3,$4,$5,$6,$6)
                """, [.uuid(a.id), tenant, .text(a.wabaID), .text(a.phoneNumberID), .text(a.displayPhoneNumber), .date(now)])
        } catch StoreError.uniqueViolation {
            // Says nothing about which tenant holds the number.
            throw LioraError(.conflict, "this phone number is already registered")
        }
        try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "waba.registered",
                                     payloadJSON: JSONText.object(["waba_account_id": a.id.uuidString.lowercased(),
                                                                   "phone_number_id": a.phoneNumberID]), createdAt: now))
        return WabaAccount(id: a.id, tenantID: tenantID, wabaID: a.wabaID, phoneNumberID: a.phoneNumberID,
                           displayPhoneNumber: a.displayPhoneNumber, createdAt: now)
    }

    func wabaAccounts() async throws -> [WabaAccount] {
        try await c.query("""
            SELECT id, cliente_id, waba_id, phone_number_id, display_phone_number, created_at FROM waba_accounts
            WHERE cliente_id = $1 AND deleted_at IS NULL ORDER BY created_at, id
            """, [tenant]).map { r in
            WabaAccount(id: try r.required("id", r.uuid), tenantID: try r.required("cliente_id", r.uuid),
                        wabaID: try r.required("waba_id", r.string), phoneNumberID: try r.required("phone_number_id", r.string),
                        displayPhoneNumber: try r.required("display_phone_number", r.string),
                        createdAt: try r.required("created_at", r.date))
        }
    }

    private static let contextColumns = """
        id, cliente_id, wa_id, profile_name, language, last_intent, window_started_at, last_message_at, message_count, created_at,
        context
        """

    private static func context(_ r: any SQLRow) throws -> UserContext {
        UserContext(id: try r.required("id", r.uuid), tenantID: try r.required("cliente_id", r.uuid),
                    waID: try r.required("wa_id", r.string), profileName: try r.string("profile_name"),
                    language: try r.required("language", r.string), lastIntent: try r.string("last_intent"),
                    windowStartedAt: try r.date("window_started_at"), lastMessageAt: try r.date("last_message_at"),
                    messageCount: Int(try r.required("message_count", r.int)), createdAt: try r.required("created_at", r.date),
                    conversationJSON: try r.string("context"))
    }

    func touchUserContexts(_ touches: [UserContextTouch], now: Date) async throws -> [String: (context: UserContext, created: Bool)] {
        try await touchUserContexts(touches, now: now, returning: true)
    }

    func countUserMessages(_ touches: [UserContextTouch], now: Date) async throws {
        _ = try await touchUserContexts(touches, now: now, returning: false)
    }

    /// `(id, cliente_id, wa_id, profile_name, window_started_at, last_message_at, message_count, created_at, updated_at)`
    private static let touchRows = RowValues(shared: 2, [.own(1), .shared(1), .own(2), .own(3), .own(4), .own(4), .own(5), .shared(2), .shared(2)])
    /// `conversation_logs` rows: the id, the tenant (`$1`), then the 12 other columns.
    private static let logRows = RowValues(shared: 1, [.own(1), .shared(1)] + (2...13).map { .own($0) })

    private func touchUserContexts(_ touches: [UserContextTouch], now: Date,
                                   returning: Bool) async throws -> [String: (context: UserContext, created: Bool)] {
        var out: [String: (context: UserContext, created: Bool)] = [:]
        // One row per user (PostgreSQL refuses to upsert the same key twice in one statement).
        for chunk in UserContextTouch.merged(touches).chunked(500) {
            var newIDs: [String: UUID] = [:]
            var binds: [SQLValue] = [tenant, .date(now)]
            binds.reserveCapacity(2 + 5 * chunk.count)
            for t in chunk {
                let id = UUID()
                if returning { newIDs[t.waID] = id }
                binds += [.uuid(id), .text(t.waID), .optional(t.profileName), .date(t.messageAt), .int(Int64(t.messages))]
            }
            let rows = try await c.query("""
                INSERT INTO user_contexts (id, cliente_id, wa_id, profile_name, window_started_at, last_message_at,
                    message_count, created_at, updated_at)
                VALUES \(Self.touchRows.list(rows: chunk.count))
                ON CONFLICT (cliente_id, wa_id) DO UPDATE SET
                    profile_name = COALESCE(excluded.profile_name, user_contexts.profile_name),
                    window_started_at = CASE WHEN user_contexts.window_started_at IS NULL
                        OR excluded.window_started_at > user_contexts.window_started_at
                        THEN excluded.window_started_at ELSE user_contexts.window_started_at END,
                    last_message_at = CASE WHEN user_contexts.last_message_at IS NULL
                        OR excluded.last_message_at > user_contexts.last_message_at
                        THEN excluded.last_message_at ELSE user_contexts.last_message_at END,
                    message_count = user_contexts.message_count + excluded.message_count,
                    updated_at = excluded.updated_at
                \(returning ? "RETURNING \(Self.contextColumns)" : "")
                """, binds)
            for r in rows {
                let ctx = try Self.context(r)
                out[ctx.waID] = (ctx, ctx.id == newIDs[ctx.waID])
            }
        }
        return out
    }

    func ensureUserContexts(_ touches: [UserContextTouch], now: Date) async throws -> [String: (context: UserContext, created: Bool)] {
        var out: [String: (context: UserContext, created: Bool)] = [:]
        let merged = UserContextTouch.merged(touches)
        for chunk in merged.chunked(500) {
            let list = SQLStore.placeholders(chunk.count, from: 2)
            let rows = try await c.query("SELECT \(Self.contextColumns) FROM user_contexts WHERE cliente_id = $1 AND wa_id IN (\(list))",
                                         [tenant] + chunk.map { .text($0.waID) })
            for r in rows {
                let ctx = try Self.context(r)
                out[ctx.waID] = (ctx, false)
            }
        }
        let missing = merged.filter { out[$0.waID] == nil }.map { var t = $0; t.messages = 0; return t }
        if !missing.isEmpty {
            for (waID, touched) in try await touchUserContexts(missing, now: now) { out[waID] = touched }
        }
        return out
    }

    func userContext(waID: String) async throws -> UserContext? {
        try await c.query("SELECT \(Self.contextColumns) FROM user_contexts WHERE cliente_id = $1 AND wa_id = $2",
                          [tenant, .text(waID)]).first.map(Self.context)
    }

    func saveConversation(contextID: UUID, language: String, lastIntent: String?, conversationJSON: String, now: Date) async throws {
        try await c.query("""
            UPDATE user_contexts SET language = $1, last_intent = COALESCE($2, last_intent), context = $3, updated_at = $4
            WHERE cliente_id = $5 AND id = $6
            """, [.text(language), .optional(lastIntent), .json(conversationJSON), .date(now), tenant, .uuid(contextID)])
    }

    /// `(id, language, last_intent, context)` rows of `saveConversations` on PostgreSQL.
    private static let conversationRows = RowValues(shared: 2, [.typed(1, "uuid"), .typed(2, "text"), .typed(3, "text"), .typed(4, "jsonb")])

    func saveConversations(_ saves: [ConversationSave], now: Date) async throws {
        // SQLite: in-process single-row updates are cheaper than its `UPDATE … FROM`; PostgreSQL:
        // one round trip per chunk instead of one per user. (The rows are already locked: the
        // batch's transaction touched these users' contexts first.)
        guard c.dialect == .postgres, saves.count > 1 else {
            for s in saves {
                try await saveConversation(contextID: s.contextID, language: s.language, lastIntent: s.lastIntent,
                                           conversationJSON: s.conversationJSON, now: now)
            }
            return
        }
        for chunk in saves.sorted(by: { $0.contextID.orderedBefore($1.contextID) }).chunked(500) {
            var binds: [SQLValue] = [.date(now), tenant]
            binds.reserveCapacity(2 + 4 * chunk.count)
            for s in chunk { binds += [.uuid(s.contextID), .text(s.language), .optional(s.lastIntent), .json(s.conversationJSON)] }
            try await c.query("""
                UPDATE user_contexts u SET language = v.language, last_intent = COALESCE(v.last_intent, u.last_intent),
                    context = v.context, updated_at = $1
                FROM (VALUES \(Self.conversationRows.list(rows: chunk.count))) AS v(id, language, last_intent, context)
                WHERE u.cliente_id = $2 AND u.id = v.id
                """, binds)
        }
    }

    func enabledSkills(among all: Set<String>) async throws -> Set<String> {
        let rows = try await c.query("SELECT skill, enabled FROM tenant_skills WHERE cliente_id = $1", [tenant])
        var enabled = all
        for r in rows {
            let skill = try r.required("skill", r.string)
            if try r.bool("enabled") == true { enabled.insert(skill) } else { enabled.remove(skill) }
        }
        return enabled
    }

    func setSkill(_ skill: String, enabled: Bool, now: Date) async throws {
        try await c.query("""
            INSERT INTO tenant_skills (cliente_id, skill, enabled, updated_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (cliente_id, skill) DO UPDATE SET enabled = excluded.enabled, updated_at = excluded.updated_at
            """, [tenant, .text(skill), .bool(enabled), .date(now)])
    }

    func userContext(id: UUID) async throws -> UserContext? {
        try await c.query("SELECT \(Self.contextColumns) FROM user_contexts WHERE cliente_id = $1 AND id = $2",
                          [tenant, .uuid(id)]).first.map(Self.context)
    }

    func userContexts() async throws -> [UserContext] {
        try await c.query("SELECT \(Self.contextColumns) FROM user_contexts WHERE cliente_id = $1 ORDER BY created_at, id",
                          [tenant]).map(Self.context)
    }

    @discardableResult
    func appendLogs(_ entries: [ConversationLogEntry]) async throws -> Int {
        var inserted = 0
        for chunk in entries.chunked(400) {
            var binds: [SQLValue] = [tenant]
            binds.reserveCapacity(1 + 13 * chunk.count)
            for e in chunk {
                precondition(e.tenantID == tenantID, "log entry for another tenant")
                binds += [.uuid(e.id), .optional(e.userContextID), .optional(e.wabaAccountID), .text(e.direction.rawValue),
                          .optional(e.waMessageID), .text(e.messageType), .optional(e.body), .optional(e.intent), .text(e.status),
                          .int(Int64(e.statusRank)), .optional(e.statusUpdatedAt), .optional(e.errorCode), .date(e.createdAt)]
            }
            inserted += try await c.query("""
                INSERT INTO conversation_logs (id, cliente_id, user_context_id, waba_account_id, direction, wa_message_id,
                    message_type, body, intent, status, status_rank, status_updated_at, error_code, created_at)
                VALUES \(Self.logRows.list(rows: chunk.count))
                ON CONFLICT (cliente_id, direction, wa_message_id) DO NOTHING RETURNING id
                """, binds).count
        }
        return inserted
    }

    func updateOutboundStatus(_ u: OutboundStatusUpdate) async throws -> Bool {
        let rows = try await c.query("""
            UPDATE conversation_logs SET status = $1, status_rank = $2, status_updated_at = $3,
                error_code = COALESCE($4, error_code)
            WHERE cliente_id = $5 AND direction = 'outbound' AND wa_message_id = $6 AND status_rank < $2
            RETURNING id
            """, [.text(u.status), .int(Int64(u.rank)), .date(u.at), .optional(u.errorCode), tenant, .text(u.waMessageID)])
        return !rows.isEmpty
    }

    func hasOutboundMessage(waMessageID: String) async throws -> Bool {
        try await !c.query("""
            SELECT 1 FROM conversation_logs WHERE cliente_id = $1 AND direction = 'outbound' AND wa_message_id = $2 LIMIT 1
            """, [tenant, .text(waMessageID)]).isEmpty
    }

    func conversationLogs(limit: Int) async throws -> [ConversationLogEntry] {
        try await c.query("""
            SELECT id, cliente_id, user_context_id, waba_account_id, direction, wa_message_id, message_type, body, intent,
                status, status_rank, status_updated_at, error_code, created_at
            FROM conversation_logs WHERE cliente_id = $1 ORDER BY created_at, id LIMIT $2
            """, [tenant, .int(Int64(limit))]).map { r in
            ConversationLogEntry(
                id: try r.required("id", r.uuid), tenantID: try r.required("cliente_id", r.uuid),
                userContextID: try r.uuid("user_context_id"), wabaAccountID: try r.uuid("waba_account_id"),
                direction: MessageDirection(rawValue: try r.required("direction", r.string)) ?? .inbound,
                waMessageID: try r.string("wa_message_id"), messageType: try r.required("message_type", r.string),
                body: try r.string("body"), intent: try r.string("intent"), status: try r.required("status", r.string),
                statusRank: Int(try r.required("status_rank", r.int)), statusUpdatedAt: try r.date("status_updated_at"),
                errorCode: try r.int("error_code").map(Int.init), createdAt: try r.required("created_at", r.date))
        }
    }

    func record(_ e: TenantEvent) async throws {
        precondition(e.tenantID == tenantID, "audit event for another tenant")
        try await c.query("""
            INSERT INTO tenant_events (id, cliente_id, actor, action, payload, created_at) VALUES ($1,$2,$3,$4,$5,$6)
            """, [.uuid(e.id), tenant, .text(e.actor), .text(e.action), .json(e.payloadJSON), .date(e.createdAt)])
    }

    func tenantEvents(limit: Int) async throws -> [TenantEvent] {
        try await c.query("""
            SELECT id, cliente_id, actor, action, payload, created_at FROM tenant_events
            WHERE cliente_id = $1 ORDER BY created_at, id LIMIT $2
            """, [tenant, .int(Int64(limit))]).map { r in
            TenantEvent(id: try r.required("id", r.uuid), tenantID: try r.required("cliente_id", r.uuid),
                        actor: try r.required("actor", r.string), action: try r.required("action", r.string),
                        payloadJSON: try r.required("payload", r.string), createdAt: try r.required("created_at", r.date))
        }
    }

    func tenantEventsPage(limit: Int, before: (createdAt: Date, id: UUID)?) async throws -> [TenantEvent] {
        var binds: [SQLValue] = [tenant, .int(Int64(limit))]
        var cursor = ""
        if let before {
            binds += [.date(before.createdAt), .uuid(before.id)]
            cursor = "AND (created_at < $3 OR (created_at = $3 AND id < $4))"
        }
        return try await c.query("""
            SELECT id, cliente_id, actor, action, payload, created_at FROM tenant_events
            WHERE cliente_id = $1 \(cursor) ORDER BY created_at DESC, id DESC LIMIT $2
            """, binds).map { r in
            TenantEvent(id: try r.required("id", r.uuid), tenantID: try r.required("cliente_id", r.uuid),
                        actor: try r.required("actor", r.string), action: try r.required("action", r.string),
                        payloadJSON: try r.required("payload", r.string), createdAt: try r.required("created_at", r.date))
        }
    }

    func finishEvents(_ outcomes: [WebhookEventOutcome], now: Date) async throws {
        guard !outcomes.isEmpty else { return }
        try await SQLStore.finish(outcomes, now: now, on: c)
    }
}
