import Foundation
import LioraCore
import LioraStore
import LioraTestSupport
import Testing

@Suite("Tenant isolation")
struct TenantIsolationTests {
    /// Two tenants with a user, a log line and an audit trail each.
    private func twoTenants(_ store: SQLStore) async throws -> (a: Tenant, b: Tenant) {
        let (a, accountA) = try await makeTenant(store)
        let (b, accountB) = try await makeTenant(store)
        for (tenant, account, wa) in [(a, accountA, "111"), (b, accountB, "222")] {
            try await store.withTenant(tenant.id) { s throws in
                let ctx = try await s.touchUserContext(waID: wa, profileName: nil, messageAt: t0, now: t0).context
                try await s.appendLog(ConversationLogEntry(tenantID: tenant.id, userContextID: ctx.id, wabaAccountID: account.id,
                                                           direction: .inbound, waMessageID: "wamid.\(wa)", messageType: "text",
                                                           body: "secret of \(wa)", status: "received", createdAt: t0))
                // A catalog, a signed request id, an ingest log and a data key each.
                let snapshot = try await s.addCatalogSnapshot(NewCatalogSnapshot(
                    id: UUID(), contentHash: "hash-\(wa)", body: Array("{}".utf8), productCount: 0, categoryCount: 0, currency: "MXN",
                    locale: "es-MX", webhookID: "msg_\(wa)"), now: t0)
                _ = try await s.activateCatalog(version: snapshot.version, actor: "test", now: t0)
                _ = try await s.useRequestID("msg_\(wa)", now: t0, forgetBefore: t0.addingTimeInterval(-600))
                try await s.recordIngest(IngestLogEntry(tenantID: tenant.id, operation: "publish", webhookID: "msg_\(wa)", outcome: .accepted,
                                                        reason: nil, httpStatus: 201, sizeBytes: 2, receivedAt: t0))
                try await s.addDataKey(Envelope.WrappedKey(tenantID: tenant.id, version: 1, masterVersion: 1, sealed: [1, 2, 3]), now: t0)
                try await s.saveExternalLink(provider: "bitly", longURL: "https://x/\(wa)", shortURL: "https://bit.ly/\(wa)", now: t0)
            }
            #expect(try await store.addRefreshToken(RefreshTokenRecord(
                id: UUID(), tokenHash: "rt-\(wa)", subjectID: UUID(), tenantID: tenant.id, role: .agent, familyID: UUID(),
                expiresAt: t0.addingTimeInterval(3600), createdAt: t0)))
        }
        return (a, b)
    }

    @Test("a tenant session sees only its own rows", arguments: TestBackend.available)
    func sessionScoped(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (a, b) = try await twoTenants(t.store)
            try await t.store.withTenant(a.id) { s throws in
                #expect(try await s.userContexts().map(\.waID) == ["111"])
                #expect(try await s.conversationLogs(limit: 10).map(\.body) == ["secret of 111"])
                #expect(try await s.wabaAccounts().allSatisfy { $0.tenantID == a.id })
                #expect(try await s.tenantEvents(limit: 10).allSatisfy { $0.tenantID == a.id })
                #expect(try await s.userContext(waID: "222") == nil)
                #expect(try await s.catalogSnapshot(contentHash: "hash-222") == nil)
                #expect(try await s.catalogSnapshots(limit: 10, beforeVersion: nil).map(\.contentHash) == ["hash-111"])
                #expect(try await s.ingestLogs(limit: 10).map(\.webhookID) == ["msg_111"])
                #expect(try await s.isRequestIDUsed("msg_222") == false)
                #expect(try await s.externalLink(provider: "bitly", longURL: "https://x/222") == nil)
                #expect(try await s.dataKeys().allSatisfy { $0.tenantID == a.id })
                // Statuses for B's messages do nothing from A.
                #expect(try await s.updateOutboundStatus(.init(waMessageID: "wamid.222", status: "read", rank: 3, at: t0)) == false)
            }
            #expect(try await t.store.withTenant(b.id) { try await $0.tenant() }?.id == b.id)
        }
    }

    @Test("PostgreSQL: row-level security stops hand-written queries from crossing tenants",
          arguments: TestBackend.available.filter { $0 == .postgres })
    func rowLevelSecurity(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (a, b) = try await twoTenants(t.store)
            // Inside A's transaction, a query with no WHERE at all still sees only A.
            let seen = try await t.database.tenantTransaction(a.id) { c in
                try await c.query("SELECT cliente_id, body FROM conversation_logs").map { try $0.uuid("cliente_id") }
            }
            #expect(seen == [a.id])
            let tenants = try await t.database.tenantTransaction(a.id) { c in
                try await c.query("SELECT id FROM clientes").map { try $0.uuid("id") }
            }
            #expect(tenants == [a.id])
            let sessions = try await t.database.tenantTransaction(a.id) { c in
                try await c.query("SELECT token_hash FROM refresh_tokens").map { try $0.string("token_hash") }
            }
            #expect(sessions == ["rt-111"])
            // Refreshing a session finds its token by hash before any tenant is known.
            #expect(try await t.store.refreshToken(hash: "rt-222")?.tenantID == b.id)
            // With no tenant set, nothing tenant-owned is visible.
            for table in ["clientes", "usuarios", "user_contexts", "waba_accounts", "convo_states", "conversation_logs", "tenant_events",
                          "tenant_skills", "outbox", "short_links", "link_clicks", "tenant_keys", "catalog_secrets",
                          "signed_request_ids", "catalog_snapshots", "catalog_active", "ingest_logs", "link_provider_settings",
                          "external_links", "refresh_tokens"] {
                let n = try await t.database.transaction { c in try await c.query("SELECT count(*) AS n FROM \(table)") }
                #expect(try n.first?.int("n") == 0, "\(table) visible without a tenant")
            }
            // Writing a row for B from A's transaction is refused by the policy.
            await #expect(throws: (any Error).self) {
                try await t.database.tenantTransaction(a.id) { c in
                    try await c.query("""
                        INSERT INTO tenant_events (id, cliente_id, actor, action, payload, created_at) VALUES ($1, $2, 'x', 'y', '{}', now())
                        """, [.uuid(UUID()), .uuid(b.id)])
                }
            }
            // Updating B's rows from A changes nothing.
            let updated = try await t.database.tenantTransaction(a.id) { c in
                try await c.query("UPDATE conversation_logs SET body = 'x' WHERE cliente_id = $1 RETURNING id", [.uuid(b.id)])
            }
            #expect(updated.isEmpty)
            // The tenant setting is transaction-local: it does not leak to the next transaction.
            let leaked = try await t.database.transaction { c in
                try await c.query("SELECT current_setting('app.cliente_id', true) AS v")
            }
            #expect(try (leaked.first?.string("v") ?? "").isEmpty)
        }
    }

    @Test("PostgreSQL: instances starting together grant the service role without tripping over each other",
          arguments: TestBackend.available.filter { $0 == .postgres })
    func concurrentGrants(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            guard case .postgres(let loc) = t.url, let cluster = PostgresTestCluster.fromEnvironment else {
                Issue.record("not a PostgreSQL store"); return
            }
            // What every `liora serve` does after migrating, four at once, a few times over: without
            // the migrators' lock PostgreSQL refuses some ("tuple concurrently updated").
            let owner = LioraPostgresDatabase(location: cluster.ownerLocation(database: loc.database), maximumConnections: 4,
                                              logger: TestDatabases.logger)
            do {
                for _ in 0..<5 {
                    try await withThrowingTaskGroup(of: Void.self) { group in
                        for _ in 0..<4 {
                            group.addTask { try await StoreFactory.grantServiceRole(owner, serviceRole: loc.username) }
                        }
                        try await group.waitForAll()
                    }
                }
                await owner.close()
            } catch {
                await owner.close()
                throw error
            }
            try await StoreFactory.checkServiceRole(t.database)
        }
    }

    @Test("PostgreSQL: the service role is accepted, the schema owner is refused",
          arguments: TestBackend.available.filter { $0 == .postgres })
    func serviceRoleCheck(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            try await StoreFactory.checkServiceRole(t.database)
            // What `liora serve` asks at start-up, as the service role (which may not create tables).
            #expect(try await Migrator(database: t.database, logger: TestDatabases.logger).pending().isEmpty)
            guard case .postgres(let loc) = t.url, let cluster = PostgresTestCluster.fromEnvironment else {
                Issue.record("not a PostgreSQL store"); return
            }
            let owner = LioraPostgresDatabase(location: cluster.ownerLocation(database: loc.database), maximumConnections: 1,
                                              logger: TestDatabases.logger)
            await #expect(throws: StoreError.self) { try await StoreFactory.checkServiceRole(owner) }
            await owner.close()
            // A plain login role made a member of the owner (a common way to "share privileges")
            // is refused too: the owner's policies would apply to it, and it could SET ROLE.
            let member = "liora_member_" + UUID().uuidString.prefix(8).lowercased()
            try await cluster.adminExec(["CREATE ROLE \(member) LOGIN PASSWORD 'm' NOSUPERUSER NOBYPASSRLS",
                                         "GRANT \(cluster.owner.username) TO \(member)"])
            var memberLocation = cluster.ownerLocation(database: loc.database)
            memberLocation.username = member
            memberLocation.password = Secret("m")
            let asMember = LioraPostgresDatabase(location: memberLocation, maximumConnections: 1, logger: TestDatabases.logger)
            let refused: Bool
            do { try await StoreFactory.checkServiceRole(asMember); refused = false } catch { refused = error is StoreError }
            await asMember.close()
            try? await cluster.adminExec(["DROP ROLE \(member)"])
            #expect(refused)
        }
    }
}

