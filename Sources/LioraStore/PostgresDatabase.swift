package import Foundation
package import LioraCore
package import Logging
import NIOCore
import NIOSSL
package import PostgresNIO

/// PostgreSQL through a PostgresNIO connection pool. Call ``run()`` in a long-running task
/// (the server registers it as a service) before using it.
package final class LioraPostgresDatabase: SQLDatabase {
    package let dialect = SQLDialect.postgres
    package let client: PostgresClient
    private let logger: Logger
    private let runTask: Task<Void, Never>

    /// Creates the pool and starts it in a task owned by this object; ``close()`` stops it.
    package init(location: DatabaseURL.PostgresLocation, maximumConnections: Int = 20, logger: Logger) {
        var config = PostgresClient.Configuration(
            host: location.host, port: location.port, username: location.username,
            password: location.password?.value, database: location.database, tls: Self.tls(location))
        config.options.maximumConnections = maximumConnections
        config.options.minimumConnections = min(2, maximumConnections)
        // The pool logs every failed connection attempt at info: one line per retry, ~18 before
        // a CLI command's 15 s wait ends. Liora reports an unreachable database itself (one line
        // in the CLI, `database_unavailable` in the server's log), so the pool speaks at info
        // only when debug logging is asked for.
        var background = logger
        if background.logLevel > .debug { background.logLevel = max(background.logLevel, .warning) }
        let client = PostgresClient(configuration: config, backgroundLogger: background)
        self.client = client
        self.logger = logger
        self.runTask = Task { await client.run() }
    }

    /// `sslmode` as libpq reads it: `prefer` and `require` encrypt without checking the server's
    /// certificate (a self-signed one, as Debian's packaged server has, is accepted), except that
    /// `require` with `sslrootcert` checks the chain; `verify-ca` checks its chain, `verify-full`
    /// its chain and host name, against `sslrootcert` when given (else the system's roots).
    package static func tls(_ location: DatabaseURL.PostgresLocation) -> PostgresClient.Configuration.TLS {
        var c = TLSConfiguration.makeClientConfiguration()
        switch location.tls {
        case .disable: return .disable
        // With a root certificate named, libpq's require checks the chain as verify-ca does.
        case .require where location.rootCertificatePath != nil: c.certificateVerification = .noHostnameVerification
        case .prefer, .require: c.certificateVerification = .none
        case .verifyCA: c.certificateVerification = .noHostnameVerification
        case .verifyFull: c.certificateVerification = .fullVerification
        }
        if let roots = location.rootCertificatePath, location.tls != .prefer {
            c.trustRoots = .file(roots)
        }
        return location.tls == .prefer ? .prefer(c) : .require(c)
    }

    @discardableResult
    package func transaction<T: Sendable>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        let relaxed = WriteDurability.relaxed
        return try await client.withConnection { conn in
            try await SQLConnectionTransaction.run(on: PostgresSQLConnection(connection: conn, logger: logger), begin: "BEGIN") { c in
                // Transaction-local: this commit may return before its WAL record is flushed.
                if relaxed { try await c.query("SET LOCAL synchronous_commit TO off") }
                return try await body(c)
            }
        }
    }

    package func tenantTransaction<T: Sendable>(_ tenant: UUID, _ body: (any SQLConnection) async throws -> T) async throws -> T {
        try await transaction { c in
            // Transaction-local (`true`): never leaks to the next user of this pooled connection.
            try await c.query("SELECT set_config('app.cliente_id', $1, true)", [.text(tenant.uuidString.lowercased())])
            return try await body(c)
        }
    }

    @discardableResult
    package func withConnection<T: Sendable>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        try await client.withConnection { conn in try await body(PostgresSQLConnection(connection: conn, logger: logger)) }
    }

    package func close() async {
        runTask.cancel()
        _ = await runTask.value
    }
}

