import Foundation
package import LioraCore
package import Logging

/// Opens the configured database and checks, on PostgreSQL, that the service's role is one
/// row-level security actually binds.
package enum StoreFactory {
    package static func openDatabase(_ url: DatabaseURL, logger: Logger, maximumConnections: Int = 20) async throws -> any SQLDatabase {
        switch url {
        case .sqlite(let path):
            // One clear error naming the file (not a directory, a database, writable?), not a bare
            // "not reachable" or "could not be read" from the first statement.
            do {
                let db = try await LioraSQLiteDatabase.open(path: path, logger: logger)
                do {
                    _ = try await db.withConnection { c in try await c.query("SELECT count(*) AS n FROM sqlite_master", []) }
                } catch {
                    await db.close()
                    throw error
                }
                return db
            } catch {
                let detail = (error as? StoreError)?.debugDescription ?? (error as NSError).localizedDescription
                throw LioraError(.invalidConfiguration, detail.contains(path) ? detail : "cannot open the SQLite database \(url): \(detail)")
            }
        case .postgres(let location):
            let db = LioraPostgresDatabase(location: location, maximumConnections: maximumConnections, logger: logger)
            // Let the pool's run loop start before the first lease (PostgresClient warns otherwise).
            try await Task.sleep(for: .milliseconds(20))
            // The pool retries a refused connection (a wrong host, a database that does not exist)
            // forever: one connection within `connectTimeout`, or a clear error, not a hang.
            let probe = await withTaskGroup(of: Result<Void, any Error>?.self) { group in
                group.addTask {
                    do {
                        _ = try await db.withConnection { c in try await c.query("SELECT 1 AS one", []) }
                        return .success(())
                    } catch {
                        return .failure(error)
                    }
                }
                group.addTask {
                    try? await Task.sleep(for: connectTimeout)
                    return nil
                }
                let first = await group.next() ?? nil
                group.cancelAll()
                return first
            }
            switch probe {
            case .success: return db
            case .failure(let error):
                await db.close()
                throw LioraError(.invalidConfiguration, "cannot connect to \(url): \(operatorDescription(error))")
            case nil:
                await db.close()
                throw LioraError(.invalidConfiguration, "cannot connect to \(url) within \(connectTimeout) (host, port, database name, role and password?)")
            }
        }
    }

    /// How long opening a PostgreSQL database waits for its first connection.
    package static let connectTimeout: Duration = .seconds(15)

    /// Refuses (fail closed) a PostgreSQL role that is superuser, has BYPASSRLS, or owns the
    /// tables or is a member of a role that does (`GRANT liora_owner TO liora_app`): any of these
    /// would silently turn tenant isolation off — policies written for the owner apply to its
    /// members, and a member may `SET ROLE` to it and switch row-level security off.
    package static func checkServiceRole(_ database: any SQLDatabase) async throws {
        guard database.dialect == .postgres else { return }
        let rows = try await database.withConnection { c in
            try await c.query("""
                SELECT current_user::text AS name, r.rolsuper AS superuser, r.rolbypassrls AS bypassrls,
                    (SELECT count(*) FROM pg_tables t WHERE t.schemaname = 'public'
                       AND pg_has_role(current_user, t.tableowner, 'MEMBER')) AS owned
                FROM pg_roles r WHERE r.rolname = current_user
                """)
        }
        guard let r = rows.first else { throw StoreError.insecureRole("cannot read the database role") }
        let name = try r.string("name") ?? "?"
        if try r.bool("superuser") == true || r.bool("bypassrls") == true || (r.int("owned") ?? 0) > 0 {
            throw StoreError.insecureRole(
                "LIORA_DATABASE_URL: role \(name) is a superuser, has BYPASSRLS, or owns the tables (or is a member of their owner), so row-level security would not apply; connect as a plain role and run migrations with LIORA_MIGRATION_DATABASE_URL (see docs/runbook.md)")
        }
    }

    /// Grants the service role what it needs on the schema the migration role owns. Under the
    /// migrators' lock: instances starting together would otherwise update the same catalog rows
    /// at once, and PostgreSQL refuses one of them ("tuple concurrently updated").
    package static func grantServiceRole(_ migrationDatabase: any SQLDatabase, serviceRole: String) async throws {
        guard migrationDatabase.dialect == .postgres else { return }
        let role = "\"" + serviceRole.replacingOccurrences(of: "\"", with: "\"\"") + "\""
        try await migrationDatabase.transaction { c in
            try await c.query("SELECT pg_advisory_xact_lock(\(Migrator.lockKey))")
            try await c.query("GRANT USAGE ON SCHEMA public TO \(role)")
            try await c.query("GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA public TO \(role)")
            try await c.query("REVOKE INSERT, UPDATE, DELETE ON schema_migrations FROM \(role)")
            try await c.query("GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA public TO \(role)")
            try await c.query("GRANT EXECUTE ON ALL FUNCTIONS IN SCHEMA public TO \(role)")
        }
    }
}
