import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraServer
import LioraTestSupport
import Testing

@Suite("Catalog snapshot version in the path")
struct SnapshotVersionParameterTests {
    @Test("…/catalog/snapshots/{version} (and its /content and /activate) with a version that is not an integer ≥ 1 is 400 invalid_version naming the parameter; an unknown one stays 404",
          arguments: TestBackend.available)
    func invalidVersion(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let (tenant, secret) = try await CatalogAPITests.tenant(h)
            #expect(try await CatalogAPITests.send(h, .post, "/publish", tenant: tenant, body: CatalogAPITests.small, secret: secret).status == .created)
            for version in ["abc", "-1", "0", "1.5", "+1", "1e3", "%20", "99999999999999999999"] {
                let signed = try await CatalogAPITests.send(h, .get, "/snapshots/\(version)", tenant: tenant, secret: secret)
                #expect(signed.status == .badRequest, "\(version): \(signed.text)")
                #expect(signed.errorCode == "invalid_version", "\(version): \(signed.text)")
                #expect(signed.text.contains("version must be"), "\(signed.text)")
                // The form is checked before anything else: unsigned, the answer is the same.
                #expect(try await CatalogAPITests.send(h, .get, "/snapshots/\(version)", tenant: tenant, secret: nil).errorCode == "invalid_version")
                // Its siblings alike.
                #expect(try await CatalogAPITests.send(h, .get, "/snapshots/\(version)/content", tenant: tenant, secret: secret).errorCode == "invalid_version")
                #expect(try await CatalogAPITests.send(h, .post, "/snapshots/\(version)/activate", tenant: tenant, body: Array("{}".utf8), secret: secret).errorCode
                        == "invalid_version")
            }
            #expect(try await CatalogAPITests.send(h, .get, "/snapshots/1", tenant: tenant, secret: secret).status == .ok)
            let unknown = try await CatalogAPITests.send(h, .get, "/snapshots/7", tenant: tenant, secret: secret)
            #expect(unknown.status == .notFound)
            #expect(unknown.errorCode == "snapshot_not_found")
        }
    }
}