/// `jsonb` parameters: PostgreSQL's binary jsonb format is a version byte and the JSON text.
private struct JSONBText: PostgresNonThrowingEncodable {
    let text: String
    static var psqlType: PostgresDataType { .jsonb }
    static var psqlFormat: PostgresFormat { .binary }
    func encode<E: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<E>) {
        buffer.writeInteger(UInt8(1))
        buffer.writeString(text)
    }
}

/// A `timestamptz` bound as the nearest microsecond. PostgresNIO's own `Date` encoding truncates,
/// so a `Date` that went through microseconds and a `Double` (a paging cursor) could bind a
/// microsecond early and repeat the row a page ended on; SQLite's binding rounds, so both
/// databases now agree.
struct RoundedTimestamp: PostgresNonThrowingEncodable {
    let microsecondsSince2000: Int64
    init(_ date: Date) {
        // Saturating: a date no column can hold gets PostgreSQL's "out of range", never a trap.
        let (value, overflow) = date.microsecondsSince1970.subtractingReportingOverflow(946_684_800_000_000)
        // (Int64.min and .max are -infinity and infinity to PostgreSQL: one step inside them.)
        microsecondsSince2000 = overflow ? .min + 1 : min(max(value, .min + 1), .max - 1)
    }
    static var psqlType: PostgresDataType { .timestamptz }
    static var psqlFormat: PostgresFormat { .binary }
    func encode<E: PostgresJSONEncoder>(into buffer: inout ByteBuffer, context: PostgresEncodingContext<E>) {
        buffer.writeInteger(microsecondsSince2000)
    }
}

private struct PostgresSQLConnection: SQLConnection {
    let connection: PostgresConnection
    let logger: Logger
    var dialect: SQLDialect { .postgres }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [any SQLRow] {
        var bindings = PostgresBindings(capacity: binds.count)
        for v in binds {
            switch v {
            case .null: bindings.appendNull()
            case .int(let i): bindings.append(i)
            case .text(let s): bindings.append(SQLValue.storable(s))
            case .blob(let b): bindings.append(ByteBuffer(bytes: b))
            case .bool(let b): bindings.append(b)
            case .uuid(let u): bindings.append(u)
            case .date(let d): bindings.append(RoundedTimestamp(d))
            case .json(let s): bindings.append(JSONBText(text: SQLValue.storableJSON(s)))
            }
        }
        do {
            let rows = try await connection.query(PostgresQuery(unsafeSQL: sql, binds: bindings), logger: logger)
            var out: [any SQLRow] = []
            for try await row in rows { out.append(PostgresSQLRow(row: row.makeRandomAccess())) }
            return out
        } catch let error as PSQLError {
            if error.serverInfo?[.sqlState] == "23505" {
                throw StoreError.uniqueViolation(error.serverInfo?[.message] ?? "unique violation")
            }
            throw error
        }
    }
}

private struct PostgresSQLRow: SQLRow {
    let row: PostgresRandomAccessRow

    private func decode<T: PostgresDecodable>(_ c: String, _ type: T.Type) throws -> T? {
        guard row.contains(c) else { return nil }
        let cell = row[c]
        guard cell.bytes != nil else { return nil }
        return try cell.decode(T.self)
    }
    func string(_ c: String) throws -> String? { try decode(c, String.self) }
    func int(_ c: String) throws -> Int64? {
        guard row.contains(c) else { return nil }
        let cell = row[c]
        guard cell.bytes != nil else { return nil }
        switch cell.dataType {
        case .int2: return Int64(try cell.decode(Int16.self))
        case .int4: return Int64(try cell.decode(Int32.self))
        default: return try cell.decode(Int64.self)
        }
    }
    func bool(_ c: String) throws -> Bool? { try decode(c, Bool.self) }
    func uuid(_ c: String) throws -> UUID? { try decode(c, UUID.self) }
    func date(_ c: String) throws -> Date? { try decode(c, Date.self) }
    func bytes(_ c: String) throws -> [UInt8]? { try decode(c, ByteBuffer.self).map { Array($0.readableBytesView) } }
}
