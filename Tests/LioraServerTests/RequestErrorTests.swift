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

/// Requests the API cannot take as sent: a method the path does not have, an id that is not a
/// UUID, a JSON body that names a field twice. Each is a precise 4xx in the error envelope.
@Suite("HTTP API: request errors")
struct RequestErrorTests {
    @Test("a served path with a method it does not take is 405 with Allow listing its methods; an unknown path stays 404")
    func methodNotAllowed() async throws {
        try await Harness.run(.sqlite, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let tenant = UUID().uuidString.lowercased()
            for (method, path, allow) in [
                (HTTPRequest.Method.delete, "/health", "GET, HEAD"),
                (.get, "/auth/login", "POST"),
                (.put, "/clientes/\(tenant)", "DELETE, GET, PATCH"),
                (.post, "/clientes/\(tenant)/catalog/active", "GET"),
                (.get, "/clientes/\(tenant)/catalog/publish", "POST"),
                (.put, "/webhook/meta", "GET, POST"),
            ] {
                let r = try await c.call(method, path)
                #expect(r.status == .methodNotAllowed, "\(method) \(path): \(r.status.code) \(r.text)")
                #expect(r.headers[.allow] == allow, "\(method) \(path)")
                #expect(r.errorCode == "method_not_allowed", "\(r.text)")
            }
            for path in ["/nowhere", "/clientes/\(tenant)/nothing", "/health/more"] {
                let r = try await c.call(.get, path)
                #expect(r.status == .notFound && r.errorCode == "not_found" && r.headers[.allow] == nil, "\(path)")
            }
            // Served methods are untouched.
            #expect(try await c.call(.get, "/health").status == .ok)
        }
    }

    @Test("Allow names the methods of the route the router would take: a literal segment before a parameter")
    func allowFollowsTheRouter() {
        let router = Router()
        router.post("/things/export") { _, _ in HTTPResponse.Status.ok }
        router.get("/things/{id}") { _, _ in HTTPResponse.Status.ok }
        router.delete("/things/{id}") { _, _ in HTTPResponse.Status.ok }
        router.get("/files/**") { _, _ in HTTPResponse.Status.ok }
        let middleware = MethodNotAllowedMiddleware(routes: router.routes)
        #expect(middleware.allowedMethods(path: "/things/export") == [.post])
        #expect(middleware.allowedMethods(path: "/things/42") == [.delete, .get])
        #expect(middleware.allowedMethods(path: "/things/42/") == [.delete, .get])
        #expect(middleware.allowedMethods(path: "/files/a/b/c") == [.get])
        #expect(middleware.allowedMethods(path: "/things") == nil)
        #expect(middleware.allowedMethods(path: "/things/42/more") == nil)
        #expect(middleware.allowedMethods(path: "/files") == nil)
    }

