import Foundation
import HTTPTypes
import Hummingbird
import LioraCore

/// Four-eyes approvals in the admin API:
/// `GET /clientes/{id}/approvals`, `GET /clientes/{id}/approvals/{approval_id}`,
/// `POST /clientes/{id}/approvals/{approval_id}/approve` and `/reject`,
/// `GET /clientes/{id}/approvals/{approval_id}/export` (an approved export, once, by its requester),
/// `GET` and `PUT /clientes/{id}/settings/approvals` (which actions need approval; owners change it).
struct ApprovalRoutes: Sendable {
    let gate: AdminGate
    let store: any LioraStore
    let clock: any LioraClock
    var lifetime: TimeInterval = Approvals.defaultLifetime

    var approvals: Approvals { Approvals(store: store, clock: clock, lifetime: lifetime) }

    func register(on router: Router<LioraRequestContext>) {
        router.get("/clientes/{cliente_id}/approvals") { request, context in try await list(request, try CatalogRoutes.tenantID(context)) }
        router.get("/clientes/{cliente_id}/approvals/{approval_id}") { request, context in
            try await get(request, try CatalogRoutes.tenantID(context), try Self.approvalID(context))
        }
        router.post("/clientes/{cliente_id}/approvals/{approval_id}/approve") { request, context in
            try await decide(request, try CatalogRoutes.tenantID(context), try Self.approvalID(context), approve: true)
        }
        router.post("/clientes/{cliente_id}/approvals/{approval_id}/reject") { request, context in
            try await decide(request, try CatalogRoutes.tenantID(context), try Self.approvalID(context), approve: false)
        }
        router.get("/clientes/{cliente_id}/approvals/{approval_id}/export") { request, context in
            try await export(request, try CatalogRoutes.tenantID(context), try Self.approvalID(context))
        }
        router.get("/clientes/{cliente_id}/settings/approvals") { request, context in try await settings(request, try CatalogRoutes.tenantID(context)) }
        router.put("/clientes/{cliente_id}/settings/approvals") { request, context in
            try await updateSettings(request, try CatalogRoutes.tenantID(context))
        }
    }

    static func approvalID(_ context: some RequestContext) throws -> UUID {
        try context.uuidParameter("approval_id")
    }

    func list(_ request: Request, _ id: UUID) async throws -> Response {
        _ = try await gate.authorize(request.headers, .approvalsRead, tenantID: id)
        let q = request.uri.queryParameters
        var status: ApprovalStatus?
        if let raw = q["status"], !raw.isEmpty {
            guard let s = ApprovalStatus(rawValue: String(raw)) else {
                throw APIError(.badRequest, "invalid_status", "status must be pending, approved, rejected, expired or executed")
            }
            status = s
        }
        let limit = min(max(q["limit"].flatMap { Int(String($0)) } ?? 50, 1), 200)
        // A cursor is bound to the tenant and the filter it pages (`tag`): one made for another
        // status or tenant, or by hand, is refused.
        let binding = "approvals\n\(id.uuidString.lowercased())\n\(status?.rawValue ?? "")"
        let tag = { (position: String) in gate.auth.tag(position + "\n" + binding) }
        var before: ConversationLogCursor?
        if let raw = q["cursor"], !raw.isEmpty {
            guard let c = LogsRoutes.decodeCursor(String(raw), tag: tag) else {
                throw APIError(.badRequest, "invalid_cursor", "cursor must be a next_cursor returned by this endpoint for the same status")
            }
            before = c
        }
        let rows = try await approvals.list(tenantID: id, status: status, before: before, limit: limit + 1)
        let page = rows.prefix(limit)
        let next = rows.count > limit ? page.last.map { LogsRoutes.encodeCursor(ConversationLogCursor(createdAt: $0.createdAt, id: $0.id), tag: tag) } : nil
        return try CatalogRoutes.json(status: .ok, ApprovalPage(approvals: page.map { ApprovalOutput($0, lifetime: lifetime) }, nextCursor: next))
    }

    struct ApprovalPage: Encodable {
        var approvals: [ApprovalOutput]
        /// Absent on the last page.
        var nextCursor: String?
    }

