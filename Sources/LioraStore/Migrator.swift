import Crypto
import Foundation
import LioraCore
package import Logging

/// One numbered schema change of one dialect.
package struct Migration: Sendable, Equatable {
    package var version: Int
    package var name: String
    package var file: String
    package var sql: String

    package init(version: Int, name: String, file: String, sql: String) {
        self.version = version
        self.name = name
        self.file = file
        self.sql = sql
    }

    /// SHA-256 of the file's text: an applied migration whose file changed is refused.
    package var checksum: String {
        SHA256.hash(data: Data(sql.utf8)).map { String(format: "%02x", $0) }.joined()
    }
}

/// Applies pending migrations in order, each in its own transaction, and records them with their
/// checksum in `schema_migrations`. Refuses to run when an applied file was edited, or when the
/// database has a migration this binary does not know (a newer schema).
package struct Migrator: Sendable {
    package let database: any SQLDatabase
    package let migrations: [Migration]
    package let logger: Logger

    package init(database: any SQLDatabase, migrations: [Migration]? = nil, logger: Logger) {
        self.database = database
        self.migrations = (migrations ?? Migration.embedded[database.dialect] ?? []).sorted { $0.version < $1.version }
        self.logger = logger
    }

    /// What `migrate` would do, and what it did.
    package struct Report: Sendable, Equatable {
        package var applied: [Migration] = []
        package var alreadyApplied: Int = 0
    }

    /// Applies every pending migration. `progress` is told before each one starts.
    @discardableResult
    package func migrate(progress: @Sendable (Migration) -> Void = { _ in }) async throws -> Report {
        try await ensureLedger()
        let applied = try await appliedChecksums()
        try verify(applied: applied)
        var report = Report(alreadyApplied: applied.count)
        for m in migrations where applied[m.version] == nil {
            progress(m)
            let statements = SQLScript.statements(in: m.sql)
            let didApply = try await database.transaction { c -> Bool in
                if c.dialect == .postgres {
                    // One migrator at a time across processes; released at commit.
                    try await c.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))")
                }
                let done = try await c.query("SELECT 1 AS one FROM schema_migrations WHERE version = $1", [.int(Int64(m.version))])
                guard done.isEmpty else { return false }  // another migrator got there first
                for s in statements { try await c.query(s) }
                try await c.query(
                    "INSERT INTO schema_migrations (version, name, checksum, applied_at) VALUES ($1, $2, $3, $4)",
                    [.int(Int64(m.version)), .text(m.name), .text(m.checksum), .date(Date())])
                return true
            }
            guard didApply else { continue }
            logger.info("applied migration", metadata: ["version": "\(m.version)", "name": "\(m.name)"])
            report.applied.append(m)
        }
        return report
    }

    /// The migrations not yet applied (after the same checks `migrate` makes).
    package func pending() async throws -> [Migration] {
        // Read-only: the service role may not create tables (PostgreSQL checks CREATE on the
        // schema even for IF NOT EXISTS), so a missing ledger simply means nothing is applied.
        guard try await ledgerExists() else { return migrations }
        let applied = try await appliedChecksums()
        try verify(applied: applied)
        return migrations.filter { applied[$0.version] == nil }
    }

    /// The advisory lock key migrators take on PostgreSQL (one migrator at a time across processes).
    package static let lockKey = 7_261_001

    private func ensureLedger() async throws {
        let ts = database.dialect == .postgres ? "timestamptz" : "INTEGER"
        try await database.transaction { c in
            // Under the migrators' lock: PostgreSQL's IF NOT EXISTS is not safe against a
            // concurrent CREATE (the second fails on the catalog's unique key), and instances
            // of a new deployment start together.
            if c.dialect == .postgres { try await c.query("SELECT pg_advisory_xact_lock(\(Self.lockKey))") }
            try await c.query("""
                CREATE TABLE IF NOT EXISTS schema_migrations (
                    version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL, applied_at \(ts) NOT NULL)
                """)
        }
    }

    private func ledgerExists() async throws -> Bool {
        let sql = database.dialect == .postgres
            ? "SELECT to_regclass('schema_migrations')::text AS name"
            : "SELECT name FROM sqlite_master WHERE type = 'table' AND name = 'schema_migrations'"
        let rows = try await database.withConnection { c in try await c.query(sql) }
        return try rows.first?.string("name") != nil
    }

    private func appliedChecksums() async throws -> [Int: String] {
        let rows = try await database.withConnection { c in try await c.query("SELECT version, checksum FROM schema_migrations") }
        var out: [Int: String] = [:]
        for r in rows { out[Int(try r.required("version", r.int))] = try r.required("checksum", r.string) }
        return out
    }

    private func verify(applied: [Int: String]) throws {
        let known = Dictionary(uniqueKeysWithValues: migrations.map { ($0.version, $0) })
        for (version, checksum) in applied.sorted(by: { $0.key < $1.key }) {
            guard let m = known[version] else {
                throw StoreError.migration("the database has migration \(version), which this binary does not know (is it newer?)")
            }
            guard m.checksum == checksum else {
                throw StoreError.migration("migration \(m.file) was edited after it was applied (checksum differs); add a new migration instead")
            }
        }
    }
}

/// Splits a SQL script into statements at `;` outside quotes, comments, `$$` bodies and the
/// `BEGIN … END` body of a SQLite `CREATE TRIGGER`.
package enum SQLScript {
    package static func statements(in sql: String) -> [String] {
        var out: [String] = []
        var current = ""
        let chars = Array(sql)
        var i = 0
        var inSingle = false, inDollar = false, inLineComment = false
        while i < chars.count {
            let c = chars[i]
            let next: Character? = i + 1 < chars.count ? chars[i + 1] : nil
            if inLineComment {
                if c == "\n" { inLineComment = false; current.append(c) }
                i += 1; continue
            }
            if inSingle {
                current.append(c)
                if c == "'" { inSingle = false }
                i += 1; continue
            }
            if inDollar {
                current.append(c)
                if c == "$", next == "$" { current.append("$"); inDollar = false; i += 2; continue }
                i += 1; continue
            }
            switch c {
            case "-" where next == "-": inLineComment = true; i += 2; continue
            case "'": inSingle = true
            case "$" where next == "$": inDollar = true; current.append("$$"); i += 2; continue
            case ";":
                let s = current.trimmingCharacters(in: .whitespacesAndNewlines)
                let upper = s.uppercased()
                if upper.hasPrefix("CREATE TRIGGER"), upper.contains("BEGIN"), !upper.hasSuffix("END") {
                    break  // inside the trigger's body: the statement ends at END;
                }
                if !s.isEmpty { out.append(s) }
                current = ""; i += 1; continue
            default: break
            }
            current.append(c)
            i += 1
        }
        let s = current.trimmingCharacters(in: .whitespacesAndNewlines)
        if !s.isEmpty { out.append(s) }
        return out
    }
}
