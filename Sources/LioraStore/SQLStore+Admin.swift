package import Foundation
package import LioraCore

extension SQLStore {
    package func loginLookup(email: String) async throws -> [LoginRecord] {
        let email = email.trimmingCharacters(in: .whitespaces)
        return try await database.transaction { c -> [LoginRecord] in
            let admins = try await c.query("""
                SELECT id, password_hash, status FROM platform_admins WHERE lower(email) = lower($1)
                """, [.text(email)]).map { r in
                LoginRecord(subjectID: try r.required("id", r.uuid), tenantID: nil, role: .platformAdmin,
                            passwordHash: try r.string("password_hash"), active: try r.string("status") == "active")
            }
            let sql = database.dialect == .postgres
                ? "SELECT usuario_id, cliente_id, role, password_hash, status FROM liora_login_lookup($1) ORDER BY usuario_id"
                : "SELECT id AS usuario_id, cliente_id, role, password_hash, status FROM usuarios WHERE lower(email) = lower($1) ORDER BY id"
            return try await admins + c.query(sql, [.text(email)]).compactMap { r -> LoginRecord? in
                guard let role = Role(rawValue: try r.required("role", r.string)) else { return nil }
                return LoginRecord(subjectID: try r.required("usuario_id", r.uuid), tenantID: try r.required("cliente_id", r.uuid), role: role,
                                   passwordHash: try r.string("password_hash"), active: try r.string("status") == "active")
            }
        }
    }

    package func invitationLookup(tokenHash: String) async throws -> (userID: UUID, tenantID: UUID)? {
        let sql = database.dialect == .postgres
            ? "SELECT usuario_id, cliente_id FROM liora_invitation_lookup($1)"
            : "SELECT id AS usuario_id, cliente_id FROM usuarios WHERE invitation_hash = $1"
        let rows = try await database.transaction { c in try await c.query(sql, [.text(tokenHash)]) }
        guard let r = rows.first else { return nil }
        return (try r.required("usuario_id", r.uuid), try r.required("cliente_id", r.uuid))
    }

    /// The e-mail is stored lowercased (as login compares it).
    package func createPlatformAdmin(id: UUID, email: String, name: String, passwordHash: String, now: Date) async throws {
        let email = email.trimmingCharacters(in: .whitespaces).lowercased()
        guard try await loginLookup(email: email).isEmpty else { throw LioraError(.conflict, "an account with this e-mail already exists") }
        do {
            try await database.transaction { c in
                try await c.query("""
                    INSERT INTO platform_admins (id, email, name, password_hash, status, created_at, updated_at)
                    VALUES ($1, $2, $3, $4, 'active', $5, $5)
                    """, [.uuid(id), .text(email), .text(name), .text(passwordHash), .date(now)])
            }
        } catch StoreError.uniqueViolation {
            throw LioraError(.conflict, "an account with this e-mail already exists")
        }
    }

    package func platformAdminExists(id: UUID) async throws -> Bool {
        try await !database.transaction { c in
            try await c.query("SELECT id FROM platform_admins WHERE id = $1 AND status = 'active'", [.uuid(id)])
        }.isEmpty
    }

    package func addRefreshToken(_ t: RefreshTokenRecord) async throws -> Bool {
        let binds: [SQLValue] = [.uuid(t.id), .text(t.tokenHash), .text(t.role == .platformAdmin ? "platform_admin" : "usuario"),
                                 .uuid(t.subjectID), .optional(t.tenantID), .uuid(t.familyID), .date(t.expiresAt), .date(t.createdAt)]
        // On PostgreSQL the table is under row-level security; the service reaches it outside a
        // tenant transaction only through the functions of migration 0017, one token (or one
        // subject's expired tokens) at a time.
        guard database.dialect == .postgres else {
            return try await !database.transaction { c in
                // The subject's expired tokens go (refused anyway; they grew without end).
                try await c.query("DELETE FROM refresh_tokens WHERE subject_id = $1 AND expires_at < $2", [.uuid(t.subjectID), .date(t.createdAt)])
                return try await c.query("""
                    INSERT INTO refresh_tokens (id, token_hash, subject_kind, subject_id, cliente_id, family_id, expires_at, created_at)
                    SELECT $1, $2, $3, $4, $5, $6, $7, $8
                    WHERE NOT EXISTS (SELECT 1 FROM refresh_tokens WHERE family_id = $6 AND revoked_at IS NOT NULL)
                    RETURNING id
                    """, binds)
            }.isEmpty
        }
        let rows = try await database.transaction { c in
            try await c.query("""
                SELECT liora_refresh_token_add($1::uuid, $2::text, $3::text, $4::uuid, $5::uuid, $6::uuid, $7::timestamptz,
                                               $8::timestamptz) AS added
                """, binds)
        }
        return try rows.first?.bool("added") == true
    }

    package func refreshToken(hash: String) async throws -> RefreshTokenRecord? {
        let sql = database.dialect == .postgres
            ? """
              SELECT id, token_hash, subject_kind, subject_id, cliente_id, family_id, expires_at, used_at, revoked_at, created_at
              FROM liora_refresh_token_lookup($1::text)
              """
            : """
              SELECT id, token_hash, subject_kind, subject_id, cliente_id, family_id, expires_at, used_at, revoked_at, created_at
              FROM refresh_tokens WHERE token_hash = $1
              """
        let rows = try await database.transaction { c in try await c.query(sql, [.text(hash)]) }
        guard let r = rows.first else { return nil }
        let kind = try r.required("subject_kind", r.string)
        return RefreshTokenRecord(
            id: try r.required("id", r.uuid), tokenHash: try r.required("token_hash", r.string), subjectID: try r.required("subject_id", r.uuid),
            tenantID: try r.uuid("cliente_id"), role: kind == "platform_admin" ? .platformAdmin : .agent,
            familyID: try r.required("family_id", r.uuid), expiresAt: try r.required("expires_at", r.date), usedAt: try r.date("used_at"),
            revokedAt: try r.date("revoked_at"), createdAt: try r.required("created_at", r.date))
    }

