import Foundation
import LioraCore
import LioraTestSupport
import Logging
import Testing

@Suite("Configuration")
struct ConfigurationTests {
    @Test("defaults match DESIGN.md")
    func defaults() throws {
        let c = try Configuration.load(environment: [:])
        #expect(c.host == "127.0.0.1")
        #expect(c.port == 8080)
        #expect(c.databaseURL == .sqlite(path: ".liora/liora.sqlite"))
        #expect(c.migrationDatabaseURL == c.databaseURL)
        #expect(c.graphBaseURL.absoluteString == "https://graph.facebook.com")
        #expect(c.graphAPIVersion == "v23.0")
        #expect(c.publicBaseURL.absoluteString == "http://127.0.0.1:8080")
        #expect(c.metaAppSecret == nil)
        #expect(c.logLevel == .info)
        #expect(c.catalogKeepVersions == 20)
        #expect(c.retentionDays == 0)
    }

    @Test("every variable is read")
    func reads() throws {
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        let c = try Configuration.load(environment: [
            "LIORA_HOST": "0.0.0.0", "LIORA_PORT": "9090",
            "LIORA_DATABASE_URL": "postgres://app:p%40ss@db.internal:6543/liora?sslmode=require",
            "LIORA_MIGRATION_DATABASE_URL": "postgres://owner:x@db.internal/liora",
            "LIORA_META_APP_SECRET": "s", "LIORA_META_VERIFY_TOKEN": "v",
            "LIORA_GRAPH_BASE_URL": "http://127.0.0.1:9999", "LIORA_GRAPH_API_VERSION": "v24.0",
            "LIORA_PUBLIC_BASE_URL": "https://liora.example", "LIORA_MASTER_KEY": key,
            "LIORA_JWT_SECRET": String(repeating: "j", count: 32), "LIORA_LOG_LEVEL": "DEBUG",
            "LIORA_TRUSTED_PROXIES": "10.0.0.0/8, 2001:db8::1", "LIORA_CATALOG_KEEP_VERSIONS": "5",
            "LIORA_RETENTION_DAYS": "90",
        ])
        #expect(c.catalogKeepVersions == 5)
        #expect(c.retentionDays == 90)
        #expect(c.host == "0.0.0.0")
        #expect(c.port == 9090)
        guard case .postgres(let pg) = c.databaseURL else { Issue.record("not postgres"); return }
        #expect(pg.host == "db.internal")
        #expect(pg.port == 6543)
        #expect(pg.username == "app")
        #expect(pg.password?.value == "p@ss")
        #expect(pg.database == "liora")
        #expect(pg.tls == .require)
        #expect(pg.rootCertificatePath == nil)
        guard case .postgres(let verified)? = DatabaseURL(parsing: "postgres://app@db/liora?sslmode=verify-full&sslrootcert=/etc/ssl/rds%20ca.pem")
        else { Issue.record("verify-full not parsed"); return }
        #expect(verified.tls == .verifyFull)
        #expect(verified.rootCertificatePath == "/etc/ssl/rds ca.pem")
        guard case .postgres(let system)? = DatabaseURL(parsing: "postgres://app@db/liora?sslrootcert=system")
        else { Issue.record("sslrootcert=system not parsed"); return }
        #expect(system.tls == .verifyFull && system.rootCertificatePath == nil)
        // The last sslrootcert wins, as in libpq.
        guard case .postgres(let twice)? = DatabaseURL(parsing: "postgres://app@db/liora?sslrootcert=/ca.pem&sslrootcert=system")
        else { Issue.record("repeated sslrootcert not parsed"); return }
        #expect(twice.tls == .verifyFull && twice.rootCertificatePath == nil)
        guard case .postgres(let owner) = c.migrationDatabaseURL else { Issue.record("not postgres"); return }
        #expect(owner.port == 5432)
        #expect(c.metaAppSecret?.value == "s")
        #expect(c.graphAPIVersion == "v24.0")
        #expect(c.publicBaseURL.absoluteString == "https://liora.example")
        #expect(c.logLevel == .debug)
        #expect(c.trustedProxies.contains("10.4.5.6") && c.trustedProxies.contains("2001:db8::1"))
        #expect(!c.trustedProxies.contains("192.0.2.1"))
    }

    @Test("serve --demo beyond this machine needs its own demo password; locally the documented default stays")
    func demoOwnerPassword() {
        for local in ["127.0.0.1", "127.0.1.1", "localhost", "LOCALHOST", "::1", "[::1]"] {
            #expect(Configuration.demoOwnerProblem(host: local, demoPassword: nil) == nil, "\(local)")
        }
        for exposed in ["0.0.0.0", "::", "10.0.0.5", "liora.internal"] {
            let problem = Configuration.demoOwnerProblem(host: exposed, demoPassword: nil)
            #expect(problem?.variable == "LIORA_DEMO_PASSWORD", "\(exposed)")
            #expect(problem?.description.contains("LIORA_HOST is \(exposed)") == true)
            #expect(Configuration.demoOwnerProblem(host: exposed, demoPassword: "") != nil, "empty is unset")
            #expect(Configuration.demoOwnerProblem(host: exposed, demoPassword: "a long own passphrase") == nil)
        }
    }

