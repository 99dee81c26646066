import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOCore
import Testing

/// Every route × every role of another tenant, bad input on every route, and a canary secret
/// that must never come back out.
@Suite("Security matrix")
struct SecurityMatrixTests {
    static let canary = "EAAGcanary7f3a9c0ffee1234567890"

    /// Routes that are not about one tenant (anything else must name `{cliente_id}`).
    static let platformRoutes: Set<String> = [
        "GET /health", "HEAD /health", "GET /ready", "HEAD /ready", "GET /metrics", "GET /webhook/meta", "POST /webhook/meta", "GET /s/{code}", "HEAD /s/{code}",
        "GET /webhook/meta/{waba_account_id}", "POST /webhook/meta/{waba_account_id}",
        "POST /auth/login", "POST /auth/refresh", "POST /auth/logout", "POST /auth/accept-invite", "GET /plans",
        "GET /clientes", "POST /clientes",
    ]

    struct World {
        var a: String
        var b: String
        var tokensA: [String: String]  // role → access token
        var bOwnerID: String
        var bWabaID: String
        var bSecrets: [String]         // strings that must never appear in A's responses
    }

    static func world(_ h: Harness) async throws -> World {
        let c = AdminClient(h: h)
        let admin = try await c.platformAdmin()
        let (a, ownerA) = try await c.tenant(admin, slug: "tienda-a", owner: "duena@a.test")
        let (b, ownerB) = try await c.tenant(admin, slug: "tienda-b", owner: "dueno@b.test")
        var tokens = ["owner": ownerA]
        for role in ["admin", "agent"] {
            let invite = try await c.invite(ownerA, tenant: a, email: "\(role)x@a.test", role: role)
            _ = try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": invite, "password": "Colibri-Azul-2026!"])
            tokens[role] = try await c.login("\(role)x@a.test", "Colibri-Azul-2026!")
        }
        let waba = try await c.call(.post, "/clientes/\(b)/waba", token: ownerB, json: [
            "waba_id": "300000000000009", "phone_number_id": "190000000000009", "display_phone_number": "15550009999",
            "access_token": canary, "app_secret": "b-app-secret-\(canary)", "verify_token": "b-verify-token"])
        #expect(waba.status == .created, "\(waba.text)")
        let users = AdminClient.object(try await c.call(.get, "/clientes/\(b)/usuarios", token: ownerB))["usuarios"] as? [[String: Any]] ?? []
        return World(a: a, b: b, tokensA: tokens, bOwnerID: users.first?["id"] as? String ?? UUID().uuidString,
                     bWabaID: AdminClient.object(waba)["id"] as? String ?? UUID().uuidString,
                     bSecrets: ["tienda-b", "Shop tienda-b", "dueno@b.test", "190000000000009", "15550009999", canary])
    }

    static func concrete(_ path: String, tenant: String, w: World) -> String {
        path.replacingOccurrences(of: "{cliente_id}", with: tenant)
            .replacingOccurrences(of: "{usuario_id}", with: w.bOwnerID)
            .replacingOccurrences(of: "{waba_account_id}", with: w.bWabaID)
            .replacingOccurrences(of: "{approval_id}", with: UUID().uuidString)
            .replacingOccurrences(of: "{version}", with: "1")
    }

