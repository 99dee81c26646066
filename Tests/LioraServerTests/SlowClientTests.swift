import Foundation
import HTTPTypes
import LioraCore
import LioraStore
import HummingbirdTesting
import LioraServer
import LioraTestSupport
import NIOCore
import NIOPosix
import Testing

/// A raw TCP connection to the test server: writes bytes as given and reads what comes back,
/// so a test can stall in the middle of a request the way a slow or hostile client does.
private struct RawConnection {
    /// What the server sent before it closed the connection or `until` matched, within `within`.
    struct Reply { var text: String; var closed: Bool }

    static func exchange(port: Int, send: String, within: Duration = .seconds(10),
                         until: @escaping @Sendable (String) -> Bool = { _ in false }) async throws -> Reply {
        try await exchange(port: port, sendInPieces: [send], within: within, until: until)
    }

    /// Writes each piece 100 ms after the one before.
    static func exchange(port: Int, sendInPieces pieces: [String], within: Duration = .seconds(10),
                         until: @escaping @Sendable (String) -> Bool = { _ in false }) async throws -> Reply {
        let channel = try await ClientBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .connect(host: "localhost", port: port) { ch in
                ch.eventLoop.makeCompletedFuture { try NIOAsyncChannel<ByteBuffer, ByteBuffer>(wrappingChannelSynchronously: ch) }
            }
        return try await channel.executeThenClose { inbound, outbound in
            for (n, piece) in pieces.enumerated() where !piece.isEmpty {
                if n > 0 { try await Task.sleep(for: .milliseconds(100)) }
                try await outbound.write(ByteBuffer(string: piece))
            }
            return try await withThrowingTaskGroup(of: Reply?.self) { group in
                group.addTask {
                    var text = ""
                    for try await chunk in inbound {
                        text += String(buffer: chunk)
                        if until(text) { return Reply(text: text, closed: false) }
                    }
                    return Reply(text: text, closed: true)
                }
                group.addTask {
                    try await Task.sleep(for: within)
                    return nil
                }
                defer { group.cancelAll() }
                guard let first = try await group.next(), let reply = first else {
                    Issue.record("the server neither answered nor closed the connection within \(within)")
                    return Reply(text: "", closed: false)
                }
                return reply
            }
        }
    }
}

@Suite("Slow and idle clients")
struct SlowClientTests {
    @Test("a webhook body that stalls gets 408 body_timeout and gives its bytes back: the next webhook is accepted, not refused busy")
    func stalledBody() async throws {
        // The budget holds one declared body; a stalled one would otherwise keep everyone out.
        let budget = BodyBudget(limit: 100_000, readDeadline: .milliseconds(300))
        try await Harness.run(.sqlite, webhookBodies: budget) { h in
            let (_, phone, _) = try await h.tenant()
            let port = try #require(h.client.port)
            let head = "POST /webhook/meta HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "X-Hub-Signature-256: sha256=\(String(repeating: "0", count: 64))\r\nContent-Length: 90000\r\n\r\n"
            // The server answers and closes the connection at once (not after the 75 s idle timeout).
            let reply = try await RawConnection.exchange(port: port, send: head + "{\"object\":", within: .seconds(10))
            #expect(reply.text.hasPrefix("HTTP/1.1 408"))
            #expect(reply.text.contains(#""code":"body_timeout""#))
            #expect(reply.closed)
            #expect(reply.text.lowercased().contains("connection: close\r\n"))
            #expect(budget.inUse == 0)
            #expect(try await h.store.payloadCount() == 0)
            let body = WebhookBuilder.text(phoneNumberID: phone, from: "5215512345678", id: "wamid.AFTER", body: "hola")
            #expect(try await h.post(body).status == .ok)
            let metrics = try await h.client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"liora_webhook_requests_total{result="body_timeout"} 1"#))
        }
    }

