import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOCore
import Testing

/// A tenant with an owner, an admin and an agent, and a platform admin.
struct ApprovalTeam {
    let c: AdminClient
    let platform: String
    let tenant: String
    let owner: String
    let admin: String
    let agent: String

    var tenantID: UUID { UUID(uuidString: tenant)! }

    static func make(_ h: Harness, slug: String) async throws -> ApprovalTeam {
        let c = AdminClient(h: h)
        let platform = try await c.platformAdmin()
        let (tenant, owner) = try await c.tenant(platform, slug: slug, owner: "owner@\(slug).test")
        var tokens: [String] = []
        for role in ["admin", "agent"] {
            let invite = try await c.invite(owner, tenant: tenant, email: "\(role)@\(slug).test", role: role)
            #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": invite, "password": "Maguey-Rojo-7730"]).status == .ok)
            tokens.append(try await c.login("\(role)@\(slug).test", "Maguey-Rojo-7730"))
        }
        return ApprovalTeam(c: c, platform: platform, tenant: tenant, owner: owner, admin: tokens[0], agent: tokens[1])
    }

    /// Fresh tokens (after the clock moved past their lifetime).
    func relogin(slug: String) async throws -> ApprovalTeam {
        ApprovalTeam(c: c, platform: try await c.login("ops@liora.test", "Platform-admin-2026!"), tenant: tenant,
                     owner: try await c.login("owner@\(slug).test", "Colibri-Azul-2026!"),
                     admin: try await c.login("admin@\(slug).test", "Maguey-Rojo-7730"),
                     agent: try await c.login("agent@\(slug).test", "Maguey-Rojo-7730"))
    }

    func events(_ h: Harness) async throws -> [TenantEvent] {
        try await h.store.withTenant(tenantID) { try await $0.tenantEvents(limit: 1000) }
    }
}

@Suite("Admin API: four-eyes approvals")
struct ApprovalTests {
    /// A WhatsApp account of the team's tenant, added directly in the store.
    static func addAccount(_ h: Harness, _ t: ApprovalTeam, wabaID: String, phone: String, display: String) async throws -> WabaAccount {
        try await h.store.withTenant(t.tenantID) {
            try await $0.addWabaAccount(NewWabaAccount(wabaID: wabaID, phoneNumberID: phone, displayPhoneNumber: display), actor: "test", now: t0)
        }
    }

