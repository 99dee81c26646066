package import Foundation
import LioraCore

/// The SQL dialects Liora speaks.
package enum SQLDialect: String, Sendable { case sqlite, postgres }

/// A value bound to a query parameter, mapped to each dialect's column types:
/// UUIDs are TEXT on SQLite and `uuid` on PostgreSQL, dates are INTEGER microseconds since
/// 1970 on SQLite and `timestamptz` on PostgreSQL, JSON is TEXT on SQLite and `jsonb` on PostgreSQL.
package enum SQLValue: Sendable, Equatable {
    case null
    case int(Int64)
    case text(String)
    case blob([UInt8])
    case bool(Bool)
    case uuid(UUID)
    case date(Date)
    case json(String)

    package static func optional(_ s: String?) -> SQLValue { s.map(SQLValue.text) ?? .null }
    package static func optional(_ u: UUID?) -> SQLValue { u.map(SQLValue.uuid) ?? .null }
    package static func optional(_ d: Date?) -> SQLValue { d.map(SQLValue.date) ?? .null }
    package static func optional(_ i: Int?) -> SQLValue { i.map { .int(Int64($0)) } ?? .null }
}

extension SQLValue {
    /// `text` as stored: U+0000 becomes U+FFFD. PostgreSQL refuses NUL in text (and `\u0000` in
    /// jsonb), which failed a whole group commit or tenant batch, and SQLite's C strings ended at
    /// it; a signed webhook may carry one. Both databases store the same thing.
    static func storable(_ text: String) -> String {
        guard text.utf8.contains(0) else { return text }
        return String(text.unicodeScalars.map { $0 == "\u{0}" ? "\u{FFFD}" : Character($0) })
    }

    /// JSON text as stored: a `\u0000` escape becomes `\ufffd` (and a raw NUL U+FFFD).
    static func storableJSON(_ json: String) -> String {
        let text = storable(json)
        guard text.containsASCII("\\u0000") else { return text }  // every JSON bind: no NSString search
        return text.replacingOccurrences(of: "\\u0000", with: "\\ufffd")
    }
}

extension Date {
    /// Microseconds since 1970, the SQLite representation of a timestamp. Saturates instead of
    /// trapping for a date no column can hold (beyond about ±292,000 years).
    package var microsecondsSince1970: Int64 {
        let us = (timeIntervalSince1970 * 1_000_000).rounded()
        guard us.isFinite else { return us > 0 ? .max : .min }
        return Int64(exactly: us) ?? (us > 0 ? .max : .min)
    }
    package init(microsecondsSince1970 us: Int64) { self.init(timeIntervalSince1970: Double(us) / 1_000_000) }
}

/// A row read from either database, with typed accessors by column name.
package protocol SQLRow: Sendable {
    func string(_ column: String) throws -> String?
    func int(_ column: String) throws -> Int64?
    func bool(_ column: String) throws -> Bool?
    func uuid(_ column: String) throws -> UUID?
    func date(_ column: String) throws -> Date?
    func bytes(_ column: String) throws -> [UInt8]?
}

extension SQLRow {
    /// The column's value, or a storage error naming the column when it is NULL or absent.
    package func required<T>(_ column: String, _ read: (String) throws -> T?) throws -> T {
        guard let value = try read(column) else {
            throw StoreError.corrupt("column \(column) is NULL or missing")
        }
        return value
    }
}

/// One connection, inside a transaction the database opened for the caller.
package protocol SQLConnection: Sendable {
    var dialect: SQLDialect { get }
    /// Runs one statement. Parameters are written `$1`, `$2`, … in both dialects.
    @discardableResult
    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [any SQLRow]
}

extension SQLConnection {
    @discardableResult
    package func query(_ sql: String) async throws -> [any SQLRow] { try await query(sql, []) }
}

