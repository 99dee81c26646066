public import Foundation
public import Logging

/// The service's configuration, read once from `LIORA_*` environment variables at start-up
/// and validated there: a missing or malformed value stops the process before it binds a port.
public struct Configuration: Sendable {
    public var host: String
    public var port: Int
    /// The database the service uses (on PostgreSQL: a role without superuser, BYPASSRLS or ownership).
    public var databaseURL: DatabaseURL
    /// The database `liora migrate` uses (the schema owner); defaults to `databaseURL`.
    public var migrationDatabaseURL: DatabaseURL
    /// Meta app secret for `X-Hub-Signature-256`. Absent: every webhook POST is refused.
    public var metaAppSecret: Secret?
    /// Token Meta echoes in the subscription handshake. Absent: every handshake is refused.
    public var metaVerifyToken: Secret?
    public var graphBaseURL: URL
    public var graphAPIVersion: String
    /// Base of public links (short links); defaults to `http://HOST:PORT`.
    public var publicBaseURL: URL
    /// Whether `publicBaseURL` was given (`LIORA_PUBLIC_BASE_URL`) rather than derived from the bind address.
    public var publicBaseURLIsSet: Bool
    /// 32-byte master key for envelope encryption (required by features that store secrets);
    /// `VERSION:BASE64,…` (newest first) while keys are rotated. See `MasterKeyRing`.
    public var masterKey: Secret?
    /// Key for signing admin JWTs (at least 32 characters).
    public var jwtSecret: Secret?
    public var logLevel: Logger.Level
    /// `LIORA_SLOT_IDLE_SECONDS`: how long the bot waits for the answer to a follow-up question.
    public var slotIdleTimeout: TimeInterval = 15 * 60
    /// `LIORA_HANDOFF_AFTER`: consecutive messages the bot does not understand before a person is asked to take over.
    public var handOffAfter: Int = 5
    /// `LIORA_CATALOG_MAX_BYTES`: the largest catalog body accepted (default 32 MB: a 50,000-product catalog with descriptions is about 22 MB).
    public var catalogMaxBytes: Int = 32 * 1024 * 1024
    /// `LIORA_CATALOG_SECRET_OVERLAP_SECONDS`: how long a rotated-out catalog secret stays valid (default 24 h).
    public var catalogSecretOverlap: TimeInterval = 24 * 3600
    /// `LIORA_CATALOG_KEEP_VERSIONS`: catalog snapshots kept per tenant, newest first, besides the
    /// active one and the one a publish replaced; each new version deletes up to 5 older ones (default 20).
    public var catalogKeepVersions: Int = 20
    /// `LIORA_RETENTION_DAYS`: history older than this many days is deleted (webhook bodies and
    /// items, conversation logs, sent replies, link clicks, catalog ingest logs). 0 (the default)
    /// keeps everything; otherwise at least 8: the stored copy is what recognises Meta's retries of
    /// a delivery, which Meta documents as "typically 24 hours, though this may vary" (its older
    /// documentation said up to 7 days).
    public var retentionDays: Int = 0
    /// `LIORA_TRUSTED_PROXIES`: the reverse proxies whose `X-Forwarded-For` names the client
    /// (for per-address limits: logins, short-link clicks). Default: none, the peer is the client.
    public var trustedProxies: TrustedProxies = .none

    /// The master key ring, when `LIORA_MASTER_KEY` is set (validated at start-up).
    public var masterKeyRing: MasterKeyRing? {
        masterKey.flatMap { try? MasterKeyRing(parsing: $0.value) }
    }

    /// A configuration with defaults, for tests and embedding.
    public init(
        host: String = "127.0.0.1",
        port: Int = 8080,
        databaseURL: DatabaseURL = .sqlite(path: ".liora/liora.sqlite"),
        migrationDatabaseURL: DatabaseURL? = nil,
        metaAppSecret: Secret? = nil,
        metaVerifyToken: Secret? = nil,
        graphBaseURL: URL = URL(string: "https://graph.facebook.com")!,
        graphAPIVersion: String = "v23.0",
        publicBaseURL: URL? = nil,
        masterKey: Secret? = nil,
        jwtSecret: Secret? = nil,
        logLevel: Logger.Level = .info
    ) {
        self.host = host
        self.port = port
        self.databaseURL = databaseURL
        self.migrationDatabaseURL = migrationDatabaseURL ?? databaseURL
        self.metaAppSecret = metaAppSecret
        self.metaVerifyToken = metaVerifyToken
        self.graphBaseURL = graphBaseURL
        self.graphAPIVersion = graphAPIVersion
        self.publicBaseURL = publicBaseURL ?? Self.defaultPublicBaseURL(host: host, port: port)
        self.publicBaseURLIsSet = publicBaseURL != nil
        self.masterKey = masterKey
        self.jwtSecret = jwtSecret
        self.logLevel = logLevel
    }

    /// The address the server binds: `host` without the brackets an IPv6 address may be written in.
    public var listenHost: String {
        host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
    }

