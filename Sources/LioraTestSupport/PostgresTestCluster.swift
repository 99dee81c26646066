import Foundation
package import LioraCore
import LioraStore
import Logging
import NIOConcurrencyHelpers

/// The throwaway PostgreSQL cluster of scripts/pg.sh: each test gets its own database, cloned
/// from a template migrated once per test process, and connects as the service role
/// `liora_app` (not superuser, no BYPASSRLS, not the owner), so row-level security applies.
package struct PostgresTestCluster: Sendable {
    package let admin: DatabaseURL.PostgresLocation
    package let owner: DatabaseURL.PostgresLocation
    package let service: DatabaseURL.PostgresLocation

    package static let fromEnvironment: PostgresTestCluster? = {
        let env = ProcessInfo.processInfo.environment
        guard let s = env["LIORA_TEST_POSTGRES_URL"], case .postgres(let service)? = DatabaseURL(parsing: s),
              let o = env["LIORA_TEST_POSTGRES_OWNER_URL"], case .postgres(let owner)? = DatabaseURL(parsing: o),
              let a = env["LIORA_TEST_POSTGRES_ADMIN_URL"], case .postgres(let admin)? = DatabaseURL(parsing: a)
        else { return nil }
        func fix(_ l: DatabaseURL.PostgresLocation) -> DatabaseURL.PostgresLocation { var l = l; l.tls = .disable; return l }
        return PostgresTestCluster(admin: fix(admin), owner: fix(owner), service: fix(service))
    }()

    private static let templateName = "liora_test_template_\(ProcessInfo.processInfo.processIdentifier)"
    private static let template = TemplateOnce()

    private final class TemplateOnce: Sendable {
        let task = LockedTask()
    }

    /// Creates the migrated template once per process.
    private func ensureTemplate() async throws {
        try await Self.template.task.run {
            let logger = TestDatabases.logger
            try await adminExec(["DROP DATABASE IF EXISTS \(Self.templateName)",
                                 "CREATE DATABASE \(Self.templateName) OWNER \(owner.username)"])
            var ownerLoc = owner
            ownerLoc.database = Self.templateName
            let db = LioraPostgresDatabase(location: ownerLoc, maximumConnections: 2, logger: logger)
            do {
                try await Migrator(database: db, logger: logger).migrate()
                try await StoreFactory.grantServiceRole(db, serviceRole: service.username)
                await db.close()
            } catch {
                await db.close()
                throw error
            }
        }
    }

    func withDatabase<T: Sendable>(migrated: Bool, _ body: (any SQLDatabase, DatabaseURL) async throws -> T) async throws -> T {
        let name = "liora_t_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
        if migrated {
            try await ensureTemplate()
            try await adminExec(["CREATE DATABASE \(name) TEMPLATE \(Self.templateName) OWNER \(owner.username)"])
        } else {
            try await adminExec(["CREATE DATABASE \(name) OWNER \(owner.username)"])
        }
        var loc = service
        loc.database = name
        var ownerLoc = owner
        ownerLoc.database = name
        if !migrated {
            // An empty database: the test migrates it itself as the owner.
            loc = ownerLoc
        }
        let db = LioraPostgresDatabase(location: loc, maximumConnections: 4, logger: TestDatabases.logger)
        do {
            let result = try await body(db, .postgres(loc))
            await db.close()
            try? await adminExec(["DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
            return result
        } catch {
            await db.close()
            try? await adminExec(["DROP DATABASE IF EXISTS \(name) WITH (FORCE)"])
            throw error
        }
    }

    /// Runs statements as the cluster's superuser (database creation only).
    package func adminExec(_ statements: [String]) async throws {
        let db = LioraPostgresDatabase(location: admin, maximumConnections: 1, logger: TestDatabases.logger)
        do {
            for s in statements { try await db.withConnection { c in try await c.query(s) } }
            await db.close()
        } catch {
            await db.close()
            throw error
        }
    }

    /// A location for `database` as the schema owner (for tests that migrate by hand).
    package func ownerLocation(database: String) -> DatabaseURL.PostgresLocation {
        var l = owner
        l.database = database
        return l
    }
}

/// Runs an async initialisation once; later callers wait for the same result.
final class LockedTask: Sendable {
    private let state = NIOLockedBox()

    func run(_ work: @escaping @Sendable () async throws -> Void) async throws {
        let task = state.task(or: work)
        try await task.value
    }
}

private final class NIOLockedBox: Sendable {
    private let box = NIOLockedValueBox<Task<Void, any Error>?>(nil)
    func task(or work: @escaping @Sendable () async throws -> Void) -> Task<Void, any Error> {
        box.withLockedValue { t in
            if let t { return t }
            let new = Task { try await work() }
            t = new
            return new
        }
    }
}
