import Foundation
import LioraCore
import LioraStore
import LioraTestSupport
import Testing

@Suite("Migrations")
struct MigrationTests {
    @Test("applies every migration once, in order, and records checksums", arguments: TestBackend.available)
    func appliesOnce(backend: TestBackend) async throws {
        try await TestDatabases.withDatabase(backend, migrated: false) { db, _ in
            let migrator = Migrator(database: db, logger: TestDatabases.logger)
            let expected = Migration.embedded[db.dialect] ?? []
            #expect(!expected.isEmpty)
            #expect(try await migrator.pending().map(\.version) == expected.map(\.version))
            let first = try await migrator.migrate()
            #expect(first.applied.map(\.version) == expected.map(\.version))
            let second = try await migrator.migrate()
            #expect(second.applied.isEmpty)
            #expect(second.alreadyApplied == expected.count)
            let rows = try await db.transaction { c in try await c.query("SELECT version, checksum FROM schema_migrations ORDER BY version") }
            #expect(try rows.map { try $0.string("checksum") } == expected.map(\.checksum))
            // The tables of the foundation exist.
            for table in ["clientes", "usuarios", "user_contexts", "waba_accounts", "convo_states", "conversation_logs",
                          "webhook_events", "webhook_payloads", "tenant_events"] {
                _ = try await db.transaction { c in try await c.query("SELECT count(*) AS n FROM \(table)") }
            }
        }
    }

    @Test("instances starting at once on a new database all succeed, and each migration is applied once", arguments: TestBackend.available)
    func concurrentMigrators(backend: TestBackend) async throws {
        try await TestDatabases.withDatabase(backend, migrated: false) { db, _ in
            let expected = Migration.embedded[db.dialect] ?? []
            let applied = try await withThrowingTaskGroup(of: [Int].self) { group in
                for _ in 0..<6 {
                    group.addTask { try await Migrator(database: db, logger: TestDatabases.logger).migrate().applied.map(\.version) }
                }
                return try await group.reduce(into: [Int]()) { $0 += $1 }
            }
            #expect(applied.sorted() == expected.map(\.version))
            let rows = try await db.transaction { c in try await c.query("SELECT version FROM schema_migrations ORDER BY version") }
            #expect(try rows.map { Int(try $0.required("version", $0.int)) } == expected.map(\.version))
        }
    }

    @Test("refuses to run when an applied migration file was edited", arguments: TestBackend.available)
    func refusesEditedFile(backend: TestBackend) async throws {
        try await TestDatabases.withDatabase(backend, migrated: false) { db, _ in
            var migrations = Migration.embedded[db.dialect] ?? []
            try await Migrator(database: db, migrations: migrations, logger: TestDatabases.logger).migrate()
            migrations[0].sql += "\n-- edited after the fact\n"
            let edited = Migrator(database: db, migrations: migrations, logger: TestDatabases.logger)
            await #expect(throws: StoreError.self) { try await edited.migrate() }
            do {
                try await edited.migrate()
            } catch {
                #expect("\(error)".contains(migrations[0].file))
                #expect("\(error)".contains("edited"))
            }
        }
    }

    @Test("refuses a database that has a migration this binary does not know", arguments: TestBackend.available)
    func refusesNewerDatabase(backend: TestBackend) async throws {
        try await TestDatabases.withDatabase(backend, migrated: false) { db, _ in
            let all = Migration.embedded[db.dialect] ?? []
            let extra = Migration(version: 9999, name: "future", file: "9999_future.sql", sql: "CREATE TABLE future_thing (id integer)")
            try await Migrator(database: db, migrations: all + [extra], logger: TestDatabases.logger).migrate()
            await #expect(throws: StoreError.self) {
                try await Migrator(database: db, migrations: all, logger: TestDatabases.logger).migrate()
            }
        }
    }

    @Test("a failing migration leaves nothing half-applied", arguments: TestBackend.available)
    func failedMigrationRollsBack(backend: TestBackend) async throws {
        try await TestDatabases.withDatabase(backend, migrated: false) { db, _ in
            let broken = Migration(version: 1, name: "broken", file: "0001_broken.sql",
                                   sql: "CREATE TABLE half_done (id integer);\nTHIS IS NOT SQL;")
            await #expect(throws: (any Error).self) {
                try await Migrator(database: db, migrations: [broken], logger: TestDatabases.logger).migrate()
            }
            let pending = try await Migrator(database: db, migrations: [broken], logger: TestDatabases.logger).pending()
            #expect(pending.map(\.version) == [1])
            await #expect(throws: (any Error).self) {
                try await db.transaction { c in try await c.query("SELECT count(*) AS n FROM half_done") }
            }
        }
    }

    @Test("the migrations compiled into the binary are the files in migrations/")
    func embeddedMatchFiles() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        for dialect in [SQLDialect.sqlite, .postgres] {
            let dir = root.appendingPathComponent("migrations/\(dialect.rawValue)")
            let files = try FileManager.default.contentsOfDirectory(atPath: dir.path).filter { $0.hasSuffix(".sql") }.sorted()
            let embedded = Migration.embedded[dialect] ?? []
            #expect(embedded.map(\.file) == files, "run scripts/embed-migrations")
            for m in embedded {
                let text = try String(contentsOf: dir.appendingPathComponent(m.file), encoding: .utf8)
                #expect(m.sql == text.trimmingTrailingNewlines, "\(m.file) differs from its embedded copy: run scripts/embed-migrations")
            }
        }
    }

    @Test("SQL scripts split at semicolons outside quotes, comments, $$ bodies and trigger bodies")
    func splitter() {
        let sql = """
            -- a comment; with a semicolon
            CREATE TABLE a (x text DEFAULT 'semi;colon');
            DO $$ BEGIN PERFORM 1; END $$;
            SELECT 'it''s';
            CREATE TRIGGER t BEFORE UPDATE ON a
            BEGIN
                SELECT RAISE(ABORT, 'no');
            END;
            """
        let parts = SQLScript.statements(in: sql)
        #expect(parts.count == 4)
        #expect(parts[3].hasPrefix("CREATE TRIGGER t") && parts[3].hasSuffix("END"))
        #expect(parts[0] == "CREATE TABLE a (x text DEFAULT 'semi;colon')")
        #expect(parts[1] == "DO $$ BEGIN PERFORM 1; END $$")
        #expect(parts[2] == "SELECT 'it''s'")
    }
}

extension String {
    var trimmingTrailingNewlines: String {
        var s = self
        while s.hasSuffix("\n") { s.removeLast() }
        return s
    }
}