    @Test("a path id that is not a UUID is 400 invalid_id naming the parameter, before anything is looked up; a UUID nobody has stays 404")
    func invalidIDs() async throws {
        try await Harness.run(.sqlite, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let platform = try await c.platformAdmin()
            let (tenant, owner) = try await c.tenant(platform, slug: "ids", owner: "owner@ids.test")
            let tenantID = try #require(UUID(uuidString: tenant))
            let before = try await h.store.withTenant(tenantID) { try await $0.tenantEvents(limit: 1000).count }
            for (method, path, parameter) in [
                (HTTPRequest.Method.get, "/clientes/not-a-uuid", "cliente_id"),
                (.delete, "/clientes/123", "cliente_id"),
                (.get, "/clientes/\(tenant)x/usuarios", "cliente_id"),
                (.patch, "/clientes/\(tenant)/usuarios/nobody", "usuario_id"),
                (.delete, "/clientes/\(tenant)/usuarios/1", "usuario_id"),
                (.delete, "/clientes/\(tenant)/waba/abc", "waba_account_id"),
                (.put, "/clientes/\(tenant)/waba/abc/token", "waba_account_id"),
                (.post, "/clientes/\(tenant)/approvals/abc/approve", "approval_id"),
                (.get, "/clientes/\(tenant)/approvals/abc", "approval_id"),
                (.get, "/clientes/abc/catalog/active", "cliente_id"),
                (.get, "/clientes/abc/logs", "cliente_id"),
            ] {
                let r = try await c.call(method, path, token: owner, json: ["role": "admin", "access_token": "EAAG-not-used"])
                #expect(r.status == .badRequest && r.errorCode == "invalid_id", "\(method) \(path): \(r.status.code) \(r.text)")
                let message = (AdminClient.object(r)["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.hasPrefix("\(parameter) must be a UUID"), "\(message)")
            }
            // Well-formed ids nobody has are still 404, with their own codes.
            #expect(try await c.call(.delete, "/clientes/\(tenant)/usuarios/\(UUID())", token: owner).errorCode == "user_not_found")
            #expect(try await c.call(.get, "/clientes/\(tenant)/approvals/\(UUID())", token: owner).errorCode == "approval_not_found")
            #expect(try await c.call(.delete, "/clientes/\(tenant)/waba/\(UUID())", token: owner).errorCode == "waba_account_not_found")
            #expect(try await c.call(.get, "/clientes/\(UUID())", token: platform).errorCode == "tenant_not_found")
            // Nothing changed.
            #expect(try await h.store.withTenant(tenantID) { try await $0.tenantEvents(limit: 1000).count } == before)
        }
    }

    @Test("an admin JSON body naming a field twice is 400 duplicate_key and changes nothing, at any depth and however the name is escaped")
    func duplicateKeys() async throws {
        try await Harness.run(.sqlite, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let platform = try await c.platformAdmin()
            let (tenant, owner) = try await c.tenant(platform, slug: "dobles", owner: "owner@dobles.test")
            let agentInvite = try await c.invite(owner, tenant: tenant, email: "agent@dobles.test", role: "agent")
            #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": agentInvite, "password": "Maguey-Rojo-7730"]).status == .ok)
            let users = AdminClient.object(try await c.call(.get, "/clientes/\(tenant)/usuarios", token: owner))["usuarios"] as? [[String: Any]] ?? []
            let agentID = try #require(users.first { $0["email"] as? String == "agent@dobles.test" }?["id"] as? String)
            func send(_ method: HTTPRequest.Method, _ path: String, token: String?, _ body: String) async throws -> TestResponse {
                var headers: HTTPFields = [.contentType: "application/json"]
                if let token { headers[.authorization] = "Bearer \(token)" }
                return try await h.client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(string: body))
            }
            // Last-wins would make the agent an owner; first-wins would hide the second value.
            let role = try await send(.patch, "/clientes/\(tenant)/usuarios/\(agentID)", token: owner, #"{"role": "agent", "role": "owner"}"#)
            #expect(role.status == .badRequest && role.errorCode == "duplicate_key", "\(role.text)")
            #expect(AdminClient.object(role).description.contains("$.role"))
            let escaped = try await send(.patch, "/clientes/\(tenant)/usuarios/\(agentID)", token: owner, #"{"role": "agent", "\u0072ole": "owner"}"#)
            #expect(escaped.errorCode == "duplicate_key", "\(escaped.text)")
            let created = try await send(.post, "/clientes", token: platform, #"{"slug": "uno", "name": "Uno", "slug": "dos"}"#)
            #expect(created.errorCode == "duplicate_key", "\(created.text)")
            let login = try await send(.post, "/auth/login", token: nil,
                                       #"{"email": "owner@dobles.test", "password": "x", "password": "Colibri-Azul-2026!"}"#)
            #expect(login.errorCode == "duplicate_key", "\(login.text)")
            // Nothing changed: the agent is an agent, no tenant "uno" or "dos".
            let after = AdminClient.object(try await c.call(.get, "/clientes/\(tenant)/usuarios", token: owner))["usuarios"] as? [[String: Any]] ?? []
            #expect(after.first { $0["id"] as? String == agentID }?["role"] as? String == "agent")
            let tenants = try await c.call(.get, "/clientes", token: platform).text
            #expect(!tenants.contains(#""uno""#) && !tenants.contains(#""dos""#))
            // The same name in different objects, and a body sent once, are fine.
            #expect(try await send(.patch, "/clientes/\(tenant)/usuarios/\(agentID)", token: owner, #"{"role": "admin"}"#).status == .ok)
        }
    }

    @Test("duplicate member names are found at any depth, after escapes; the same name in sibling objects is not a duplicate")
    func duplicateKeyScan() {
        #expect(JSONDuplicateKeys.first(in: Array(#"{"a": 1, "b": {"c": [1, {"d": 1, "d": 2}]}}"#.utf8)) == "$.b.c[1].d")
        #expect(JSONDuplicateKeys.first(in: Array(#"{"a": 1, "\u0061": 2}"#.utf8)) == "$.a")
        #expect(JSONDuplicateKeys.first(in: Array(#"{"x": {"a": 1}, "y": {"a": 1}, "z": [{"a": 1}, {"a": 2}]}"#.utf8)) == nil)
        #expect(JSONDuplicateKeys.first(in: Array(#"{"a": "a", "b": "a"}"#.utf8)) == nil)
        #expect(JSONDuplicateKeys.first(in: Array(#"{"a": 1, "a""#.utf8)) == nil)  // not JSON: the decoder says so
    }
}
