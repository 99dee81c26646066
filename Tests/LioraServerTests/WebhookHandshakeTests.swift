import LioraServer
import LioraCore
import LioraStore
import HTTPTypes
import HummingbirdTesting
import LioraTestSupport
import Testing

@Suite("Meta webhook handshake")
struct WebhookHandshakeTests {
    @Test("answers hub.challenge when the verify token matches")
    func answersChallenge() async throws {
        try await Harness.run(.sqlite) { h in
            let r = try await h.client.execute(
                uri: "/webhook/meta?hub.mode=subscribe&hub.verify_token=\(verifyToken)&hub.challenge=1158201444", method: .get)
            #expect(r.status == .ok)
            #expect(r.text == "1158201444")
        }
    }

    @Test("refuses a wrong token, a wrong mode, a missing challenge", arguments: [
        "/webhook/meta?hub.mode=subscribe&hub.verify_token=wrong&hub.challenge=1",
        "/webhook/meta?hub.mode=unsubscribe&hub.verify_token=\(verifyToken)&hub.challenge=1",
        "/webhook/meta?hub.mode=subscribe&hub.verify_token=\(verifyToken)",
        "/webhook/meta",
    ])
    func refuses(uri: String) async throws {
        try await Harness.run(.sqlite) { h in
            let r = try await h.client.execute(uri: uri, method: .get)
            #expect(r.status == .forbidden)
            #expect(r.errorCode == "verification_failed")
            #expect(!r.text.contains(verifyToken))
        }
    }

    @Test("with no verify token configured every handshake is refused")
    func failsClosed() async throws {
        try await Harness.run(.sqlite, verifyToken: nil) { h in
            let r = try await h.client.execute(uri: "/webhook/meta?hub.mode=subscribe&hub.verify_token=&hub.challenge=1", method: .get)
            #expect(r.status == .forbidden)
        }
    }
}
