import Foundation
import LioraCore

extension SQLTenantSession {
    private static let userColumns = "id, cliente_id, email, name, role, status, created_at, last_login_at"

    private static func user(_ r: any SQLRow) throws -> AdminUser {
        AdminUser(id: try r.required("id", r.uuid), tenantID: try r.required("cliente_id", r.uuid), email: try r.required("email", r.string),
                  name: try r.required("name", r.string), role: Role(rawValue: try r.required("role", r.string)) ?? .agent,
                  status: AdminUser.Status(rawValue: try r.required("status", r.string)) ?? .deactivated,
                  createdAt: try r.required("created_at", r.date), lastLoginAt: try r.date("last_login_at"))
    }

    func lockForAdminChange() async throws {
        guard c.dialect == .postgres else { return }
        _ = try await c.query("SELECT id FROM clientes WHERE id = $1 FOR NO KEY UPDATE", [.uuid(tenantID)])
    }

    func adminUsers() async throws -> [AdminUser] {
        try await c.query("SELECT \(Self.userColumns) FROM usuarios WHERE cliente_id = $1 ORDER BY created_at, id",
                          [.uuid(tenantID)]).map(Self.user)
    }

    func adminUser(id: UUID) async throws -> AdminUser? {
        try await c.query("SELECT \(Self.userColumns) FROM usuarios WHERE cliente_id = $1 AND id = $2",
                          [.uuid(tenantID), .uuid(id)]).first.map(Self.user)
    }

