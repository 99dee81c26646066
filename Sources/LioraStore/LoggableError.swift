import PostgresNIO
import _ConnectionPoolModule

/// How an error is written to the logs. A PostgreSQL error is named by its code, SQLSTATE, table
/// and constraint only: its message and detail, and the query PostgresNIO attaches, can hold the
/// values of a row — message text or phone numbers — which never go to the logs. Other errors are
/// described in full (`String(reflecting:)`).
package func loggableDescription(_ error: any Error) -> String {
    guard let e = error as? PSQLError else { return String(reflecting: error) }
    var parts = ["code: \(e.code)"]
    if let state = e.serverInfo?[.sqlState] { parts.append("sqlState: \(state)") }
    if let table = e.serverInfo?[.tableName] { parts.append("table: \(table)") }
    if let constraint = e.serverInfo?[.constraintName] { parts.append("constraint: \(constraint)") }
    return "PSQLError(" + parts.joined(separator: ", ") + ")"
}

/// An error for an operator's terminal (the CLI): a PostgreSQL error with the server's message
/// ("password authentication failed for user …", "database … does not exist") and its SQLSTATE,
/// or the connection failure, instead of PostgresNIO's deliberately generic text.
package func operatorDescription(_ error: any Error) -> String {
    guard let e = error as? PSQLError else { return "\(error)" }
    if let message = e.serverInfo?[.message] {
        return "PostgreSQL: \(message)" + (e.serverInfo?[.sqlState].map { " (SQLSTATE \($0))" } ?? "")
    }
    return "PostgreSQL: \(e.code)" + (e.underlying.map { " (\($0))" } ?? "")
}

/// Whether `error` means the database cannot be reached or cannot take the work now (closed,
/// connection lost, shutting down, out of connections or disk), as opposed to a bad query or
/// bad data. Such a request is answered 503 `database_unavailable`: worth retrying later.
package func isDatabaseUnavailable(_ error: any Error) -> Bool {
    if let e = error as? StoreError, case .unavailable = e { return true }
    if let e = error as? ConnectionPoolError { return e == .poolShutdown || e == .connectionCreationCircuitBreakerTripped }
    guard let e = error as? PSQLError else { return false }
    switch e.code {
    case .clientClosedConnection, .serverClosedConnection, .connectionError, .uncleanShutdown, .poolClosed:
        return true
    case .server:
        // 08: connection exception; 53: insufficient resources (disk full, out of memory, too
        // many connections); 57P01–57P03: the server is shutting down or starting up.
        // 25006: read-only transaction (a failover left us on a standby); 57P04/57P05: dropped or
        // idle too long. 08P01 (protocol violation) is our bug, not an outage.
        guard let state = e.serverInfo?[.sqlState], state != "08P01" else { return false }
        return state.hasPrefix("08") || state.hasPrefix("53")
            || ["57P01", "57P02", "57P03", "57P04", "57P05", "25006"].contains(state)
    default:
        return false
    }
}

/// Whether `error` is the database refusing a value (too long for an index, out of range, a
/// constraint): the data, not the database, so storing the same rows in smaller groups can
/// isolate the culprit. SQLite reports every failure but a unique violation as `corrupt`.
package func isRefusedData(_ error: any Error) -> Bool {
    if let e = error as? StoreError {
        switch e {
        case .corrupt, .uniqueViolation: return true
        default: return false
        }
    }
    guard let e = error as? PSQLError, e.code == .server, let state = e.serverInfo?[.sqlState] else { return false }
    return state.hasPrefix("22") || state.hasPrefix("23") || state.hasPrefix("54")
}