    /// `http://HOST:PORT`, with an IPv6 address in brackets and its zone id's `%` written `%25`
    /// (RFC 6874: `[fe80::1%25eth0]`).
    package static func defaultPublicBaseURL(host: String, port: Int) -> URL {
        let bracketed = host.contains(":") && !host.hasPrefix("[")
            ? "[\(host.replacingOccurrences(of: "%", with: "%25"))]" : host
        return URL(string: "http://\(bracketed):\(port)") ?? URL(string: "http://127.0.0.1:\(port)")!
    }

    /// Why the bot's short links would not open on a customer's phone, or nil. Without
    /// `LIORA_PUBLIC_BASE_URL` they point at the bind address, and a wildcard one (`0.0.0.0`, `::`)
    /// is not an address anybody can open: every link the bot sent would be broken. `liora serve`
    /// refuses to start the bot with such a configuration.
    public var publicLinksProblem: Problem? {
        guard !publicBaseURLIsSet else { return nil }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
        guard !bare.isEmpty, bare.allSatisfy({ $0 == "0" || $0 == "." || $0 == ":" }) else { return nil }
        return Problem(variable: "LIORA_PUBLIC_BASE_URL",
                       reason: "is required when LIORA_HOST is \(host) (short links would point at \(publicBaseURL.absoluteString), which no phone can open); set it to the public https URL that serves /s/{code}")
    }

    /// Why `serve --demo` must not seed the demo owner, or nil: listening beyond this machine
    /// (`host` not a loopback address) with `LIORA_DEMO_PASSWORD` unset would create
    /// `owner@demo.test` with the password the README prints, an admin login anybody can guess.
    /// Locally (127.0.0.1, `localhost`, `::1`) the documented default stays, as the demo needs.
    public static func demoOwnerProblem(host: String, demoPassword: String?) -> Problem? {
        guard (demoPassword ?? "").isEmpty else { return nil }
        let bare = host.trimmingCharacters(in: CharacterSet(charactersIn: "[]")).lowercased()
        if bare == "localhost" || bare == "::1" || bare.hasPrefix("127.") { return nil }
        return Problem(variable: "LIORA_DEMO_PASSWORD",
                       reason: "is required for serve --demo when LIORA_HOST is \(host) (the demo owner would get the default password the README prints); set it, or listen on 127.0.0.1")
    }

    /// A configuration problem, named by its variable; `description` is the one line printed at start-up.
    public struct Problem: Error, CustomStringConvertible, Equatable {
        public var variable: String
        public var reason: String
        public var description: String { "\(variable): \(reason)" }
    }