    @Test("links need LIORA_PUBLIC_BASE_URL when the service listens on every address; an IPv6 host is bracketed")
    func publicLinks() throws {
        #expect(try Configuration.load(environment: [:]).publicLinksProblem == nil)
        for wildcard in ["0.0.0.0", "::", "[::]"] {
            let c = try Configuration.load(environment: ["LIORA_HOST": wildcard])
            let problem = try #require(c.publicLinksProblem, "\(wildcard)")
            #expect(problem.variable == "LIORA_PUBLIC_BASE_URL")
            #expect(problem.description.hasPrefix("LIORA_PUBLIC_BASE_URL: is required when LIORA_HOST is \(wildcard)"))
            let set = try Configuration.load(environment: ["LIORA_HOST": wildcard, "LIORA_PUBLIC_BASE_URL": "https://liora.example"])
            #expect(set.publicLinksProblem == nil)
        }
        #expect(try Configuration.load(environment: ["LIORA_HOST": "10.0.0.5"]).publicLinksProblem == nil)
        let v6 = try Configuration.load(environment: ["LIORA_HOST": "::1", "LIORA_PORT": "9000"])
        #expect(v6.publicBaseURL.absoluteString == "http://[::1]:9000")
        #expect(v6.publicLinksProblem == nil)
        // A link-local address names its interface: the zone id's % is written %25 (RFC 6874).
        let zoned = try Configuration.load(environment: ["LIORA_HOST": "fe80::1%eth0", "LIORA_PORT": "9000"])
        #expect(zoned.publicBaseURL.absoluteString == "http://[fe80::1%25eth0]:9000")
    }

    @Test("LIORA_HOST takes IPv4 and IPv6 addresses (bracketed, with a zone) and localhost")
    func listenAddresses() throws {
        for host in ["127.0.0.1", "0.0.0.0", "10.0.0.5", "::", "::1", "[::]", "[::1]", "fe80::1%eth0", "localhost", "LOCALHOST"] {
            #expect(try Configuration.load(environment: ["LIORA_HOST": host]).host == host)
        }
        // The server binds an IPv6 address without its brackets (a bracketed one did not resolve).
        #expect(try Configuration.load(environment: ["LIORA_HOST": "[::1]"]).listenHost == "::1")
        #expect(try Configuration.load(environment: ["LIORA_HOST": "10.0.0.5"]).listenHost == "10.0.0.5")
        let problem = #expect(throws: Configuration.Problem.self) { try Configuration.load(environment: ["LIORA_HOST": "not-an-ip"]) }
        #expect(problem?.description == #"LIORA_HOST: must be an IP address to listen on (127.0.0.1, 0.0.0.0, ::1, ::) or localhost, got "not-an-ip""#)
    }

    @Test("a malformed value names its variable and never echoes a secret", arguments: [
        ("LIORA_PORT", "abc"), ("LIORA_PORT", "0"), ("LIORA_PORT", "70000"),
        ("LIORA_HOST", "not-an-ip"), ("LIORA_HOST", "10.0.0.256"), ("LIORA_HOST", "[10.0.0.5]"), ("LIORA_HOST", "::1%"),
        ("LIORA_HOST", "http://0.0.0.0"), ("LIORA_HOST", "0.0.0.0:8080"),
        ("LIORA_DATABASE_URL", "mysql://x/y"), ("LIORA_DATABASE_URL", "postgres://host-without-db"),
        ("LIORA_DATABASE_URL", "postgres://u@h:99999/db"), ("LIORA_DATABASE_URL", "sqlite:"),
        ("LIORA_DATABASE_URL", "postgres://u@h/db?sslmode=verify"), ("LIORA_DATABASE_URL", "postgres://u@h/db?sslrootcert="),
        ("LIORA_DATABASE_URL", "postgres://u@h/db?sslmode=require&sslrootcert=system"),
        ("LIORA_MIGRATION_DATABASE_URL", "nope"),
        ("LIORA_GRAPH_BASE_URL", "ftp://graph"), ("LIORA_GRAPH_BASE_URL", "not a url"),
        ("LIORA_GRAPH_API_VERSION", "23"), ("LIORA_GRAPH_API_VERSION", "v23"),
        ("LIORA_PUBLIC_BASE_URL", "liora.example"),
        ("LIORA_MASTER_KEY", "c2hvcnQ="), ("LIORA_MASTER_KEY", "!!not base64!!"),
        ("LIORA_JWT_SECRET", "too-short-secret"),
        ("LIORA_LOG_LEVEL", "loud"),
        ("LIORA_TRUSTED_PROXIES", "10.0.0.0/40"), ("LIORA_TRUSTED_PROXIES", "load-balancer.internal"),
        ("LIORA_CATALOG_KEEP_VERSIONS", "0"), ("LIORA_CATALOG_KEEP_VERSIONS", "all"),
        ("LIORA_RETENTION_DAYS", "7"), ("LIORA_RETENTION_DAYS", "-1"), ("LIORA_RETENTION_DAYS", "90d"),
    ])
    func malformed(variable: String, value: String) {
        do {
            _ = try Configuration.load(environment: [variable: value])
            Issue.record("\(variable)=\(value) was accepted")
        } catch {
            #expect(error.variable == variable)
            #expect(error.description.hasPrefix("\(variable): "))
            #expect(!error.description.contains("\n"))
            if variable == "LIORA_MASTER_KEY" || variable == "LIORA_JWT_SECRET" {
                #expect(!error.description.contains(value))
            }
        }
    }

