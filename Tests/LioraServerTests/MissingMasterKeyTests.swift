import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import Testing

/// A tenant key wrapped under a master key version LIORA_MASTER_KEY lacks (a version retired too
/// early, or an instance started with an old key list).
@Suite("Missing master key version")
struct MissingMasterKeyTests {
    @Test("catalog publish and secret rotation for a tenant whose key needs a missing master version answer 503 server_misconfigured and log an error naming the route",
          arguments: TestBackend.available)
    func requestsAnswer503AndLog(backend: TestBackend) async throws {
        let logs = LogRecorder()
        try await Harness.run(backend, logs: logs) { h in
            let (tenant, secret) = try await CatalogAPITests.tenant(h)
            #expect(try await CatalogAPITests.send(h, .post, "/publish", tenant: tenant, body: CatalogAPITests.small, secret: secret).status == .created)
            // The tenant's key as if sealed under version 2, which this server (version 1 only) lacks.
            try await h.test.asOwner { c in
                try await c.query("UPDATE tenant_keys SET master_version = 2 WHERE cliente_id = $1", [.uuid(tenant)])
            }

            let publish = try await CatalogAPITests.send(h, .post, "/publish", tenant: tenant, body: CatalogAPITests.small, secret: secret)
            let rotate = try await CatalogAPITests.send(h, .post, "/secret/rotate", tenant: tenant,
                                                        body: Array(#"{"overlap_seconds": 60}"#.utf8), secret: secret)
            for (response, route) in [(publish, "POST /clientes/{cliente_id}/catalog/publish"),
                                      (rotate, "POST /clientes/{cliente_id}/catalog/secret/rotate")] {
                #expect(response.status == .serviceUnavailable, "\(response.text)")
                let error = CatalogAPITests.json(response)["error"] as? [String: Any]
                #expect(error?["code"] as? String == "server_misconfigured")
                #expect(error?["message"] as? String == "master key version 2 is not configured")
                let logged = logs.all.filter { $0.hasPrefix("error request needs configuration the server lacks") && $0.contains(route) }
                #expect(logged.count == 1, "no error line for \(route): \(logs.all)")
                #expect(logged.first?.contains("master key version 2 is not configured") == true)
            }
        }
    }
}
