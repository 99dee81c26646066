import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraServer
import LioraStore
import LioraTestSupport
import NIOCore
import Testing

@Suite("Database outages")
struct DatabaseOutageTests {
    @Test("with the database gone, an API request gets 503 database_unavailable with Retry-After, not a 500",
          arguments: TestBackend.available)
    func unavailableIs503(backend: TestBackend) async throws {
        let logs = LogRecorder()
        try await Harness.run(backend, logs: logs, jwtSecret: String(repeating: "j", count: 32)) { h in
            await h.test.database.close()
            let body = ByteBuffer(string: #"{"email":"ops@liora.test","password":"Platform-admin-2026!"}"#)
            let r = try await h.client.execute(uri: "/auth/login", method: .post, headers: [.contentType: "application/json"], body: body)
            #expect(r.status == .serviceUnavailable, "\(logs.all.filter { $0.contains("failed") })")
            #expect(r.errorCode == "database_unavailable")
            #expect(r.headers[.retryAfter] == "5")
            #expect(logs.all.contains { $0.contains("database unavailable") })
            #expect(!logs.all.contains { $0.contains("ops@liora.test") })
        }
    }
}