    @Test("secrets redact themselves wherever they are printed")
    func secretsRedact() throws {
        let s = Secret("canary-7f3a")
        #expect("\(s)" == "<redacted>")
        #expect(String(reflecting: s) == "<redacted>")
        let c = try Configuration.load(environment: ["LIORA_META_APP_SECRET": "canary-7f3a",
                                                     "LIORA_DATABASE_URL": "postgres://u:canary-7f3a@h/db"])
        #expect(!"\(c)".contains("canary-7f3a"))
        #expect(!String(reflecting: c).contains("canary-7f3a"))
        #expect(!c.databaseURL.description.contains("canary-7f3a"))
    }

    @Test("slugs: lowercase letters, digits and hyphens")
    func slugs() {
        for ok in ["demo", "acme-shop", "a1", String(repeating: "x", count: 63)] { #expect(SlugRule.isValid(ok), "\(ok)") }
        for bad in ["", "a", "-lead", "Upper", "with space", "ñandú", String(repeating: "x", count: 64)] {
            #expect(!SlugRule.isValid(bad), "\(bad)")
        }
    }

    @Test("the 24-hour window opens with the user's last message")
    func window() {
        let start = Date(timeIntervalSince1970: 1_000_000)
        let ctx = UserContext(id: UUID(), tenantID: UUID(), waID: "1", profileName: nil, language: "es", lastIntent: nil,
                              windowStartedAt: start, lastMessageAt: start, messageCount: 1, createdAt: start)
        #expect(ctx.isWindowOpen(at: start.addingTimeInterval(24 * 3600 - 1)))
        #expect(!ctx.isWindowOpen(at: start.addingTimeInterval(24 * 3600)))
    }
}

@Suite("Time-ordered ids")
struct TimeOrderedIDTests {
    @Test("version 7 UUIDs sort by their time and carry version and variant bits")
    func ordered() {
        var g = SystemRandomNumberGenerator()
        let base = Date(timeIntervalSince1970: 1_790_000_000)
        let ids = (0..<50).map { UUID.timeOrdered(at: base.addingTimeInterval(Double($0) * 0.002), using: &g) }
        let texts = ids.map { $0.uuidString.lowercased() }
        #expect(texts == texts.sorted())
        #expect(texts.allSatisfy { $0[$0.index($0.startIndex, offsetBy: 14)] == "7" })
        #expect(Set(ids).count == ids.count)
        #expect(texts[0].hasPrefix("01a0c450-6c00-7"))  // 1_790_000_000_000 ms = 0x01a0c4506c00
        // RFC 4122 variant: the 17th hex digit is 8, 9, a or b.
        #expect(texts.allSatisfy { "89ab".contains($0[$0.index($0.startIndex, offsetBy: 19)]) })
        // Seeded draws give the same ids; the random part differs between ids of one millisecond.
        var s1 = SeededGenerator(seed: 7), s2 = SeededGenerator(seed: 7)
        #expect(UUID.timeOrdered(at: base, using: &s1) == UUID.timeOrdered(at: base, using: &s2))
        #expect(UUID.timeOrdered(at: base, using: &s1) != UUID.timeOrdered(at: base, using: &s1))
    }

    @Test("conversation log entries get ids in the order they were created")
    func logIDs() {
        let base = Date(timeIntervalSince1970: 1_790_000_000)
        let ids = (0..<20).map { i in
            ConversationLogEntry(tenantID: UUID(), userContextID: nil, wabaAccountID: nil, direction: .inbound, waMessageID: nil,
                                 messageType: "text", body: nil, status: "received", createdAt: base.addingTimeInterval(Double(i)))
                .id.uuidString.lowercased()
        }
        #expect(ids == ids.sorted())
    }
}
