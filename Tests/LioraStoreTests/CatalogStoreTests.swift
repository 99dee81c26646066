import Foundation
import LioraCore
import LioraStore
import LioraTestSupport
import Testing

@Suite("Catalog, keys and signed-request storage")
struct CatalogStoreTests {
    static let ring = try! MasterKeyRing(parsing: Data(repeating: 3, count: 32).base64EncodedString())

    func snapshot(_ text: String, webhookID: String? = "msg_1") -> NewCatalogSnapshot {
        let body = Array(text.utf8)
        return NewCatalogSnapshot(id: UUID(), contentHash: String(text.hashValue), body: body, productCount: 1, categoryCount: 1,
                                  currency: "MXN", locale: "es-MX", webhookID: webhookID)
    }

    @Test("snapshots are numbered per tenant, found by hash, kept byte for byte and immutable", arguments: TestBackend.available)
    func snapshots(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (a, _) = try await makeTenant(t.store)
            let (b, _) = try await makeTenant(t.store)
            let bodyA1 = #"{"a": 1, "ñ": "é"}"#
            let (v1, v2) = try await t.store.withTenant(a.id) { s throws in
                (try await s.addCatalogSnapshot(snapshot(bodyA1), now: t0), try await s.addCatalogSnapshot(snapshot("{\"a\":2}"), now: t0))
            }
            #expect(v1.version == 1)
            #expect(v2.version == 2)
            let vb = try await t.store.withTenant(b.id) { s throws in try await s.addCatalogSnapshot(snapshot("{\"b\":1}"), now: t0) }
            #expect(vb.version == 1)
            try await t.store.withTenant(a.id) { s throws in
                #expect(try await s.catalogSnapshotBody(version: 1) == Array(bodyA1.utf8))
                #expect(try await s.catalogSnapshot(contentHash: v2.contentHash)?.version == 2)
                #expect(try await s.catalogSnapshot(contentHash: vb.contentHash) == nil)  // B's content is not visible from A
                #expect(try await s.catalogSnapshots(limit: 10, beforeVersion: nil).map(\.version) == [2, 1])
                #expect(try await s.catalogSnapshots(limit: 10, beforeVersion: 2).map(\.version) == [1])
                #expect(try await s.activeCatalog() == nil)
                let active = try await s.activateCatalog(version: 2, actor: "test", now: t0)
                #expect(active.version == 2)
                _ = try await s.activateCatalog(version: 1, actor: "test", now: t0.addingTimeInterval(1))
                #expect(try await s.activeCatalog()?.version == 1)
                await #expect(throws: LioraError.self) { _ = try await s.activateCatalog(version: 9, actor: "test", now: t0) }
                let events = try await s.tenantEvents(limit: 20).filter { $0.action == "catalog.activated" }
                #expect(events.count == 2)
                let payload = try JSONSerialization.jsonObject(with: Data((events.last?.payloadJSON ?? "{}").utf8)) as? [String: String]
                #expect(payload?["previous_version"] == "2")
                #expect(payload?["version"] == "1")
            }
            // The same content hash twice for one tenant is refused by the database (a unique key).
            await #expect {
                try await t.store.withTenant(a.id) { s throws in _ = try await s.addCatalogSnapshot(snapshot(bodyA1), now: t0) }
            } throws: { error in
                if case StoreError.uniqueViolation = error { true } else { false }
            }
            // Snapshots never change once stored.
            await #expect(throws: (any Error).self) {
                try await t.database.tenantTransaction(a.id) { c in
                    try await c.query("UPDATE catalog_snapshots SET locale = 'en-US' WHERE cliente_id = $1", [.uuid(a.id)])
                }
            }
            try await t.store.withTenant(a.id) { s throws in
                #expect(try await s.catalogSnapshots(limit: 10, beforeVersion: nil).map(\.locale) == ["es-MX", "es-MX"])
            }
        }
    }

    @Test("pruning keeps the newest versions, the active one and those asked for, a few at a time, audits what went, and never reuses a number",
          arguments: TestBackend.available)
    func pruning(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (a, _) = try await makeTenant(t.store)
            let (b, _) = try await makeTenant(t.store)
            try await t.store.withTenant(b.id) { s throws in _ = try await s.addCatalogSnapshot(snapshot("{\"b\":1}"), now: t0) }
            try await t.store.withTenant(a.id) { s throws in
                for n in 1...8 { _ = try await s.addCatalogSnapshot(snapshot("{\"a\":\(n)}"), now: t0) }
                _ = try await s.activateCatalog(version: 2, actor: "test", now: t0)
                // Oldest first, at most 2 this time; 2 is active and 4 asked for.
                #expect(try await s.pruneCatalogSnapshots(keepNewest: 2, alsoKeeping: [4], atMost: 2, actor: "catalog-api", now: t0) == [1, 3])
                #expect(try await s.pruneCatalogSnapshots(keepNewest: 2, alsoKeeping: [4], atMost: 5, actor: "catalog-api", now: t0) == [5, 6])
                #expect(try await s.catalogSnapshots(limit: 10, beforeVersion: nil).map(\.version) == [8, 7, 4, 2])
                #expect(try await s.catalogSnapshotBody(version: 2) == Array("{\"a\":2}".utf8))
                #expect(try await s.catalogSnapshotBody(version: 1) == nil)
                // Nothing more to prune: no further event.
                #expect(try await s.pruneCatalogSnapshots(keepNewest: 2, alsoKeeping: [4], atMost: 5, actor: "catalog-api", now: t0) == [])
                let events = try await s.tenantEvents(limit: 20).filter { $0.action == "catalog.pruned" }
                #expect(events.count == 2)
                let payloads = try events.map { try JSONSerialization.jsonObject(with: Data($0.payloadJSON.utf8)) as? [String: String] }
                #expect(Set(payloads.compactMap { $0?["versions"] }) == ["1,3", "5,6"])
                #expect(payloads.allSatisfy { $0?["kept_newest"] == "2" } && events.allSatisfy { $0.actor == "catalog-api" })
                // A pruned body published again is a new version, after the newest.
                #expect(try await s.addCatalogSnapshot(snapshot("{\"a\":1}"), now: t0).version == 9)
                #expect(try await s.pruneCatalogSnapshots(keepNewest: 1, alsoKeeping: [], atMost: 5, actor: "catalog-api", now: t0) == [4, 7, 8])
                #expect(try await s.catalogSnapshots(limit: 10, beforeVersion: nil).map(\.version) == [9, 2])
            }
            // Another tenant's snapshots are not touched.
            try await t.store.withTenant(b.id) { s throws in
                #expect(try await s.catalogSnapshots(limit: 10, beforeVersion: nil).map(\.version) == [1])
            }
        }
    }

    @Test("a webhook-id is used once per tenant; old ids are forgotten", arguments: TestBackend.available)
    func requestIDs(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (a, _) = try await makeTenant(t.store)
            let (b, _) = try await makeTenant(t.store)
            try await t.store.withTenant(a.id) { s throws in
                #expect(try await s.isRequestIDUsed("msg_1") == false)
                #expect(try await s.useRequestID("msg_1", now: t0, forgetBefore: t0.addingTimeInterval(-600)) == true)
                #expect(try await s.isRequestIDUsed("msg_1") == true)
                #expect(try await s.useRequestID("msg_1", now: t0, forgetBefore: t0.addingTimeInterval(-600)) == false)
            }
            try await t.store.withTenant(b.id) { s throws in
                #expect(try await s.useRequestID("msg_1", now: t0, forgetBefore: t0.addingTimeInterval(-600)) == true)
            }
            try await t.store.withTenant(a.id) { s throws in
                let later = t0.addingTimeInterval(3600)
                #expect(try await s.useRequestID("msg_2", now: later, forgetBefore: later.addingTimeInterval(-600)) == true)
                #expect(try await s.isRequestIDUsed("msg_1") == false)
            }
        }
    }

    @Test("secrets are stored sealed; a rotation keeps the old one until the overlap ends", arguments: TestBackend.available)
    func secrets(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (a, _) = try await makeTenant(t.store)
            let vault = SecretVault(ring: Self.ring)
            let first = UUID()
            try await t.store.withTenant(a.id) { s throws in
                let b1 = EncryptionBinding(tenantID: a.id, table: "catalog_secrets", rowID: first.uuidString, column: "secret_ciphertext")
                let sealed = try await vault.seal("whsec_first", binding: b1, in: s, now: t0)
                #expect(sealed.keyVersion == 1)
                try await s.addCatalogSecret(StoredSecret(id: first, ciphertext: sealed.ciphertext, keyVersion: 1, createdAt: t0),
                                             othersExpireAt: t0, now: t0)
                #expect(try await s.dataKeys().count == 1)
                let second = UUID()
                let b2 = EncryptionBinding(tenantID: a.id, table: "catalog_secrets", rowID: second.uuidString, column: "secret_ciphertext")
                let sealed2 = try await vault.seal("whsec_second", binding: b2, in: s, now: t0)
                #expect(try await s.dataKeys().count == 1)  // the tenant key is reused
                try await s.addCatalogSecret(StoredSecret(id: second, ciphertext: sealed2.ciphertext, keyVersion: 1, createdAt: t0.addingTimeInterval(1)),
                                             othersExpireAt: t0.addingTimeInterval(100), now: t0.addingTimeInterval(1))
                let during = try await s.catalogSecrets(validAt: t0.addingTimeInterval(50))
                #expect(during.map(\.id) == [second, first])
                #expect(try await vault.open(during[1].ciphertext, keyVersion: 1, binding: b1, in: s).value == "whsec_first")
                #expect(try await s.catalogSecrets(validAt: t0.addingTimeInterval(101)).map(\.id) == [second])
                // Another rotation inside the overlap: the first stops at once; two stay valid, never three.
                let third = UUID()
                let b3 = EncryptionBinding(tenantID: a.id, table: "catalog_secrets", rowID: third.uuidString, column: "secret_ciphertext")
                let sealed3 = try await vault.seal("whsec_third", binding: b3, in: s, now: t0)
                try await s.addCatalogSecret(StoredSecret(id: third, ciphertext: sealed3.ciphertext, keyVersion: 1, createdAt: t0.addingTimeInterval(2)),
                                             othersExpireAt: t0.addingTimeInterval(200), now: t0.addingTimeInterval(2))
                #expect(try await s.catalogSecrets(validAt: t0.addingTimeInterval(50)).map(\.id) == [third, second])
                #expect(try await s.catalogSecrets(validAt: t0.addingTimeInterval(150)).map(\.id) == [third, second])
                // Copied onto the other row, the ciphertext does not open.
                await #expect(throws: LioraError.self) { _ = try await vault.open(during[1].ciphertext, keyVersion: 1, binding: b2, in: s) }
            }
            // Nothing readable is stored.
            let raw = try await t.database.tenantTransaction(a.id) { c in
                try await c.query("SELECT secret_ciphertext FROM catalog_secrets").map { try $0.bytes("secret_ciphertext") ?? [] }
            }
            #expect(raw.count == 3)
            #expect(raw.allSatisfy { !String(decoding: $0, as: UTF8.self).contains("whsec") })
        }
    }

    @Test("publish attempts are logged, newest first", arguments: TestBackend.available)
    func ingestLogs(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (a, _) = try await makeTenant(t.store)
            try await t.store.withTenant(a.id) { s throws in
                try await s.recordIngest(IngestLogEntry(tenantID: a.id, operation: "publish", webhookID: "msg_1", outcome: .rejected,
                                                        reason: "signature_invalid", httpStatus: 401, sizeBytes: 10, receivedAt: t0))
                try await s.recordIngest(IngestLogEntry(tenantID: a.id, operation: "publish", webhookID: "msg_2", outcome: .accepted,
                                                        reason: nil, httpStatus: 201, snapshotVersion: 1, contentHash: "abc",
                                                        sizeBytes: 10, receivedAt: t0.addingTimeInterval(1)))
                let logs = try await s.ingestLogs(limit: 10)
                #expect(logs.map(\.webhookID) == ["msg_2", "msg_1"])
                #expect(logs.last?.reason == "signature_invalid")
                #expect(logs.first?.snapshotVersion == 1)
            }
        }
    }

    @Test("external links and the Bitly settings are per tenant", arguments: TestBackend.available)
    func linkProvider(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (a, _) = try await makeTenant(t.store)
            let (b, _) = try await makeTenant(t.store)
            let vault = SecretVault(ring: Self.ring)
            try await t.store.withTenant(a.id) { s throws in
                let binding = EncryptionBinding(tenantID: a.id, table: "link_provider_settings", rowID: a.id.uuidString, column: "token_ciphertext")
                let sealed = try await vault.seal("bitly-token-9876", binding: binding, in: s, now: t0)
                try await s.setLinkProviderSettings(LinkProviderSettings(
                    provider: "bitly", tokenCiphertext: sealed.ciphertext, keyVersion: sealed.keyVersion, tokenLast4: "9876",
                    domain: "go.shop.mx", groupGUID: nil, updatedAt: t0), actor: "test", now: t0)
                try await s.saveExternalLink(provider: "bitly", longURL: "https://x/1", shortURL: "https://go.shop.mx/a", now: t0)
                #expect(try await s.externalLink(provider: "bitly", longURL: "https://x/1") == "https://go.shop.mx/a")
                #expect(try await s.linkProviderSettings()?.tokenLast4 == "9876")
                #expect(try await s.tenantEvents(limit: 10).contains { $0.action == "links.provider_set" && !$0.payloadJSON.contains("bitly-token") })
            }
            try await t.store.withTenant(b.id) { s throws in
                #expect(try await s.linkProviderSettings() == nil)
                #expect(try await s.externalLink(provider: "bitly", longURL: "https://x/1") == nil)
            }
            try await t.store.withTenant(a.id) { s throws in
                try await s.setLinkProviderSettings(nil, actor: "test", now: t0)
                #expect(try await s.linkProviderSettings() == nil)
            }
        }
    }
}
