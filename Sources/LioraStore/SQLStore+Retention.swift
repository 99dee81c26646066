package import Foundation
package import LioraCore

// History older than `LIORA_RETENTION_DAYS`, deleted in small batches (decisions.md, "Retention").
// Deletes commit without waiting for the disk: one lost in a crash is simply done again.

extension SQLStore {
    /// Raw bodies deleted in one transaction hold at most this many bytes (bodies go up to 3 MB).
    static let retentionPayloadBytes = 16 << 20

    package func forgetFinishedEvents(receivedBefore before: Date, after: Int64, limit: Int) async throws
        -> (deleted: Int, lastScanned: Int64, done: Bool)
    {
        try await WriteDurability.$relaxed.withValue(true) {
            try await database.transaction { c in
                let rows = try await c.query("SELECT id, state, received_at FROM webhook_events WHERE id > $1 ORDER BY id LIMIT $2",
                                             [.int(after), .int(Int64(limit))])
                var last = after
                var anyOld = false
                var finished: [Int64] = []
                for r in rows {
                    last = try r.required("id", r.int)
                    guard try r.required("received_at", r.date) < before else { continue }
                    anyOld = true
                    if try r.required("state", r.string) != "pending" { finished.append(last) }
                }
                var deleted = 0
                for chunk in finished.chunked(500) {
                    deleted += try await c.query("""
                        DELETE FROM webhook_events WHERE id IN (\(Self.placeholders(chunk.count, from: 1))) AND state <> 'pending' RETURNING id
                        """, chunk.map { .int($0) }).count
                }
                return (deleted, last, rows.count < limit || !anyOld)
            }
        }
    }

    package func forgetUnusedPayloads(receivedBefore before: Date, after: UUID?, limit: Int) async throws
        -> (deleted: Int, lastScanned: UUID?, done: Bool)
    {
        let size = database.dialect == .postgres ? "octet_length(body)" : "length(body)"
        return try await WriteDurability.$relaxed.withValue(true) {
            try await database.transaction { c in
                let rows = try await c.query(after == nil
                    ? "SELECT id, received_at, \(size) AS size FROM webhook_payloads ORDER BY id LIMIT $1"
                    : "SELECT id, received_at, \(size) AS size FROM webhook_payloads WHERE id > $2 ORDER BY id LIMIT $1",
                    after.map { [.int(Int64(limit)), .uuid($0)] } ?? [.int(Int64(limit))])
                var last = after
                var anyOld = false
                var full = false
                var bytes = 0
                var old: [UUID] = []
                for r in rows {
                    let id = try r.required("id", r.uuid)
                    if try r.required("received_at", r.date) < before {
                        bytes += Int(try r.int("size") ?? 0)
                        // The first body always goes, whatever its size; then no more than the cap.
                        if !old.isEmpty, bytes > Self.retentionPayloadBytes { full = true; break }
                        anyOld = true
                        old.append(id)
                    }
                    last = id
                }
                var deleted = 0
                for chunk in old.chunked(500) {
                    deleted += try await c.query("""
                        DELETE FROM webhook_payloads WHERE id IN (\(Self.placeholders(chunk.count, from: 1)))
                          AND NOT EXISTS (SELECT 1 FROM webhook_events e WHERE e.payload_id = webhook_payloads.id)
                        RETURNING id
                        """, chunk.map { .uuid($0) }).count
                }
                return (deleted, last, !full && (rows.count < limit || !anyOld))
            }
        }
    }

    package func retentionTenantIDs() async throws -> [UUID] {
        let sql = database.dialect == .postgres
            ? "SELECT id FROM liora_retention_tenants()"  // the service role sees one tenant at a time otherwise
            : "SELECT id FROM clientes ORDER BY id"
        return try await database.transaction { c in try await c.query(sql) }.map { try $0.required("id", $0.uuid) }
    }
}

