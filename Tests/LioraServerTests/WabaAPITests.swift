import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOConcurrencyHelpers
import NIOCore
import Testing
import WhatsApp
import WhatsAppGraph

/// A Graph API whose `phoneNumber` knows which tokens are good (nil: every token) — a token can
/// stop being good later (`revoke`, as when it expires); sends and read receipts go to a
/// `FakeGraphAPI`.
final class PhoneCheckingGraph: GraphAPIClient {
    let fake = FakeGraphAPI()
    private let good: NIOLockedValueBox<Set<String>?>
    init(goodTokens: Set<String>?) { good = NIOLockedValueBox(goodTokens) }
    convenience init(goodToken: String) { self.init(goodTokens: [goodToken]) }
    func revoke(_ token: String) { good.withLockedValue { _ = $0?.remove(token) } }
    /// While set, every phone-number lookup fails with it (Meta down or slow).
    let outage = NIOLockedValueBox<GraphAPIError?>(nil)

    func send(_ message: OutboundMessage, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
        try await fake.send(message, phoneNumberID: phoneNumberID, accessToken: accessToken)
    }

    func markRead(_ m: MarkRead, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
        try await fake.markRead(m, phoneNumberID: phoneNumberID, accessToken: accessToken)
    }

    func phoneNumber(phoneNumberID: String, accessToken: String) async throws -> PhoneNumberInfo {
        if let error = outage.withLockedValue({ $0 }) { throw error }
        guard good.withLockedValue({ $0?.contains(accessToken) ?? true }) else {
            throw GraphAPIError.rejected(status: 401, code: 190, subcode: nil, message: "bad token")
        }
        return PhoneNumberInfo(id: phoneNumberID, displayPhoneNumber: "+1 555-000-2222", verifiedName: "Tienda Uno")
    }
}

private let token1 = "EAAGtoken-canary-first-0001"
private let token2 = "EAAGtoken-canary-second-0002"
private let appSecretA = "own-app-secret-canary-aaaa"
private let verifyTokenA = "own-verify-canary-vvvv"

private func wabaBody(_ phone: String, token: String = token1, extra: [String: Any] = [:]) -> [String: Any] {
    var body: [String: Any] = ["waba_id": "200000000000009", "phone_number_id": phone, "display_phone_number": "+1 555-000-2222",
                               "access_token": token]
    for (k, v) in extra { body[k] = v }
    return body
}

private func randomPhone() -> String { String(UInt64.random(in: 100_000_000_000_000...999_999_999_999_999)) }

@Suite("Admin API: WhatsApp Business accounts")
struct WabaAPITests {
    static func setup(_ graph: PhoneCheckingGraph) -> ConversationSetup {
        ConversationSetup(engine: ConversationTests.engine, graph: graph, tokens: FixedAccessTokenSource(Secret("fixed-not-used")),
                          runSender: false)
    }

    @Test("an admin demoted to agent while their change waits for the tenant lock gets 403 once it has it, and nothing changes",
          arguments: TestBackend.available)
    func demotedWhileWaiting(backend: TestBackend) async throws {
        try await Harness.run(backend, conversation: Self.setup(PhoneCheckingGraph(goodTokens: [token1, token2])), jwtSecret: jwtSecret) { h in
            let slug = "waba-degradado"
            let t = try await ApprovalTeam.make(h, slug: slug)
            let (c, tenant) = (t.c, t.tenant)
            let kept = try await c.call(.post, "/clientes/\(tenant)/waba", token: t.owner, json: wabaBody(randomPhone()))
            let keptID = try #require(AdminClient.object(kept)["id"] as? String)
            let users = AdminClient.object(try await c.call(.get, "/clientes/\(tenant)/usuarios", token: t.owner))["usuarios"] as? [[String: Any]] ?? []
            let adminID = try #require(users.first { $0["email"] as? String == "admin@\(slug).test" }.flatMap { ($0["id"] as? String).flatMap(UUID.init(uuidString:)) })
            let admin = t.admin
            let registered = try await AdminCallerUnderLockTests.request(h, tenantID: t.tenantID, demoting: adminID) {
                try await c.call(.post, "/clientes/\(tenant)/waba", token: admin, json: wabaBody(randomPhone()))
            }
            #expect(registered.status == .forbidden, "\(registered.text)")
            // The same for replacing a token and deleting an account (at once: no approval asked
            // here), each by a freshly promoted admin.
            let settings = try await c.call(.put, "/clientes/\(tenant)/settings/approvals", token: t.owner, json: ["delete_waba_account": false])
            #expect(settings.status == .ok, "\(settings.text)")
            for (method, path) in [(HTTPRequest.Method.put, "/clientes/\(tenant)/waba/\(keptID)/token"), (.delete, "/clientes/\(tenant)/waba/\(keptID)")] {
                try await h.store.withTenant(t.tenantID) { try await $0.setUserRole(adminID, role: .admin, actor: "test", now: t0) }
                let r = try await AdminCallerUnderLockTests.request(h, tenantID: t.tenantID, demoting: adminID) {
                    try await c.call(method, path, token: admin, json: method == .put ? ["access_token": token2] : nil)
                }
                #expect(r.status == .forbidden, "\(method) \(r.text)")
            }
            let accounts = try await h.store.withTenant(t.tenantID) { try await $0.wabaAccountRecords() }
            #expect(accounts.map(\.id.uuidString).map { $0.lowercased() } == [keptID])
            #expect(accounts.first?.accessTokenLast4 == String(token1.suffix(4)))
            #expect(accounts.first?.status == .active)
        }
    }

