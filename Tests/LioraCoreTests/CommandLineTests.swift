import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
import LioraTestSupport
import Testing

/// Runs the built `liora` binary as an operator would.
@Suite("liora command line")
struct CommandLineTests {
    static let binary = LioraCommand.binary
    typealias Run = LioraCommand.Run

    static func run(_ args: [String], env: [String: String], in dir: URL) throws -> Run {
        try LioraCommand.run(args, env: env, in: dir)
    }

    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("a malformed variable stops serve before it binds, with one line naming it",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)),
          arguments: [("LIORA_PORT", "http"), ("LIORA_DATABASE_URL", "mysql://nope"), ("LIORA_LOG_LEVEL", "chatty"),
                       ("LIORA_RETENTION_DAYS", "3")])
    func badVariable(variable: String, value: String) throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Self.run(["serve"], env: [variable: value], in: dir)
        #expect(r.status == 2)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1)
        #expect(lines.first?.hasPrefix("liora: \(variable): ") == true)
        // Nothing was created: it stopped before touching the database.
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".liora").path))
    }

    @Test("migrate --status changes nothing: a database file that does not exist is not created",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func migrateStatusCreatesNothing() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Self.run(["migrate", "--status", "--database-url", "sqlite:none/x.sqlite"], env: [:], in: dir)
        #expect(r.status == 3, "\(r.stderr)")  // pending: a deploy check fails
        #expect(r.stderr.contains("no database at none/x.sqlite yet: pending: 0001_foundation.sql"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("none").path))
    }

    @Test("a SQLite path that is not a database, or cannot be one, stops migrate with one line naming it",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func sqliteOpenErrorsNameThePath() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        try Data("not a database at all".utf8).write(to: dir.appendingPathComponent("junk.db"))
        try FileManager.default.createDirectory(at: dir.appendingPathComponent("folder.db"), withIntermediateDirectories: true)
        for (path, reason) in [("junk.db", "file is not a database"), ("folder.db", "unable to open database file")] {
            let r = try Self.run(["migrate", "--database-url", "sqlite:\(path)"], env: [:], in: dir)
            #expect(r.status != 0)
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1, "\(r.stderr)")
            #expect(lines.first?.contains(path) == true && lines.first?.contains(reason) == true, "\(r.stderr)")
        }
        // The file that is not a database was left as it was.
        #expect(try String(contentsOf: dir.appendingPathComponent("junk.db"), encoding: .utf8) == "not a database at all")
    }

    @Test("an unreachable PostgreSQL stops migrate with one line naming it (password masked), not the pool's retries",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func unreachablePostgresIsOneLine() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        // Port 1 refuses at once; the command waits its 15 s for a first connection, then stops.
        let r = try Self.run(["migrate", "--database-url", "postgres://liora:hunter2@127.0.0.1:1/liora"], env: [:], in: dir)
        #expect(r.status != 0)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(lines.first?.contains("postgres://liora:***@127.0.0.1:1/liora") == true)
        #expect(!r.stderr.contains("hunter2"))
    }

    @Test("a port flag out of range is refused naming the flag, not LIORA_PORT",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)), arguments: [["demo", "--port", "70000"], ["serve", "--port", "0"]])
    func portFlagOutOfRange(args: [String]) throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Self.run(args, env: [:], in: dir)
        #expect(r.status == 64)
        #expect(r.stderr.hasPrefix("Error: --port must be a port number from 1 to 65535, got \(args[2])"), "\(r.stderr)")
        #expect(!r.stderr.contains("LIORA_PORT"))
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".liora").path))
    }

    @Test("catalog commands with no server there stop with one line naming the URL, not a raw error",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func catalogWithoutServer() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = "http://127.0.0.1:\(Int.random(in: 20_000...29_999))"
        let r = try Self.run(["catalog", "list", "--url", url], env: [:], in: dir)
        #expect(r.status == 1)
        let lines = r.stderr.split(separator: "\n")
        #expect(lines.count == 1, "\(r.stderr)")
        #expect(lines.first?.hasPrefix("liora: cannot reach \(url)") == true, "\(r.stderr)")
        #expect(!r.stderr.contains("NSURLErrorDomain"))
    }

    @Test("nlu eval refuses a labelled file with no utterances instead of scoring 0/0",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func nluEvalEmpty() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = Self.binary.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        try Data("# only a comment\n".utf8).write(to: dir.appendingPathComponent("empty.tsv"))
        let r = try Self.run(["nlu", "eval", "--skills", root.appendingPathComponent("skills").path, "empty.tsv"], env: [:], in: dir)
        #expect(r.status == 1)
        #expect(r.stderr.contains("no labelled utterances"), "\(r.stderr)")
    }

    @Test("serve will not send links to 0.0.0.0: without LIORA_PUBLIC_BASE_URL it stops, naming the variable",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func wildcardWithoutPublicBase() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        let r = try Self.run(["serve"], env: ["LIORA_HOST": "0.0.0.0", "LIORA_MASTER_KEY": key], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("liora: LIORA_PUBLIC_BASE_URL: is required when LIORA_HOST is 0.0.0.0"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".liora").path))
    }

    @Test("serve --demo on an address beyond this machine stops, naming LIORA_DEMO_PASSWORD, before it writes anything",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func exposedDemoNeedsAPassword() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let r = try Self.run(["serve", "--demo", "--host", "0.0.0.0"], env: ["LIORA_PUBLIC_BASE_URL": "https://liora.example"], in: dir)
        #expect(r.status == 2)
        #expect(r.stderr.hasPrefix("liora: LIORA_DEMO_PASSWORD: is required for serve --demo when LIORA_HOST is 0.0.0.0"), "\(r.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".liora").path))
        // There, it is a real login: the admin API's password rules hold.
        let weak = try Self.run(["serve", "--demo", "--host", "0.0.0.0"],
                                env: ["LIORA_PUBLIC_BASE_URL": "https://liora.example", "LIORA_DEMO_PASSWORD": "x"], in: dir)
        #expect(weak.status == 2)
        #expect(weak.stderr.hasPrefix("liora: LIORA_DEMO_PASSWORD: passwords need at least 12 characters"), "\(weak.stderr)")
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".liora").path))
    }

    @Test("serve run where there is no skills folder stops, saying where to run it, before it writes anything",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func serveWithoutSkills() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let key = Data(repeating: 7, count: 32).base64EncodedString()
        for (args, env) in [(["serve", "--demo"], [String: String]()), (["serve"], ["LIORA_MASTER_KEY": key])] {
            let r = try Self.run(args, env: env, in: dir)
            #expect(r.status == 2, "\(args): \(r.stderr)")
            #expect(r.stderr.hasPrefix("liora: no skills folder at "), "\(r.stderr)")
            #expect(r.stderr.contains("--skills FOLDER"))
            #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent(".liora").path), "\(args)")
        }
    }

    @Test("the demo keeps to its own SQLite file whatever LIORA_DATABASE_URL says, and says so",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func demoIgnoresDatabaseURL() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = Self.binary.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let r = try Self.run(["demo", "--port", String(Int.random(in: 20_000...29_999)),
                              "--skills", root.appendingPathComponent("skills").path,
                              "--catalog", root.appendingPathComponent("catalogs/demo-store.json").path],
                             env: ["LIORA_DATABASE_URL": "postgres://prod:secret@127.0.0.1:1/production"], in: dir)
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stderr.contains("the demo uses its own database (sqlite:.liora/liora.sqlite); LIORA_DATABASE_URL is ignored"))
        #expect(!r.stderr.contains("prod:secret"))  // the URL it ignores is not echoed (it may hold a password)
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".liora/liora.sqlite").path))
    }

    @Test("migrate applies pending migrations once and reports progress",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func migrate() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["LIORA_LOG_LEVEL": "error"]
        let files = try FileManager.default.contentsOfDirectory(
            atPath: Self.binary.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
                .appendingPathComponent("migrations/sqlite").path).filter { $0.hasSuffix(".sql") }.sorted()
        #expect(files.count >= 1)
        let status = try Self.run(["migrate", "--status"], env: env, in: dir)
        #expect(status.status == 3)  // pending
        #expect(status.stderr.contains("pending: " + files.joined(separator: ", ")))
        let first = try Self.run(["migrate"], env: env, in: dir)
        #expect(first.status == 0)
        for file in files { #expect(first.stderr.contains("applying \(file)")) }
        #expect(first.stderr.contains("applied \(files.count) migration(s)"))
        let second = try Self.run(["migrate"], env: env, in: dir)
        #expect(second.stderr.contains("database is up to date"))
        let after = try Self.run(["migrate", "--status"], env: env, in: dir)
        #expect(after.status == 0)
        #expect(after.stderr.contains("no pending migrations"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".liora/liora.sqlite").path))
    }

    @Test("create-platform-admin reads the password from standard input, refuses weak or over-long ones (saying which) and duplicate e-mails",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func createPlatformAdmin() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        func create(_ password: String) throws -> Int32 { try createWithOutput(password).status }
        func createWithOutput(_ password: String, email: String = "ops@example.com", name: String? = nil) throws -> (status: Int32, stderr: String) {
            let r = try LioraCommand.run(["admin", "create-platform-admin", "--email", email] + (name.map { ["--name", $0] } ?? []),
                                         env: ["LIORA_LOG_LEVEL": "error"], in: dir, input: password + "\n")
            return (r.status, r.stderr)
        }
        let short = try createWithOutput("short")
        #expect(short.status == 2)
        #expect(short.stderr.contains("the password is refused: passwords need at least 12 characters"), "\(short.stderr)")
        // Beyond what bcrypt reads: said so, not "too weak".
        let long = try createWithOutput("Una-clave-" + String(repeating: "x1", count: 40))
        #expect(long.status == 2)
        #expect(long.stderr.contains("at most 72 bytes"), "\(long.stderr)")
        // The rule broken is named (one text listed rules this one meets).
        let common = try createWithOutput("Mi-Password-2026")
        #expect(common.status == 2)
        #expect(common.stderr.contains("not to contain a common word or run such as \"password\""), "\(common.stderr)")
        // The e-mail and the name follow the admin API's rules.
        for (flag, value) in [("--email", "Ana <ana@example.com>"), ("--email", "ops@@example"), ("--email", "evil\u{1}@example.com"),
                              ("--name", "Ops\u{1B}[31m"), ("--name", "")] {
            let r = try createWithOutput("Una-clave-larga-2026", email: flag == "--email" ? value : "ok@example.com",
                                         name: flag == "--name" ? value : nil)
            #expect(r.status == 2, "\(value.debugDescription): \(r.stderr)")
            #expect(r.stderr.hasPrefix("liora: \(flag): "), "\(r.stderr)")
        }
        #expect(try create("Una-clave-larga-2026") == 0)
        #expect(try create("Otra-clave-larga-2026") == 1)  // the e-mail is taken
    }

    @Test("fake-graph answers messages and read receipts as Meta does, counts them and reports arrivals",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func fakeGraph() async throws {
        let p = try ChildProcess(Self.binary, ["fake-graph", "--port", "0"], environment: ["PATH": "/usr/bin:/bin"],
                                 directory: FileManager.default.temporaryDirectory)
        p.send(nil)
        defer { p.terminate(); p.waitUntilExit() }
        // "liora: fake Graph API on http://127.0.0.1:PORT", within 20 s.
        let deadline = ContinuousClock.now + .seconds(20)
        while !p.standardError.contains("\n") && p.isRunning && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(20)) }
        let said = p.standardError
        let base = try #require(said.split(separator: " ").last.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) })
        #expect(base.hasPrefix("http://127.0.0.1:"))
        func call(_ method: String, _ path: String, _ body: String? = nil) async throws -> (Int, String) {
            var request = URLRequest(url: try #require(URL(string: base + path)), timeoutInterval: 10)
            request.httpMethod = method
            if let body { request.httpBody = Data(body.utf8); request.setValue("application/json", forHTTPHeaderField: "Content-Type") }
            let (data, response) = try await URLSession.shared.data(for: request)
            return ((response as? HTTPURLResponse)?.statusCode ?? 0, String(decoding: data, as: UTF8.self))
        }
        let read = try await call("POST", "/v23.0/1234/messages",
                                  #"{"messaging_product":"whatsapp","status":"read","message_id":"wamid.IN1","typing_indicator":{"type":"text"}}"#)
        #expect(read.0 == 200 && read.1 == #"{"success":true}"#)
        let sent = try await call("POST", "/v23.0/1234/messages",
                                  #"{"messaging_product":"whatsapp","to":"34600111222","context":{"message_id":"wamid.IN1"},"type":"text","text":{"body":"hola"}}"#)
        #expect(sent.0 == 200 && sent.1.contains(#""messages":[{"id":"wamid.FAKE"#))
        #expect(try await call("POST", "/v23.0/1234/other").0 == 404)
        #expect(try await call("GET", "/v23.0/1234/messages").0 == 404)
        let stats = try await call("GET", "/stats")
        let counts = try #require(try JSONSerialization.jsonObject(with: Data(stats.1.utf8)) as? [String: Any])
        #expect(counts["requests"] as? Int == 2 && counts["answers"] as? Int == 1 && counts["reads"] as? Int == 1)
        #expect(counts["answered_inbound"] as? Int == 1)
        let arrivals = try await call("GET", "/arrivals").1.split(separator: "\n")
        #expect(arrivals.count == 1 && arrivals.first?.hasPrefix("wamid.IN1\t") == true)
    }
}

