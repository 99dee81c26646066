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

    @Flag(help: "Only list pending migrations; change nothing. Exits 3 when some are pending, 0 when none (a deploy check).")
    var status = false

    func run() async throws {
        var pending = 0
        let config = database.configuration()
        let logger = makeLogger(level: config.logLevel)
        do {
            let count = try await runMigrations(config, statusOnly: status, logger: logger)
            if !status { say(count == 0 ? "database is up to date" : "applied \(count) migration(s)") }
            pending = status ? count : 0
        } catch {
            fail(operatorDescription(error))
        }
        // Outside the `do`: ArgumentParser's ExitCode is not a failure to describe.
        if pending > 0 { throw ExitCode(3) }
    }
}

/// Applies (or lists) pending migrations with progress lines; returns how many were applied (or,
/// listing, how many are pending).
func runMigrations(_ config: Configuration, statusOnly: Bool, logger: Logger) async throws -> Int {
    // Listing changes nothing: a SQLite file that does not exist yet is not created to be read.
    if statusOnly, case .sqlite(let path) = config.migrationDatabaseURL, path != ":memory:", !FileManager.default.fileExists(atPath: path) {
        let all = Migration.embedded[.sqlite] ?? []
        say("no database at \(path) yet: pending: " + all.map(\.file).joined(separator: ", "))
        return all.count
    }
    let db = try await StoreFactory.openDatabase(config.migrationDatabaseURL, logger: logger, maximumConnections: 2)
    let migrator = Migrator(database: db, logger: logger)
    do {
        if statusOnly {
            let pending = try await migrator.pending()
            say(pending.isEmpty ? "no pending migrations (\(config.migrationDatabaseURL))"
                : "pending: " + pending.map(\.file).joined(separator: ", "))
            await db.close()
            return pending.count
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