    @Test("a signed catalog publish whose body stalls gets 408 body_timeout, logged for the tenant; nothing is published",
          arguments: TestBackend.available)
    func stalledCatalogBody(backend: TestBackend) async throws {
        let budget = BodyBudget(limit: 1 << 20, readDeadline: .milliseconds(300))
        try await Harness.run(backend, catalogBodies: budget) { h in
            let (tenant, secret) = try await CatalogAPITests.tenant(h)
            let port = try #require(h.client.port)
            let promised = [UInt8](repeating: 32, count: 50_000)
            var head = "POST /clientes/\(tenant.uuidString.lowercased())/catalog/publish HTTP/1.1\r\nHost: localhost\r\n"
            for field in CatalogAPITests.signedHeaders(id: "msg_stall", timestamp: Int(t0.timeIntervalSince1970), body: promised,
                                                       secret: secret) {
                head += "\(field.name): \(field.value)\r\n"
            }
            head += "Content-Length: \(promised.count)\r\n\r\n"
            let reply = try await RawConnection.exchange(port: port, send: head + "{\"catal") { $0.contains("body_timeout") }
            #expect(reply.text.hasPrefix("HTTP/1.1 408"))
            #expect(budget.inUse == 0)
            try await h.store.withTenant(tenant) { s throws in
                #expect(try await s.ingestLogs(limit: 10).map(\.reason) == ["body_timeout"])
                #expect(try await s.catalogSnapshots(limit: 10, beforeVersion: nil).isEmpty)
            }
        }
    }

    @Test("a body that arrives in time, even in pieces, is read whole and accepted")
    func slowButInTime() async throws {
        let budget = BodyBudget(limit: 100_000, readDeadline: .seconds(5))
        try await Harness.run(.sqlite, webhookBodies: budget) { h in
            let (_, phone, _) = try await h.tenant()
            let port = try #require(h.client.port)
            let body = WebhookBuilder.text(phoneNumberID: phone, from: "5215512345678", id: "wamid.PIECES", body: "hola")
            let signature = WebhookSignatureVerifier.signature(for: body, secret: Secret(appSecret))
            let head = "POST /webhook/meta HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "X-Hub-Signature-256: \(signature)\r\nContent-Length: \(body.count)\r\n\r\n"
            let text = String(decoding: body, as: UTF8.self)
            let third = text.count / 3
            let pieces = [head + String(text.prefix(third)), String(text.dropFirst(third).prefix(third)), String(text.dropFirst(2 * third))]
            let reply = try await RawConnection.exchange(port: port, sendInPieces: pieces) {
                $0.contains("\"new\":1")
            }
            #expect(reply.text.hasPrefix("HTTP/1.1 200"))
            #expect(try await h.store.payloadCount() == 1)
            #expect(budget.inUse == 0)
        }
    }

    @Test("a connection that sends nothing, or stops in the middle of a request's head, is closed after the idle timeout")
    func idleConnectionsAreClosed() async throws {
        // Long enough that a loaded machine still sends the live request's head in time.
        try await Harness.run(.sqlite, idleTimeout: .milliseconds(1500)) { h in
            let port = try #require(h.client.port)
            let silent = try await RawConnection.exchange(port: port, send: "")
            #expect(silent.closed)
            #expect(silent.text.isEmpty)
            let halfHead = try await RawConnection.exchange(port: port, send: "POST /webhook/meta HTTP/1.1\r\nHost: loc")
            #expect(halfHead.closed)
            // A keep-alive connection that is used is not closed under its user.
            let live = try await RawConnection.exchange(port: port, send: "GET /health HTTP/1.1\r\nHost: localhost\r\n\r\n") {
                $0.contains("\r\n\r\n")
            }
            #expect(live.text.hasPrefix("HTTP/1.1 200"))
        }
    }

    @Test("the simulator keeps working after the server closed its idle keep-alive connection")
    func simulatorReconnects() async throws {
        try await Harness.run(.sqlite, idleTimeout: .seconds(1)) { h in
            let (_, phone, _) = try await h.tenant()
            let port = try #require(h.client.port)
            let session = ChatSession(webhookURL: URL(string: "http://localhost:\(port)/webhook/meta")!, appSecret: Secret(appSecret),
                                      phoneNumberID: phone)
            #expect(try await session.say("hola").status == 200)
            try await Task.sleep(for: .milliseconds(2500))  // the server closes the idle connection meanwhile
            #expect(try await session.say("gracias").status == 200)
            #expect(try await h.store.payloadCount() == 2)
        }
    }
}