extension SQLTenantSession {
    func forgetHistory(before: Date, after: ConversationLogCursor?, limit: Int) async throws -> ForgottenHistory {
        var result = ForgottenHistory()
        let t: SQLValue = .uuid(tenantID), cut: SQLValue = .date(before), n: SQLValue = .int(Int64(limit))
        // Oldest log rows first, through the (cliente_id, created_at, id) index, after the cursor:
        // replies still waiting in the outbox keep their log rows (the sender updates them when
        // they go out) and are passed over, not read again by every batch.
        let logs = try await c.query(after == nil
            ? "SELECT id, created_at FROM conversation_logs WHERE cliente_id = $1 AND created_at < $2 ORDER BY created_at, id LIMIT $3"
            : """
              SELECT id, created_at FROM conversation_logs WHERE cliente_id = $1 AND created_at < $2
                AND (created_at > $4 OR (created_at = $4 AND id > $5))
              ORDER BY created_at, id LIMIT $3
              """,
            [t, cut, n] + (after.map { [.date($0.createdAt), .uuid($0.id)] } ?? []))
        let logIDs = try logs.map { try $0.required("id", $0.uuid) }
        if let last = logs.last { result.lastLog = ConversationLogCursor(createdAt: try last.required("created_at", last.date), id: logIDs.last!) }
        result.more = logIDs.count == limit
        if !logIDs.isEmpty {
            let list = SQLStore.placeholders(logIDs.count, from: 2)
            let binds: [SQLValue] = [t] + logIDs.map { .uuid($0) }
            let waiting = Set(try await c.query("SELECT id FROM outbox WHERE cliente_id = $1 AND state = 'pending' AND id IN (\(list))",
                                                binds).map { try $0.required("id", $0.uuid) })
            let gone = logIDs.filter { !waiting.contains($0) }
            if !gone.isEmpty {
                let goneList = SQLStore.placeholders(gone.count, from: 2)
                let goneBinds: [SQLValue] = [t] + gone.map { .uuid($0) }
                result.replies = try await c.query(
                    "DELETE FROM outbox WHERE cliente_id = $1 AND state <> 'pending' AND id IN (\(goneList)) RETURNING id", goneBinds).count
                result.logs = try await c.query("DELETE FROM conversation_logs WHERE cliente_id = $1 AND id IN (\(goneList)) RETURNING id",
                                                goneBinds).count
            }
        }
        result.clicks = try await c.query("""
            DELETE FROM link_clicks WHERE id IN (
                SELECT id FROM link_clicks WHERE cliente_id = $1 AND clicked_at < $2 ORDER BY clicked_at LIMIT $3)
            RETURNING id
            """, [t, cut, n]).count
        result.ingestLogs = try await c.query("""
            DELETE FROM ingest_logs WHERE id IN (
                SELECT id FROM ingest_logs WHERE cliente_id = $1 AND received_at < $2 ORDER BY received_at LIMIT $3)
            RETURNING id
            """, [t, cut, n]).count
        // An approval keeps what was asked and who decided (the audit trail), but not an end
        // user's number past the period (approvals lapse within days; the period is at least 8).
        let hasWaID = c.dialect == .postgres ? "params ? 'wa_id'" : "json_extract(params, '$.wa_id') IS NOT NULL"
        let withoutWaID = c.dialect == .postgres ? "params - 'wa_id'" : "json_remove(params, '$.wa_id')"
        result.approvals = try await c.query("""
            UPDATE approvals SET params = \(withoutWaID) WHERE id IN (
                SELECT id FROM approvals WHERE cliente_id = $1 AND created_at < $2 AND \(hasWaID) ORDER BY created_at LIMIT $3)
            RETURNING id
            """, [t, cut, n]).count
        // End users quiet for the whole period: their last product search, kept in the
        // conversation state to page through results, is their own words; it goes.
        let hasSearch = c.dialect == .postgres ? "context ? 'catalog_browse'" : "json_extract(context, '$.catalog_browse') IS NOT NULL"
        let withoutSearch = c.dialect == .postgres ? "context - 'catalog_browse'" : "json_remove(context, '$.catalog_browse')"
        result.searches = try await c.query("""
            UPDATE user_contexts SET context = \(withoutSearch) WHERE id IN (
                SELECT id FROM user_contexts WHERE cliente_id = $1 AND last_message_at < $2 AND \(hasSearch) LIMIT $3)
            RETURNING id
            """, [t, cut, n]).count
        // Which end users wrote in a month is only needed during that month (quotas); the counts
        // stay in monthly_usage_totals.
        result.usage = try await c.query("""
            DELETE FROM monthly_usage WHERE cliente_id = $1 AND (month, wa_id) IN (
                SELECT month, wa_id FROM monthly_usage WHERE cliente_id = $1 AND month < $2 LIMIT $3)
            RETURNING wa_id
            """, [t, .text(QuotaMonth.of(before)), n]).count
        result.more = result.more || result.clicks == limit || result.ingestLogs == limit || result.approvals == limit
            || result.searches == limit || result.usage == limit
        return result
    }
}