    @Test("deleting a tenant waits for another platform admin; the tenant cannot veto it, and only its owner may consent",
          arguments: TestBackend.available)
    func deleteTenant(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let t = try await ApprovalTeam.make(h, slug: "borrar")
            let c = t.c
            let r = try await c.call(.delete, "/clientes/\(t.tenant)", token: t.platform)
            #expect(r.status == .accepted, "\(r.text)")
            let body = AdminClient.object(r)
            let approvalID = try #require(body["approval_id"] as? String)
            #expect(body["status"] as? String == "pending")
            #expect(body["expires_at"] as? String != nil)
            // Still active, and not `deleting`.
            let tenant = AdminClient.object(try await c.call(.get, "/clientes/\(t.tenant)", token: t.owner))
            #expect(tenant["status"] as? String == "active")
            // The same deletion cannot be queued twice.
            #expect(try await c.call(.delete, "/clientes/\(t.tenant)", token: t.platform).errorCode == "approval_pending")
            // The requester cannot approve or reject it; an agent cannot approve.
            let base = "/clientes/\(t.tenant)/approvals/\(approvalID)"
            let selfApproval = try await c.call(.post, "\(base)/approve", token: t.platform)
            #expect(selfApproval.status == .forbidden)
            #expect(selfApproval.errorCode == "self_approval")
            #expect(try await c.call(.post, "\(base)/reject", token: t.platform).errorCode == "self_approval")
            let byAgent = try await c.call(.post, "\(base)/approve", token: t.agent)
            #expect(byAgent.status == .forbidden && byAgent.errorCode == "forbidden")
            // Listed as pending.
            let list = AdminClient.object(try await c.call(.get, "/clientes/\(t.tenant)/approvals?status=pending", token: t.admin))
            #expect((list["approvals"] as? [[String: Any]])?.map { $0["id"] as? String } == [approvalID])
            // The tenant cannot veto its deletion, and an admin cannot approve one their role
            // could never ask for.
            for (token, verb) in [(t.owner, "reject"), (t.admin, "reject"), (t.admin, "approve")] {
                let r = try await c.call(.post, "\(base)/\(verb)", token: token)
                #expect(r.status == .forbidden && r.errorCode == "forbidden", "\(verb): \(r.text)")
            }
            // Another platform admin approves: it runs.
            try await h.store.createPlatformAdmin(id: UUID(), email: "ops2@liora.test", name: "Ops 2",
                                                  passwordHash: Bcrypt4.hash("Platform-admin-2026!"), now: t0)
            let ops2 = try await c.login("ops2@liora.test", "Platform-admin-2026!")
            let approved = try await c.call(.post, "\(base)/approve", token: ops2)
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(AdminClient.object(approved)["status"] as? String == "executed")
            #expect(try await c.call(.get, "/clientes/\(t.tenant)", token: t.platform).status == .notFound)
            let events = try await t.events(h)
            let requested = try #require(events.first { $0.action == "approval.requested" })
            #expect(requested.actor.hasPrefix("platform_admin:"))
            #expect(events.contains { $0.action == "approval.approved" && $0.actor.hasPrefix("platform_admin:") && $0.actor != requested.actor })
            #expect(events.filter { $0.action == "tenant.deleted" }.count == 1)
            // It cannot be approved again: the tenant is gone.
            #expect(try await c.call(.post, "\(base)/approve", token: ops2).status == .notFound)
        }
    }

    @Test("with one platform admin, a tenant whose owner consents is deleted", arguments: TestBackend.available)
    func ownerConsents(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let t = try await ApprovalTeam.make(h, slug: "consiente")
            let requested = AdminClient.object(try await t.c.call(.delete, "/clientes/\(t.tenant)", token: t.platform))
            let id = try #require(requested["approval_id"] as? String)
            let approved = try await t.c.call(.post, "/clientes/\(t.tenant)/approvals/\(id)/approve", token: t.owner)
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(AdminClient.object(approved)["status"] as? String == "executed")
            #expect(try await t.c.call(.get, "/clientes/\(t.tenant)", token: t.platform).status == .notFound)
        }
    }

    @Test("a platform admin may approve another's tenant deletion but nothing else", arguments: TestBackend.available)
    func platformAdminApproves(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let t = try await ApprovalTeam.make(h, slug: "plataforma")
            let c = t.c
            try await h.store.createPlatformAdmin(id: UUID(), email: "ops2@liora.test", name: "Ops 2",
                                                  passwordHash: Bcrypt4.hash("Platform-admin-2026!"), now: t0)
            let ops2 = try await c.login("ops2@liora.test", "Platform-admin-2026!")
            let export = AdminClient.object(try await c.call(.get, "/clientes/\(t.tenant)/logs", token: t.agent, headers: ["Accept": "text/csv"]))
            let exportID = try #require(export["approval_id"] as? String)
            #expect(try await c.call(.post, "/clientes/\(t.tenant)/approvals/\(exportID)/approve", token: ops2).errorCode == "forbidden")
            let delete = AdminClient.object(try await c.call(.delete, "/clientes/\(t.tenant)", token: t.platform))
            let deleteID = try #require(delete["approval_id"] as? String)
            #expect(try await c.call(.post, "/clientes/\(t.tenant)/approvals/\(deleteID)/approve", token: ops2).status == .ok)
            #expect(try await c.call(.get, "/clientes/\(t.tenant)", token: t.platform).status == .notFound)
        }
    }

    @Test("an export of everyone's messages needs approval whatever its filter; one user or 31 days does not",
          arguments: TestBackend.available)
    func bulkExportFilters(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let t = try await ApprovalTeam.make(h, slug: "masivo")
            let c = t.c
            let entries = try await LogsFixture.seed(h.store, tenant: t.tenantID, count: 60)
            func export(_ query: String) async throws -> TestResponse {
                try await c.call(.get, "/clientes/\(t.tenant)/logs?\(query)", token: t.agent, headers: ["Accept": "text/csv"])
            }
            let epoch = "from=1970-01-01T00:00:00Z"
            let long = "from=\(LogsRoutesTime.iso(t0))&to=\(LogsRoutesTime.iso(t0.addingTimeInterval(32 * 86_400)))"
            for query in [epoch, "direction=inbound", "intent=catalog.search", long] {
                #expect(try await export(query).status == .accepted, "\(query)")
            }
            #expect(try await export("wa_id=\(LogsFixture.users[0])").status == .ok)
            #expect(try await export("from=\(LogsRoutesTime.iso(t0))&to=\(LogsRoutesTime.iso(t0.addingTimeInterval(31 * 86_400)))").status == .ok)
            // Approved, the download is the export that was asked for: its filter, not everything.
            let pending = try await export("direction=inbound")
            let id = try #require(AdminClient.object(pending)["approval_id"] as? String)
            #expect(try await c.call(.post, "/clientes/\(t.tenant)/approvals/\(id)/approve", token: t.owner).status == .ok)
            let download = try await c.call(.get, "/clientes/\(t.tenant)/approvals/\(id)/export", token: t.agent)
            #expect(download.status == .ok)
            let inbound = entries.filter { $0.direction == .inbound }.count
            #expect(inbound > 0 && inbound < entries.count)
            #expect(LogsFixture.parseCSV(download.text).count == inbound + 1)
        }
    }

    @Test("one person's pending exports are capped, with Retry-After saying when the oldest expires; they never hide a pending deletion from the duplicate check",
          arguments: TestBackend.available)
    func pendingExportsCapped(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock, jwtSecret: jwtSecret) { h in
            let t = try await ApprovalTeam.make(h, slug: "muchas")
            let c = t.c
            // A platform admin asks for the tenant's deletion: it waits for a second person.
            #expect(try await c.call(.delete, "/clientes/\(t.tenant)", token: t.platform).status == .accepted)
            for i in 0..<10 {
                let r = try await c.call(.get, "/clientes/\(t.tenant)/logs", token: t.agent, headers: ["Accept": "text/csv"])
                #expect(r.status == .accepted, "export \(i): \(r.text)")
                if i == 0 { clock.advance(by: 600) }
            }
            // The oldest (asked for at t0) expires after 24 hours, 600 s of which have passed.
            let eleventh = try await c.call(.get, "/clientes/\(t.tenant)/logs", token: t.agent, headers: ["Accept": "text/csv"])
            #expect(eleventh.status == .tooManyRequests && eleventh.errorCode == "too_many_pending_requests", "\(eleventh.text)")
            #expect(eleventh.headers[.retryAfter] == "85800")
            // Someone else may still ask; and the deletion is still found waiting.
            #expect(try await c.call(.get, "/clientes/\(t.tenant)/logs", token: t.admin, headers: ["Accept": "text/csv"]).status == .accepted)
            #expect(try await c.call(.delete, "/clientes/\(t.tenant)", token: t.platform).errorCode == "approval_pending")
            // One second early the retry is still refused; on time it is accepted.
            clock.advance(by: 85_799)
            let early = try await t.relogin(slug: "muchas")
            #expect(try await c.call(.get, "/clientes/\(t.tenant)/logs", token: early.agent, headers: ["Accept": "text/csv"])
                .headers[.retryAfter] == "1")
            clock.advance(by: 1)
            #expect(try await c.call(.get, "/clientes/\(t.tenant)/logs", token: early.agent, headers: ["Accept": "text/csv"]).status == .accepted)
        }
    }

    @Test("an approved export downloads once, by its requester; approval executes exactly once", arguments: TestBackend.available)
    func exportOnce(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let t = try await ApprovalTeam.make(h, slug: "exportar")
            let c = t.c
            try await LogsFixture.seed(h.store, tenant: t.tenantID, count: 60)
            // An unfiltered CSV export is `export_conversations`: it waits.
            let r = try await c.call(.get, "/clientes/\(t.tenant)/logs", token: t.agent, headers: ["Accept": "text/csv"])
            #expect(r.status == .accepted, "\(r.text)")
            let id = try #require(AdminClient.object(r)["approval_id"] as? String)
            let base = "/clientes/\(t.tenant)/approvals/\(id)"
            #expect(try await c.call(.get, "\(base)/export", token: t.agent).errorCode == "approval_not_approved")
            // Owner and admin approve at the same time: exactly one wins.
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for token in [t.owner, t.admin] {
                    group.addTask { try await c.call(.post, "\(base)/approve", token: token).status }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .ok }.count == 1)
            #expect(statuses.filter { $0 == .conflict }.count == 1)
            let approval = AdminClient.object(try await c.call(.get, base, token: t.agent))
            #expect(approval["status"] as? String == "approved")
            let path = try #require(approval["download_path"] as? String)
            #expect(path == "\(base)/export")
            #expect(try await c.call(.post, "\(base)/approve", token: t.owner).errorCode == "approval_not_pending")
            // Only the requester downloads it, once.
            #expect(try await c.call(.get, path, token: t.owner).errorCode == "not_requester")
            let download = try await c.call(.get, path, token: t.agent)
            #expect(download.status == .ok)
            #expect(download.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(LogsFixture.parseCSV(download.text).count == 61)
            let again = try await c.call(.get, path, token: t.agent)
            #expect(again.status == .gone && again.errorCode == "export_already_downloaded")
            let events = try await t.events(h)
            #expect(events.filter { $0.action == "approval.approved" }.count == 1)
            #expect(events.contains { $0.action == "approval.requested" && $0.actor.hasPrefix("usuario:") })
        }
    }

    @Test("rejection leaves everything as it was (a WABA account goes back to active)", arguments: TestBackend.available)
    func rejectWaba(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock, jwtSecret: jwtSecret) { h in
            let t = try await ApprovalTeam.make(h, slug: "rechazo")
            let c = t.c
            let account = try await Self.addAccount(h, t, wabaID: "200000000000009", phone: "100000000000777", display: "15550009999")
            let auth = AdminAuth(secret: Secret(jwtSecret), store: h.store, clock: clock)
            let ownerPrincipal = try await auth.principal(authorization: "Bearer \(t.owner)")
            let approvals = Approvals(store: h.store, clock: clock)
            let params = ["waba_account_id": account.id.uuidString.lowercased()]
            let ran = Counter()
            let response = try await approvals.requestOrRun(action: .deleteWabaAccount, params: params, principal: ownerPrincipal,
                                                            tenantID: t.tenantID) { await ran.bump(); return Response(status: .noContent) }
            #expect(response.status == .accepted)
            #expect(await ran.value == 0)
            #expect(try await Self.wabaStatus(h, t.tenantID, account.id) == "pending_deletion")
            let pending = try await approvals.list(tenantID: t.tenantID, status: .pending, limit: 10)
            let id = try #require(pending.first?.id)
            #expect(pending.first?.params == params)
            // An unknown account is refused and nothing is recorded.
            await #expect(throws: APIError.self) {
                _ = try await approvals.requestOrRun(action: .deleteWabaAccount, params: ["waba_account_id": UUID().uuidString],
                                                     principal: ownerPrincipal, tenantID: t.tenantID) { Response(status: .noContent) }
            }
            // The admin rejects: the account is active again and still there.
            let rejected = try await c.call(.post, "/clientes/\(t.tenant)/approvals/\(id.uuidString.lowercased())/reject", token: t.admin)
            #expect(rejected.status == .ok)
            #expect(AdminClient.object(rejected)["status"] as? String == "rejected")
            #expect(try await Self.wabaStatus(h, t.tenantID, account.id) == "active")
            #expect(try await h.store.withTenant(t.tenantID) { try await $0.wabaAccounts() }.map(\.id) == [account.id])
            #expect(try await c.call(.post, "/clientes/\(t.tenant)/approvals/\(id.uuidString.lowercased())/approve", token: t.admin)
                .errorCode == "approval_not_pending")
            let events = try await t.events(h)
            #expect(events.contains { $0.action == "approval.rejected" && $0.actor.hasPrefix("usuario:") })
            #expect(!events.contains { $0.action == "waba.deleted" })
            // Asked again and approved: the account is deleted.
            let second = try await approvals.requestOrRun(action: .deleteWabaAccount, params: params, principal: ownerPrincipal,
                                                          tenantID: t.tenantID) { Response(status: .noContent) }
            #expect(second.status == .accepted)
            let secondID = try #require(try await approvals.list(tenantID: t.tenantID, status: .pending, limit: 10).first?.id)
            let approved = try await c.call(.post, "/clientes/\(t.tenant)/approvals/\(secondID.uuidString.lowercased())/approve", token: t.admin)
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(try await h.store.withTenant(t.tenantID) { try await $0.wabaAccounts() }.isEmpty)
            #expect(try await Self.wabaStatus(h, t.tenantID, account.id) == "deleted")
        }
    }

    @Test("an account invited after a request cannot approve it (a requester cannot make a second account on the spot)",
          arguments: TestBackend.available)
    func lateAccountsCannotDecide(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock, jwtSecret: jwtSecret) { h in
            let t = try await ApprovalTeam.make(h, slug: "tardio")
            let account = try await Self.addAccount(h, t, wabaID: "200000000000011", phone: "100000000000779", display: "15550009997")
            clock.advance(by: 60)
            let requested = try await t.c.call(.delete, "/clientes/\(t.tenant)/waba/\(account.id.uuidString.lowercased())", token: t.admin)
            #expect(requested.status == .accepted, "\(requested.text)")
            let id = try #require(AdminClient.object(requested)["approval_id"] as? String)
            // The requester invites a second admin right away and approves with it.
            clock.advance(by: 60)
            let invite = try await t.c.invite(t.admin, tenant: t.tenant, email: "second@tardio.test", role: "admin")
            #expect(try await t.c.call(.post, "/auth/accept-invite", json: ["invitation_token": invite, "password": "Maguey-Rojo-7730"]).status == .ok)
            let puppet = try await t.c.login("second@tardio.test", "Maguey-Rojo-7730")
            let refused = try await t.c.call(.post, "/clientes/\(t.tenant)/approvals/\(id)/approve", token: puppet)
            #expect(refused.status == .forbidden && refused.errorCode == "self_approval", "\(refused.text)")
            #expect(try await Self.wabaStatus(h, t.tenantID, account.id) == "pending_deletion")
            // The owner, a member before the request, may approve it.
            #expect(try await t.c.call(.post, "/clientes/\(t.tenant)/approvals/\(id)/approve", token: t.owner).status == .ok)
            #expect(try await Self.wabaStatus(h, t.tenantID, account.id) == "deleted")
        }
    }

    @Test("a request whose requester was demoted or deactivated since cannot be approved: it is withdrawn and undone",
          arguments: TestBackend.available)
    func requesterChanged(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock, jwtSecret: jwtSecret) { h in
            let t = try await ApprovalTeam.make(h, slug: "degradado")
            let account = try await Self.addAccount(h, t, wabaID: "200000000000010", phone: "100000000000778", display: "15550009998")
            let auth = AdminAuth(secret: Secret(jwtSecret), store: h.store, clock: clock)
            let admin = try await auth.principal(authorization: "Bearer \(t.admin)")
            let approvals = Approvals(store: h.store, clock: clock)
            let requested = try await approvals.requestOrRun(action: .deleteWabaAccount, params: ["waba_account_id": account.id.uuidString.lowercased()],
                                                             principal: admin, tenantID: t.tenantID) { Response(status: .noContent) }
            #expect(requested.status == .accepted)
            let id = try #require(try await approvals.list(tenantID: t.tenantID, status: .pending, limit: 10).first?.id).uuidString.lowercased()
            // The owner demotes the requester to agent (who may not manage WhatsApp accounts)…
            let demoted = try await t.c.call(.patch, "/clientes/\(t.tenant)/usuarios/\(admin.subjectID.uuidString.lowercased())", token: t.owner,
                                             json: ["role": "agent"])
            #expect(demoted.status == .ok, "\(demoted.text)")
            // …so approving the request would delete the account on behalf of someone not allowed to ask.
            let approved = try await t.c.call(.post, "/clientes/\(t.tenant)/approvals/\(id)/approve", token: t.owner)
            #expect(approved.status == .conflict && approved.errorCode == "requester_not_allowed", "\(approved.text)")
            #expect(try await Self.wabaStatus(h, t.tenantID, account.id) == "active")
            #expect(try await approvals.list(tenantID: t.tenantID, status: .expired, limit: 10).map { $0.id.uuidString.lowercased() } == [id])
            #expect(try await t.events(h).contains { $0.action == "approval.expired" })
        }
    }

    @Test("requests expire after 24 hours and cannot be approved then", arguments: TestBackend.available)
    func expiry(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock, jwtSecret: jwtSecret) { h in
            var t = try await ApprovalTeam.make(h, slug: "caduca")
            let r = try await t.c.call(.get, "/clientes/\(t.tenant)/logs", token: t.owner, headers: ["Accept": "text/csv"])
            #expect(r.status == .accepted)
            let id = try #require(AdminClient.object(r)["approval_id"] as? String)
            clock.advance(by: 24 * 3600 + 1)
            t = try await t.relogin(slug: "caduca")
            let late = try await t.c.call(.post, "/clientes/\(t.tenant)/approvals/\(id)/approve", token: t.admin)
            #expect(late.status == .conflict)
            #expect(late.errorCode == "approval_expired")
            let listed = try await t.c.call(.get, "/clientes/\(t.tenant)/approvals", token: t.owner)
            #expect(listed.status == .ok, "\(listed.text)")
            let list = AdminClient.object(listed)
            #expect((list["approvals"] as? [[String: Any]])?.first?["status"] as? String == "expired")
            #expect(try await t.events(h).contains { $0.action == "approval.expired" })
            #expect(try await t.c.call(.get, "/clientes/\(t.tenant)/approvals/\(id)/export", token: t.owner).errorCode == "approval_not_approved")
        }
    }

    @Test("the approvals list pages past 200 with a cursor bound to its tenant and status, newest first, none twice", arguments: TestBackend.available)
    func listPages(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let t = try await ApprovalTeam.make(h, slug: "paginas")
            let (otherTenant, otherOwner) = try await t.c.tenant(t.platform, slug: "paginas-otro", owner: "owner@paginas-otro.test")
            let other = ApprovalTeam(c: t.c, platform: t.platform, tenant: otherTenant, owner: otherOwner, admin: otherOwner, agent: otherOwner)
            // 230 executed exports, some sharing a time (the id breaks the tie), and 3 pending.
            var ids: [(Date, UUID, ApprovalStatus)] = []
            try await h.store.withTenant(t.tenantID) { s in
                for i in 0..<233 {
                    let at = t0.addingTimeInterval(Double(i / 2))
                    let a = ApprovalRecord(id: UUID(), tenantID: t.tenantID, action: .exportConversations, params: [:], requestedBy: "usuario:x",
                                           status: i < 230 ? .executed : .pending, expiresAt: t0.addingTimeInterval(30 * 24 * 3600), createdAt: at)
                    try await s.addApproval(a)
                    ids.append((at, a.id, a.status))
                }
            }
            let newestFirst = ids.sorted { $0.0 != $1.0 ? $0.0 > $1.0 : $0.1.uuidString.lowercased() > $1.1.uuidString.lowercased() }
            func page(_ query: String, team: ApprovalTeam? = nil) async throws -> (ids: [String], next: String?, status: HTTPResponse.Status, code: String?) {
                let team = team ?? t
                let r = try await team.c.call(.get, "/clientes/\(team.tenant)/approvals?\(query)", token: team.owner)
                let o = AdminClient.object(r)
                return (((o["approvals"] as? [[String: Any]]) ?? []).compactMap { $0["id"] as? String }, o["next_cursor"] as? String, r.status, r.errorCode)
            }
            var seen: [String] = []
            var query = "limit=200"
            var pages = 0
            while true {
                let p = try await page(query)
                #expect(p.status == .ok)
                seen += p.ids
                pages += 1
                guard let next = p.next, pages < 5 else { break }
                query = "limit=200&cursor=\(next)"
            }
            #expect(pages == 2)
            #expect(seen == newestFirst.map { $0.1.uuidString.lowercased() })
            // With a status, only those; the last page has no cursor.
            let executed = try await page("status=executed&limit=100")
            #expect(executed.ids.count == 100)
            let cursor = try #require(executed.next)
            let rest = try await page("status=executed&limit=200&cursor=\(cursor)")
            #expect(rest.ids.count == 130 && rest.next == nil)
            #expect(Set(executed.ids + rest.ids).count == 230)
            // A cursor made for another status, another tenant, or by hand: 400, nothing listed.
            for (query, team) in [("status=pending&cursor=\(cursor)", t), ("cursor=\(cursor)", t), ("status=executed&cursor=\(cursor)", other),
                                  ("cursor=bm90LWEtY3Vyc29y", t)] {
                let refused = try await page(query, team: team)
                #expect(refused.status == .badRequest && refused.code == "invalid_cursor" && refused.ids.isEmpty, "\(query)")
            }
        }
    }

    @Test("with approvals switched off (owners only) the actions run at once", arguments: TestBackend.available)
    func settingsOff(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let t = try await ApprovalTeam.make(h, slug: "directo")
            let c = t.c
            try await LogsFixture.seed(h.store, tenant: t.tenantID, count: 10)
            let defaults = AdminClient.object(try await c.call(.get, "/clientes/\(t.tenant)/settings/approvals", token: t.admin))
            #expect(defaults["delete_tenant"] as? Bool == true && defaults["delete_waba_account"] as? Bool == true
                    && defaults["export_conversations"] as? Bool == true)
            let off: [String: Any] = ["delete_tenant": false, "export_conversations": false]
            #expect(try await c.call(.put, "/clientes/\(t.tenant)/settings/approvals", token: t.admin, json: off).status == .forbidden)
            #expect(try await c.call(.put, "/clientes/\(t.tenant)/settings/approvals", token: t.agent, json: off).status == .forbidden)
            #expect(try await c.call(.put, "/clientes/\(t.tenant)/settings/approvals", token: t.platform, json: off).status == .forbidden)
            #expect(try await c.call(.put, "/clientes/\(t.tenant)/settings/approvals", token: t.owner, json: ["x": 1]).status == .badRequest)
            let put = try await c.call(.put, "/clientes/\(t.tenant)/settings/approvals", token: t.owner, json: off)
            #expect(put.status == .ok)
            #expect(AdminClient.object(put)["delete_waba_account"] as? Bool == true)
            #expect(AdminClient.object(put)["delete_tenant"] as? Bool == false)
            let export = try await c.call(.get, "/clientes/\(t.tenant)/logs", token: t.agent, headers: ["Accept": "text/csv"])
            #expect(export.status == .ok)
            #expect(LogsFixture.parseCSV(export.text).count == 11)
            #expect(try await c.call(.delete, "/clientes/\(t.tenant)", token: t.platform).status == .noContent)
            #expect(try await c.call(.get, "/clientes/\(t.tenant)", token: t.platform).status == .notFound)
            let events = try await t.events(h)
            #expect(events.contains { $0.action == "approval.settings_changed" && $0.actor.hasPrefix("usuario:") })
            #expect(!events.contains { $0.action.hasPrefix("approval.requested") })
        }
    }

    static func wabaStatus(_ h: Harness, _ tenant: UUID, _ id: UUID) async throws -> String? {
        try await h.test.database.tenantTransaction(tenant) { c in
            try await c.query("SELECT status FROM waba_accounts WHERE cliente_id = $1 AND id = $2", [.uuid(tenant), .uuid(id)]).first?.string("status")
        }
    }
}

actor Counter {
    private(set) var value = 0
    func bump() { value += 1 }
}
