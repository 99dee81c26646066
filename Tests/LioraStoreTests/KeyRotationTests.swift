import Foundation
import LioraCore
import LioraStore
import LioraTestSupport
import Testing

@Suite("Master key rotation")
struct KeyRotationTests {
    static let k1 = Data(repeating: 11, count: 32).base64EncodedString()
    static let k2 = Data(repeating: 22, count: 32).base64EncodedString()

    @Test("liora keys rotate re-wraps every tenant key under the new version; secrets still open; the old version can be retired",
          arguments: TestBackend.available)
    func rotate(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let old = SecretVault(ring: try MasterKeyRing(parsing: Self.k1))
            var sealed: [(UUID, UUID, [UInt8], Int)] = []
            for _ in 0..<3 {
                let (tenant, _) = try await makeTenant(t.store)
                let row = UUID()
                let binding = EncryptionBinding(tenantID: tenant.id, table: "catalog_secrets", rowID: row.uuidString, column: "secret_ciphertext")
                let s = try await t.store.withTenant(tenant.id) { s throws in
                    try await old.seal("whsec_tenant_\(tenant.slug)", binding: binding, in: s, now: t0)
                }
                sealed.append((tenant.id, row, s.ciphertext, s.keyVersion))
            }
            // The rotation runs as the schema owner on PostgreSQL (the only role that sees every tenant key).
            var owner: (any SQLDatabase)?
            if case .postgres(let loc) = t.url, let cluster = PostgresTestCluster.fromEnvironment {
                owner = LioraPostgresDatabase(location: cluster.ownerLocation(database: loc.database), maximumConnections: 1,
                                              logger: TestDatabases.logger)
            }
            let admin = owner ?? t.database
            #expect(try await KeyRotation.versionCounts(admin) == [1: 3])
            // The service role sees no tenant's key without a tenant: it is refused rather than
            // told there is nothing to rotate.
            if owner != nil {
                await #expect(throws: LioraError.self) { _ = try await KeyRotation.versionCounts(t.database) }
                await #expect(throws: LioraError.self) { _ = try await KeyRotation.rewrapAll(t.database, ring: try MasterKeyRing(parsing: "2:\(Self.k2),1:\(Self.k1)"), now: t0) }
            }
            let both = try MasterKeyRing(parsing: "2:\(Self.k2),1:\(Self.k1)")
            var progress: [Int] = []
            let n = try await KeyRotation.rewrapAll(admin, ring: both, now: t0, batchSize: 2) { progress.append($0) }
            #expect(n == 3)
            #expect(progress == [2, 3])
            #expect(try await KeyRotation.versionCounts(admin) == [2: 3])
            #expect(try await KeyRotation.rewrapAll(admin, ring: both, now: t0) == 0)  // idempotent
            // With only the new version configured, every secret still opens.
            let retired = SecretVault(ring: try MasterKeyRing(parsing: "2:\(Self.k2)"))
            for (tenant, row, ciphertext, version) in sealed {
                let binding = EncryptionBinding(tenantID: tenant, table: "catalog_secrets", rowID: row.uuidString, column: "secret_ciphertext")
                let opened = try await t.store.withTenant(tenant) { s throws in
                    try await retired.open(ciphertext, keyVersion: version, binding: binding, in: s)
                }
                #expect(opened.value.hasPrefix("whsec_tenant_"))
                let events = try await t.store.withTenant(tenant) { s throws in try await s.tenantEvents(limit: 20) }
                #expect(events.filter { $0.action == "key.rotated" }.count == 1)
                // …and the old master key alone no longer can.
                await #expect(throws: LioraError.self) {
                    _ = try await t.store.withTenant(tenant) { s throws in try await old.open(ciphertext, keyVersion: version, binding: binding, in: s) }
                }
            }
            await owner?.close()
        }
    }

    @Test("the check `keys status` exits 3 on and `serve` warns about: the versions still wrapping tenant keys that LIORA_MASTER_KEY lacks, with their counts",
          arguments: TestBackend.available)
    func missingVersions(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let v1 = SecretVault(ring: try MasterKeyRing(parsing: Self.k1))
            for _ in 0..<2 {
                let (tenant, _) = try await makeTenant(t.store)
                let binding = EncryptionBinding(tenantID: tenant.id, table: "catalog_secrets", rowID: UUID().uuidString, column: "secret_ciphertext")
                _ = try await t.store.withTenant(tenant.id) { s throws in try await v1.seal("whsec_x", binding: binding, in: s, now: t0) }
            }
            var owner: (any SQLDatabase)?
            if case .postgres(let loc) = t.url, let cluster = PostgresTestCluster.fromEnvironment {
                owner = LioraPostgresDatabase(location: cluster.ownerLocation(database: loc.database), maximumConnections: 1,
                                              logger: TestDatabases.logger)
            }
            let admin = owner ?? t.database
            // Version 1 was dropped from the list too early.
            let missing = try await KeyRotation.missingVersions(admin, ring: try MasterKeyRing(parsing: "2:\(Self.k2)"))
            #expect(missing == [1: 2])
            #expect(KeyRotation.missingVersionsWarning(missing)?.hasPrefix("LIORA_MASTER_KEY lacks master key version 1, still wrapping 2 tenant key(s)") == true)
            // Nothing missing while both versions are listed (mid-rotation), nor with version 1 alone.
            #expect(try await KeyRotation.missingVersions(admin, ring: try MasterKeyRing(parsing: "2:\(Self.k2),1:\(Self.k1)")).isEmpty)
            #expect(try await KeyRotation.missingVersions(admin, ring: try MasterKeyRing(parsing: Self.k1)).isEmpty)
            #expect(KeyRotation.missingVersionsWarning([:]) == nil)
            #expect(KeyRotation.missingVersionsWarning([3: 1, 1: 4])?.hasPrefix("LIORA_MASTER_KEY lacks master key versions 1, 3, still wrapping 5 tenant key(s)") == true)
            await owner?.close()
        }
    }
}
