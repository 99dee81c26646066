import Foundation
import LioraCore

extension SQLTenantSession {
    func plan() async throws -> Plan? {
        let rows = try await c.query("""
            SELECT p.id, p.name, p.max_users, p.max_waba_accounts, p.monthly_conversations, p.skills
            FROM plans p JOIN clientes c ON c.plan = p.id WHERE c.id = $1
            """, [.uuid(tenantID)])
        guard let r = rows.first else { return nil }
        let skills = try r.required("skills", r.string)
        return Plan(id: try r.required("id", r.string), name: try r.required("name", r.string),
                    maxUsers: Int(try r.required("max_users", r.int)), maxWabaAccounts: Int(try r.required("max_waba_accounts", r.int)),
                    monthlyConversations: Int(try r.required("monthly_conversations", r.int)),
                    skills: skills == "*" ? nil : Set(skills.split(separator: ",").map(String.init)))
    }

    /// `monthly_usage` rows: the tenant, month and time shared (`$1`–`$3`), then each user's id.
    private static let usageRows = RowValues(shared: 3, [.shared(1), .shared(2), .own(1), .shared(3)])

    func admitConversations(_ waIDs: [String], month: String, limit: Int, now: Date) async throws -> Set<String> {
        let unique = Array(Set(waIDs))
        guard !unique.isEmpty else { return [] }
        var allowed = Set<String>()
        let known = try await c.query("""
            SELECT wa_id FROM monthly_usage WHERE cliente_id = $1 AND month = $2 AND wa_id IN (\(SQLStore.placeholders(unique.count, from: 3)))
            """, [.uuid(tenantID), .text(month)] + unique.map { .text($0) })
        for r in known { allowed.insert(try r.required("wa_id", r.string)) }
        let newcomers = unique.filter { !allowed.contains($0) }.sorted()
        guard !newcomers.isEmpty else { return allowed }

        // The month's running total, locked on PostgreSQL so two processors admit in turn.
        var count = try await admittedUsers(month: month)
        var added = 0
        var waiting = newcomers[...]
        // As many newcomers as the month has room for, in one statement (a round trip on PostgreSQL
        // per user was most of a first-message batch); one admitted meanwhile by another processor
        // was counted there, and leaves room for the next one in line.
        while count < limit, !waiting.isEmpty {
            let take = waiting.prefix(limit - count)
            waiting = waiting.dropFirst(take.count)
            for chunk in Array(take).chunked(300) {
                let inserted = try await c.query("""
                    INSERT INTO monthly_usage (cliente_id, month, wa_id, first_at) VALUES \(Self.usageRows.list(rows: chunk.count))
                    ON CONFLICT DO NOTHING RETURNING wa_id
                    """, [.uuid(tenantID), .text(month), .date(now)] + chunk.map { .text($0) })
                allowed.formUnion(chunk)
                count += inserted.count
                added += inserted.count
            }
        }
        if added > 0, count >= limit {
            try await record(TenantEvent(tenantID: tenantID, actor: "system:quota", action: "quota.monthly_conversations_reached",
                                         payloadJSON: JSONText.object(["month": month, "limit": String(limit)]), createdAt: now))
        }
        if added > 0 {
            try await c.query("UPDATE monthly_usage_totals SET users = users + $1 WHERE cliente_id = $2 AND month = $3",
                              [.int(Int64(added)), .uuid(tenantID), .text(month)])
        }
        return allowed
    }

    /// Users admitted in `month` so far, from `monthly_usage_totals`; a month without its row
    /// (months admitted before the totals existed) is counted once and the row written.
    private func admittedUsers(month: String) async throws -> Int {
        let lock = c.dialect == .postgres ? " FOR UPDATE" : ""
        let read = "SELECT users FROM monthly_usage_totals WHERE cliente_id = $1 AND month = $2\(lock)"
        let binds: [SQLValue] = [.uuid(tenantID), .text(month)]
        if let row = try await c.query(read, binds).first { return Int(try row.required("users", row.int)) }
        try await c.query("""
            INSERT INTO monthly_usage_totals (cliente_id, month, users)
            SELECT $1, $2, count(*) FROM monthly_usage WHERE cliente_id = $1 AND month = $2
            ON CONFLICT DO NOTHING
            """, binds)
        guard let row = try await c.query(read, binds).first else { throw StoreError.corrupt("monthly usage total missing") }
        return Int(try row.required("users", row.int))
    }
}
