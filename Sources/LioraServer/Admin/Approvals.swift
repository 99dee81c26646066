package import Foundation
import HTTPTypes
package import Hummingbird
package import LioraCore

/// Four-eyes approvals of destructive actions (`delete_tenant`, `delete_waba_account`,
/// `export_conversations`). A route that does one of them calls `requestOrRun`: when the tenant's
/// settings say the action needs approval, the exact parameters are stored as a pending request
/// (answered 202) and a different authorised user approves or rejects it later; otherwise the
/// action runs at once. Every step is audited in `tenant_events` with its actor.
package struct Approvals: Sendable {
    /// How long a request stays approvable (and how long an approved export stays downloadable).
    package static let defaultLifetime: TimeInterval = 24 * 3600

    let store: any LioraStore
    let clock: any LioraClock
    let lifetime: TimeInterval

    package init(store: any LioraStore, clock: any LioraClock, lifetime: TimeInterval = Approvals.defaultLifetime) {
        self.store = store
        self.clock = clock
        self.lifetime = lifetime
    }

    /// Runs `action` now (`run`), or, when the tenant requires approval for it, records a pending
    /// request with `params` and answers 202 `{"approval_id", "status": "pending", "expires_at", …}`.
    /// The caller has already authorised `principal` to request the action.
    ///
    /// `params` are the exact parameters of the action: `delete_tenant` takes none,
    /// `delete_waba_account` takes `waba_account_id` (the account is put in `pending_deletion`
    /// until the request is decided or expires; 404 `waba_account_not_found` when it is not live),
    /// `export_conversations` takes the log filter (none = everything). A second pending request
    /// for the same deletion is 409 `approval_pending`.
    /// Export requests one person may have waiting at once.
    static let maxPendingExportsPerRequester = 10

    package func requestOrRun(action: ApprovalAction, params: [String: String] = [:], principal: Principal, tenantID: UUID,
                              run: @Sendable () async throws -> Response) async throws -> Response {
        let now = clock.now
        let lifetime = lifetime
        let requested: ApprovalRecord? = try await store.withTenant(tenantID) { s in
            guard try await s.approvalSettings().requires(action) else { return nil }
            try await Self.expireStale(s, now: now)
            let pending = try await s.pendingApprovals(action: action)
            if action != .exportConversations, pending.contains(where: { $0.params == params }) {
                throw APIError(.conflict, "approval_pending", "this action is already waiting for approval")
            }
            // Exports are not deduplicated (each has its own filter), but one person's are capped:
            // thousands of them would bury the requests that matter in the approvers' list.
            // Retry-After says when enough of them will have expired (one decided sooner frees a place sooner).
            let mine = action == .exportConversations ? pending.filter { $0.requestedBy == principal.actor }.map(\.expiresAt).sorted() : []
            if mine.count >= Self.maxPendingExportsPerRequester {
                throw APIError.tooManyRequests("too_many_pending_requests",
                                               "you have \(Self.maxPendingExportsPerRequester) exports waiting for approval; wait until they are decided or expire",
                                               retryAfter: mine[mine.count - Self.maxPendingExportsPerRequester].timeIntervalSince(now))
            }
            if action == .deleteWabaAccount {
                guard let id = params["waba_account_id"].flatMap(UUID.init(uuidString:)),
                      try await s.setWabaAccountPendingDeletion(id: id, true, now: now) else {
                    throw APIError(.notFound, "waba_account_not_found", "no such WhatsApp account")
                }
            }
            let approval = ApprovalRecord(id: UUID.timeOrdered(at: now), tenantID: tenantID, action: action, params: params,
                                          requestedBy: principal.actor, expiresAt: now.addingTimeInterval(lifetime), createdAt: now)
            try await s.addApproval(approval)
            try await s.record(Self.event(approval, "approval.requested", actor: principal.actor, now: now))
            return approval
        }
        guard let requested else { return try await run() }
        struct Pending: Encodable {
            var approvalId: String
            var status: String
            var action: String
            var expiresAt: Date
            var approval: ApprovalOutput
        }
        return try CatalogRoutes.json(status: .accepted, Pending(
            approvalId: requested.id.uuidString.lowercased(), status: requested.status.rawValue, action: requested.action.rawValue,
            expiresAt: requested.expiresAt, approval: ApprovalOutput(requested, lifetime: lifetime)))
    }

    /// Approves and executes a pending request. Deletions run in the same transaction that marks
    /// the request `executed` (so exactly once); an export becomes `approved`, downloadable once by
    /// its requester. 403 `self_approval` for the requester, 403 `forbidden` for a platform admin on
    /// anything but a tenant deletion, 404 `approval_not_found`, 409 `approval_expired` or
    /// `approval_not_pending`.
    package func approve(id: UUID, tenantID: UUID, principal: Principal) async throws -> ApprovalRecord {
        try await decide(id: id, tenantID: tenantID, principal: principal, approve: true)
    }

    /// Rejects a pending request and undoes its pending state (a WABA account becomes `active`).
    package func reject(id: UUID, tenantID: UUID, principal: Principal) async throws -> ApprovalRecord {
        try await decide(id: id, tenantID: tenantID, principal: principal, approve: false)
    }

    private enum Outcome: Sendable {
        case done(ApprovalRecord)
        case failed(APIError)
    }

    private func decide(id: UUID, tenantID: UUID, principal caller: Principal, approve: Bool) async throws -> ApprovalRecord {
        let now = clock.now
        // A platform admin who asked for a tenant's deletion must still be one (read outside the
        // tenant's transaction: it is another table, and SQLite has one writer).
        let requester = try await store.withTenant(tenantID) { try await $0.approval(id: id)?.requestedBy }
        let platformRequesterGone: Bool
        if let requester, let subject = Self.platformAdminID(requester) {
            platformRequesterGone = !(try await store.platformAdminExists(id: subject))
        } else {
            platformRequesterGone = false
        }
        // Refusals are returned, not thrown, so that expiring stale requests still commits.
        let outcome: Outcome = try await store.withTenant(tenantID) { s in
            // The decider as they are now, one change at a time with role changes and deactivations.
            try await s.lockForAdminChange()
            let principal = try await caller.current(.approvalsDecide, in: s)
            try await Self.expireStale(s, now: now)
            guard let a = try await s.approval(id: id) else {
                return .failed(APIError(.notFound, "approval_not_found", "no such approval request"))
            }
            if a.requestedBy == principal.actor {
                return .failed(APIError(.forbidden, "self_approval", "a request must be decided by someone other than its requester"))
            }
            // An account invited after the request cannot decide it: otherwise the requester could
            // invite a second account on the spot and approve with it. (One invited beforehand
            // can: see "Four eyes holds between accounts" in docs/decisions.md.)
            if principal.role != .platformAdmin, let decider = try await s.adminUser(id: principal.subjectID), decider.createdAt > a.createdAt {
                return .failed(APIError(.forbidden, "self_approval",
                                        "an account created after the request cannot decide it; ask someone who was already a member"))
            }
            if principal.role == .platformAdmin, a.action != .deleteTenant {
                return .failed(APIError(.forbidden, "forbidden", "platform admins decide tenant deletions only"))
            }
            // The platform deletes tenants: another platform admin decides; the tenant's owner may
            // consent (so one platform admin alone can close a tenant that agrees) but not veto it,
            // and its other users may not decide it at all.
            if a.action == .deleteTenant, principal.role != .platformAdmin, !(principal.role == .owner && approve) {
                return .failed(APIError(.forbidden, "forbidden",
                                        "a tenant's deletion is decided by another platform admin; the tenant's owner may only approve it"))
            }
            switch a.status {
            case .pending: break
            case .expired: return .failed(APIError(.conflict, "approval_expired", "this request expired; request the action again"))
            default: return .failed(APIError(.conflict, "approval_not_pending", "this request was already \(a.status.rawValue)"))
            }
            // The requester as they are now: a request stands only while its requester may still do
            // the action (not deactivated, not demoted since), or a second person's approval would
            // carry out what nobody allowed may ask for any more.
            let requesterAllowed = try await Self.requesterMayStill(a, in: s)
            if approve, platformRequesterGone || !requesterAllowed {
                _ = try await s.transitionApproval(id: id, from: .pending, to: .expired, decidedBy: nil, now: now)
                try await Self.undoPendingState(a, in: s, now: now)
                try await s.record(Self.event(a, "approval.expired", actor: "system", now: now))
                return .failed(APIError(.conflict, "requester_not_allowed",
                                        "the requester may no longer do this (deactivated or role changed since); the request was withdrawn"))
            }
            let target: ApprovalStatus = !approve ? .rejected : (a.action == .exportConversations ? .approved : .executed)
            guard try await s.transitionApproval(id: id, from: .pending, to: target, decidedBy: principal.actor, now: now) else {
                return .failed(APIError(.conflict, "approval_not_pending", "this request was already decided"))
            }
            if approve {
                try await Self.execute(a, in: s, now: now)
            } else {
                try await Self.undoPendingState(a, in: s, now: now)
            }
            try await s.record(Self.event(a, approve ? "approval.approved" : "approval.rejected", actor: principal.actor, now: now))
            guard let updated = try await s.approval(id: id) else { throw LioraError(.storage, "approval vanished") }
            return .done(updated)
        }
        switch outcome {
        case .done(let a): return a
        case .failed(let e): throw e
        }
    }

    /// Spends an approved export: only its requester, once, within the lifetime after approval.
    /// Returns the approval (its params are the export's filter). 403 `not_requester`,
    /// 404 `approval_not_found`, 409 `approval_not_approved`, 410 `export_already_downloaded` or `export_expired`.
    package func claimExport(id: UUID, tenantID: UUID, principal: Principal) async throws -> ApprovalRecord {
        let now = clock.now
        let lifetime = lifetime
        let outcome: Outcome = try await store.withTenant(tenantID) { s in
            guard let a = try await s.approval(id: id), a.action == .exportConversations else {
                return .failed(APIError(.notFound, "approval_not_found", "no such export request"))
            }
            guard a.requestedBy == principal.actor else {
                return .failed(APIError(.forbidden, "not_requester", "only the user who requested the export may download it"))
            }
            switch a.status {
            case .approved: break
            case .executed: return .failed(APIError(.gone, "export_already_downloaded", "this export was already downloaded"))
            default: return .failed(APIError(.conflict, "approval_not_approved", "this export is \(a.status.rawValue), not approved"))
            }
            if let decided = a.decidedAt, decided.addingTimeInterval(lifetime) <= now {
                return .failed(APIError(.gone, "export_expired", "the download window of this export has passed"))
            }
            guard try await s.transitionApproval(id: id, from: .approved, to: .executed, decidedBy: nil, now: now) else {
                return .failed(APIError(.gone, "export_already_downloaded", "this export was already downloaded"))
            }
            try await s.record(Self.event(a, "approval.executed", actor: principal.actor, now: now))
            return .done(a)
        }
        switch outcome {
        case .done(let a): return a
        case .failed(let e): throw e
        }
    }

    /// The tenant's requests, newest first (stale pending ones are expired first).
    package func list(tenantID: UUID, status: ApprovalStatus?, before: ConversationLogCursor? = nil, limit: Int) async throws -> [ApprovalRecord] {
        let now = clock.now
        return try await store.withTenant(tenantID) { s in
            try await Self.expireStale(s, now: now)
            return try await s.approvals(status: status, before: before, limit: limit)
        }
    }

    /// One request (a stale pending one is expired first).
    package func get(id: UUID, tenantID: UUID) async throws -> ApprovalRecord? {
        let now = clock.now
        return try await store.withTenant(tenantID) { s in
            try await Self.expireStale(s, now: now)
            return try await s.approval(id: id)
        }
    }

    // MARK: Inside a tenant transaction

    /// Marks requests whose time ran out `expired`, undoes their pending state, audits it.
    static func expireStale(_ s: any TenantSession, now: Date) async throws {
        for a in try await s.expireApprovals(now: now) {
            try await undoPendingState(a, in: s, now: now)
            try await s.record(event(a, "approval.expired", actor: "system", now: now))
        }
    }

    static func execute(_ a: ApprovalRecord, in s: any TenantSession, now: Date) async throws {
        switch a.action {
        case .deleteTenant:
            try await s.deleteTenant(actor: a.requestedBy, now: now)
        case .deleteWabaAccount:
            guard let id = a.params["waba_account_id"].flatMap(UUID.init(uuidString:)),
                  try await s.deleteWabaAccount(id: id, actor: a.requestedBy, now: now) else {
                throw APIError(.notFound, "waba_account_not_found", "the WhatsApp account no longer exists")
            }
        case .exportConversations:
            break  // runs when the requester downloads it
        }
    }

    /// The platform admin id of an `actor` string (`platform_admin:<uuid>`), if it names one.
    static func platformAdminID(_ actor: String) -> UUID? {
        actor.hasPrefix("platform_admin:") ? UUID(uuidString: String(actor.dropFirst("platform_admin:".count))) : nil
    }

    /// Whether a tenant user who requested `a` is still active with a role allowed to request it
    /// (platform admins are checked by the caller).
    static func requesterMayStill(_ a: ApprovalRecord, in s: any TenantSession) async throws -> Bool {
        guard a.requestedBy.hasPrefix("usuario:") else { return true }
        guard let id = UUID(uuidString: String(a.requestedBy.dropFirst("usuario:".count))),
              let user = try await s.adminUser(id: id), user.status == .active else { return false }
        let needed: Permission = switch a.action {
        case .deleteWabaAccount: .wabaManage
        case .exportConversations: .logsRead
        case .deleteTenant: .tenantsManage
        }
        return needed.allows(user.role)
    }

    static func undoPendingState(_ a: ApprovalRecord, in s: any TenantSession, now: Date) async throws {
        if a.action == .deleteWabaAccount, let id = a.params["waba_account_id"].flatMap(UUID.init(uuidString:)) {
            _ = try await s.setWabaAccountPendingDeletion(id: id, false, now: now)
        }
    }

    static func event(_ a: ApprovalRecord, _ action: String, actor: String, now: Date) -> TenantEvent {
        var payload: [String: Any] = ["approval_id": a.id.uuidString.lowercased(), "action": a.action.rawValue,
                                      "requested_by": a.requestedBy]
        var params = a.params
        if params["wa_id"] != nil { params["wa_id"] = "one_user" }  // the audit trail is kept forever: no end user's number
        if !params.isEmpty { payload["params"] = params }
        let data = (try? JSONSerialization.data(withJSONObject: payload, options: [.sortedKeys])) ?? Data("{}".utf8)
        return TenantEvent(tenantID: a.tenantID, actor: actor, action: action, payloadJSON: String(decoding: data, as: UTF8.self),
                           createdAt: now)
    }
}

/// An approval request as the admin API shows it (snake_case JSON).
struct ApprovalOutput: Encodable {
    var id: String
    var action: String
    var params: [String: String]
    var requestedBy: String
    var status: String
    var decidedBy: String?
    var decidedAt: Date?
    var executedAt: Date?
    var expiresAt: Date
    var createdAt: Date
    /// For an approved export: where its requester downloads it (once).
    var downloadPath: String?
    var downloadExpiresAt: Date?

    init(_ a: ApprovalRecord, lifetime: TimeInterval = Approvals.defaultLifetime) {
        id = a.id.uuidString.lowercased(); action = a.action.rawValue; params = a.params; requestedBy = a.requestedBy
        status = a.status.rawValue; decidedBy = a.decidedBy; decidedAt = a.decidedAt; executedAt = a.executedAt
        expiresAt = a.expiresAt; createdAt = a.createdAt
        if a.action == .exportConversations, a.status == .approved {
            downloadPath = "/clientes/\(a.tenantID.uuidString.lowercased())/approvals/\(id)/export"
            downloadExpiresAt = a.decidedAt?.addingTimeInterval(lifetime)
        }
    }
}
