package import Foundation
package import Logging
import NIOCore
import NIOPosix
import SQLiteNIO

/// The embedded SQLite database: one connection in WAL mode with `synchronous=FULL` (a commit is
/// on disk when it returns), transactions serialised by a FIFO lock.
package final class LioraSQLiteDatabase: SQLDatabase {
    package let dialect = SQLDialect.sqlite
    private let connection: SQLiteConnection
    private let lock = AsyncLock()
    private let threadPool: NIOThreadPool

    private init(connection: SQLiteConnection, threadPool: NIOThreadPool) {
        self.connection = connection
        self.threadPool = threadPool
    }

    /// Opens (creating when missing) the database file; `:memory:` opens a private in-memory database.
    package static func open(path: String, logger: Logger) async throws -> LioraSQLiteDatabase {
        let storage: SQLiteConnection.Storage
        if path == ":memory:" {
            storage = .memory
        } else {
            let dir = (path as NSString).deletingLastPathComponent
            if !dir.isEmpty { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true) }
            storage = .file(path: path)
        }
        let pool = NIOThreadPool(numberOfThreads: 1)
        pool.start()
        let conn = try await SQLiteConnection.open(
            storage: storage, threadPool: pool, logger: logger, on: MultiThreadedEventLoopGroup.singleton.any())
        let db = LioraSQLiteDatabase(connection: conn, threadPool: pool)
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON", "PRAGMA busy_timeout=5000"] {
            _ = try await conn.query(pragma, [])
        }
        return db
    }

    @discardableResult
    package func transaction<T: Sendable>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        try await lock.withLock {
            // IMMEDIATE: take the write lock up front, so a transaction never fails half-way on upgrade.
            try await SQLConnectionTransaction.run(on: SQLiteSQLConnection(connection: connection), begin: "BEGIN IMMEDIATE", body)
        }
    }

    package func tenantTransaction<T: Sendable>(_ tenant: UUID, _ body: (any SQLConnection) async throws -> T) async throws -> T {
        // SQLite has no row-level security: the store layer adds `cliente_id = $1` to every query.
        try await transaction(body)
    }

    @discardableResult
    package func withConnection<T: Sendable>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        try await lock.withLock { try await body(SQLiteSQLConnection(connection: connection)) }
    }

    package func close() async {
        try? await connection.close()
        try? await threadPool.shutdownGracefully()
    }
}

private struct SQLiteSQLConnection: SQLConnection {
    let connection: SQLiteConnection
    var dialect: SQLDialect { .sqlite }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [any SQLRow] {
        let data = binds.map { v -> SQLiteData in
            switch v {
            case .null: .null
            case .int(let i): .integer(SQLiteInt64(i))
            case .text(let s), .json(let s): .text(s)
            case .blob(let b): .blob(ByteBuffer(bytes: b))
            case .bool(let b): .integer(b ? 1 : 0)
            case .uuid(let u): .text(u.uuidString.lowercased())
            case .date(let d): .integer(SQLiteInt64(d.microsecondsSince1970))
            }
        }
        do {
            return try await connection.query(Self.translate(sql), data).map(SQLiteSQLRow.init)
        } catch let error as SQLiteError {
            if case .constraintUniqueFailed = error.reason { throw StoreError.uniqueViolation(error.message) }
            if case .constraintPrimaryKeyFailed = error.reason { throw StoreError.uniqueViolation(error.message) }
            throw error
        }
    }

    /// `$1` → `?1`: SQLite's numbered parameters, so one SQL text serves both dialects.
    static func translate(_ sql: String) -> String {
        guard sql.contains("$") else { return sql }
        var out = ""
        out.reserveCapacity(sql.utf8.count)
        var previousWasDollar = false
        for ch in sql {
            if previousWasDollar {
                out.append(ch.isNumber ? "?" : "$")
                previousWasDollar = false
            }
            if ch == "$" { previousWasDollar = true; continue }
            out.append(ch)
        }
        if previousWasDollar { out.append("$") }
        return out
    }
}

private struct SQLiteSQLRow: SQLRow {
    let row: SQLiteRow

    private func value(_ c: String) -> SQLiteData? {
        guard let d = row.column(c), !d.isNull else { return nil }
        return d
    }
    func string(_ c: String) throws -> String? { value(c)?.string }
    func int(_ c: String) throws -> Int64? { value(c)?.integer.map(Int64.init) }
    func bool(_ c: String) throws -> Bool? { value(c)?.integer.map { $0 != 0 } }
    func uuid(_ c: String) throws -> UUID? {
        guard let s = value(c)?.string else { return nil }
        guard let u = UUID(uuidString: s) else { throw StoreError.corrupt("column \(c) is not a UUID") }
        return u
    }
    func date(_ c: String) throws -> Date? { value(c)?.integer.map { Date(microsecondsSince1970: Int64($0)) } }
    func bytes(_ c: String) throws -> [UInt8]? {
        guard let d = value(c) else { return nil }
        if case .blob(let b) = d { return Array(b.readableBytesView) }
        return d.string.map { Array($0.utf8) }
    }
}
