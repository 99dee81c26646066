package import Foundation
package import LioraCore
package import Logging

/// The one implementation of the store protocols over either SQL database: the SQL is shared,
/// with `$n` parameters and dialect branches only where the two differ.
package final class SQLStore: LioraStore {
    package let database: any SQLDatabase
    private let logger: Logger

    package init(database: any SQLDatabase, logger: Logger) {
        self.database = database
        self.logger = logger
    }

    package func ping() async throws {
        try await database.withConnection { c in try await c.query("SELECT 1 AS one") }
    }

    package func close() async { await database.close() }

    // MARK: WebhookInbox

    /// Rows per multi-row INSERT, well under both dialects' bind limits.
    private static let rowsPerInsert = 500

    package func store(_ deliveries: [WebhookDelivery]) async throws -> [Int] {
        guard !deliveries.isEmpty else { return [] }
        return try await database.transaction { c in
            for chunk in deliveries.chunked(Self.rowsPerInsert) {
                var sql = "INSERT INTO webhook_payloads (id, received_at, waba_account_id, body) VALUES "
                var binds: [SQLValue] = []
                binds.reserveCapacity(chunk.count * 4)
                for (i, d) in chunk.enumerated() {
                    let b = i * 4
                    sql += i == 0 ? "" : ","
                    sql += "($\(b + 1),$\(b + 2),$\(b + 3),$\(b + 4))"
                    binds += [.uuid(d.id), .date(d.receivedAt), .optional(d.wabaAccountID), .blob(d.body)]
                }
                try await c.query(sql, binds)
            }
            var rows: [(payload: UUID, index: Int, item: IngestItem, at: Date)] = []
            for d in deliveries { for (i, item) in d.items.enumerated() { rows.append((d.id, item.index ?? i, item, d.receivedAt)) } }
            var newPerPayload: [UUID: Int] = [:]
            for chunk in rows.chunked(Self.rowsPerInsert) {
                var sql = "INSERT INTO webhook_events (payload_id, item_index, event_key, kind, field, phone_number_id, waba_id, received_at) VALUES "
                var binds: [SQLValue] = []
                binds.reserveCapacity(chunk.count * 8)
                for (i, r) in chunk.enumerated() {
                    let b = i * 8
                    sql += i == 0 ? "" : ","
                    sql += "($\(b + 1),$\(b + 2),$\(b + 3),$\(b + 4),$\(b + 5),$\(b + 6),$\(b + 7),$\(b + 8))"
                    binds += [.uuid(r.payload), .int(Int64(r.index)), .text(r.item.key), .text(r.item.kind.rawValue),
                              .text(r.item.field), .optional(r.item.phoneNumberID), .text(r.item.wabaID), .date(r.at)]
                }
                sql += " ON CONFLICT (event_key) DO NOTHING RETURNING payload_id"
                for row in try await c.query(sql, binds) {
                    newPerPayload[try row.required("payload_id", row.uuid), default: 0] += 1
                }
            }
            return deliveries.map { newPerPayload[$0.id] ?? 0 }
        }
    }

    package func claimPendingEvents(limit: Int, now: Date, lease: TimeInterval, maxAttempts: Int) async throws -> [PendingWebhookEvent] {
        let lock = database.dialect == .postgres ? " FOR UPDATE SKIP LOCKED" : ""
        let token = UUID()
        let claimedUntil = now.addingTimeInterval(lease)
        let rows = try await database.transaction { c in
            let rows = try await c.query("""
                UPDATE webhook_events SET claimed_until = $1, attempts = attempts + 1, claim_token = $4
                WHERE id IN (SELECT id FROM webhook_events
                             WHERE state = 'pending' AND (claimed_until IS NULL OR claimed_until < $2)
                             ORDER BY id LIMIT $3\(lock))
                RETURNING id, payload_id, item_index, event_key, kind, field, phone_number_id, attempts
                """, [.date(claimedUntil), .date(now), .int(Int64(limit)), .uuid(token)])
            // Claimed more often than allowed: every earlier claim ran out without finishing (the
            // item crashed or stalled its worker each time). Given up, not handed out again.
            var exhausted: Set<Int64> = []
            for r in rows where try r.required("attempts", r.int) > Int64(maxAttempts) { exhausted.insert(try r.required("id", r.int)) }
            for chunk in Array(exhausted).chunked(Self.rowsPerInsert) {
                try await c.query("""
                    UPDATE webhook_events SET state = 'failed', outcome = 'attempts_exhausted', processed_at = $1,
                        claimed_until = NULL, last_error = COALESCE(last_error, 'claimed repeatedly, never finished')
                    WHERE id IN (\(Self.placeholders(chunk.count, from: 2)))
                    """, [.date(now)] + chunk.map { .int($0) })
            }
            // Bodies are not read here: the processor usually has the items decoded already, and
            // reads the others outside this transaction, a few at a time.
            return try rows.filter { !exhausted.contains(try $0.required("id", $0.int)) }
        }
        return try rows.map { r in
            let payloadID = try r.required("payload_id", r.uuid)
            return PendingWebhookEvent(
                id: try r.required("id", r.int), payloadID: payloadID,
                itemIndex: Int(try r.required("item_index", r.int)), key: try r.required("event_key", r.string),
                kind: IngestItem.Kind(rawValue: try r.required("kind", r.string)) ?? .error,
                field: try r.required("field", r.string), phoneNumberID: try r.string("phone_number_id"),
                attempts: Int(try r.required("attempts", r.int)), claimToken: token,
                claimedUntil: claimedUntil)
        }.sorted { $0.id < $1.id }
    }

    @discardableResult
    package func releaseEvents(_ events: [PendingWebhookEvent]) async throws -> Int {
        let claimed = events.compactMap { e in e.claimToken.flatMap { t in e.claimedUntil.map { (e.id, t, $0) } } }
        let byClaim = Dictionary(grouping: claimed) { "\($0.1)|\($0.2.microsecondsSince1970)" }
        guard !byClaim.isEmpty else { return 0 }
        return try await database.transaction { c in
            var released = 0
            for group in byClaim.values {
                let (token, until) = (group[0].1, group[0].2)
                for chunk in group.chunked(Self.rowsPerInsert) {
                    // Still this claim's (its token and its lease: a claim by anyone since, an
                    // older release included, changed the lease), and not finished.
                    released += try await c.query("""
                        UPDATE webhook_events SET claimed_until = NULL, claim_token = NULL, attempts = attempts - 1
                        WHERE state = 'pending' AND claim_token = $1 AND claimed_until = $2
                            AND id IN (\(Self.placeholders(chunk.count, from: 3)))
                        RETURNING id
                        """, [.uuid(token), .date(until)] + chunk.map { .int($0.0) }).count
                }
            }
            return released
        }
    }

    package func payloadBodies(_ ids: [UUID]) async throws -> [UUID: [UInt8]] {
        try await database.transaction { c in try await Self.bodies(ids, on: c) }
    }

    private static func bodies(_ ids: [UUID], on c: any SQLConnection) async throws -> [UUID: [UInt8]] {
        var out: [UUID: [UInt8]] = [:]
        for chunk in ids.chunked(rowsPerInsert) {
            let rows = try await c.query("SELECT id, body FROM webhook_payloads WHERE id IN (\(placeholders(chunk.count, from: 1)))",
                                         chunk.map(SQLValue.uuid))
            for r in rows { out[try r.required("id", r.uuid)] = try r.required("body", r.bytes) }
        }
        return out
    }

    package func finishEvents(_ outcomes: [WebhookEventOutcome], now: Date) async throws {
        guard !outcomes.isEmpty else { return }
        try await database.transaction { c in try await Self.finish(outcomes, now: now, on: c) }
    }

    /// Marks items done, one UPDATE per distinct (state, outcome, tenant, claim). Throws
    /// `claimLost` when an item is no longer pending under its outcome's claim (the caller's
    /// transaction then rolls back whatever it did for the item).
    static func finish(_ outcomes: [WebhookEventOutcome], now: Date, on c: any SQLConnection) async throws {
        let groups = Dictionary(grouping: outcomes) {
            "\($0.state.rawValue)|\($0.outcome)|\($0.tenantID?.uuidString ?? "")|\($0.claimToken?.uuidString ?? "")|\($0.retryAt?.microsecondsSince1970 ?? 0)"
        }
        for group in groups.values {
            let first = group[0]
            // An item to retry stays pending, not claimable before its time (as after `failEvents`).
            let later = first.state == .retryLater
            var binds: [SQLValue] = [.text(first.state.rawValue), .text(first.outcome), .optional(first.tenantID),
                                     later ? .null : .date(now), later ? .date(first.retryAt ?? now) : .null]
            var claim = ""
            if let token = first.claimToken {
                binds.append(.uuid(token))
                claim = " AND claim_token = $6"
            }
            let finished = try await c.query("""
                UPDATE webhook_events SET state = $1, outcome = $2, cliente_id = $3, processed_at = $4, claimed_until = $5
                WHERE state = 'pending'\(claim) AND id IN (\(placeholders(group.count, from: binds.count + 1)))
                RETURNING id
                """, binds + group.map { .int($0.eventID) })
            guard finished.count == Set(group.map(\.eventID)).count else {
                throw StoreError.claimLost("\(group.count - finished.count) of \(group.count) items were no longer pending under this claim")
            }
        }
    }

    package func postponeEvents(_ events: [PendingWebhookEvent], until: Date) async throws {
        try await updateClaimed(events, set: "claimed_until = $1, claim_token = NULL, attempts = attempts - 1", first: .date(until))
    }

    package func renewClaims(_ events: [PendingWebhookEvent], from current: Date, until: Date) async throws {
        // Only rows still on this lease: one that failed (or waits to retry a status) keeps its
        // retry time.
        try await updateClaimed(events, set: "claimed_until = $1", condition: " AND claimed_until = $3", first: .date(until),
                                extra: [.date(current)])
    }

    /// `UPDATE webhook_events SET <set>` for the `events` still pending under the claim that
    /// returned them (per claim, in chunks): `$1` is `first`, `$2` the claim's token, `$3…` `extra`.
    private func updateClaimed(_ events: [PendingWebhookEvent], set: String, condition: String = "", first: SQLValue,
                               extra: [SQLValue] = []) async throws {
        let claimed = events.filter { $0.claimToken != nil }
        guard !claimed.isEmpty else { return }
        try await database.transaction { c in
            for (token, group) in Dictionary(grouping: claimed, by: \.claimToken) {
                for chunk in group.chunked(Self.rowsPerInsert) {
                    try await c.query("""
                        UPDATE webhook_events SET \(set)
                        WHERE state = 'pending' AND claim_token = $2\(condition)
                          AND id IN (\(Self.placeholders(chunk.count, from: 3 + extra.count)))
                        """, [first, .uuid(token!)] + extra + chunk.map { .int($0.id) })
                }
            }
        }
    }

    package func failEvents(_ events: [PendingWebhookEvent], error: String, now: Date, maxAttempts: Int) async throws {
        guard !events.isEmpty else { return }
        try await database.transaction { c in
            // Back off: the item becomes claimable again 5 s later.
            let retryAt = now.addingTimeInterval(5)
            for (token, group) in Dictionary(grouping: events, by: \.claimToken) {
                var binds: [SQLValue] = [.text(String(error.prefix(500))), .date(retryAt), .int(Int64(maxAttempts))]
                var claim = ""
                if let token {
                    binds.append(.uuid(token))
                    claim = " AND claim_token = $4"
                }
                for chunk in group.chunked(Self.rowsPerInsert) {
                    // Only while still this claim's: one claimed again elsewhere is left to that claim.
                    try await c.query("""
                        UPDATE webhook_events SET last_error = $1, claimed_until = $2,
                            state = CASE WHEN attempts >= $3 THEN 'failed' ELSE 'pending' END
                        WHERE state = 'pending'\(claim) AND id IN (\(Self.placeholders(chunk.count, from: binds.count + 1)))
                        """, binds + chunk.map { .int($0.id) })
                }
            }
        }
    }

    package func webhookEvents(limit: Int) async throws -> [WebhookEventRecord] {
        let rows = try await database.transaction { c in
            try await c.query("""
                SELECT id, event_key, kind, state, outcome, cliente_id, attempts FROM webhook_events ORDER BY id LIMIT $1
                """, [.int(Int64(limit))])
        }
        return try rows.map { r in
            WebhookEventRecord(
                id: try r.required("id", r.int), key: try r.required("event_key", r.string),
                kind: IngestItem.Kind(rawValue: try r.required("kind", r.string)) ?? .error,
                state: try r.required("state", r.string), outcome: try r.string("outcome"),
                tenantID: try r.uuid("cliente_id"), attempts: Int(try r.required("attempts", r.int)))
        }
    }

    package func payloadCount() async throws -> Int {
        let rows = try await database.transaction { c in try await c.query("SELECT count(*) AS n FROM webhook_payloads") }
        return Int(try rows.first.map { try $0.required("n", $0.int) } ?? 0)
    }

    // MARK: TenantDirectory

    package func route(phoneNumberID: String) async throws -> PhoneNumberRoute? {
        let sql: String
        switch database.dialect {
        case .postgres:
            // The SECURITY DEFINER function is the only way the service role reads across tenants.
            sql = "SELECT waba_account_id, cliente_id, cliente_status FROM liora_route_phone_number($1)"
        case .sqlite:
            sql = """
                SELECT w.id AS waba_account_id, c.id AS cliente_id, c.status AS cliente_status
                FROM waba_accounts w JOIN clientes c ON c.id = w.cliente_id
                WHERE w.phone_number_id = $1 AND w.deleted_at IS NULL AND c.deleted_at IS NULL
                """
        }
        let rows = try await database.transaction { c in try await c.query(sql, [.text(phoneNumberID)]) }
        guard let r = rows.first else { return nil }
        return PhoneNumberRoute(
            wabaAccountID: try r.required("waba_account_id", r.uuid), tenantID: try r.required("cliente_id", r.uuid),
            tenantStatus: TenantStatus(rawValue: try r.required("cliente_status", r.string)) ?? .suspended)
    }

    package func resolveShortLink(code: String) async throws -> (linkID: UUID, tenantID: UUID)? {
        let sql = database.dialect == .postgres
            ? "SELECT short_link_id, cliente_id FROM liora_resolve_short_link($1)"
            : """
              SELECT l.id AS short_link_id, l.cliente_id FROM short_links l JOIN clientes c ON c.id = l.cliente_id
              WHERE l.code = $1 AND c.deleted_at IS NULL
              """
        let rows = try await database.transaction { c in try await c.query(sql, [.text(code)]) }
        guard let r = rows.first else { return nil }
        return (try r.required("short_link_id", r.uuid), try r.required("cliente_id", r.uuid))
    }

    package func tenantsWithDueReplies(now: Date, limit: Int, claimer: UUID?) async throws -> [UUID] {
        let postgres = database.dialect == .postgres
        let sql = postgres
            ? "SELECT cliente_id FROM liora_tenants_with_due_outbox($1, $2::integer, $3::uuid)"
            : """
              SELECT DISTINCT o.cliente_id FROM outbox o WHERE o.state = 'pending' AND o.next_attempt_at <= $1
                  AND (o.claimed_until IS NULL OR o.claimed_until < $1)
                  AND \(SQLTenantSession.noOlderReplyWaits(tenant: "o.cliente_id", now: "$1")) LIMIT $2
              """
        let binds: [SQLValue] = [.date(now), .int(Int64(limit))] + (postgres ? [.optional(claimer)] : [])
        let rows = try await database.transaction { c in try await c.query(sql, binds) }
        return try rows.map { try $0.required("cliente_id", $0.uuid) }
    }

    package func createTenant(_ new: NewTenant, actor: String, now: Date) async throws -> Tenant {
        try await createTenant(new, actor: actor, now: now) { _ in () }.0
    }

    package func createTenant<T: Sendable>(_ new: NewTenant, actor: String, now: Date,
                                           setUp: (any TenantSession) async throws -> T) async throws -> (Tenant, T) {
        guard SlugRule.isValid(new.slug) else {
            throw LioraError(.invalidInput, "slug must be 2-63 lowercase letters, digits or hyphens")
        }
        return try await database.tenantTransaction(new.id) { c in
            let s = SQLTenantSession(c: c, tenantID: new.id)
            do {
                try await c.query("""
                    INSERT INTO clientes (id, slug, name, plan, status, created_at, updated_at) VALUES ($1,$2,$3,$4,$5,$6,$6)
                    """, [.uuid(new.id), .text(new.slug), .text(new.name), .text(new.plan), .text(new.status.rawValue), .date(now)])
            } catch StoreError.uniqueViolation {
                // Only the slug (or the id) here; a conflict in `setUp` is its own.
                throw LioraError(.conflict, "a tenant with this slug already exists")
            }
            try await s.record(TenantEvent(tenantID: new.id, actor: actor, action: "tenant.created",
                                           payloadJSON: JSONText.object(["slug": new.slug, "plan": new.plan]), createdAt: now))
            guard let t = try await s.tenant() else { throw StoreError.corrupt("created tenant not readable") }
            return (t, try await setUp(s))
        }
    }

    // MARK: TenantScopedStore

    package func withTenant<T: Sendable>(_ tenantID: UUID, _ body: (any TenantSession) async throws -> T) async throws -> T {
        try await database.tenantTransaction(tenantID) { c in
            try await body(SQLTenantSession(c: c, tenantID: tenantID))
        }
    }

    /// `$from, $from+1, …` for an IN list of `count` values.
    static func placeholders(_ count: Int, from: Int) -> String {
        (0..<count).map { "$\(from + $0)" }.joined(separator: ",")
    }
}

extension Array {
    func chunked(_ size: Int) -> [ArraySlice<Element>] {
        stride(from: 0, to: count, by: size).map { self[$0..<Swift.min($0 + size, count)] }
    }
}

/// Small, safe JSON text for audit payloads (string values only).
package enum JSONText {
    package static func object(_ fields: [String: String]) -> String {
        let data = (try? JSONSerialization.data(withJSONObject: fields, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }
}