@Suite("PostgreSQL over TLS")
struct PostgresTLSTests {
    /// Whether a connection with this `sslmode` query opens within a few seconds, and if so
    /// whether it is encrypted (nil: it did not open).
    private func encrypted(_ query: String, host: String = "127.0.0.1", port: String) async -> Bool? {
        guard case .postgres(let location)? = DatabaseURL(parsing: "postgres://liora_app:app@\(host):\(port)/liora\(query)") else {
            return nil
        }
        let db = LioraPostgresDatabase(location: location, maximumConnections: 1, logger: TestDatabases.logger)
        let result = await withTaskGroup(of: Bool??.self) { group in
            group.addTask {
                let rows = try? await db.withConnection { c in
                    try await c.query("SELECT ssl FROM pg_stat_ssl WHERE pid = pg_backend_pid()", [])
                }
                return .some(rows.flatMap { try? $0.first?.bool("ssl") })
            }
            group.addTask {
                // A refused certificate is retried by the pool until this ends: generous, so a
                // connection that should open does even under the full suite's load.
                try? await Task.sleep(for: .seconds(20))
                return .some(nil)
            }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first ?? nil
        }
        await db.close()
        return result
    }

    @Test("sslmode as libpq reads it: prefer and require take a self-signed certificate, verify-* check it",
          arguments: TestBackend.available.filter { $0 == .postgres })
    func sslModes(backend: TestBackend) async throws {
        let env = ProcessInfo.processInfo.environment
        guard let root = env["LIORA_TEST_POSTGRES_SSL_ROOT"], let port = env["LIORA_PG_PORT"] else {
            Issue.record("the test cluster speaks no TLS (scripts/pg.sh found no openssl)"); return
        }
        let cases: [(query: String, host: String, expected: Bool?)] = [
            ("?sslmode=disable", "127.0.0.1", false),
            // Debian's packaged server, like this one, has a self-signed certificate: the default
            // (prefer) and require encrypt without checking it, as libpq does.
            ("", "127.0.0.1", true),
            ("?sslmode=require", "127.0.0.1", true),
            // verify-* check the certificate: not signed by any system root, so refused…
            ("?sslmode=verify-full", "localhost", nil),
            ("?sslmode=verify-ca", "127.0.0.1", nil),
            // require with a root certificate checks the chain, as libpq does: a wrong CA is refused.
            ("?sslmode=require&sslrootcert=/etc/ssl/certs/ca-certificates.crt", "127.0.0.1", nil),
            ("?sslmode=require&sslrootcert=\(root)", "127.0.0.1", true),
            // …and accepted against the CA named by sslrootcert (the host name too for verify-full).
            ("?sslmode=verify-ca&sslrootcert=\(root)", "127.0.0.1", true),
            ("?sslmode=verify-full&sslrootcert=\(root)", "localhost", true),
        ]
        // All at once: the refusals each wait out the limit.
        let results = await withTaskGroup(of: (Int, Bool?).self) { group in
            for (i, c) in cases.enumerated() { group.addTask { (i, await encrypted(c.query, host: c.host, port: port)) } }
            var out: [Int: Bool?] = [:]
            for await (i, r) in group { out[i] = r }
            return out
        }
        for (i, c) in cases.enumerated() {
            #expect(results[i] == .some(c.expected), "sslmode \(c.query) to \(c.host)")
        }
    }
}
