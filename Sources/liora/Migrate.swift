import ArgumentParser
import Foundation
import LioraCore
import LioraStore
import Logging

struct Migrate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Apply pending database migrations and exit.",
        discussion: """
            Uses LIORA_MIGRATION_DATABASE_URL (the schema owner) when set, else LIORA_DATABASE_URL. \
            On PostgreSQL, when the two differ, the service role of LIORA_DATABASE_URL is granted what it needs.
            """)

    @OptionGroup var database: DatabaseOptions

    @Flag(help: "Only list pending migrations; change nothing.")
    var status = false

    func run() async throws {
        let config = loadConfiguration(database.environment())
        let logger = makeLogger(level: config.logLevel)
        do {
            let applied = try await runMigrations(config, statusOnly: status, logger: logger)
            if !status { say(applied == 0 ? "database is up to date" : "applied \(applied) migration(s)") }
        } catch {
            fail(operatorDescription(error))
        }
    }
}

/// Applies (or lists) pending migrations with progress lines; returns how many were applied.
func runMigrations(_ config: Configuration, statusOnly: Bool, logger: Logger) async throws -> Int {
    // Listing changes nothing: a SQLite file that does not exist yet is not created to be read.
    if statusOnly, case .sqlite(let path) = config.migrationDatabaseURL, path != ":memory:", !FileManager.default.fileExists(atPath: path) {
        let all = Migration.embedded[.sqlite] ?? []
        say("no database at \(path) yet: pending: " + all.map(\.file).joined(separator: ", "))
        return 0
    }
    let db = try await StoreFactory.openDatabase(config.migrationDatabaseURL, logger: logger, maximumConnections: 2)
    let migrator = Migrator(database: db, logger: logger)
    do {
        if statusOnly {
            let pending = try await migrator.pending()
            say(pending.isEmpty ? "no pending migrations (\(config.migrationDatabaseURL))"
                : "pending: " + pending.map(\.file).joined(separator: ", "))
            await db.close()
            return 0
        }
        let report = try await migrator.migrate { m in say("applying \(m.file) to \(config.migrationDatabaseURL)") }
        if case .postgres(let service) = config.databaseURL, config.migrationDatabaseURL != config.databaseURL {
            try await StoreFactory.grantServiceRole(db, serviceRole: service.username)
        }
        await db.close()
        return report.applied.count
    } catch {
        await db.close()
        throw error
    }
}
