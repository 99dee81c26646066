import Foundation
import LioraCore

extension SQLTenantSession {
    func approvalSettings() async throws -> ApprovalSettings {
        let rows = try await c.query("""
            SELECT approve_delete_tenant, approve_delete_waba_account, approve_export_conversations FROM tenant_settings
            WHERE cliente_id = $1
            """, [.uuid(tenantID)])
        guard let r = rows.first else { return ApprovalSettings() }
        return ApprovalSettings(deleteTenant: try r.bool("approve_delete_tenant") ?? true,
                                deleteWabaAccount: try r.bool("approve_delete_waba_account") ?? true,
                                exportConversations: try r.bool("approve_export_conversations") ?? true)
    }

    func setApprovalSettings(_ s: ApprovalSettings, now: Date) async throws {
        try await c.query("""
            INSERT INTO tenant_settings (cliente_id, approve_delete_tenant, approve_delete_waba_account, approve_export_conversations, updated_at)
            VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (cliente_id) DO UPDATE SET approve_delete_tenant = excluded.approve_delete_tenant,
                approve_delete_waba_account = excluded.approve_delete_waba_account,
                approve_export_conversations = excluded.approve_export_conversations, updated_at = excluded.updated_at
            """, [.uuid(tenantID), .bool(s.deleteTenant), .bool(s.deleteWabaAccount), .bool(s.exportConversations), .date(now)])
    }

    private static let approvalColumns = """
        id, cliente_id, action, params, requested_by, status, decided_by, decided_at, executed_at, expires_at, created_at
        """

    private static func approval(_ r: any SQLRow) throws -> ApprovalRecord {
        let paramsText = try r.string("params") ?? "{}"
        let object = (try? JSONSerialization.jsonObject(with: Data(paramsText.utf8))) as? [String: Any] ?? [:]
        var params: [String: String] = [:]
        for (k, v) in object { params[k] = v as? String ?? "\(v)" }
        guard let action = ApprovalAction(rawValue: try r.required("action", r.string)),
              let status = ApprovalStatus(rawValue: try r.required("status", r.string)) else {
            throw StoreError.corrupt("unknown approval action or status")
        }
        return ApprovalRecord(id: try r.required("id", r.uuid), tenantID: try r.required("cliente_id", r.uuid), action: action,
                              params: params, requestedBy: try r.required("requested_by", r.string), status: status,
                              decidedBy: try r.string("decided_by"), decidedAt: try r.date("decided_at"),
                              executedAt: try r.date("executed_at"), expiresAt: try r.required("expires_at", r.date),
                              createdAt: try r.required("created_at", r.date))
    }

    func addApproval(_ a: ApprovalRecord) async throws {
        precondition(a.tenantID == tenantID, "approval for another tenant")
        try await c.query("""
            INSERT INTO approvals (id, cliente_id, action, params, requested_by, status, decided_by, decided_at, executed_at, expires_at, created_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11)
            """, [.uuid(a.id), .uuid(tenantID), .text(a.action.rawValue), .json(JSONText.object(a.params)), .text(a.requestedBy),
                  .text(a.status.rawValue), .optional(a.decidedBy), .optional(a.decidedAt), .optional(a.executedAt),
                  .date(a.expiresAt), .date(a.createdAt)])
    }

    func approval(id: UUID) async throws -> ApprovalRecord? {
        try await c.query("SELECT \(Self.approvalColumns) FROM approvals WHERE cliente_id = $1 AND id = $2",
                          [.uuid(tenantID), .uuid(id)]).first.map(Self.approval)
    }

    func pendingApprovals(action: ApprovalAction) async throws -> [ApprovalRecord] {
        try await c.query("""
            SELECT \(Self.approvalColumns) FROM approvals WHERE cliente_id = $1 AND status = 'pending' AND action = $2
            ORDER BY created_at DESC, id DESC
            """, [.uuid(tenantID), .text(action.rawValue)]).map(Self.approval)
    }

    func approvals(status: ApprovalStatus?, before: ConversationLogCursor?, limit: Int) async throws -> [ApprovalRecord] {
        // No `$n IS NULL` test: PostgreSQL cannot type an untyped NULL parameter there.
        var binds: [SQLValue] = [.uuid(tenantID), .int(Int64(max(0, limit)))]
        var conditions = ["cliente_id = $1"]
        if let status {
            binds.append(.text(status.rawValue))
            conditions.append("status = $\(binds.count)")
        }
        if let before {
            binds += [.date(before.createdAt), .uuid(before.id)]
            let (at, id) = ("$\(binds.count - 1)", "$\(binds.count)")
            conditions.append("(created_at < \(at) OR (created_at = \(at) AND id < \(id)))")
        }
        return try await c.query("""
            SELECT \(Self.approvalColumns) FROM approvals WHERE \(conditions.joined(separator: " AND "))
            ORDER BY created_at DESC, id DESC LIMIT $2
            """, binds).map(Self.approval)
    }

    func transitionApproval(id: UUID, from: ApprovalStatus, to: ApprovalStatus, decidedBy: String?, now: Date) async throws -> Bool {
        var binds: [SQLValue] = [.uuid(tenantID), .uuid(id), .text(from.rawValue), .text(to.rawValue)]
        var sets = ["status = $4"]
        if let decidedBy {
            binds += [.text(decidedBy), .date(now)]
            sets += ["decided_by = $\(binds.count - 1)", "decided_at = $\(binds.count)"]
        }
        if to == .executed {
            binds.append(.date(now))
            sets.append("executed_at = $\(binds.count)")
        }
        let rows = try await c.query("""
            UPDATE approvals SET \(sets.joined(separator: ", "))
            WHERE cliente_id = $1 AND id = $2 AND status = $3 RETURNING id
            """, binds)
        return !rows.isEmpty
    }

    func expireApprovals(now: Date) async throws -> [ApprovalRecord] {
        try await c.query("""
            UPDATE approvals SET status = 'expired' WHERE cliente_id = $1 AND status = 'pending' AND expires_at <= $2
            RETURNING \(Self.approvalColumns)
            """, [.uuid(tenantID), .date(now)]).map(Self.approval)
    }

    func setWabaAccountPendingDeletion(id: UUID, _ pending: Bool, now: Date) async throws -> Bool {
        let rows = try await c.query("""
            UPDATE waba_accounts SET status = $3, updated_at = $4
            WHERE cliente_id = $1 AND id = $2 AND deleted_at IS NULL AND status = $5 RETURNING id
            """, [.uuid(tenantID), .uuid(id), .text(pending ? "pending_deletion" : "active"), .date(now),
                  .text(pending ? "active" : "pending_deletion")])
        return !rows.isEmpty
    }
}