/// A database: SQLite or PostgreSQL behind one interface.
package protocol SQLDatabase: Sendable {
    var dialect: SQLDialect { get }
    /// Runs `body` in a transaction; commits when it returns, rolls back when it throws.
    @discardableResult
    func transaction<T: Sendable>(_ body: (any SQLConnection) async throws -> T) async throws -> T
    /// Runs `body` in a transaction scoped to one tenant. On PostgreSQL the tenant is set with
    /// `set_config('app.cliente_id', id, true)` (transaction-local), which row-level security reads.
    func tenantTransaction<T: Sendable>(_ tenant: UUID, _ body: (any SQLConnection) async throws -> T) async throws -> T
    /// Runs one statement outside an explicit transaction (DDL for migrations, health checks).
    @discardableResult
    func withConnection<T: Sendable>(_ body: (any SQLConnection) async throws -> T) async throws -> T
    func close() async
}

/// Errors from the stores. `description` is safe to show; `debugDescription` has the detail.
package enum StoreError: Error, CustomStringConvertible, CustomDebugStringConvertible {
    case corrupt(String)
    case unavailable(String)
    case uniqueViolation(String)
    case migration(String)
    case insecureRole(String)
    /// Webhook items are no longer pending under the claim that handed them out: their lease ran
    /// out and they were claimed again (the work done under the old claim is rolled back).
    case claimLost(String)

    package var description: String {
        switch self {
        case .corrupt: "stored data could not be read"
        case .unavailable: "the database is not reachable"
        case .uniqueViolation: "a record with the same key already exists"
        case .migration(let m): "migration failed: \(m)"
        case .insecureRole(let m): m
        case .claimLost: "the items were claimed again after this worker's lease ran out"
        }
    }

    package var debugDescription: String {
        switch self {
        case .corrupt(let d), .unavailable(let d), .uniqueViolation(let d), .migration(let d), .insecureRole(let d), .claimLost(let d): d
        }
    }
}

/// BEGIN, the body, COMMIT — or ROLLBACK when the body (or the commit) throws.
enum SQLConnectionTransaction {
    nonisolated(nonsending) static func run<T: Sendable>(on c: any SQLConnection, begin: String, _ body: (any SQLConnection) async throws -> T) async throws -> T {
        try await c.query(begin)
        do {
            let result = try await body(c)
            try await c.query("COMMIT")
            return result
        } catch {
            _ = try? await c.query("ROLLBACK")
            throw error
        }
    }
}

extension UUID {
    /// Whether this id sorts before `other` as the stores order ids: by bytes, which is the order
    /// of their lowercase text on SQLite and of `uuid` on PostgreSQL.
    package func orderedBefore(_ other: UUID) -> Bool {
        withUnsafeBytes(of: uuid) { a in
            withUnsafeBytes(of: other.uuid) { b in a.lexicographicallyPrecedes(b) }
        }
    }

    /// The lowercase text form (`8-4-4-4-12` hex digits), as SQLite stores ids; without the
    /// formatted printing and the second copy `uuidString.lowercased()` costs.
    package var lowercasedText: String {
        let hex: StaticString = "0123456789abcdef"
        return withUnsafeBytes(of: uuid) { bytes in
            String(unsafeUninitializedCapacity: 36) { out in
                hex.withUTF8Buffer { digits in
                    var o = 0
                    for (i, byte) in bytes.enumerated() {
                        if i == 4 || i == 6 || i == 8 || i == 10 {
                            out[o] = UInt8(ascii: "-")
                            o += 1
                        }
                        out[o] = digits[Int(byte >> 4)]
                        out[o + 1] = digits[Int(byte & 0x0F)]
                        o += 2
                    }
                    return o
                }
            }
        }
    }
}

extension UUID {
    /// Parses the `8-4-4-4-12` hex text form (either case); nil for anything else.
    package init?(text: String) {
        var text = text
        let parsed: uuid_t? = text.withUTF8 { utf8 -> uuid_t? in
            guard utf8.count == 36 else { return nil }
            var bytes = [UInt8](repeating: 0, count: 16)
            var i = 0
            for b in 0..<16 {
                if i == 8 || i == 13 || i == 18 || i == 23 {
                    guard utf8[i] == UInt8(ascii: "-") else { return nil }
                    i += 1
                }
                guard let hi = Self.nibble(utf8[i]), let lo = Self.nibble(utf8[i + 1]) else { return nil }
                bytes[b] = hi << 4 | lo
                i += 2
            }
            return (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                    bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15])
        }
        guard let parsed else { return nil }
        self.init(uuid: parsed)
    }

    private static func nibble(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }
}
