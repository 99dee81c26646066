/// Where the data lives: the embedded SQLite file (the default) or a PostgreSQL server.
public enum DatabaseURL: Sendable, Equatable, CustomStringConvertible {
    /// `sqlite:PATH` (a file, created with its folder when missing) or `sqlite::memory:`.
    case sqlite(path: String)
    /// `postgres://user:pass@host:port/db[?sslmode=disable|prefer|require]`.
    case postgres(PostgresLocation)

    /// A PostgreSQL server address and credentials.
    public struct PostgresLocation: Sendable, Equatable {
        public var host: String
        public var port: Int
        public var username: String
        public var password: Secret?
        public var database: String
        public var tls: TLSMode

        public enum TLSMode: String, Sendable, Equatable { case disable, prefer, require }
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
        if let q = rest.firstIndex(of: "?") {
            for pair in rest[rest.index(after: q)...].split(separator: "&") {
                let kv = pair.split(separator: "=", maxSplits: 1).map(String.init)
                guard kv.count == 2 else { return nil }
                if kv[0] == "sslmode" {
                    switch kv[1] {
                    case "disable": tls = .disable
                    case "prefer", "allow": tls = .prefer
                    case "require", "verify-ca", "verify-full": tls = .require
                    default: return nil
                    }
                }
            }
            rest = rest[..<q]
        }
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
        self = .postgres(.init(host: host, port: port, username: username, password: password, database: database, tls: tls))
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