    func get(_ request: Request, _ id: UUID, _ approvalID: UUID) async throws -> Response {
        _ = try await gate.authorize(request.headers, .approvalsRead, tenantID: id)
        guard let a = try await approvals.get(id: approvalID, tenantID: id) else {
            throw APIError(.notFound, "approval_not_found", "no such approval request")
        }
        return try CatalogRoutes.json(status: .ok, ApprovalOutput(a, lifetime: lifetime))
    }

    func decide(_ request: Request, _ id: UUID, _ approvalID: UUID, approve: Bool) async throws -> Response {
        let (principal, _) = try await gate.authorize(request.headers, .approvalsDecide, tenantID: id)
        try await AdminRoutes.refuseInput(request)  // takes no input: {"foo": 1} must not pass as a decision's detail
        let a = approve ? try await approvals.approve(id: approvalID, tenantID: id, principal: principal)
                        : try await approvals.reject(id: approvalID, tenantID: id, principal: principal)
        return try CatalogRoutes.json(status: .ok, ApprovalOutput(a, lifetime: lifetime))
    }

    func export(_ request: Request, _ id: UUID, _ approvalID: UUID) async throws -> Response {
        let (principal, _) = try await gate.authorize(request.headers, .logsRead, tenantID: id)
        let a = try await approvals.claimExport(id: approvalID, tenantID: id, principal: principal)
        let filter = try LogsRoutes.filter(params: a.params)
        return LogsRoutes.csvResponse(store: store, tenantID: id, filter: filter)
    }

    struct SettingsBody: Codable {
        var deleteTenant: Bool?
        var deleteWabaAccount: Bool?
        var exportConversations: Bool?

        init(deleteTenant: Bool?, deleteWabaAccount: Bool?, exportConversations: Bool?) {
            self.deleteTenant = deleteTenant; self.deleteWabaAccount = deleteWabaAccount; self.exportConversations = exportConversations
        }

        /// A field left out keeps its setting; one sent as null is refused like any other value
        /// that is not true or false (it would otherwise pass as left out, unnamed).
        init(from decoder: any Decoder) throws {
            let c = try decoder.container(keyedBy: CodingKeys.self)
            func flag(_ key: CodingKeys) throws -> Bool? {
                guard c.contains(key) else { return nil }
                return try c.decode(Bool.self, forKey: key)
            }
            deleteTenant = try flag(.deleteTenant)
            deleteWabaAccount = try flag(.deleteWabaAccount)
            exportConversations = try flag(.exportConversations)
        }
    }

    static func body(_ s: ApprovalSettings) -> SettingsBody {
        SettingsBody(deleteTenant: s.deleteTenant, deleteWabaAccount: s.deleteWabaAccount, exportConversations: s.exportConversations)
    }

    func settings(_ request: Request, _ id: UUID) async throws -> Response {
        _ = try await gate.authorize(request.headers, .approvalsRead, tenantID: id)
        let s = try await store.withTenant(id) { try await $0.approvalSettings() }
        return try CatalogRoutes.json(status: .ok, Self.body(s))
    }

    func updateSettings(_ request: Request, _ id: UUID) async throws -> Response {
        let (principal, _) = try await gate.authorize(request.headers, .approvalSettings, tenantID: id)
        let example = #"{"delete_waba_account": true, "delete_tenant": true, "export_conversations": true}"#
        let input = try await AdminRoutes.decode(SettingsBody.self, request, example: example)
        guard input.deleteTenant != nil || input.deleteWabaAccount != nil || input.exportConversations != nil else {
            throw APIError(.badRequest, "malformed_body", "the body must be JSON like \(example)")
        }
        let now = clock.now
        let updated = try await store.withTenant(id) { s -> ApprovalSettings in
            var settings = try await s.approvalSettings()
            settings.deleteTenant = input.deleteTenant ?? settings.deleteTenant
            settings.deleteWabaAccount = input.deleteWabaAccount ?? settings.deleteWabaAccount
            settings.exportConversations = input.exportConversations ?? settings.exportConversations
            try await s.setApprovalSettings(settings, now: now)
            let payload = ApprovalAction.allCases.reduce(into: [String: Bool]()) { $0[$1.rawValue] = settings.requires($1) }
            let data = (try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])) ?? Data("{}".utf8)
            try await s.record(TenantEvent(tenantID: id, actor: principal.actor, action: "approval.settings_changed",
                                           payloadJSON: String(decoding: data, as: UTF8.self), createdAt: now))
            return settings
        }
        return try CatalogRoutes.json(status: .ok, Self.body(updated))
    }
}