    func inviteUser(_ u: AdminUser, invitationHash: String, expiresAt: Date, actor: String, now: Date) async throws -> UUID {
        precondition(u.tenantID == tenantID, "user for another tenant")
        // An invitation that expired unaccepted (a lost e-mail, a week gone), a revoked one or a
        // deactivated account is renewed, not a conflict: the same account (id) is invited again,
        // with a new token, no password (the old one opens nothing) and `created_at` now, so
        // it is as new as an invitation made now (for approvals, and for access tokens issued
        // before: `AdminAuth.principal`).
        let renewable = """
            cliente_id = $1 AND lower(email) = lower($2)
              AND (status = 'deactivated' OR (status = 'invited' AND (invitation_expires_at IS NULL OR invitation_expires_at <= $3)))
            """
        if let old = try await c.query("SELECT id, status FROM usuarios WHERE \(renewable)", [.uuid(tenantID), .text(u.email), .date(now)]).first {
            let id = try old.required("id", old.uuid)
            let renewed = try await c.query("""
                UPDATE usuarios SET name = $4, role = $5, status = 'invited', password_hash = NULL, invitation_hash = $6,
                       invitation_expires_at = $7, created_at = $3, updated_at = $3
                WHERE \(renewable) AND id = $8
                RETURNING id
                """, [.uuid(tenantID), .text(u.email), .date(now), .text(u.name), .text(u.role.rawValue), .text(invitationHash),
                      .date(expiresAt), .uuid(id)])
            guard !renewed.isEmpty else { throw LioraError(.conflict, "an account with this e-mail already exists") }
            try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "user.invited",
                                         payloadJSON: JSONText.object(["usuario_id": id.uuidString.lowercased(), "role": u.role.rawValue,
                                                                       "renewed": "true", "was": try old.required("status", old.string)]),
                                         createdAt: now))
            return id
        }
        do {
            try await c.query("""
                INSERT INTO usuarios (id, cliente_id, email, name, role, status, invitation_hash, invitation_expires_at, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, 'invited', $6, $7, $8, $8)
                """, [.uuid(u.id), .uuid(tenantID), .text(u.email), .text(u.name), .text(u.role.rawValue), .text(invitationHash),
                      .date(expiresAt), .date(now)])
        } catch StoreError.uniqueViolation {
            throw LioraError(.conflict, "an account with this e-mail already exists")
        }
        try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "user.invited",
                                     payloadJSON: JSONText.object(["usuario_id": u.id.uuidString.lowercased(), "role": u.role.rawValue]),
                                     createdAt: now))
        return u.id
    }

    func seatedUserCount(now: Date) async throws -> Int {
        let rows = try await c.query("""
            SELECT count(*) AS n FROM usuarios
            WHERE cliente_id = $1 AND status <> 'deactivated'
              AND NOT (status = 'invited' AND invitation_expires_at IS NOT NULL AND invitation_expires_at <= $2)
            """, [.uuid(tenantID), .date(now)])
        return Int(try rows.first?.int("n") ?? 0)
    }

    func acceptInvitation(userID: UUID, invitationHash: String, passwordHash: String, now: Date) async throws -> Bool {
        let rows = try await c.query("""
            UPDATE usuarios SET password_hash = $4, status = 'active', invitation_hash = NULL, invitation_expires_at = NULL, updated_at = $5
            WHERE cliente_id = $1 AND id = $2 AND invitation_hash = $3 AND invitation_expires_at > $5 AND status = 'invited'
            RETURNING id
            """, [.uuid(tenantID), .uuid(userID), .text(invitationHash), .text(passwordHash), .date(now)])
        guard !rows.isEmpty else { return false }
        try await record(TenantEvent(tenantID: tenantID, actor: "usuario:\(userID.uuidString.lowercased())", action: "user.invitation_accepted",
                                     payloadJSON: JSONText.object(["usuario_id": userID.uuidString.lowercased()]), createdAt: now))
        return true
    }

    func setUserRole(_ id: UUID, role: Role, actor: String, now: Date) async throws {
        precondition(role != .platformAdmin, "a tenant user cannot be a platform admin")
        let rows = try await c.query("""
            UPDATE usuarios SET role = $3, updated_at = $4 WHERE cliente_id = $1 AND id = $2 AND status <> 'deactivated' RETURNING id
            """, [.uuid(tenantID), .uuid(id), .text(role.rawValue), .date(now)])
        guard !rows.isEmpty else { throw LioraError(.notFound, "no such active user") }
        try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "user.role_changed",
                                     payloadJSON: JSONText.object(["usuario_id": id.uuidString.lowercased(), "role": role.rawValue]),
                                     createdAt: now))
    }

    func deactivateUser(_ id: UUID, actor: String, now: Date) async throws {
        let rows = try await c.query("""
            UPDATE usuarios SET status = 'deactivated', invitation_hash = NULL, updated_at = $3
            WHERE cliente_id = $1 AND id = $2 AND status <> 'deactivated' RETURNING id
            """, [.uuid(tenantID), .uuid(id), .date(now)])
        guard !rows.isEmpty else { throw LioraError(.notFound, "no such active user") }
        try await c.query("UPDATE refresh_tokens SET revoked_at = $2 WHERE subject_id = $1 AND revoked_at IS NULL", [.uuid(id), .date(now)])
        try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "user.deactivated",
                                     payloadJSON: JSONText.object(["usuario_id": id.uuidString.lowercased()]), createdAt: now))
    }

    func recordLogin(userID: UUID, now: Date) async throws {
        try await c.query("UPDATE usuarios SET last_login_at = $3 WHERE cliente_id = $1 AND id = $2", [.uuid(tenantID), .uuid(userID), .date(now)])
    }

    func updateTenant(name: String?, plan: String?, actor: String, now: Date) async throws {
        guard name != nil || plan != nil else { return }
        let rows = try await c.query("""
            UPDATE clientes SET name = COALESCE($2, name), plan = COALESCE($3, plan), updated_at = $4
            WHERE id = $1 AND deleted_at IS NULL RETURNING id
            """, [.uuid(tenantID), .optional(name), .optional(plan), .date(now)])
        guard !rows.isEmpty else { throw LioraError(.notFound, "tenant not found") }
        var payload: [String: String] = [:]
        if let name { payload["name"] = name }
        if let plan { payload["plan"] = plan }
        try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "tenant.updated", payloadJSON: JSONText.object(payload),
                                     createdAt: now))
    }

    func deleteTenant(actor: String, now: Date) async throws {
        let rows = try await c.query("""
            UPDATE clientes SET status = 'deleting', deleted_at = $2, updated_at = $2 WHERE id = $1 AND deleted_at IS NULL RETURNING id
            """, [.uuid(tenantID), .date(now)])
        guard !rows.isEmpty else { throw LioraError(.notFound, "tenant not found") }
        // The tenant's numbers stop routing and its logins stop working; its secrets (WhatsApp
        // tokens, catalog signing secrets, the Bitly token) are forgotten: nothing reads them
        // again, and a backup should not keep them.
        try await c.query("UPDATE waba_accounts SET deleted_at = $2, status = 'deleted', updated_at = $2 WHERE cliente_id = $1 AND deleted_at IS NULL",
                          [.uuid(tenantID), .date(now)])
        try await c.query("UPDATE waba_accounts SET \(Self.forgetSecrets) WHERE cliente_id = $1", [.uuid(tenantID)])
        try await c.query("DELETE FROM catalog_secrets WHERE cliente_id = $1", [.uuid(tenantID)])
        try await c.query("DELETE FROM link_provider_settings WHERE cliente_id = $1", [.uuid(tenantID)])
        try await c.query("UPDATE usuarios SET status = 'deactivated', updated_at = $2 WHERE cliente_id = $1", [.uuid(tenantID), .date(now)])
        try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "tenant.deleted", createdAt: now))
    }
}