    /// Reads and validates every variable. Values of secrets are never echoed in a problem.
    public static func load(environment env: [String: String]) throws(Problem) -> Configuration {
        func value(_ name: String) -> String? {
            guard let v = env[name]?.trimmingCharacters(in: .whitespaces), !v.isEmpty else { return nil }
            return v
        }
        let host = value("LIORA_HOST") ?? "127.0.0.1"
        guard isListenAddress(host) else {
            throw Problem(variable: "LIORA_HOST",
                          reason: "must be an IP address to listen on (127.0.0.1, 0.0.0.0, ::1, ::) or localhost, got \"\(host)\"")
        }
        var port = 8080
        if let raw = value("LIORA_PORT") {
            guard let p = Int(raw), (1...65535).contains(p) else {
                throw Problem(variable: "LIORA_PORT", reason: "must be a port number from 1 to 65535, got \"\(raw)\"")
            }
            port = p
        }
        let databaseURL = try databaseURL("LIORA_DATABASE_URL", value("LIORA_DATABASE_URL") ?? "sqlite:.liora/liora.sqlite")
        let migrationURL = try value("LIORA_MIGRATION_DATABASE_URL").map { raw throws(Problem) in
            try Self.databaseURL("LIORA_MIGRATION_DATABASE_URL", raw)
        }
        let graphBase = try httpURL("LIORA_GRAPH_BASE_URL", value("LIORA_GRAPH_BASE_URL") ?? "https://graph.facebook.com")
        let version = value("LIORA_GRAPH_API_VERSION") ?? "v23.0"
        guard isGraphVersion(version) else {
            throw Problem(variable: "LIORA_GRAPH_API_VERSION", reason: "must look like v23.0, got \"\(version)\"")
        }
        let publicBase = try value("LIORA_PUBLIC_BASE_URL").map { raw throws(Problem) in try httpURL("LIORA_PUBLIC_BASE_URL", raw) }
        var masterKey: Secret?
        if let raw = value("LIORA_MASTER_KEY") {
            do {
                _ = try MasterKeyRing(parsing: raw)
            } catch {
                throw Problem(variable: "LIORA_MASTER_KEY", reason: error.message)
            }
            masterKey = Secret(raw)
        }
        var jwtSecret: Secret?
        if let raw = value("LIORA_JWT_SECRET") {
            guard raw.utf8.count >= 32 else {
                throw Problem(variable: "LIORA_JWT_SECRET", reason: "must be at least 32 characters long")
            }
            jwtSecret = Secret(raw)
        }
        var level = Logger.Level.info
        if let raw = value("LIORA_LOG_LEVEL") {
            guard let l = Logger.Level(rawValue: raw.lowercased()) else {
                throw Problem(variable: "LIORA_LOG_LEVEL", reason: "must be one of trace, debug, info, notice, warning, error, critical, got \"\(raw)\"")
            }
            level = l
        }
        var configuration = Configuration(
            host: host, port: port, databaseURL: databaseURL, migrationDatabaseURL: migrationURL,
            metaAppSecret: value("LIORA_META_APP_SECRET").map(Secret.init),
            metaVerifyToken: value("LIORA_META_VERIFY_TOKEN").map(Secret.init),
            graphBaseURL: graphBase, graphAPIVersion: version, publicBaseURL: publicBase,
            masterKey: masterKey, jwtSecret: jwtSecret, logLevel: level
        )
        func integer(_ name: String, _ range: ClosedRange<Int>, _ what: String) throws(Problem) -> Int? {
            guard let raw = value(name) else { return nil }
            guard let n = Int(raw), range.contains(n) else {
                throw Problem(variable: name, reason: "must be \(what) between \(range.lowerBound) and \(range.upperBound), got \"\(raw)\"")
            }
            return n
        }
        if let n = try integer("LIORA_SLOT_IDLE_SECONDS", 10...86_400, "a number of seconds") { configuration.slotIdleTimeout = TimeInterval(n) }
        if let n = try integer("LIORA_HANDOFF_AFTER", 1...100, "a count") { configuration.handOffAfter = n }
        if let n = try integer("LIORA_CATALOG_MAX_BYTES", 1024...(256 * 1024 * 1024), "a size in bytes") { configuration.catalogMaxBytes = n }
        if let n = try integer("LIORA_CATALOG_SECRET_OVERLAP_SECONDS", 0...(30 * 86_400), "a number of seconds") {
            configuration.catalogSecretOverlap = TimeInterval(n)
        }
        if let n = try integer("LIORA_CATALOG_KEEP_VERSIONS", 1...10_000, "a count") { configuration.catalogKeepVersions = n }
        if let n = try integer("LIORA_RETENTION_DAYS", 0...36_500, "a number of days") {
            guard n == 0 || n >= 8 else {
                throw Problem(variable: "LIORA_RETENTION_DAYS",
                              reason: "must be 0 (keep everything) or at least 8 days (Meta may retry a delivery for days), got \"\(n)\"")
            }
            configuration.retentionDays = n
        }
        if let raw = value("LIORA_TRUSTED_PROXIES") {
            guard let proxies = TrustedProxies(parsing: raw) else {
                throw Problem(variable: "LIORA_TRUSTED_PROXIES",
                              reason: "must be comma-separated IP addresses or CIDR blocks (10.0.0.0/8, fd00::/8), got \"\(raw)\"")
            }
            configuration.trustedProxies = proxies
        }
        return configuration
    }

    private static func databaseURL(_ name: String, _ raw: String) throws(Problem) -> DatabaseURL {
        guard let url = DatabaseURL(parsing: raw) else {
            throw Problem(variable: name, reason: "must be sqlite:PATH or postgres://user:pass@host:port/db")
        }
        return url
    }

    private static func httpURL(_ name: String, _ raw: String) throws(Problem) -> URL {
        guard let url = URL(string: raw), let scheme = url.scheme?.lowercased(), scheme == "http" || scheme == "https",
              let host = url.host, !host.isEmpty else {
            throw Problem(variable: name, reason: "must be an http(s) URL, got \"\(raw)\"")
        }
        return url
    }

    /// LIORA_HOST: an IPv4 or IPv6 address (an IPv6 one may be bracketed and name its zone,
    /// `fe80::1%eth0`), or `localhost`. Any other name would only fail when the server binds,
    /// after start-up had gone well so far.
    private static func isListenAddress(_ host: String) -> Bool {
        if host.lowercased() == "localhost" { return true }
        var bare = Substring(host)
        let bracketed = bare.hasPrefix("[") && bare.hasSuffix("]") && bare.count > 2
        if bracketed { bare = bare.dropFirst().dropLast() }
        if let percent = bare.firstIndex(of: "%") {
            // A zone id only follows an IPv6 address.
            guard bare.contains(":"), bare.index(after: percent) < bare.endIndex else { return false }
            bare = bare[..<percent]
        }
        return TrustedProxies.bytes(String(bare)) != nil && (!bracketed || bare.contains(":"))
    }

    private static func isGraphVersion(_ s: String) -> Bool {
        guard s.first == "v" else { return false }
        let parts = s.dropFirst().split(separator: ".", omittingEmptySubsequences: false)
        return parts.count == 2 && parts.allSatisfy { !$0.isEmpty && $0.allSatisfy(\.isASCIIDigit) }
    }
}

extension Character {
    fileprivate var isASCIIDigit: Bool { isASCII && isNumber }
}
