import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOCore
import NIOPosix
import Testing

/// Gaps found in the admin API's answers: what a client or an operator sees.
@Suite("Admin API gaps")
struct AdminGapsTests {
    /// `body` as sent, byte for byte (JSONSerialization would never write a trailing comma).
    static func raw(_ h: Harness, _ method: HTTPRequest.Method, _ path: String, token: String? = nil, body: String) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        return try await h.client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(string: body))
    }

    static func message(_ r: TestResponse) -> String? {
        (AdminClient.object(r)["error"] as? [String: Any])?["message"] as? String
    }

    @Test("inviting an address the tenant already has is 409 conflict even when the plan's seats are full; a new address is still 403 quota_exceeded",
          arguments: TestBackend.available)
    func duplicateInviteOnFullTenant(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (a, owner) = try await c.tenant(admin, slug: "lleno", plan: "free", owner: "owner@lleno.test")  // free: 3 users
            _ = try await c.invite(owner, tenant: a, email: "u1@lleno.test", role: "agent")
            _ = try await c.invite(owner, tenant: a, email: "u2@lleno.test", role: "agent")
            let path = "/clientes/\(a)/usuarios"
            for email in ["u1@lleno.test", "U2@Lleno.test", "owner@lleno.test"] {  // invited, invited (another case), active
                let again = try await c.call(.post, path, token: owner, json: ["email": email, "name": "Otra", "role": "agent"])
                #expect(again.status == .conflict, "\(email): \(again.text)")
                #expect(again.errorCode == "conflict", "\(again.text)")
                #expect(Self.message(again) == "an account with this e-mail already exists")
            }
            let over = try await c.call(.post, path, token: owner, json: ["email": "u3@lleno.test", "name": "U", "role": "agent"])
            #expect(over.status == .forbidden && over.errorCode == "quota_exceeded", "\(over.text)")
            // Refused over the quota, nothing was kept: still three, no fourth invitation.
            let users = try await h.store.withTenant(UUID(uuidString: a)!) { try await $0.adminUsers() }
            #expect(users.map(\.email).sorted() == ["owner@lleno.test", "u1@lleno.test", "u2@lleno.test"])
            let invited = try await h.store.withTenant(UUID(uuidString: a)!) { try await $0.tenantEvents(limit: 50) }
                .filter { $0.action == "user.invited" }
            #expect(invited.count == 3)
        }
    }

    @Test("a field of the wrong type in the catalog secret rotation or the approval settings is named in malformed_body",
          arguments: TestBackend.available)
    func wrongTypeNamed(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let platform = try await c.platformAdmin()
            let (tenant, owner) = try await c.tenant(platform, slug: "tipos", owner: "owner@tipos.test")
            let tenantID = try #require(UUID(uuidString: tenant))
            let rotate = "/clientes/\(tenant)/catalog/secret/rotate"
            for body in [#"{"overlap_seconds": "60"}"#, #"{"overlap_seconds": 1.5}"#, #"{"overlap_seconds": true}"#] {
                let r = try await Self.raw(h, .post, rotate, token: owner, body: body)
                #expect(r.status == .badRequest && r.errorCode == "malformed_body", "\(body): \(r.text)")
                #expect(Self.message(r)?.hasPrefix("overlap_seconds must be an integer") == true, "\(body): \(r.text)")
            }
            // The signed way takes the same rules.
            let secret = try await h.store.withTenant(tenantID) { s throws in
                try await CatalogSecrets.issue(in: s, vault: try #require(h.components.vault), overlap: 0, now: t0)
            }
            let signed = try await CatalogAPITests.send(h, .post, "/secret/rotate", tenant: tenantID,
                                                        body: Array(#"{"overlap_seconds": "60"}"#.utf8), secret: secret)
            #expect(signed.status == .badRequest && signed.errorCode == "malformed_body", "\(signed.text)")
            #expect(Self.message(signed)?.hasPrefix("overlap_seconds must be an integer") == true, "\(signed.text)")

            let settings = "/clientes/\(tenant)/settings/approvals"
            for (body, field) in [(#"{"delete_tenant": "yes"}"#, "delete_tenant"), (#"{"export_conversations": 1}"#, "export_conversations"),
                                  (#"{"delete_waba_account": null}"#, "delete_waba_account")] {
                let r = try await Self.raw(h, .put, settings, token: owner, body: body)
                #expect(r.status == .badRequest && r.errorCode == "malformed_body", "\(body): \(r.text)")
                #expect(Self.message(r)?.hasPrefix("\(field) must be true or false") == true, "\(body): \(r.text)")
            }
        }
    }

    @Test("the parser's 431 and 400 answers carry Cache-Control: no-store like every other admin answer")
    func parserAnswersNoStore() async throws {
        try await Harness.run(.sqlite, jwtSecret: jwtSecret) { h in
            let port = try #require(h.client.port)
            let big = "GET /clientes HTTP/1.1\r\nHost: localhost\r\nX-Client-ID: \(String(repeating: "a", count: 100 * 1024))\r\n\r\n"
            let tooLarge = try await rawExchange(port: port, Array(big.utf8))
            #expect(tooLarge.hasPrefix("HTTP/1.1 431"), "\(tooLarge.prefix(300))")
            #expect(Self.header("cache-control", in: tooLarge) == "no-store", "\(tooLarge.prefix(300))")
            let garbage = try await rawExchange(port: port, Array("POST /auth/login HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n".utf8))
            #expect(garbage.hasPrefix("HTTP/1.1 400"), "\(garbage)")
            #expect(Self.header("cache-control", in: garbage) == "no-store", "\(garbage)")
        }
    }

    @Test("HEAD /health and HEAD /ready answer as GET does, without a body", arguments: TestBackend.available)
    func headHealth(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            for path in ["/health", "/ready"] {
                let get = try await h.client.execute(uri: path, method: .get)
                let head = try await h.client.execute(uri: path, method: .head)
                #expect(head.status == .ok, "\(path): \(head.status)")
                #expect(head.body.readableBytes == 0)
                #expect(head.headers[.contentType] == get.headers[.contentType])
                #expect(head.headers[.contentLength] == String(get.body.readableBytes))
            }
            // A method neither takes is still 405, and Allow now names HEAD.
            let post = try await h.client.execute(uri: "/health", method: .post)
            #expect(post.status == .methodNotAllowed)
            #expect(post.headers[.allow] == "GET, HEAD")
        }
    }

    @Test("HEAD /ready is 503 when the database is gone, as GET is")
    func headNotReady() async throws {
        try await Harness.run(.sqlite) { h in
            await h.test.database.close()
            let head = try await h.client.execute(uri: "/ready", method: .head)
            #expect(head.status == .serviceUnavailable)
            #expect(head.body.readableBytes == 0)
        }
    }

    @Test("a master key that does not open the tenant's key: the secret routes answer 503 server_misconfigured saying so, and log it without secrets",
          arguments: TestBackend.available)
    func wrongMasterKey(backend: TestBackend) async throws {
        let logs = LogRecorder()
        try await Harness.run(backend, logs: logs, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let platform = try await c.platformAdmin()
            let (tenant, owner) = try await c.tenant(platform, slug: "llave-mala", owner: "owner@llave.test")
            let tenantID = try #require(UUID(uuidString: tenant))
            let secret = try await h.store.withTenant(tenantID) { s throws in
                try await CatalogSecrets.issue(in: s, vault: try #require(h.components.vault), overlap: 0, now: t0)
            }
            let accessToken = "EAAGwrong-master-key-token-5150"
            let created = try await c.call(.post, "/clientes/\(tenant)/waba", token: owner, json: [
                "waba_id": "200000000000009", "phone_number_id": "100000000000777", "display_phone_number": "+1 555-000-7777",
                "access_token": accessToken])
            #expect(created.status == .created, "\(created.text)")
            let accountID = try #require(AdminClient.object(created)["id"] as? String)

            // The tenant's data key as a server with another key under version 1 wrapped it.
            let other = try MasterKeyRing(parsing: "1:" + Data(repeating: 7, count: 32).base64EncodedString())
            let foreign = try Envelope.newDataKey(tenantID: tenantID, version: 1, ring: other).wrapped.sealed
            try await h.test.asOwner { db in
                try await db.query("UPDATE tenant_keys SET wrapped_key = $1 WHERE cliente_id = $2", [.blob(foreign), .uuid(tenantID)])
            }

            let answers: [(String, TestResponse)] = [
                ("POST /clientes/{cliente_id}/catalog/publish",
                 try await CatalogAPITests.send(h, .post, "/publish", tenant: tenantID, body: CatalogAPITests.small, secret: secret)),
                ("POST /clientes/{cliente_id}/catalog/secret/rotate", try await c.call(.post, "/clientes/\(tenant)/catalog/secret/rotate", token: owner)),
                ("PUT /clientes/{cliente_id}/waba/{waba_account_id}/token",
                 try await c.call(.put, "/clientes/\(tenant)/waba/\(accountID)/token", token: owner, json: ["access_token": accessToken + "-2"])),
                ("POST /clientes/{cliente_id}/waba/{waba_account_id}/verify",
                 try await c.call(.post, "/clientes/\(tenant)/waba/\(accountID)/verify", token: owner)),
            ]
            for (route, r) in answers {
                #expect(r.status == .serviceUnavailable, "\(route): \(r.text)")
                #expect(r.errorCode == "server_misconfigured", "\(route): \(r.text)")
                #expect(Self.message(r)?.contains("LIORA_MASTER_KEY does not open this tenant's keys") == true, "\(route): \(r.text)")
                let logged = logs.all.filter { $0.hasPrefix("error request needs configuration the server lacks") && $0.contains(route) }
                #expect(logged.count == 1, "no error line for \(route): \(logs.all)")
            }
            let all = logs.all.joined(separator: "\n")
            for leaked in [secret, accessToken, testMasterKey, Data(foreign).base64EncodedString()] {
                #expect(!all.contains(leaked))
            }
        }
    }

    @Test("a trailing comma (which Foundation's JSON parsers accept) is 400 malformed_body on the admin and signed routes",
          arguments: TestBackend.available)
    func trailingComma(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let platform = try await c.platformAdmin()
            let (tenant, owner) = try await c.tenant(platform, slug: "coma", owner: "owner@coma.test")
            let tenantID = try #require(UUID(uuidString: tenant))
            let cases: [(HTTPRequest.Method, String, String?, String)] = [
                (.post, "/auth/login", nil, #"{"email": "owner@coma.test", "password": "Colibri-Azul-2026!",}"#),
                (.post, "/clientes", platform, #"{"slug": "con-coma", "name": "Con coma",}"#),
                (.patch, "/clientes/\(tenant)", owner, #"{"name": "Renombrada",}"#),
                (.post, "/clientes/\(tenant)/usuarios", owner, "{\"email\": \"a@coma.test\", \"name\": \"A\",\n \"role\": \"agent\" , }"),
                (.put, "/clientes/\(tenant)/settings/approvals", owner, #"{"delete_tenant": false,}"#),
                (.post, "/clientes/\(tenant)/catalog/secret/rotate", owner, #"{"overlap_seconds": 0,}"#),
                (.post, "/clientes/\(tenant)/suspend", platform, #"{,}"#),  // not even Foundation takes this one
            ]
            for (method, path, token, body) in cases {
                let r = try await Self.raw(h, method, path, token: token, body: body)
                #expect(r.status == .badRequest && r.errorCode == "malformed_body", "\(method) \(path): \(r.text)")
            }
            let login = try await Self.raw(h, .post, "/auth/login", body: #"{"email": "owner@coma.test", "password": "Colibri-Azul-2026!",}"#)
            #expect(Self.message(login) == "the body is not valid JSON (a trailing comma at line 1, column 62); expected "
                    + #"{"email": "…", "password": "…", "cliente_id": "(optional)", "device_token": "(optional)"}"#)
            // Nothing changed: no tenant "con-coma", the name kept, no invitation.
            #expect(try await h.store.listTenants(search: "con-coma", after: nil, limit: 10).isEmpty)
            #expect(try await h.store.withTenant(tenantID) { try await $0.tenant() }?.name == "Shop coma")
            #expect(try await h.store.withTenant(tenantID) { try await $0.adminUsers() }.count == 1)
            // Signed with the tenant's secret: refused too.
            let secret = try await h.store.withTenant(tenantID) { s throws in
                try await CatalogSecrets.issue(in: s, vault: try #require(h.components.vault), overlap: 0, now: t0)
            }
            let signed = try await CatalogAPITests.send(h, .post, "/secret/rotate", tenant: tenantID,
                                                        body: Array(#"{"overlap_seconds": 60,}"#.utf8), secret: secret)
            #expect(signed.status == .badRequest && signed.errorCode == "malformed_body", "\(signed.text)")
            // The same bodies without the comma pass.
            #expect(try await Self.raw(h, .patch, "/clientes/\(tenant)", token: owner, body: #"{"name": "Renombrada"}"#).status == .ok)
        }
    }

    // MARK: Helpers

    /// The value of header `name` in a raw HTTP/1.1 answer.
    static func header(_ name: String, in reply: String) -> String? {
        let head = reply.components(separatedBy: "\r\n\r\n").first ?? ""
        for line in head.components(separatedBy: "\r\n").dropFirst() {
            let parts = line.split(separator: ":", maxSplits: 1)
            if parts.count == 2, parts[0].lowercased() == name { return parts[1].trimmingCharacters(in: .whitespaces) }
        }
        return nil
    }
}
