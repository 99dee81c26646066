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

    func admitConversations(_ waIDs: [String], month: String, limit: Int, now: Date) async throws -> Set<String> {
        let unique = Array(Set(waIDs))
        guard !unique.isEmpty else { return [] }
        var allowed = Set<String>()
        let known = try await c.query("""
            SELECT wa_id FROM monthly_usage WHERE cliente_id = $1 AND month = $2 AND wa_id IN (\(SQLStore.placeholders(unique.count, from: 3)))
            """, [.uuid(tenantID), .text(month)] + unique.map { .text($0) })
        for r in known { allowed.insert(try r.required("wa_id", r.string)) }
        var count = Int(try await c.query("SELECT count(*) AS n FROM monthly_usage WHERE cliente_id = $1 AND month = $2",
                                          [.uuid(tenantID), .text(month)]).first.map { try $0.required("n", $0.int) } ?? 0)
        for waID in unique.sorted() where !allowed.contains(waID) {
            guard count < limit else { break }
            try await c.query("""
                INSERT INTO monthly_usage (cliente_id, month, wa_id, first_at) VALUES ($1, $2, $3, $4) ON CONFLICT DO NOTHING
                """, [.uuid(tenantID), .text(month), .text(waID), .date(now)])
            allowed.insert(waID)
            count += 1
            if count == limit {
                try await record(TenantEvent(tenantID: tenantID, actor: "system:quota", action: "quota.monthly_conversations_reached",
                                             payloadJSON: JSONText.object(["month": month, "limit": String(limit)]), createdAt: now))
            }
        }
        return allowed
    }
}
