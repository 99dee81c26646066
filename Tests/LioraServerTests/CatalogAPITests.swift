import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// The signed catalog API, end to end over HTTP.
@Suite("Catalog publishing")
struct CatalogAPITests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let demoStore = try! Array(Data(contentsOf: root.appendingPathComponent("catalogs/demo-store.json")))

    static let small = Array("""
        {"currency": "MXN", "locale": "es-MX", "extra_field": {"kept": true},
         "categories": [{"id": "calzado", "name": "Calzado"}],
         "products": [{"sku": "ZAP-1", "name": "Zapatillas Running Roja", "price": "1299.00", "url": "https://shop.example/p/zap-1",
                       "category": "calzado", "stock": 3, "tags": ["tenis"], "attributes": {"color": "rojo"}}]}
        """.utf8)

    /// A tenant with a catalog signing secret; returns its id and secret.
    static func tenant(_ h: Harness, status: TenantStatus = .active) async throws -> (UUID, String) {
        let (tenant, _, _) = try await h.tenant(status: status)
        let vault = try #require(h.components.vault)
        let secret = try await h.store.withTenant(tenant.id) { s throws in
            try await CatalogSecrets.issue(in: s, vault: vault, overlap: 0, now: t0)
        }
        return (tenant.id, secret)
    }

    static func send(_ h: Harness, _ method: HTTPRequest.Method, _ path: String, tenant: UUID, body: [UInt8] = [], secret: String?,
                     id: String = "msg_" + UUID().uuidString, timestamp: Int = Int(t0.timeIntervalSince1970),
                     signature: String? = nil) async throws -> TestResponse {
        let headers = signedHeaders(id: id, timestamp: timestamp, body: body, secret: secret, signature: signature)
        return try await h.client.execute(uri: "/clientes/\(tenant.uuidString.lowercased())/catalog\(path)", method: method,
                                          headers: headers, body: ByteBuffer(bytes: body))
    }

    /// Standard Webhooks headers for `body`: signed with `secret`, or carrying `signature` as given.
    static func signedHeaders(id: String, timestamp: Int, body: [UInt8], secret: String?, signature: String? = nil) -> HTTPFields {
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[HTTPField.Name("webhook-id")!] = id
        headers[HTTPField.Name("webhook-timestamp")!] = String(timestamp)
        if let signature {
            headers[HTTPField.Name("webhook-signature")!] = signature
        } else if let secret, let key = StandardWebhooks.key(fromSecret: secret) {
            headers[HTTPField.Name("webhook-signature")!] = StandardWebhooks.sign(id: id, timestamp: timestamp, body: body, key: key)
        }
        return headers
    }

    static func json(_ r: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(r.text.utf8))) as? [String: Any] ?? [:]
    }

    @Test("a signed publish stores version 1 and activates it; the same bytes again are recognised", arguments: TestBackend.available)
    func publish(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock) { h in
            let (tenant, secret) = try await Self.tenant(h)
            let first = try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.demoStore, secret: secret)
            clock.advance(by: 1)
            #expect(first.status == .created, "\(first.text)")
            let snapshot = Self.json(first)["snapshot"] as? [String: Any] ?? [:]
            #expect(snapshot["version"] as? Int == 1)
            #expect(snapshot["active"] as? Bool == true)
            #expect((snapshot["product_count"] as? Int ?? 0) >= 60)
            #expect((snapshot["content_hash"] as? String)?.count == 64)
            let again = try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.demoStore, secret: secret)
            #expect(again.status == .ok)
            #expect(Self.json(again)["created"] as? Bool == false)
            try await h.store.withTenant(tenant) { s throws in
                #expect(try await s.catalogSnapshots(limit: 10, beforeVersion: nil).count == 1)
                #expect(try await s.activeCatalog()?.version == 1)
                #expect(try await s.catalogSnapshotBody(version: 1) == Self.demoStore)  // byte for byte
                #expect(try await s.ingestLogs(limit: 10).map(\.outcome) == [.unchanged, .accepted])
                #expect(try await s.tenantEvents(limit: 50).filter { $0.action == "catalog.activated" }.count == 1)
            }
            // The active catalog's index is ready for the bot.
            let index = try #require(h.components.catalogIndexes.index(tenantID: tenant, version: 1))
            #expect(!index.search("zapatillas", limit: 5).isEmpty)
        }
    }

    @Test("bad signatures, stale timestamps and reused ids are refused with a reason; only the ingest log is written",
          arguments: TestBackend.available)
    func refusals(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, secret) = try await Self.tenant(h)
            let other = StandardWebhooks.generateSecret()
            let now = Int(t0.timeIntervalSince1970)
            let cases: [(TestResponse, String)] = [
                (try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: other), "signature_invalid"),
                (try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: nil), "signature_headers_missing"),
                (try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: nil, signature: "v1,???"), "signature_malformed"),
                (try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: secret, timestamp: now - 301), "timestamp_out_of_range"),
                (try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: secret, timestamp: now + 301), "timestamp_out_of_range"),
            ]
            for (response, code) in cases {
                #expect(response.status == .unauthorized)
                #expect(response.errorCode == code)
            }
            // The signature covers the body: the same headers with a changed byte fail.
            let key = try #require(StandardWebhooks.key(fromSecret: secret))
            let signature = StandardWebhooks.sign(id: "msg_x", timestamp: now, body: Self.small, key: key)
            let tampered = try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small + [32], secret: nil, id: "msg_x",
                                               signature: signature)
            #expect(tampered.errorCode == "signature_invalid")
            // A good request is accepted once; its webhook-id never again.
            #expect(try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: secret, id: "msg_once").status == .created)
            let replay = try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: secret, id: "msg_once")
            #expect(replay.status == .unauthorized)
            #expect(replay.errorCode == "webhook_id_reused")
            // An unknown tenant looks like a bad signature, and a request without headers gets the
            // same answer for it as for a tenant that exists.
            let unknown = try await Self.send(h, .post, "/publish", tenant: UUID(), body: Self.small, secret: secret)
            #expect(unknown.errorCode == "signature_invalid")
            let bare = try await Self.send(h, .post, "/publish", tenant: UUID(), body: Self.small, secret: nil)
            #expect(bare.status == .unauthorized && bare.errorCode == "signature_headers_missing")
            // More than 8 signatures in one header is malformed (each one would be compared).
            let many = (0..<9).map { _ in StandardWebhooks.sign(id: "msg_many", timestamp: now, body: Self.small, key: key) }.joined(separator: " ")
            let crowded = try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: nil, id: "msg_many",
                                              signature: many)
            #expect(crowded.errorCode == "signature_malformed")
            try await h.store.withTenant(tenant) { s throws in
                #expect(try await s.catalogSnapshots(limit: 10, beforeVersion: nil).count == 1)
                let logs = try await s.ingestLogs(limit: 20)
                #expect(logs.count == 9)
                #expect(logs.filter { $0.outcome == .rejected }.count == 8)
                #expect(Set(logs.compactMap(\.reason)) == ["signature_invalid", "signature_headers_missing", "signature_malformed",
                                                           "timestamp_out_of_range", "webhook_id_reused"])
            }
        }
    }

    @Test("refusals before a valid signature are logged within a budget per tenant: the flood is still refused, its rows stop",
          arguments: TestBackend.available)
    func refusalLogBudget(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock) { h in
            let (tenant, _) = try await Self.tenant(h)
            let (quiet, quietSecret) = try await Self.tenant(h)
            let wrong = StandardWebhooks.generateSecret()
            func flood(_ n: Int) async throws {
                for _ in 0..<n {
                    let r = try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: wrong)
                    #expect(r.status == .unauthorized && r.errorCode == "signature_invalid")
                }
            }
            func rows(_ id: UUID) async throws -> Int { try await h.store.withTenant(id) { try await $0.ingestLogs(limit: 500).count } }
            // 70 forged publishes at once: the first 60 (the burst) are logged, all 70 refused.
            try await flood(70)
            #expect(try await rows(tenant) == 60)
            // Another tenant's refusals and its signed writes are not affected by the flood.
            let other = try await Self.send(h, .post, "/publish", tenant: quiet, body: Self.small, secret: wrong)
            #expect(other.errorCode == "signature_invalid")
            #expect(try await Self.send(h, .post, "/publish", tenant: quiet, body: Self.small, secret: quietSecret).status == .created)
            #expect(try await rows(quiet) == 2)
            // 10 s later the budget has 5 rows again (30 a minute).
            clock.advance(by: 10)
            try await flood(8)
            #expect(try await rows(tenant) == 65)
            let metrics = try await h.client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains("liora_ingest_log_refusals_skipped_total 13"))
        }
    }

    @Test("every attempt past the query is in the ingest log: a signed activation with a wrong body, a bad rotation body",
          arguments: TestBackend.available)
    func badRequestsAreLogged(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, secret) = try await Self.tenant(h)
            #expect(try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: secret).status == .created)
            let wrongBody = Array(#"{"version": 4}"#.utf8)
            let activation = try await Self.send(h, .post, "/snapshots/1/activate", tenant: tenant, body: wrongBody, secret: secret)
            #expect(activation.status == .badRequest && activation.errorCode == "malformed_body")
            let rotation = try await Self.send(h, .post, "/secret/rotate", tenant: tenant, body: Array(#"{"overlap_seconds": -1}"#.utf8), secret: secret)
            #expect(rotation.errorCode == "invalid_overlap")
            try await h.store.withTenant(tenant) { s throws in
                let logs = try await s.ingestLogs(limit: 10)
                for (operation, reason) in [("activate", "malformed_body"), ("rotate_secret", "invalid_overlap")] {
                    #expect(logs.contains { $0.operation == operation && $0.reason == reason && $0.httpStatus == 400 && $0.outcome == .rejected },
                            "\(operation) \(reason)")
                }
            }
        }
    }

    @Test("a bad activate flag is refused before anything is written: no ingest log row, the webhook-id not used up",
          arguments: TestBackend.available)
    func badActivateFlagWritesNothing(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, secret) = try await Self.tenant(h)
            func rows() async throws -> Int { try await h.store.withTenant(tenant) { try await $0.ingestLogs(limit: 100).count } }
            let before = try await rows()
            let flag = try await Self.send(h, .post, "/publish?activate=maybe", tenant: tenant, body: Self.small, secret: secret, id: "msg_maybe")
            #expect(flag.status == .badRequest && flag.errorCode == "invalid_parameter")
            #expect(try await rows() == before)
            // The same signed request with a valid flag goes through: its id was not used up.
            let good = try await Self.send(h, .post, "/publish?activate=true", tenant: tenant, body: Self.small, secret: secret, id: "msg_maybe")
            #expect(good.status == .created, "\(good.text)")
            #expect(try await rows() == before + 1)
        }
    }

    @Test("signed catalog writes refuse a JSON body naming a field twice (400 duplicate_key), logged like any bad body",
          arguments: [TestBackend.sqlite])
    func duplicateKeysInSignedBodies(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, secret) = try await Self.tenant(h)
            let rotation = try await Self.send(h, .post, "/secret/rotate", tenant: tenant,
                                               body: Array(#"{"overlap_seconds": 60, "overlap_seconds": 0}"#.utf8), secret: secret)
            #expect(rotation.status == .badRequest && rotation.errorCode == "duplicate_key", "\(rotation.text)")
            #expect(try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: secret).status == .created)
            let activation = try await Self.send(h, .post, "/snapshots/1/activate", tenant: tenant,
                                                 body: Array(#"{"version": 1, "version": 1}"#.utf8), secret: secret)
            #expect(activation.status == .badRequest && activation.errorCode == "duplicate_key", "\(activation.text)")
            // The old secret still signs: the rotation did not happen.
            #expect(try await Self.send(h, .get, "/active", tenant: tenant, secret: secret).status == .ok)
            try await h.store.withTenant(tenant) { s throws in
                let logs = try await s.ingestLogs(limit: 10)
                #expect(logs.filter { $0.reason == "duplicate_key" }.map(\.operation).sorted() == ["activate", "rotate_secret"])
            }
        }
    }

    @Test("the refusal budget refills with time, never from a clock stepping back, and holds at most maxTenants buckets")
    func refusalBudgetBounds() {
        let skipped = NIOLockedValueBox(0)
        let budget = RefusalLogBudget(burst: 2, perMinute: 60, maxTenants: 2, onSkipped: { skipped.withLockedValue { $0 += 1 } })
        let (a, b, c) = (UUID(), UUID(), UUID())
        #expect(budget.allow(a, now: t0) && budget.allow(a, now: t0))
        #expect(!budget.allow(a, now: t0))
        #expect(!budget.allow(a, now: t0.addingTimeInterval(-30)))  // earlier: nothing refills
        #expect(budget.allow(a, now: t0.addingTimeInterval(1)))       // one a second
        #expect(!budget.allow(a, now: t0.addingTimeInterval(1)))
        #expect(budget.allow(b, now: t0.addingTimeInterval(1)))
        // Both buckets are in use: a third tenant is not logged (fail closed) …
        #expect(!budget.allow(c, now: t0.addingTimeInterval(1)))
        // … until a bucket has refilled completely and can be forgotten.
        #expect(budget.allow(c, now: t0.addingTimeInterval(10)))
        #expect(skipped.withLockedValue { $0 } == 4)
    }

    @Test("concurrent publishes of one tenant all succeed, one after the other: distinct versions, an identical body is unchanged, no 500",
          arguments: TestBackend.available)
    func concurrentPublishes(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, secret) = try await Self.tenant(h)
            let bodies = (0..<6).map { i in
                Array(String(decoding: Self.small, as: UTF8.self).replacingOccurrences(of: "Running Roja", with: "Running \(i)").utf8)
            } + [Self.small, Self.small]
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                // Each on a connection of its own: the harness's one client connection sends them one
                // after another, so they were not concurrent, and under a loaded machine the last
                // ones ran out the client's read timeout waiting behind the others.
                let port = try #require(h.client.port)
                for body in bodies {
                    let headers = Self.signedHeaders(id: "msg_" + UUID().uuidString, timestamp: Int(t0.timeIntervalSince1970), body: body,
                                                     secret: secret)
                    let request = TestClient.Request("/clientes/\(tenant.uuidString.lowercased())/catalog/publish", method: .post,
                                                     headers: headers, body: ByteBuffer(bytes: body))
                    group.addTask {
                        try await TestClient.withClient(host: "localhost", port: port, configuration: .init(timeout: .seconds(60))) { c in
                            try await c.execute(request).status
                        }
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 7, "\(statuses)")
            #expect(statuses.filter { $0 == .ok }.count == 1, "\(statuses)")
            try await h.store.withTenant(tenant) { s throws in
                #expect(try await s.catalogSnapshots(limit: 20, beforeVersion: nil).map(\.version).sorted() == Array(1...7))
            }
        }
    }

    @Test("an invalid catalog gets every problem with its path in one 422, and nothing is stored", arguments: TestBackend.available)
    func validation(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock) { h in
            let (tenant, secret) = try await Self.tenant(h)
            let bad = Array("""
                {"currency": "MXN", "locale": "es-MX", "categories": [{"id": "calzado", "name": "Calzado"}],
                 "products": [
                   {"sku": "A", "name": "Uno", "price": "12,50", "url": "https://x.example/a", "category": "calzado", "stock": 1},
                   {"sku": "A", "name": "Dos", "price": "10.00", "url": "not a url", "category": "ropa", "stock": 1},
                   {"sku": "C", "price": "10.00", "url": "https://x.example/c", "category": "calzado", "stock": "many"}
                 ]}
                """.utf8)
            let r = try await Self.send(h, .post, "/publish", tenant: tenant, body: bad, secret: secret)
            #expect(r.status == .unprocessableContent)
            #expect(r.errorCode == "validation_failed")
            let problems = (Self.json(r)["error"] as? [String: Any])?["problems"] as? [[String: Any]] ?? []
            let found = Set(problems.map { "\($0["path"] as? String ?? "") \($0["code"] as? String ?? "")" })
            for expected in ["$.products[0].price bad_price", "$.products[1].sku duplicate_sku", "$.products[1].url bad_url",
                             "$.products[1].category unknown_category", "$.products[2].name missing_field",
                             "$.products[2].stock wrong_type"] {
                #expect(found.contains(expected), "\(expected) not in \(found)")
            }
            clock.advance(by: 1)
            let notJSON = try await Self.send(h, .post, "/publish", tenant: tenant, body: Array("{\"currency\": ".utf8), secret: secret)
            #expect(notJSON.status == .unprocessableContent)
            try await h.store.withTenant(tenant) { s throws in
                #expect(try await s.catalogSnapshots(limit: 10, beforeVersion: nil).isEmpty)
                #expect(try await s.activeCatalog() == nil)
                let logs = try await s.ingestLogs(limit: 10)
                #expect(logs.map(\.reason) == ["validation_failed", "validation_failed"])
                #expect(logs.last?.problemCount == problems.count)
            }
        }
    }

    @Test("publish without activating, then activate any version (rollback); reads are signed too", arguments: TestBackend.available)
    func rollback(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, secret) = try await Self.tenant(h)
            #expect(try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: secret).status == .created)
            let second = try await Self.send(h, .post, "/publish?activate=false", tenant: tenant, body: Self.demoStore, secret: secret)
            #expect(second.status == .created)
            #expect((Self.json(second)["snapshot"] as? [String: Any])?["active"] as? Bool == false)
            var active = try await Self.send(h, .get, "/active", tenant: tenant, secret: secret)
            #expect(Self.json(active)["version"] as? Int == 1)
            #expect(try await Self.send(h, .post, "/snapshots/2/activate", tenant: tenant, secret: secret).status == .ok)
            active = try await Self.send(h, .get, "/active", tenant: tenant, secret: secret)
            #expect(Self.json(active)["version"] as? Int == 2)
            #expect(try await Self.send(h, .post, "/snapshots/1/activate", tenant: tenant, secret: secret).status == .ok)
            #expect(try await Self.send(h, .post, "/snapshots/7/activate", tenant: tenant, secret: secret).status == .notFound)
            // A signed body meant for another request (here a rotation refused with 400, so its id
            // was never used) does not activate anything when replayed; the version itself does.
            let rotation = Array(#"{"overlap_seconds": -5}"#.utf8)
            let refused = try await Self.send(h, .post, "/secret/rotate", tenant: tenant, body: rotation, secret: secret, id: "msg_rot")
            #expect(refused.status == .badRequest)
            let replayed = try await Self.send(h, .post, "/snapshots/2/activate", tenant: tenant, body: rotation, secret: secret, id: "msg_rot")
            #expect(replayed.status == .badRequest && replayed.errorCode == "malformed_body")
            #expect(try await Self.send(h, .post, "/snapshots/2/activate", tenant: tenant, body: Array(#"{"version": 1}"#.utf8), secret: secret).status == .badRequest)
            // Unsigned, a malformed body is not parsed: 401, not 400.
            let unsigned = try await Self.send(h, .post, "/snapshots/2/activate", tenant: tenant, body: Array("{nope".utf8), secret: nil)
            #expect(unsigned.status == .unauthorized)
            #expect(try await Self.send(h, .post, "/snapshots/1/activate", tenant: tenant, body: Array(#"{"version": 1}"#.utf8), secret: secret).status == .ok)
            let list = try await Self.send(h, .get, "/snapshots", tenant: tenant, secret: secret)
            let rows = Self.json(list)["snapshots"] as? [[String: Any]] ?? []
            #expect(rows.map { $0["version"] as? Int } == [2, 1])
            #expect(rows.map { $0["active"] as? Bool } == [false, true])
            let content = try await Self.send(h, .get, "/snapshots/1/content", tenant: tenant, secret: secret)
            #expect(Array(content.body.readableBytesView) == Self.small)
            #expect(try await Self.send(h, .get, "/snapshots", tenant: tenant, secret: "whsec_" + Data(count: 32).base64EncodedString()).status == .unauthorized)
            let index = try #require(h.components.catalogIndexes.index(tenantID: tenant, version: 1))
            #expect(index.catalog.products.count == 1)
            try await h.store.withTenant(tenant) { s throws in
                let activations = try await s.tenantEvents(limit: 50).filter { $0.action == "catalog.activated" }
                #expect(activations.count == 3)
            }
        }
    }

    @Test("publishing keeps LIORA_CATALOG_KEEP_VERSIONS snapshots and the active one; a pruned version is gone from every route",
          arguments: TestBackend.available)
    func retention(backend: TestBackend) async throws {
        try await Harness.run(backend, configure: { $0.catalogKeepVersions = 2 }) { h in
            let (tenant, secret) = try await Self.tenant(h)
            func catalog(_ stock: Int) -> [UInt8] {
                Array(String(decoding: Self.small, as: UTF8.self).replacingOccurrences(of: "\"stock\": 3", with: "\"stock\": \(stock)").utf8)
            }
            #expect(try await Self.send(h, .post, "/publish", tenant: tenant, body: catalog(1), secret: secret).status == .created)
            for stock in 2...4 {
                let r = try await Self.send(h, .post, "/publish?activate=false", tenant: tenant, body: catalog(stock), secret: secret)
                #expect((Self.json(r)["snapshot"] as? [String: Any])?["version"] as? Int == stock)
            }
            let list = try await Self.send(h, .get, "/snapshots", tenant: tenant, secret: secret)
            let rows = Self.json(list)["snapshots"] as? [[String: Any]] ?? []
            #expect(rows.map { $0["version"] as? Int } == [4, 3, 1])
            #expect(try await Self.send(h, .get, "/snapshots/2/content", tenant: tenant, secret: secret).status == .notFound)
            #expect(try await Self.send(h, .post, "/snapshots/2/activate", tenant: tenant, secret: secret).status == .notFound)
            #expect(Self.json(try await Self.send(h, .get, "/active", tenant: tenant, secret: secret))["version"] as? Int == 1)
            // Publishing the pruned content again makes it the newest version (and active); the
            // version it replaced stays, to roll back to.
            let again = try await Self.send(h, .post, "/publish", tenant: tenant, body: catalog(2), secret: secret)
            #expect(again.status == .created && (Self.json(again)["snapshot"] as? [String: Any])?["version"] as? Int == 5)
            try await h.store.withTenant(tenant) { s throws in
                #expect(try await s.catalogSnapshots(limit: 10, beforeVersion: nil).map(\.version) == [5, 4, 1])
                #expect(try await s.tenantEvents(limit: 50).filter { $0.action == "catalog.pruned" }.count == 2)
            }
            #expect(try await Self.send(h, .post, "/snapshots/1/activate", tenant: tenant, secret: secret).status == .ok)
        }
    }

    @Test("a write signed by a secret that a rotation revokes before the write commits is refused, and logged as such",
          arguments: TestBackend.available)
    func revokedBeforeTheWrite(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock) { h in
            let (tenant, secret) = try await Self.tenant(h)
            let gate = SignedRequestGate(store: h.store, vault: h.components.vault)
            func headers(_ id: String, _ body: [UInt8], _ secret: String) -> HTTPFields {
                Self.signedHeaders(id: id, timestamp: Int(t0.timeIntervalSince1970), body: body, secret: secret)
            }
            // Checked and still valid under the lock: the write goes on.
            let fine = try await gate.verifyWrite(tenantID: tenant, headers: headers("msg_fine", Self.small, secret), body: Self.small,
                                                  operation: "publish", now: t0)
            #expect(try await h.store.withTenant(tenant) { try await fine.use(in: $0, now: t0, clock: clock) } == nil)
            // Checked, then the secret is rotated away with no overlap (a leak) before the write's transaction.
            let late = try await gate.verifyWrite(tenantID: tenant, headers: headers("msg_late", Self.small, secret), body: Self.small,
                                                  operation: "publish", now: t0)
            // The hashing took a while: the rotation comes 2 s later and ends the old secret then.
            clock.advance(by: 2)
            let rotation = Array(#"{"overlap_seconds": 0}"#.utf8)
            #expect(try await Self.send(h, .post, "/secret/rotate", tenant: tenant, body: rotation, secret: secret,
                                        timestamp: Int(t0.timeIntervalSince1970) + 2).status == .created)
            let refusal = try await h.store.withTenant(tenant) { try await late.use(in: $0, now: t0, clock: clock) }
            #expect(refusal?.reason == "secret_revoked")
            #expect(refusal?.error.code == "signature_invalid" && refusal?.error.status == .unauthorized)
            // The id was not used up by the refused write; the route logs the refusal with that reason.
            #expect(try await h.store.withTenant(tenant) { try await $0.isRequestIDUsed("msg_late") } == false)
        }
    }

    @Test("bodies over the limit get 413 before any parsing", arguments: [TestBackend.sqlite])
    func tooLarge(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, secret) = try await Self.tenant(h)
            let huge = [UInt8](repeating: 32, count: 32 * 1024 * 1024 + 1)
            let r = try await Self.send(h, .post, "/publish", tenant: tenant, body: huge, secret: secret)
            #expect(r.status == .contentTooLarge)
            #expect(r.text.contains("larger than 32 MB"), "\(r.text)")
            // A secret rotation takes at most 64 KB: the message says so (it said "0 MB").
            let activation = try await Self.send(h, .post, "/secret/rotate", tenant: tenant, body: [UInt8](repeating: 32, count: 64 * 1024 + 1),
                                                 secret: secret)
            #expect(activation.status == .contentTooLarge)
            #expect(activation.text.contains("larger than 64 KB"), "\(activation.text)")
            try await h.store.withTenant(tenant) { s throws in
                #expect(try await s.ingestLogs(limit: 10).map(\.reason) == ["payload_too_large", "payload_too_large"])
            }
        }
    }

    @Test("a rotated secret keeps the old one valid for the overlap only", arguments: TestBackend.available)
    func rotation(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock) { h in
            let (tenant, old) = try await Self.tenant(h)
            let r = try await Self.send(h, .post, "/secret/rotate", tenant: tenant, body: Array(#"{"overlap_seconds": 600}"#.utf8), secret: old)
            #expect(r.status == .created)
            let new = try #require(Self.json(r)["secret"] as? String)
            #expect(new.hasPrefix("whsec_") && new != old)
            #expect(try await Self.send(h, .get, "/snapshots", tenant: tenant, secret: old).status == .ok)
            #expect(try await Self.send(h, .get, "/snapshots", tenant: tenant, secret: new).status == .ok)
            // The old secret, in its overlap, may not rotate again (a leaked one would end the
            // new secret and take one that never expires).
            let takeover = try await Self.send(h, .post, "/secret/rotate", tenant: tenant, body: Array(#"{"overlap_seconds": 0}"#.utf8),
                                               secret: old)
            #expect(takeover.status == .unauthorized && takeover.errorCode == "secret_not_current", "\(takeover.text)")
            #expect(try await Self.send(h, .get, "/snapshots", tenant: tenant, secret: new).status == .ok)
            clock.advance(by: 601)
            let later = Int(clock.now.timeIntervalSince1970)
            #expect(try await Self.send(h, .get, "/snapshots", tenant: tenant, secret: old, timestamp: later).status == .unauthorized)
            #expect(try await Self.send(h, .get, "/snapshots", tenant: tenant, secret: new, timestamp: later).status == .ok)
            try await h.store.withTenant(tenant) { s throws in
                let events = try await s.tenantEvents(limit: 50)
                #expect(events.contains { $0.action == "catalog.secret_rotated" && !$0.payloadJSON.contains("whsec") })
            }
        }
    }

    @Test("a signed read's headers replayed on a write are refused, and so is a replayed read", arguments: TestBackend.available)
    func readReplayedAsWrite(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, secret) = try await Self.tenant(h)
            // Only a boolean says whether to go live: `False` (as Python sends it) is false, `no` is refused.
            for value in ["no", "", "yes"] {
                let r = try await Self.send(h, .post, "/publish?activate=\(value)", tenant: tenant, body: Self.small, secret: secret)
                #expect(r.status == .badRequest && r.errorCode == "invalid_parameter", "activate=\(value)")
            }
            #expect(try await Self.send(h, .post, "/publish?activate=False", tenant: tenant, body: Self.small, secret: secret).status == .created)
            // Someone who saw a signed GET (proxy or APM logs) sends its headers again, within the 5 minutes.
            let id = "msg_seen_in_a_log"
            #expect(try await Self.send(h, .get, "/active", tenant: tenant, secret: secret, id: id).status == .notFound)
            for (method, path) in [(HTTPRequest.Method.post, "/secret/rotate"), (.post, "/snapshots/1/activate"), (.get, "/active")] {
                let r = try await Self.send(h, method, path, tenant: tenant, secret: secret, id: id)
                #expect(r.status == .unauthorized, "\(method) \(path)")
                #expect(r.errorCode == "webhook_id_reused")
            }
            // Nothing changed: the secret still signs, no version became active, no secret was added.
            #expect(try await Self.send(h, .get, "/active", tenant: tenant, secret: secret).status == .notFound)
            try await h.store.withTenant(tenant) { s throws in
                #expect(try await s.catalogSecrets(validAt: t0).count == 1)
                #expect(!(try await s.tenantEvents(limit: 50)).contains { $0.action == "catalog.secret_rotated" })
            }
        }
    }

    @Test("a suspended tenant cannot publish (423), after the signature is checked", arguments: [TestBackend.sqlite])
    func suspended(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, secret) = try await Self.tenant(h, status: .suspended)
            #expect(try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: nil).status == .unauthorized)
            let r = try await Self.send(h, .post, "/publish", tenant: tenant, body: Self.small, secret: secret)
            #expect(r.status.code == 423)
            #expect(r.errorCode == "tenant_suspended")
        }
    }

    @Test("the Bitly token is stored encrypted and shown only by its last 4 characters", arguments: TestBackend.available)
    func bitlySettings(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, secret) = try await Self.tenant(h)
            func send(_ method: HTTPRequest.Method, _ body: String = "") async throws -> TestResponse {
                let id = "msg_" + UUID().uuidString
                let ts = Int(t0.timeIntervalSince1970)
                var headers: HTTPFields = [.contentType: "application/json"]
                headers[HTTPField.Name("webhook-id")!] = id
                headers[HTTPField.Name("webhook-timestamp")!] = String(ts)
                headers[HTTPField.Name("webhook-signature")!] = StandardWebhooks.sign(
                    id: id, timestamp: ts, body: Array(body.utf8), key: StandardWebhooks.key(fromSecret: secret)!)
                return try await h.client.execute(uri: "/clientes/\(tenant.uuidString)/links/bitly", method: method, headers: headers,
                                                  body: ByteBuffer(string: body))
            }
            #expect(try await send(.get).status == .notFound)
            #expect(try await send(.put, #"{"token": "x"}"#).status == .badRequest)
            let put = try await send(.put, #"{"token": "bitly-secret-token-4321", "domain": "go.shop.mx"}"#)
            #expect(put.status == .ok)
            #expect(!put.text.contains("bitly-secret-token"))
            #expect(Self.json(put)["token_last4"] as? String == "4321")
            #expect(Self.json(try await send(.get))["domain"] as? String == "go.shop.mx")
            // A misspelt field is refused, not ignored: the settings are replaced whole, and the
            // domain set before would have been dropped.
            let typo = try await send(.put, #"{"token": "bitly-secret-token-9999", "domian": "go.shop.mx"}"#)
            #expect(typo.status == .badRequest && typo.errorCode == "unknown_field", "\(typo.text)")
            #expect(Self.json(try await send(.get))["domain"] as? String == "go.shop.mx")
            #expect(Self.json(try await send(.get))["token_last4"] as? String == "4321")
            let raw = try await h.test.database.tenantTransaction(tenant) { c in
                try await c.query("SELECT token_ciphertext FROM link_provider_settings").map { try $0.bytes("token_ciphertext") ?? [] }
            }
            #expect(raw.count == 1)
            #expect(!String(decoding: raw[0], as: UTF8.self).contains("bitly-secret"))
            #expect(try await send(.delete).status == .noContent)
            #expect(try await send(.get).status == .notFound)

            // Deleting the tenant forgets its secrets: the Bitly token, the catalog signing
            // secrets and its WhatsApp accounts' tokens (the account rows stay, for the audit trail).
            #expect(try await send(.put, #"{"token": "bitly-secret-token-4321"}"#).status == .ok)
            let secretsLeft = { () async throws -> [Int] in
                try await h.test.database.tenantTransaction(tenant) { c in
                    try await c.query("""
                        SELECT (SELECT count(*) FROM link_provider_settings) AS bitly, (SELECT count(*) FROM catalog_secrets) AS signing,
                               (SELECT count(*) FROM waba_accounts WHERE access_token_ciphertext IS NOT NULL OR app_secret_ciphertext IS NOT NULL
                                  OR verify_token_ciphertext IS NOT NULL) AS whatsapp,
                               (SELECT count(*) FROM waba_accounts) AS accounts
                        """).map { row -> [Int] in try ["bitly", "signing", "whatsapp", "accounts"].map { Int(try row.int($0) ?? -1) } }.first ?? []
                }
            }
            _ = try await h.test.database.tenantTransaction(tenant) { c in
                try await c.query("UPDATE waba_accounts SET access_token_ciphertext = $1, app_secret_ciphertext = $1", [.blob([1, 2, 3])])
            }
            #expect(try await secretsLeft() == [1, 1, 1, 1])
            try await h.store.withTenant(tenant) { try await $0.deleteTenant(actor: "test", now: t0) }
            #expect(try await secretsLeft() == [0, 0, 0, 1])
        }
    }
}