    @Test("for every route and role, another tenant's ids or token get 403/404 (401 where a signature is required) and none of its data",
          arguments: TestBackend.available)
    func crossTenant(backend: TestBackend) async throws {
        let logs = LogRecorder()
        try await Harness.run(backend, logs: logs, jwtSecret: jwtSecret) { h in
            let w = try await Self.world(h)
            let c = AdminClient(h: h)
            var checked = 0
            for route in h.components.routes.sorted() {
                let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
                let (method, path) = (HTTPRequest.Method(parts[0])!, parts[1])
                if Self.platformRoutes.contains(route) { continue }
                #expect(path.contains("{cliente_id}"), "\(route) is neither tenant-scoped nor listed as a platform route")
                for (role, token) in w.tokensA {
                    // B's ids with A's token; then A's path with B's X-Client-ID.
                    let r = try await c.call(method, Self.concrete(path, tenant: w.b, w: w), token: token, json: [:])
                    #expect([401, 403, 404].contains(r.status.code), "\(route) as A's \(role): \(r.status.code) \(r.text)")
                    for secret in w.bSecrets { #expect(!r.text.contains(secret), "\(route) as A's \(role) leaked \(secret)") }
                    let mixed = try await c.call(method, Self.concrete(path, tenant: w.a, w: w), token: token, json: [:],
                                                 headers: ["X-Client-ID": w.b])
                    if !path.contains("/catalog/"), !path.contains("/links/") {
                        #expect([403, 404].contains(mixed.status.code), "\(route) with B's X-Client-ID: \(mixed.status.code)")
                    }
                    for secret in w.bSecrets { #expect(!mixed.text.contains(secret)) }
                    checked += 1
                }
            }
            // Tenant users do not reach the platform's tenant list.
            for token in w.tokensA.values {
                #expect(try await c.call(.get, "/clientes", token: token).status == .forbidden)
                #expect(try await c.call(.post, "/clientes", token: token, json: ["slug": "x-y", "name": "X"]).status == .forbidden)
            }
            #expect(checked >= 3 * 20)
            // The canary token never appears in any log line.
            #expect(!logs.all.contains { $0.contains(Self.canary) })
        }
    }

    @Test("bad input on every tenant route: malformed JSON, wrong types, invalid UUIDs, oversized bodies and forged tokens get a precise 4xx",
          arguments: [TestBackend.sqlite])
    func badInput(backend: TestBackend) async throws {
        let logs = LogRecorder()
        try await Harness.run(backend, logs: logs, jwtSecret: jwtSecret) { h in
            let w = try await Self.world(h)
            let c = AdminClient(h: h)
            let owner = w.tokensA["owner"]!
            let forged = owner.split(separator: ".").prefix(2).joined(separator: ".") + ".c2lnbmF0dXJl"
            let none = AdminAuthTestsSupport.b64url(#"{"alg":"none","typ":"JWT"}"#) + "." + (owner.split(separator: ".").dropFirst().first.map(String.init) ?? "") + "."
            let eventsBefore = try await h.store.withTenant(UUID(uuidString: w.a)!) { try await $0.tenantEvents(limit: 1000).count }
            for route in h.components.routes.sorted() where !Self.platformRoutes.contains(route) {
                let parts = route.split(separator: " ", maxSplits: 1).map(String.init)
                let (method, path) = (HTTPRequest.Method(parts[0])!, parts[1])
                let signed = path.contains("/catalog/") || path.contains("/links/")
                // Forged and alg:none tokens.
                for bad in [forged, none] where !signed {
                    let r = try await c.call(method, Self.concrete(path, tenant: w.a, w: w), token: bad, json: [:])
                    #expect(r.status == .unauthorized, "\(route) with a forged token: \(r.status.code)")
                }
                // Invalid UUIDs in the path.
                let invalid = path.replacingOccurrences(of: "{cliente_id}", with: "not-a-uuid")
                let r1 = try await c.call(method, Self.concrete(invalid, tenant: w.a, w: w), token: owner, json: [:])
                #expect([400, 401, 404].contains(r1.status.code), "\(route) with an invalid id: \(r1.status.code)")
                guard [.post, .put, .patch].contains(method) else { continue }
                // Malformed JSON, wrong types, oversized bodies.
                var headers: HTTPFields = [.contentType: "application/json", .authorization: "Bearer \(owner)"]
                headers[HTTPField.Name("X-Client-ID")!] = w.a
                let uri = Self.concrete(path, tenant: w.a, w: w).replacingOccurrences(of: w.bOwnerID, with: UUID().uuidString)
                    .replacingOccurrences(of: w.bWabaID, with: UUID().uuidString)
                for body in ["{\"email\": ", "[1, 2, 3]", "{\"role\": 7, \"email\": false, \"name\": null, \"access_token\": 1}"] {
                    let r = try await h.client.execute(uri: uri, method: method, headers: headers, body: ByteBuffer(string: body))
                    #expect((400..<500).contains(r.status.code), "\(route) with \(body): \(r.status.code) \(r.text)")
                    #expect(r.errorCode != nil, "\(route): no error code")
                }
                let huge = try await h.client.execute(uri: uri, method: method, headers: headers,
                                                      body: ByteBuffer(repeating: UInt8(ascii: " "), count: 21 * 1024 * 1024))
                #expect((400..<500).contains(huge.status.code), "\(route) with 21 MB: \(huge.status.code)")
            }
            // Nothing changed: no new audit events for tenant A.
            let eventsAfter = try await h.store.withTenant(UUID(uuidString: w.a)!) { try await $0.tenantEvents(limit: 1000).count }
            #expect(eventsAfter == eventsBefore)
            #expect(!logs.all.contains { $0.contains(Self.canary) })
        }
    }
}
