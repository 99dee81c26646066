import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraServer
import LioraStore
import LioraTestSupport
import NIOCore
import NIOPosix
import Testing

/// Writes `request` as raw bytes on a connection of its own and returns everything the server
/// sends until it closes the connection (or `within` passes): for requests no HTTP client sends
/// as they are (chunked bodies, oversized heads).
func rawExchange(port: Int, _ request: [UInt8], within: Duration = .seconds(10)) async throws -> String {
    let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
        .connect(host: "127.0.0.1", port: port) { ch in
            ch.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: ch) }
        }
    return try await channel.executeThenClose { inbound, outbound in
        try await outbound.write(ByteBuffer(bytes: request))
        return try await withThrowingTaskGroup(of: String?.self) { group in
            group.addTask {
                var text = ""
                for try await chunk in inbound { text += String(buffer: chunk) }
                return text
            }
            group.addTask { try await Task.sleep(for: within); return nil }
            defer { group.cancelAll() }
            return try await group.next().flatMap { $0 } ?? ""
        }
    }
}

@Suite("HTTP headers of the admin API")
struct HTTPHeadersTests {
    @Test("every admin and sign-in answer carries Cache-Control: no-store, errors too; webhooks, short links and health do not",
          arguments: TestBackend.available)
    func noStore(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (tenant, owner) = try await c.tenant(admin, slug: "sin-cache", owner: "owner@sin-cache.test")
            let login = try await c.call(.post, "/auth/login", json: ["email": "owner@sin-cache.test", "password": "Colibri-Azul-2026!"])
            let refreshToken = try #require(AdminClient.object(login)["refresh_token"] as? String)
            let answers: [(String, TestResponse, HTTPResponse.Status)] = [
                ("login", login, .ok),
                ("wrong password", try await c.call(.post, "/auth/login", json: ["email": "owner@sin-cache.test", "password": "no"]), .unauthorized),
                ("refresh", try await c.call(.post, "/auth/refresh", json: ["refresh_token": refreshToken]), .ok),
                ("create tenant", try await c.call(.post, "/clientes", token: admin, json: ["slug": "otra", "name": "Otra"]), .created),
                ("invite", try await c.call(.post, "/clientes/\(tenant)/usuarios", token: owner,
                                            json: ["email": "ana@sin-cache.test", "name": "Ana", "role": "agent"]), .created),
                ("rotate", try await c.call(.post, "/clientes/\(tenant)/catalog/secret/rotate", token: owner), .created),
                ("logs", try await c.call(.get, "/clientes/\(tenant)/logs", token: owner), .ok),
                ("plans", try await c.call(.get, "/plans", token: owner), .ok),
                ("no token", try await c.call(.get, "/clientes/\(tenant)/usuarios"), .unauthorized),
                ("unknown tenant", try await c.call(.get, "/clientes/\(UUID())", token: admin), .notFound),
                ("bad id", try await c.call(.get, "/clientes/not-a-uuid/usuarios", token: owner), .badRequest),
                ("no such method", try await c.call(.put, "/auth/login"), .methodNotAllowed),
            ]
            for (what, r, status) in answers {
                #expect(r.status == status, "\(what): \(r.text)")
                #expect(r.headers[.cacheControl] == "no-store", "\(what)")
            }
            #expect(AdminClient.object(answers[3].1)["catalog_signing_secret"] != nil)
            #expect(AdminClient.object(answers[4].1)["invitation_token"] != nil)
            for path in ["/health", "/ready", "/s/abcdEFGH1234", "/webhook/meta?hub.mode=subscribe&hub.verify_token=\(verifyToken)&hub.challenge=1"] {
                let r = try await h.client.execute(uri: path, method: .get)
                #expect(r.headers[.cacheControl] == nil, "\(path)")
            }
        }
    }

    @Test("a body to an admin or sign-in route that is not declared JSON is 415 unsupported_media_type naming what was sent, and changes nothing")
    func jsonOnly() async throws {
        try await Harness.run(.sqlite, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            func send(_ method: HTTPRequest.Method, _ path: String, contentType: String?, _ body: String, token: String? = nil) async throws -> TestResponse {
                var headers: HTTPFields = [:]
                if let contentType { headers[.contentType] = contentType }
                if let token { headers[.authorization] = "Bearer \(token)" }
                return try await h.client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(string: body))
            }
            let login = #"{"email": "ops@liora.test", "password": "Platform-admin-2026!"}"#
            // What a plain HTML form, or a script posting a string or a typeless blob, can send to another site.
            for type in ["text/plain", "text/plain; charset=utf-8", "application/x-www-form-urlencoded", "multipart/form-data; boundary=x",
                         "application/xml", "application/jsonp", "application/json-seq", nil] {
                let r = try await send(.post, "/auth/login", contentType: type, login)
                #expect(r.status == .unsupportedMediaType, "\(type ?? "none"): \(r.text)")
                #expect(r.errorCode == "unsupported_media_type", "\(type ?? "none")")
                let named = type.map { String($0.split(separator: ";")[0]) } ?? "no Content-Type"
                let message = (AdminClient.object(r)["error"] as? [String: Any])?["message"] as? String ?? ""
                #expect(message.contains(named), "\(message)")
                #expect(r.headers[.cacheControl] == "no-store")
            }
            let created = try await send(.post, "/clientes", contentType: "text/plain", #"{"slug": "por-form", "name": "Por form"}"#, token: admin)
            #expect(created.status == .unsupportedMediaType)
            #expect(try await h.store.listTenants(search: "por-form", after: nil, limit: 10).isEmpty)
            // JSON however it is spelled.
            for type in ["application/json", "application/json; charset=utf-8", "Application/JSON;charset=UTF-8", "application/vnd.liora+json"] {
                #expect(try await send(.post, "/auth/login", contentType: type, login).status == .ok, "\(type)")
            }
            // No body, no type needed: suspend and resume a tenant.
            let tenant = try await c.createTenant(admin, slug: "sin-cuerpo").id
            for action in ["suspend", "resume"] {
                let r = try await send(.post, "/clientes/\(tenant)/\(action)", contentType: nil, "", token: admin)
                #expect(r.status == .ok, "\(action): \(r.text)")
            }
            // A chunked body is read to see whether there is one.
            let port = try #require(h.client.port)
            func chunked(_ body: String, type: String?) -> [UInt8] {
                let chunk = body.isEmpty ? "" : String(body.utf8.count, radix: 16) + "\r\n" + body + "\r\n"
                return Array(("POST /clientes/\(tenant)/suspend HTTP/1.1\r\nHost: localhost\r\nAuthorization: Bearer \(admin)\r\n"
                    + (type.map { "Content-Type: \($0)\r\n" } ?? "") + "Transfer-Encoding: chunked\r\nConnection: close\r\n\r\n"
                    + chunk + "0\r\n\r\n").utf8)
            }
            let plain = try await rawExchange(port: port, chunked("{}", type: "text/plain"))
            #expect(plain.hasPrefix("HTTP/1.1 415"), "\(plain)")
            let empty = try await rawExchange(port: port, chunked("", type: nil))
            #expect(empty.hasPrefix("HTTP/1.1 200"), "\(empty)")
            #expect(empty.contains(#""status":"suspended""#))
            // The signed catalog API keeps its own rules; a path nobody serves is still 404.
            #expect(try await send(.post, "/clientes/\(tenant)/nada", contentType: "text/plain", "x", token: admin).status == .notFound)
        }
    }

    @Test("a request whose headers are over the server's limit gets the usual JSON error, 431 headers_too_large, not an empty 400")
    func oversizedHeader() async throws {
        try await Harness.run(.sqlite, jwtSecret: jwtSecret) { h in
            let port = try #require(h.client.port)
            let head = "GET /clientes HTTP/1.1\r\nHost: localhost\r\nX-Client-ID: \(String(repeating: "a", count: 100 * 1024))\r\n\r\n"
            let reply = try await rawExchange(port: port, Array(head.utf8))
            #expect(reply.hasPrefix("HTTP/1.1 431"), "\(reply.prefix(300))")
            let body = String(reply[(reply.range(of: "\r\n\r\n")?.upperBound ?? reply.endIndex)...])
            #expect(body.contains(#""code":"headers_too_large""#), "\(reply.prefix(300))")
            #expect(reply.lowercased().contains("content-type: application/json"))
            // A request line that is not HTTP: 400 malformed_request, with a body too.
            let garbage = try await rawExchange(port: port, Array("GET /health HTTP/1.1\r\nHost: localhost\r\nBad Header\r\n\r\n".utf8))
            #expect(garbage.hasPrefix("HTTP/1.1 400"), "\(garbage)")
            #expect(garbage.contains(#""code":"malformed_request""#), "\(garbage)")
            // The server still answers.
            #expect(try await h.client.execute(uri: "/health", method: .get).status == .ok)
        }
    }
}