    package func useRefreshToken(id: UUID, now: Date) async throws -> Bool {
        guard database.dialect == .postgres else {
            return try await !database.transaction { c in
                try await c.query("""
                    UPDATE refresh_tokens SET used_at = $2 WHERE id = $1 AND used_at IS NULL AND revoked_at IS NULL
                      AND NOT EXISTS (SELECT 1 FROM refresh_tokens f WHERE f.family_id = refresh_tokens.family_id AND f.revoked_at IS NOT NULL)
                    RETURNING id
                    """, [.uuid(id), .date(now)])
            }.isEmpty
        }
        let rows = try await database.transaction { c in
            try await c.query("SELECT liora_refresh_token_use($1::uuid, $2::timestamptz) AS used", [.uuid(id), .date(now)])
        }
        return try rows.first?.bool("used") == true
    }

    package func revokeRefreshFamily(_ familyID: UUID, now: Date) async throws {
        let sql = database.dialect == .postgres
            ? "SELECT liora_refresh_family_revoke($1::uuid, $2::timestamptz)"
            : "UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL"
        try await database.transaction { c in try await c.query(sql, [.uuid(familyID), .date(now)]) }
    }

    /// Live tenants by slug after `after`, those whose slug or name contains `search` in any
    /// case. PostgreSQL folds case with `lower()` (every letter: "ÁLVARO" finds "álvaro");
    /// SQLite's `lower()` folds ASCII only, so on SQLite the rows are read in slug order, a
    /// page at a time, and matched here with the same folding (`String.lowercased()`).
    package func listTenants(search: String?, after: String?, limit: Int) async throws -> [Tenant] {
        if database.dialect == .postgres {
            // A literal search: LIKE's wildcards and its escape character are escaped with a
            // backslash, PostgreSQL's default escape (liora_list_tenants names none).
            let search = search.map {
                $0.replacingOccurrences(of: "\\", with: "\\\\").replacingOccurrences(of: "%", with: "\\%").replacingOccurrences(of: "_", with: "\\_")
            }
            let rows = try await database.transaction { c in
                try await c.query("SELECT id, slug, name, plan, status, created_at, updated_at, deleted_at FROM liora_list_tenants($1::text, $2::text, $3::integer)",
                                  [.optional(search), .optional(after), .int(Int64(limit))])
            }
            return try rows.map(Self.tenant)
        }
        let page = search == nil ? limit : max(limit, 500)
        let needle = search.map { Array($0.lowercased().utf8) }
        return try await database.transaction { c in
            var found: [Tenant] = []
            var cursor = after
            while found.count < limit {
                let rows = try await c.query("""
                    SELECT id, slug, name, plan, status, created_at, updated_at, deleted_at FROM clientes
                    WHERE deleted_at IS NULL AND ($1 IS NULL OR slug > $1)
                    ORDER BY slug LIMIT $2
                    """, [.optional(cursor), .int(Int64(page))])
                for row in rows {
                    let tenant = try Self.tenant(row)
                    if let needle, !Self.contains(tenant.slug, needle), !Self.contains(tenant.name, needle) { continue }
                    found.append(tenant)
                    if found.count == limit { break }
                }
                guard rows.count == page, let last = rows.last else { break }
                cursor = try last.required("slug", last.string)
            }
            return found
        }
    }

    /// Whether `text`, lowercased, holds the UTF-8 bytes of `needle` (already lowercased): LIKE's
    /// byte-wise `%…%` on folded text.
    private static func contains(_ text: String, _ needle: [UInt8]) -> Bool {
        let folded = Array(text.lowercased().utf8)
        return folded.withUnsafeBytes { h in needle.withUnsafeBytes { n in ByteSearch.firstIndex(of: n, in: h) != nil } }
    }

    private static func tenant(_ r: any SQLRow) throws -> Tenant {
        Tenant(id: try r.required("id", r.uuid), slug: try r.required("slug", r.string), name: try r.required("name", r.string),
               plan: try r.required("plan", r.string), status: TenantStatus(rawValue: try r.required("status", r.string)) ?? .suspended,
               createdAt: try r.required("created_at", r.date), updatedAt: try r.required("updated_at", r.date),
               deletedAt: try r.date("deleted_at"))
    }

    private static func plan(_ r: any SQLRow) throws -> Plan {
        let skills = try r.required("skills", r.string)
        return Plan(id: try r.required("id", r.string), name: try r.required("name", r.string),
                    maxUsers: Int(try r.required("max_users", r.int)), maxWabaAccounts: Int(try r.required("max_waba_accounts", r.int)),
                    monthlyConversations: Int(try r.required("monthly_conversations", r.int)),
                    skills: skills == "*" ? nil : Set(skills.split(separator: ",").map(String.init)))
    }

    package func plan(id: String) async throws -> Plan? {
        try await database.transaction { c in
            try await c.query("SELECT id, name, max_users, max_waba_accounts, monthly_conversations, skills FROM plans WHERE id = $1",
                              [.text(id)]).first.map(Self.plan)
        }
    }

    package func plans() async throws -> [Plan] {
        try await database.transaction { c in
            try await c.query("SELECT id, name, max_users, max_waba_accounts, monthly_conversations, skills FROM plans ORDER BY max_users")
                .map(Self.plan)
        }
    }
}
