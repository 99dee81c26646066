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

extension LioraError {
    /// A tenant's data key that its master key version does not open (AES-GCM refuses it): in
    /// practice LIORA_MASTER_KEY gives another key under that version than the one that wrapped
    /// it (a key pasted from the wrong environment), else the row was altered. What
    /// `Envelope.unwrap` throws; `isTenantKeyNotOpened` recognises it.
    public static let tenantKeyNotOpened = LioraError(.storage, "a tenant key could not be unwrapped", detail: "wrong master key or tampered row")

    /// Whether this is `tenantKeyNotOpened` (its code and fixed message, whatever the detail).
    public var isTenantKeyNotOpened: Bool {
        code == Self.tenantKeyNotOpened.code && message == Self.tenantKeyNotOpened.message
    }
}
