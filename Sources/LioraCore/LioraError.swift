/// The core's error type. `description` is safe to show to a user or a log; `debugDescription`
/// may carry detail for developers and is never sent over HTTP.
public struct LioraError: Error, Sendable, CustomStringConvertible, CustomDebugStringConvertible, Equatable {
    /// A stable, machine-readable code (snake_case), used in HTTP error bodies.
    public enum Code: String, Sendable, Equatable {
        case invalidConfiguration = "invalid_configuration"
        case notFound = "not_found"
        case conflict = "conflict"
        case invalidInput = "invalid_input"
        case storage = "storage_error"
        case migrationChecksumMismatch = "migration_checksum_mismatch"
        case insecureDatabaseRole = "insecure_database_role"
    }

    public var code: Code
    /// A fixed, user-safe message.
    public var message: String
    /// Developer detail; never shown to API clients.
    public var detail: String?

    public init(_ code: Code, _ message: String, detail: String? = nil) {
        self.code = code
        self.message = message
        self.detail = detail
    }

    public var description: String { message }
    public var debugDescription: String {
        detail.map { "\(code.rawValue): \(message) (\($0))" } ?? "\(code.rawValue): \(message)"
    }
}
