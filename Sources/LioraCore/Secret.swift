/// A secret value (app secret, token, key) that never prints itself.
///
/// `description`, `debugDescription` and string interpolation all show `<redacted>`, so a secret
/// that ends up in a log line or an error message by mistake leaks nothing.
public struct Secret: Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// The secret's bytes. Read it only where it is used (HMAC keys, outbound auth headers).
    public let value: String

    public init(_ value: String) { self.value = value }

    public var description: String { "<redacted>" }
    public var debugDescription: String { "<redacted>" }

    /// The UTF-8 bytes of the secret, for use as a MAC key.
    public var bytes: [UInt8] { Array(value.utf8) }
}
