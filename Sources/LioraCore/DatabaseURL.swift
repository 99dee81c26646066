/// Where the data lives: the embedded SQLite file (the default) or a PostgreSQL server.
public enum DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// `sqlite:PATH` (a file, created with its folder when missing) or `sqlite::memory:`.
    case sqlite(path: String)
    /// `postgres://user:pass@host:port/db[?sslmode=…][&sslrootcert=PATH]`, with libpq's meanings:
    /// `disable` plain; `prefer` (the default) and `allow` encrypt when the server offers it,
    /// `require` always, neither checking the certificate (`require` with `sslrootcert` checks
    /// the chain); `verify-ca` checks the chain against `sslrootcert` (or the system's roots),
    /// `verify-full` the chain and the host name too; `sslrootcert=system` means the system's roots
    /// and verify-full.
    case postgres(PostgresLocation)

    /// A PostgreSQL server address and credentials.
    public struct PostgresLocation: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: Secret?
        public var database: String
        public var tls: TLSMode
        /// `sslrootcert`: a PEM file of the certificate authorities `verify-ca`/`verify-full`
        /// trust instead of the system's (a managed database's own CA).
        public var rootCertificatePath: String? = nil

        public enum TLSMode: String, Sendable, Equatable {
            case disable, prefer, require
            case verifyCA = "verify-ca"
            case verifyFull = "verify-full"
        }
    }

    /// Parses the `LIORA_DATABASE_URL` forms. Returns nil when the text is not one of them.
    public init?(parsing text: String) {
        if text.hasPrefix("sqlite:") {
            let path = String(text.dropFirst("sqlite:".count))
            guard !path.isEmpty else { return nil }
            self = .sqlite(path: path)
            return
        }
        guard let scheme = ["postgres://", "postgresql://"].first(where: { text.hasPrefix($0) }) else { return nil }
        var rest = Substring(text.dropFirst(scheme.count))
        var tls = PostgresLocation.TLSMode.prefer
        var mode: PostgresLocation.TLSMode?
        var rootCertificate: String?
        var systemRoots = false
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { return nil }
                switch kv[0] {
                case "sslmode":
                    guard let given = kv[1] == "allow" ? .prefer : PostgresLocation.TLSMode(rawValue: kv[1]) else { return nil }
                    mode = given
                case "sslrootcert":
                    let path = Self.percentDecoded(kv[1])
                    guard !path.isEmpty else { return nil }
                    // The last one given wins, as in libpq.
                    systemRoots = path == "system"
                    rootCertificate = systemRoots ? nil : path
                default:
                    break
                }
            }
            rest = rest[..<q]
        }
        // `sslrootcert=system` (libpq 16): the system's roots, with verify-full, the only mode it allows.
        if systemRoots {
            guard mode == nil || mode == .verifyFull else { return nil }
            mode = .verifyFull
        }
        tls = mode ?? tls
        guard let slash = rest.firstIndex(of: "/") else { return nil }
        let database = String(rest[rest.index(after: slash)...])
        var authority = rest[..<slash]
        var username = "postgres"
        var password: Secret?
        if let at = authority.lastIndex(of: "@") {
            let userinfo = authority[..<at]
            authority = authority[authority.index(after: at)...]
            let parts = userinfo.split(separator: ":", maxSplits: 1, omittingEmptySubsequences: false)
            username = Self.percentDecoded(String(parts[0]))
            if parts.count == 2 { password = Secret(Self.percentDecoded(String(parts[1]))) }
        }
        var host = String(authority)
        var port = 5432
        if let colon = authority.lastIndex(of: ":") {
            guard let p = Int(authority[authority.index(after: colon)...]), (1...65535).contains(p) else { return nil }
            port = p
            host = String(authority[..<colon])
        }
        guard !host.isEmpty, !database.isEmpty, !username.isEmpty else { return nil }
        self = .postgres(.init(host: host, port: port, username: username, password: password, database: database, tls: tls,
                               rootCertificatePath: rootCertificate))
    }

    /// The URL with the password hidden, safe to log.
    public var description: String {
        switch self {
        case .sqlite(let path): return "sqlite:\(path)"
        case .postgres(let l):
            return "postgres://\(l.username)\(l.password == nil ? "" : ":***")@\(l.host):\(l.port)/\(l.database)"
        }
    }

    private static func percentDecoded(_ s: String) -> String {
        guard s.contains("%") else { return s }
        var bytes: [UInt8] = []
        var it = Array(s.utf8)[...]
        while let b = it.popFirst() {
            if b == UInt8(ascii: "%"), it.count >= 2,
               let v = UInt8(String(decoding: it.prefix(2), as: UTF8.self), radix: 16) {
                bytes.append(v)
                it = it.dropFirst(2)
            } else {
                bytes.append(b)
            }
        }
        return String(decoding: bytes, as: UTF8.self)
    }
}
