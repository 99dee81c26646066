import Foundation
package import LioraCore
package import LioraStore
package import Logging

/// The databases every store test runs against: SQLite always, PostgreSQL when the test
/// script started a cluster (`LIORA_TEST_POSTGRES_URL`, see scripts/test). With
/// `LIORA_TEST_REQUIRE_POSTGRES=1` a missing cluster is an error, not a skip.
package enum TestBackend: String, Sendable, CaseIterable, CustomStringConvertible {
    case sqlite, postgres

    package var description: String { rawValue }

    /// The backends to parameterise tests with.
    package static var available: [TestBackend] {
        if PostgresTestCluster.fromEnvironment != nil { return [.sqlite, .postgres] }
        precondition(ProcessInfo.processInfo.environment["LIORA_TEST_REQUIRE_POSTGRES"] != "1",
                     "LIORA_TEST_REQUIRE_POSTGRES=1 but LIORA_TEST_POSTGRES_URL is not set")
        return [.sqlite]
    }
}

/// A fresh, migrated database and the store over it, for one test.
package struct TestStore: Sendable {
    package let backend: TestBackend
    package let store: SQLStore
    package let database: any SQLDatabase
    /// The service-role URL of this database (what `LIORA_DATABASE_URL` would be).
    package let url: DatabaseURL

    /// Runs `body` in a transaction as the schema owner: on PostgreSQL a connection of the
    /// migration role, past row-level security and free to change the schema; on SQLite the
    /// store's own database.
    @discardableResult
    package func asOwner<T: Sendable>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        guard case .postgres(let location) = url, let cluster = PostgresTestCluster.fromEnvironment else {
            return try await database.transaction(body)
        }
        let owner = LioraPostgresDatabase(location: cluster.ownerLocation(database: location.database), maximumConnections: 1,
                                          logger: TestDatabases.logger)
        do {
            let result = try await owner.transaction(body)
            await owner.close()
            return result
        } catch {
            await owner.close()
            throw error
        }
    }
}

package enum TestDatabases {
    package static let logger: Logger = {
        var l = Logger(label: "liora-tests")
        l.logLevel = .critical
        return l
    }()

    /// Runs `body` with a fresh migrated database of `backend`, then drops it.
    package static func withStore<T: Sendable>(_ backend: TestBackend, _ body: (TestStore) async throws -> T) async throws -> T {
        try await withDatabase(backend, migrated: true) { db, url in
            let store = SQLStore(database: db, logger: logger)
            return try await body(TestStore(backend: backend, store: store, database: db, url: url))
        }
    }

    /// Runs `body` with a fresh database (migrated or empty), then drops it.
    package static func withDatabase<T: Sendable>(
        _ backend: TestBackend, migrated: Bool, _ body: (any SQLDatabase, DatabaseURL) async throws -> T
    ) async throws -> T {
        switch backend {
        case .sqlite:
            let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-tests", isDirectory: true)
            let path = dir.appendingPathComponent("\(UUID().uuidString).sqlite").path
            let db = try await LioraSQLiteDatabase.open(path: path, logger: logger)
            defer {
                for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) }
            }
            do {
                if migrated { try await Migrator(database: db, logger: logger).migrate() }
                let result = try await body(db, .sqlite(path: path))
                await db.close()
                return result
            } catch {
                await db.close()
                throw error
            }
        case .postgres:
            guard let cluster = PostgresTestCluster.fromEnvironment else {
                throw LioraError(.invalidConfiguration, "no PostgreSQL test cluster (LIORA_TEST_POSTGRES_URL)")
            }
            return try await cluster.withDatabase(migrated: migrated, body)
        }
    }
}
