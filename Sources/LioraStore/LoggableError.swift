import PostgresNIO

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