    @Test("register, list, replace the token, verify and delete; secrets never in responses, logs or the audit trail",
          arguments: TestBackend.available)
    func lifecycle(backend: TestBackend) async throws {
        let logs = LogRecorder()
        let graph = PhoneCheckingGraph(goodTokens: [token1, token2])
        try await Harness.run(backend, logs: logs, conversation: Self.setup(graph), jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (tenant, owner) = try await c.tenant(admin, slug: "tienda-waba", owner: "owner@waba.test")
            let agentInvite = try await c.invite(owner, tenant: tenant, email: "agent@waba.test", role: "agent")
            _ = try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": agentInvite, "password": "Colibri-Azul-2026!"])
            let agent = try await c.login("agent@waba.test", "Colibri-Azul-2026!")
            let phone = randomPhone()
            var texts: [String] = []

            let created = try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: wabaBody(phone))
            #expect(created.status == .created, "\(created.text)")
            texts.append(created.text)
            let body = AdminClient.object(created)
            let id = try #require(body["id"] as? String)
            let account = try #require(body["waba_account"] as? [String: Any])
            #expect(account["id"] as? String == id)
            #expect(account["phone_number_id"] as? String == phone)
            #expect(account["access_token_last4"] as? String == "0001")
            #expect(account["has_app_secret"] as? Bool == false)
            #expect(account["webhook_path"] == nil)
            #expect(account["status"] as? String == "active")

            // Agents read; they do not register.
            let listed = try await c.call(.get, "/clientes/\(tenant)/waba", token: agent)
            #expect(listed.status == .ok)
            texts.append(listed.text)
            let accounts = AdminClient.object(listed)["waba_accounts"] as? [[String: Any]] ?? []
            #expect(accounts.map { $0["id"] as? String } == [id])
            let byAgent = try await c.call(.post, "/clientes/\(tenant)/waba", token: agent, json: wabaBody(randomPhone()))
            #expect(byAgent.status == .forbidden)
            #expect(try await c.call(.delete, "/clientes/\(tenant)/waba/\(id)", token: agent).status == .forbidden)
            #expect(try await c.call(.put, "/clientes/\(tenant)/waba/\(id)/token", token: agent, json: ["access_token": token2]).status == .forbidden)

            // Registering asked Meta: the account starts verified.
            #expect(accounts.first?["verification_status"] as? String == "ok")
            // A token Meta does not accept is refused with nothing stored: registering a number
            // needs proof of access to it; so does replacing a token.
            let unproven = try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: wabaBody(randomPhone(), token: "EAAGtoken-not-for-this-number-9"))
            #expect(unproven.status == .unprocessableContent, "\(unproven.text)")
            #expect(unproven.errorCode == "phone_number_not_verified")
            #expect(unproven.text.contains("token_invalid"))
            #expect((AdminClient.object(try await c.call(.get, "/clientes/\(tenant)/waba", token: owner))["waba_accounts"] as? [Any])?.count == 1)
            let badSwap = try await c.call(.put, "/clientes/\(tenant)/waba/\(id)/token", token: owner, json: ["access_token": "EAAGtoken-not-for-this-number-9"])
            #expect(badSwap.errorCode == "phone_number_not_verified")
            // Meta cannot be asked: 503 to retry, nothing stored.
            for outage in [GraphAPIError.timeout, .rejected(status: 503, code: 2, subcode: nil, message: "down")] {
                graph.outage.withLockedValue { $0 = outage }
                let down = try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: wabaBody(randomPhone()))
                #expect(down.status == .serviceUnavailable && down.errorCode == "graph_unavailable", "\(down.text)")
                #expect(down.headers[.retryAfter] == "5")
            }
            graph.outage.withLockedValue { $0 = nil }
            #expect((AdminClient.object(try await c.call(.get, "/clientes/\(tenant)/waba", token: owner))["waba_accounts"] as? [Any])?.count == 1)

            // The first token stops working with Meta (it expired); the replaced one works.
            graph.revoke(token1)
            let failed = try await c.call(.post, "/clientes/\(tenant)/waba/\(id)/verify", token: owner)
            #expect(failed.status == .ok)
            #expect(AdminClient.object(failed)["ok"] as? Bool == false)
            #expect(AdminClient.object(failed)["error"] as? String == "token_invalid")
            let replaced = try await c.call(.put, "/clientes/\(tenant)/waba/\(id)/token", token: owner, json: ["access_token": token2])
            #expect(replaced.status == .ok, "\(replaced.text)")
            texts.append(replaced.text)
            #expect(AdminClient.object(replaced)["access_token_last4"] as? String == "0002")
            let verified = try await c.call(.post, "/clientes/\(tenant)/waba/\(id)/verify", token: admin)
            #expect(verified.status == .ok)
            let v = AdminClient.object(verified)
            #expect(v["ok"] as? Bool == true)
            #expect(v["display_phone_number"] as? String == "+1 555-000-2222")
            #expect(v["verified_name"] as? String == "Tienda Uno")
            #expect(v["error"] == nil)
            let afterVerify = AdminClient.object(try await c.call(.get, "/clientes/\(tenant)/waba", token: owner))
            let stored = (afterVerify["waba_accounts"] as? [[String: Any]])?.first
            #expect(stored?["verification_status"] as? String == "ok")
            #expect(stored?["verified_at"] as? String != nil)
            texts.append(String(describing: afterVerify))

            // Routing follows the account; deleting it stops the number and frees it.
            let tenantID = try #require(UUID(uuidString: tenant))
            #expect(try await h.store.route(phoneNumberID: phone)?.tenantID == tenantID)
            // With four eyes on (the default) a delete waits for a second person and changes nothing yet.
            let pending = try await c.call(.delete, "/clientes/\(tenant)/waba/\(id)", token: owner)
            #expect(pending.status == .accepted, "\(pending.text)")
            let approvalID = try #require(AdminClient.object(pending)["approval_id"] as? String)
            #expect(try await c.call(.post, "/clientes/\(tenant)/approvals/\(approvalID)/approve", token: owner).status == .forbidden)
            #expect(try await h.store.route(phoneNumberID: phone)?.tenantID == tenantID)
            // A second admin of the tenant approves it; the account is deleted.
            let invite = try await c.invite(owner, tenant: tenant, email: "second@waba.test", role: "admin")
            _ = try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": invite, "password": "Maguey-Rojo-7730"])
            let second = try await c.login("second@waba.test", "Maguey-Rojo-7730")
            let deleted = try await c.call(.post, "/clientes/\(tenant)/approvals/\(approvalID)/approve", token: second)
            #expect([200, 204].contains(deleted.status.code), "\(deleted.text)")
            #expect(try await h.store.route(phoneNumberID: phone) == nil)
            // The deleted account's tokens are forgotten; its row stays for the audit trail.
            let left = try await h.test.database.tenantTransaction(tenantID) { c in
                try await c.query("""
                    SELECT count(*) AS n FROM waba_accounts WHERE id = $1
                      AND (access_token_ciphertext IS NOT NULL OR app_secret_ciphertext IS NOT NULL OR verify_token_ciphertext IS NOT NULL)
                    """, [.uuid(try #require(UUID(uuidString: id)))]).first?.int("n")
            }
            #expect(left == 0)
            #expect(try await c.call(.delete, "/clientes/\(tenant)/waba/\(id)", token: owner).errorCode == "waba_account_not_found")
            #expect(try await c.call(.put, "/clientes/\(tenant)/waba/\(id)/token", token: owner, json: ["access_token": token2]).status == .notFound)
            let empty = AdminClient.object(try await c.call(.get, "/clientes/\(tenant)/waba", token: owner))
            #expect((empty["waba_accounts"] as? [Any])?.isEmpty == true)
            #expect(try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: wabaBody(phone, token: token2)).status == .created)

            // The audit trail names the actor and never a secret.
            let events = try await h.store.withTenant(tenantID) { try await $0.tenantEvents(limit: 100) }
            let actions = events.map(\.action)
            for action in ["waba.registered", "waba.token_replaced", "waba.deleted"] { #expect(actions.contains(action), "\(action)") }
            let ownerEvent = try #require(events.first { $0.action == "waba.token_replaced" })
            #expect(ownerEvent.actor.hasPrefix("usuario:"))
            let audit = events.map { "\($0.actor) \($0.action) \($0.payloadJSON)" }
            let eventsText = try await c.call(.get, "/clientes/\(tenant)/events", token: owner).text
            for secret in [token1, token2, "canary"] {
                for text in texts + audit + [eventsText] { #expect(!text.contains(secret), "\(secret) in \(text)") }
                for line in logs.all { #expect(!line.contains(secret), "\(secret) in a log line: \(line)") }
            }
            // The database holds ciphertext only.
            let rows = try await h.test.database.tenantTransaction(tenantID) { c in
                try await c.query("SELECT access_token_ciphertext, key_version FROM waba_accounts WHERE cliente_id = $1", [.uuid(tenantID)])
            }
            #expect(rows.count == 2)
            // (The deleted account's token was forgotten with it.)
            let sealedTokens = try rows.compactMap { try $0.bytes("access_token_ciphertext") }
            #expect(sealedTokens.count == 1)
            for sealed in sealedTokens { #expect(String(decoding: sealed, as: UTF8.self).contains("token-canary") == false) }
            for r in rows { #expect(try r.int("key_version") == 1) }
        }
    }

    @Test("input is validated with precise codes", arguments: [TestBackend.sqlite])
    func validation(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (tenant, owner) = try await c.tenant(admin, slug: "tienda-val", owner: "owner@val.test")
            let cases: [([String: Any], String)] = [
                (wabaBody("12ab"), "invalid_phone_number_id"),
                (wabaBody(""), "invalid_phone_number_id"),
                (wabaBody(String(repeating: "1", count: 40)), "invalid_phone_number_id"),
                (wabaBody("123", extra: ["waba_id": "x1"]), "invalid_waba_id"),
                (wabaBody("123", extra: ["display_phone_number": "call me"]), "invalid_display_phone_number"),
                (wabaBody("123", token: "short"), "invalid_access_token"),
                (wabaBody("123", token: "has spaces in the token 123"), "invalid_access_token"),
                (wabaBody("123", extra: ["app_secret": "tiny"]), "invalid_app_secret"),
                (wabaBody("123", extra: ["verify_token": "x"]), "invalid_verify_token"),
                (["phone_number_id": "123"], "invalid_waba_id"),
            ]
            for (body, code) in cases {
                let r = try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: body)
                #expect(r.status == .badRequest, "\(body)")
                #expect(r.errorCode == code, "\(body): \(r.text)")
            }
            let notJSON = try await h.client.execute(uri: "/clientes/\(tenant)/waba", method: .post,
                                                     headers: [.authorization: "Bearer \(owner)", .contentType: "application/json"],
                                                     body: ByteBuffer(string: "{"))
            #expect(notJSON.errorCode == "malformed_body")
            #expect(try await c.call(.get, "/clientes/\(tenant)/waba", token: owner).status == .ok)
            #expect(try await c.call(.get, "/clientes/\(tenant)/waba").status == .unauthorized)
            let none = AdminClient.object(try await c.call(.get, "/clientes/\(tenant)/waba", token: owner))
            #expect((none["waba_accounts"] as? [Any])?.isEmpty == true)
        }
    }

    @Test("Meta's ids have no leading zero: 0400… is 400 naming the field, not a second number beside 400…",
          arguments: TestBackend.available)
    func leadingZero(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (tenant, owner) = try await c.tenant(admin, slug: "tienda-ceros", owner: "owner@ceros.test")
            let created = try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: wabaBody("400000000000001"))
            #expect(created.status == .created, "\(created.text)")
            let cases: [([String: Any], String, String)] = [
                (wabaBody("0400000000000001"), "invalid_phone_number_id", "phone_number_id"),
                (wabaBody("0"), "invalid_phone_number_id", "phone_number_id"),
                (wabaBody("400000000000002", extra: ["waba_id": "0200000000000009"]), "invalid_waba_id", "waba_id"),
            ]
            for (body, code, field) in cases {
                let r = try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: body)
                #expect(r.status == .badRequest, "\(body): \(r.text)")
                #expect(r.errorCode == code, "\(body): \(r.text)")
                #expect(r.text.contains("\(field) is required") && r.text.contains("leading zero"), "\(r.text)")
            }
            let stored = try await h.store.withTenant(UUID(uuidString: tenant)!) { try await $0.wabaAccountRecords() }
            #expect(stored.map(\.phoneNumberID) == ["400000000000001"])
        }
    }

    @Test("a tenant at its plan's quota gets 403 quota_exceeded before Meta is asked: a bad token does not turn it into 422",
          arguments: TestBackend.available)
    func quotaBeforeMeta(backend: TestBackend) async throws {
        let graph = PhoneCheckingGraph(goodTokens: [token1])
        try await Harness.run(backend, conversation: Self.setup(graph), jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (tenant, owner) = try await c.tenant(admin, slug: "tienda-cupo", plan: "free", owner: "owner@cupo.test")
            #expect(try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: wabaBody(randomPhone())).status == .created)
            for token in [token2, token1] {
                let r = try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: wabaBody(randomPhone(), token: token))
                #expect(r.status == .forbidden, "\(r.text)")
                #expect(r.errorCode == "quota_exceeded", "\(r.text)")
            }
            // Meta down: the quota is still what the tenant is told, not 503.
            graph.outage.withLockedValue { $0 = .timeout }
            #expect(try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: wabaBody(randomPhone())).errorCode == "quota_exceeded")
            #expect(try await h.store.withTenant(UUID(uuidString: tenant)!) { try await $0.wabaAccountRecords() }.count == 1)
        }
    }

    @Test("verify and delete take no input: an empty body or {} is fine, unknown fields are 400 unknown_field and change nothing",
          arguments: TestBackend.available)
    func noInput(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (tenant, owner) = try await c.tenant(admin, slug: "tienda-vacia", owner: "owner@vacia.test")
            #expect(try await c.call(.put, "/clientes/\(tenant)/settings/approvals", token: owner, json: ["delete_waba_account": false]).status == .ok)
            let created = try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: wabaBody(randomPhone()))
            let id = try #require(AdminClient.object(created)["id"] as? String)
            func send(_ method: HTTPRequest.Method, _ path: String, _ body: String) async throws -> TestResponse {
                try await h.client.execute(uri: path, method: method, headers: [.authorization: "Bearer \(owner)", .contentType: "application/json"],
                                           body: ByteBuffer(string: body))
            }
            let verify = "/clientes/\(tenant)/waba/\(id)/verify"
            let delete = "/clientes/\(tenant)/waba/\(id)"
            for (method, path) in [(HTTPRequest.Method.post, verify), (.delete, delete)] {
                for (body, code) in [(#"{"foo": 1}"#, "unknown_field"), (#"{"reason": "x"}"#, "unknown_field"), ("[1]", "malformed_body"), ("{", "malformed_body")] {
                    let r = try await send(method, path, body)
                    #expect(r.status == .badRequest, "\(method) \(body): \(r.text)")
                    #expect(r.errorCode == code, "\(method) \(body): \(r.text)")
                }
            }
            let live = try await h.store.withTenant(UUID(uuidString: tenant)!) { try await $0.wabaAccountRecords() }
            #expect(live.map { $0.id.uuidString.lowercased() } == [id])
            #expect(live.first?.status == .active)
            #expect(try await send(.post, verify, "").status == .ok)
            #expect(try await send(.post, verify, "{}").status == .ok)
            #expect(try await send(.delete, delete, "{}").status == .noContent)
        }
    }

    @Test("a number belongs to one live account platform-wide (409 without naming the tenant); plan quotas; other tenants get 403",
          arguments: TestBackend.available)
    func isolation(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (a, ownerA) = try await c.tenant(admin, slug: "tienda-a", plan: "free", owner: "owner@a.test")
            let (b, ownerB) = try await c.tenant(admin, slug: "tienda-b", owner: "owner@b.test")
            let phone = randomPhone()
            let created = try await c.call(.post, "/clientes/\(a)/waba", token: ownerA, json: wabaBody(phone))
            #expect(created.status == .created)
            let id = try #require(AdminClient.object(created)["id"] as? String)

            let taken = try await c.call(.post, "/clientes/\(b)/waba", token: ownerB, json: wabaBody(phone))
            #expect(taken.status == .conflict)
            #expect(taken.errorCode == "phone_number_taken")
            for leak in [a, "tienda-a", "Shop tienda-a", id] { #expect(!taken.text.contains(leak)) }

            // The free plan allows one account.
            let second = try await c.call(.post, "/clientes/\(a)/waba", token: ownerA, json: wabaBody(randomPhone()))
            #expect(second.status == .forbidden)
            #expect(second.errorCode == "quota_exceeded")

            // Tenant B's owner cannot see or touch tenant A's accounts.
            #expect(try await c.call(.get, "/clientes/\(a)/waba", token: ownerB).status == .forbidden)
            #expect(try await c.call(.post, "/clientes/\(a)/waba", token: ownerB, json: wabaBody(randomPhone())).status == .forbidden)
            #expect(try await c.call(.put, "/clientes/\(a)/waba/\(id)/token", token: ownerB, json: ["access_token": token2]).status == .forbidden)
            #expect(try await c.call(.post, "/clientes/\(a)/waba/\(id)/verify", token: ownerB).status == .forbidden)
            #expect(try await c.call(.delete, "/clientes/\(a)/waba/\(id)", token: ownerB).status == .forbidden)
            // Nor through their own tenant's path.
            #expect(try await c.call(.delete, "/clientes/\(b)/waba/\(id)", token: ownerB).status == .notFound)
            #expect(try await c.call(.put, "/clientes/\(b)/waba/\(id)/token", token: ownerB, json: ["access_token": token2]).status == .notFound)
            #expect(try await c.call(.get, "/clientes/\(a)/waba", token: ownerA).text.contains(id))
            // A platform admin registers for any tenant.
            #expect(try await c.call(.post, "/clientes/\(b)/waba", token: admin, json: wabaBody(randomPhone())).status == .created)
        }
    }

    @Test("a ciphertext copied to another row or tenant does not decrypt", arguments: TestBackend.available)
    func boundToRow(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (a, ownerA) = try await c.tenant(admin, slug: "tienda-c", owner: "owner@c.test")
            let (b, ownerB) = try await c.tenant(admin, slug: "tienda-d", owner: "owner@d.test")
            func register(_ tenant: String, _ owner: String, _ token: String) async throws -> UUID {
                let r = try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: wabaBody(randomPhone(), token: token))
                return try #require(UUID(uuidString: AdminClient.object(r)["id"] as? String ?? ""))
            }
            let a1 = try await register(a, ownerA, token1)
            let a2 = try await register(a, ownerA, token2)
            let b1 = try await register(b, ownerB, token2)
            let tenantA = try #require(UUID(uuidString: a)), tenantB = try #require(UUID(uuidString: b))
            let vault = try #require(h.components.vault)
            let tokens = StoredAccessTokenSource(store: h.store, vault: vault, clock: FixedClock(now: t0))
            #expect(try await tokens.accessToken(tenantID: tenantA, wabaAccountID: a1)?.value == token1)
            #expect(try await tokens.accessToken(tenantID: tenantA, wabaAccountID: a2)?.value == token2)

            let db = h.test.database
            // Within the tenant: a1's ciphertext pasted into a2's row.
            let sealed = try await db.tenantTransaction(tenantA) { c in
                try await c.query("SELECT access_token_ciphertext FROM waba_accounts WHERE cliente_id = $1 AND id = $2", [.uuid(tenantA), .uuid(a1)])
            }.first.flatMap { try $0.bytes("access_token_ciphertext") }
            let bytes = try #require(sealed)
            _ = try await db.tenantTransaction(tenantA) { c in
                try await c.query("UPDATE waba_accounts SET access_token_ciphertext = $1 WHERE cliente_id = $2 AND id = $3",
                                  [.blob(bytes), .uuid(tenantA), .uuid(a2)])
            }
            await #expect(throws: LioraError.self) { try await tokens.accessToken(tenantID: tenantA, wabaAccountID: a2) }
            // Across tenants: into tenant B's row (same key version 1, another tenant key and binding).
            _ = try await db.tenantTransaction(tenantB) { c in
                try await c.query("UPDATE waba_accounts SET access_token_ciphertext = $1 WHERE cliente_id = $2 AND id = $3",
                                  [.blob(bytes), .uuid(tenantB), .uuid(b1)])
            }
            await #expect(throws: LioraError.self) { try await tokens.accessToken(tenantID: tenantB, wabaAccountID: b1) }
            // The untouched row still opens.
            #expect(try await tokens.accessToken(tenantID: tenantA, wabaAccountID: a1)?.value == token1)
            // A decrypted token leaves memory once its minute is over, with no other look-up (a quiet
            // instance): the sender's every round drops it.
            let clock = ManualClock(t0)
            let ticking = StoredAccessTokenSource(store: h.store, vault: vault, clock: clock)
            #expect(try await ticking.accessToken(tenantID: tenantA, wabaAccountID: a1)?.value == token1)
            #expect(ticking.cachedTokens == 1)
            ticking.forgetExpired()
            #expect(ticking.cachedTokens == 1)
            clock.advance(by: 61)
            ticking.forgetExpired()
            #expect(ticking.cachedTokens == 0)
            // The verify route reports a storage problem, not a secret.
            let r = try await c.call(.post, "/clientes/\(a)/waba/\(a2)/verify", token: ownerA)
            #expect(r.status == .serviceUnavailable)
            #expect(!r.text.contains(token1))
        }
    }

    @Test("an account's own webhook accepts its own signature and verify token, and refuses the platform secret",
          arguments: TestBackend.available)
    func perAccountWebhook(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (tenant, owner) = try await c.tenant(admin, slug: "tienda-hook", owner: "owner@hook.test")
            let phone = randomPhone()
            let created = try await c.call(.post, "/clientes/\(tenant)/waba", token: owner,
                                           json: wabaBody(phone, extra: ["app_secret": appSecretA, "verify_token": verifyTokenA]))
            #expect(created.status == .created, "\(created.text)")
            let account = AdminClient.object(created)["waba_account"] as? [String: Any] ?? [:]
            let id = try #require(account["id"] as? String)
            let path = "/webhook/meta/\(id)"
            #expect(account["webhook_path"] as? String == path)
            #expect(account["has_app_secret"] as? Bool == true)
            #expect(account["has_verify_token"] as? Bool == true)
            #expect(!created.text.contains(appSecretA) && !created.text.contains(verifyTokenA))

            // Handshake with the account's verify token only.
            let ok = try await h.client.execute(uri: "\(path)?hub.mode=subscribe&hub.verify_token=\(verifyTokenA)&hub.challenge=4242",
                                                method: .get)
            #expect(ok.status == .ok)
            #expect(ok.text == "4242")
            let platform = try await h.client.execute(uri: "\(path)?hub.mode=subscribe&hub.verify_token=\(verifyToken)&hub.challenge=1",
                                                      method: .get)
            #expect(platform.status == .forbidden)
            // A server started without LIORA_MASTER_KEY cannot open the account's secrets: it
            // refuses deliveries for now (503, Meta retries) rather than calling the account unknown.
            let keyless = WabaWebhookSecrets(store: h.store, vault: nil, clock: FixedClock(now: t0))
            await #expect(throws: WabaWebhookSecrets.NoMasterKey.self) {
                _ = try await keyless.secrets(accountID: try #require(UUID(uuidString: id)))
            }
            #expect(try await keyless.secrets(accountID: UUID()) == nil)

            // Deliveries signed with the account's secret; the platform secret is refused.
            let body = WebhookBuilder.text(phoneNumberID: phone, from: "5215500000001", id: "wamid.ACC1", body: "hola")
            #expect(try await h.post(body, secret: appSecret, path: path).errorCode == "signature_invalid")
            #expect(try await h.post(body, secret: nil, path: path).errorCode == "signature_missing")
            let accepted = try await h.post(body, secret: appSecretA, path: path)
            #expect(accepted.status == .ok, "\(accepted.text)")
            #expect(accepted.text.contains(#""new":1"#))
            // …and the account's secret does not open the platform route.
            #expect(try await h.post(body, secret: appSecretA).status == .unauthorized)
            // Items about another tenant's number are not taken from this route.
            let other = try await h.tenant()
            let foreign = WebhookBuilder.text(phoneNumberID: other.phone, from: "5215500000002", id: "wamid.ACC2", body: "hola")
            let dropped = try await h.post(foreign, secret: appSecretA, path: path)
            #expect(dropped.status == .ok)
            #expect(dropped.text.contains(#""new":0"#))
            let events = try await h.store.webhookEvents(limit: 10)
            #expect(events.map(\.key) == ["m:wamid.ACC1"])

            // A body mixing the other tenant's item (first) with this account's (second): only this
            // account's is kept, and the processor reads that item's content, not its neighbour's.
            let mine = WebhookBuilder.text(phoneNumberID: phone, from: "5215500000003", id: "wamid.ACC3", body: "el mío")
            let theirs = WebhookBuilder.text(phoneNumberID: other.phone, from: "5215500000004", id: "wamid.ACC4", body: "el ajeno")
            var mixed = try #require(try JSONSerialization.jsonObject(with: theirs) as? [String: Any])
            let mineObject = try #require(try JSONSerialization.jsonObject(with: mine) as? [String: Any])
            mixed["entry"] = (mixed["entry"] as? [Any] ?? []) + (mineObject["entry"] as? [Any] ?? [])
            let mixedBody = try JSONSerialization.data(withJSONObject: mixed)
            let kept = try await h.post(mixedBody, secret: appSecretA, path: path)
            #expect(kept.text.contains(#""received":1"#) && kept.text.contains(#""new":1"#), "\(kept.text)")
            _ = try await h.process()
            let logs = try await h.store.withTenant(try #require(UUID(uuidString: tenant))) { try await $0.conversationLogs(limit: 10) }
            let inbound = logs.filter { $0.direction == .inbound }
            #expect(inbound.first { $0.waMessageID == "wamid.ACC3" }?.body == "el mío")
            #expect(!inbound.contains { $0.waMessageID == "wamid.ACC4" || $0.body == "el ajeno" })
            let otherLogs = try await h.store.withTenant(other.tenant.id) { try await $0.conversationLogs(limit: 10) }
            #expect(!otherLogs.contains { $0.waMessageID == "wamid.ACC4" })

            // Unknown account, an account without its own secret, a deleted account: 404.
            #expect(try await h.post(body, secret: appSecretA, path: "/webhook/meta/\(UUID())").status == .notFound)
            #expect(try await h.post(body, secret: appSecretA, path: "/webhook/meta/not-a-uuid").status == .notFound)
            let plainPhone = randomPhone()
            let plain = try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: wabaBody(plainPhone))
            let plainID = try #require(AdminClient.object(plain)["id"] as? String)
            // That number is the tenant's too, registered after this route cached the tenant's
            // numbers: its items are taken at once (not dropped for a minute).
            let newNumber = WebhookBuilder.text(phoneNumberID: plainPhone, from: "5215500000005", id: "wamid.ACC5", body: "hola")
            let takenAtOnce = try await h.post(newNumber, secret: appSecretA, path: path)
            #expect(takenAtOnce.text.contains(#""new":1"#), "\(takenAtOnce.text)")
            #expect(try await h.post(body, secret: appSecretA, path: "/webhook/meta/\(plainID)").status == .notFound)
            #expect(try await h.client.execute(uri: "/webhook/meta/\(plainID)?hub.mode=subscribe&hub.verify_token=x&hub.challenge=1",
                                               method: .get).status == .notFound)
            // While its deletion waits for a second person, the account still receives (its number
            // still routes).
            #expect(try await c.call(.delete, "/clientes/\(tenant)/waba/\(id)", token: owner).status == .accepted)
            let waiting = WebhookBuilder.text(phoneNumberID: phone, from: "5215500000006", id: "wamid.ACC6", body: "hola")
            let stillReceived = try await h.post(waiting, secret: appSecretA, path: path)
            #expect(stillReceived.status == .ok && stillReceived.text.contains(#""new":1"#), "\(stillReceived.text)")
            // This tenant's owner turned four-eyes off for account deletion: it happens at once.
            #expect(try await c.call(.put, "/clientes/\(tenant)/settings/approvals", token: owner,
                                     json: ["delete_waba_account": false]).status == .ok)
            #expect(try await c.call(.delete, "/clientes/\(tenant)/waba/\(id)", token: owner).status == .noContent)
            #expect(try await h.post(body, secret: appSecretA, path: path).status == .notFound)
        }
    }

    @Test("the sender answers with the account's stored token, and with the new one once it is replaced",
          arguments: TestBackend.available)
    func senderUsesStoredToken(backend: TestBackend) async throws {
        let graph = PhoneCheckingGraph(goodTokens: [token1, token2])
        try await Harness.run(backend, conversation: Self.setup(graph), jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (tenant, owner) = try await c.tenant(admin, slug: "tienda-send", owner: "owner@send.test")
            let phone = randomPhone()
            let created = try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: wabaBody(phone))
            let id = try #require(AdminClient.object(created)["id"] as? String)
            let vault = try #require(h.components.vault)
            let sender = OutboxSender(store: h.store, graph: graph, tokens: StoredAccessTokenSource(store: h.store, vault: vault),
                                      clock: FixedClock(now: t0), logger: LogRecorder().logger())

            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "5215511110001", id: "wamid.S1", body: "hola")).status == .ok)
            try await h.process()
            #expect(try await sender.sendDue() >= 1)
            let first = graph.fake.sent
            #expect(!first.isEmpty)
            #expect(first.allSatisfy { $0.accessToken == token1 && $0.phoneNumberID == phone })

            #expect(try await c.call(.put, "/clientes/\(tenant)/waba/\(id)/token", token: owner, json: ["access_token": token2]).status == .ok)
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "5215511110002", id: "wamid.S2", body: "hola")).status == .ok)
            try await h.process()
            #expect(try await sender.sendDue() >= 1)
            let later = graph.fake.sent.dropFirst(first.count)
            #expect(!later.isEmpty)
            #expect(later.allSatisfy { $0.accessToken == token2 })
        }
    }
}
