import Foundation
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif
#if canImport(Glibc)
import Glibc
#endif
import LioraTestSupport
import Testing

/// `liora simulate` and `liora demo` run as a developer would: the built binary against a
/// `liora serve --demo` of its own (a fresh SQLite database in a temporary folder).
@Suite("liora simulate and demo command line", .enabled(if: LioraCommand.isBuilt))
struct SimulateCommandLineTests {
    static let root = LioraCommand.binary.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scripts = root.appendingPathComponent("Tests/conversations")

    @Test("script runs are conversations of their own: crisis then recycling against one server both pass, each as a new user it names")
    func scriptRunsAreFresh() async throws {
        try await Self.withDemoServer(appSecret: "S") { server in
            var users: [String] = []
            for script in ["crisis.yaml", "recycling.yaml"] {
                let r = try await server.simulate(["--script", Self.scripts.appendingPathComponent(script).path])
                #expect(r.status == 0, "\(script): \(r.stdout)\(r.stderr)")
                let playing = try #require(r.stdout.split(separator: "\n").first { $0.hasPrefix("Playing ") }, "\(r.stdout)")
                #expect(playing.hasSuffix("(a new user for this run)"), "\(playing)")
                let user = try #require(playing.components(separatedBy: " as ").last.map { String($0.prefix { $0 != " " }) })
                #expect(user.count == 13 && user.allSatisfy(\.isNumber), "\(playing)")
                users.append(user)
            }
            #expect(Set(users).count == 2)
            // A wa_id named on the command line is the user, whatever the run.
            let named = try await server.simulate(["--wa-id", "5215550122222", "--script", Self.scripts.appendingPathComponent("core.yaml").path])
            #expect(named.status == 0 && named.stdout.contains("as 5215550122222\n"), "\(named.stdout)")
        }
    }

    @Test("a message the bot leaves to a person is explained as that, in a script and in the chat; another silence says only that none came")
    func silenceAfterHandOff() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let handOff = dir.appendingPathComponent("hand-off.yaml")
        try Data("""
            name: hand-off, then a message for the person
            turns:
              - say: "quiero hablar con una persona"
                expect: {intent: core.humano}
              - say: "xyzzy plugh"
                expect: {contains: ["menú"]}
              - say: "qwerty asdf"
                expect: {intent: core.saludo}
            """.utf8).write(to: handOff)
        let album = dir.appendingPathComponent("album.yaml")
        try Data("""
            name: two locations in a row
            turns:
              - say: "hola"
                expect: {intent: core.saludo}
              - location: {latitude: 19.43, longitude: -99.13}
                expect: {contains: ["texto"]}
              - location: {latitude: 19.43, longitude: -99.13}
                expect: {contains: ["texto"]}
            """.utf8).write(to: album)
        try await Self.withDemoServer(appSecret: "S") { server in
            let script = try await server.simulate(["--script", handOff.path])
            #expect(script.status == 1)
            #expect(script.stdout.contains("✗ turn 3: no reply: the bot may have handed this chat to a person; type menú to go back to the bot\n"),
                    "\(script.stdout)")
            #expect(!script.stdout.contains("phone_number_id"), "\(script.stdout)")
            let quiet = try await server.simulate(["--script", album.path])
            #expect(quiet.status == 1)
            #expect(quiet.stdout.contains("✗ turn 3: no reply within 5000 ms\n") && !quiet.stdout.contains("phone_number_id"), "\(quiet.stdout)")
            let chat = try await server.simulate(["--wa-id", "5215550133333"],
                                                 input: "quiero hablar con una persona\nxyzzy plugh\nqwerty asdf\n")
            #expect(chat.status == 0)
            #expect(chat.stdout.hasSuffix("(no reply: the bot may have handed this chat to a person; type menú to go back to the bot)\n"),
                    "\(chat.stdout)")
        }
    }

    @Test("a Liora without LIORA_META_APP_SECRET: the simulator says to start it with one and pass the same as --app-secret")
    func serverWithoutAppSecret() async throws {
        try await Self.withDemoServer(appSecret: nil) { server in
            let script = try await server.simulate(["--script", Self.scripts.appendingPathComponent("core.yaml").path])
            #expect(script.status == 1)
            let failures = script.stdout.split(separator: "\n").filter { $0.hasPrefix("✗ ") }
            #expect(failures.count == 1, "\(script.stdout)")  // every turn would be refused alike: said once
            #expect(failures.first?.contains("without LIORA_META_APP_SECRET") == true
                    && failures.first?.contains("pass the same value as --app-secret") == true, "\(script.stdout)")
            let chat = try await server.simulate([], input: "hola\n")
            #expect(chat.stdout.contains("without LIORA_META_APP_SECRET"), "\(chat.stdout)")
        }
    }

    @Test("a script that fails ends quietly: no Hummingbird shutdown errors from the simulated Graph API")
    func quietExit() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let wrong = dir.appendingPathComponent("wrong.yaml")
        try Data("name: wrong\nturns:\n  - say: hola\n    expect: {intent: core.nada}\n".utf8).write(to: wrong)
        try await Self.withDemoServer(appSecret: "S") { server in
            for _ in 0..<3 {
                let r = try await server.simulate(["--script", wrong.path])
                #expect(r.status == 1 && r.stdout.contains("expected intent core.nada, got core.saludo"), "\(r.stdout)")
                #expect(r.stderr.isEmpty, "\(r.stderr)")
                #expect(!(r.stdout + r.stderr).contains("CancellationError") && !(r.stdout + r.stderr).contains("Already closed"))
            }
        }
    }

    @Test("mistakes in a script or a flag are said plainly: an empty say, YAML with its line and column, a negative --quiet-ms, a short catalog secret")
    func plainErrors() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        func script(_ name: String, _ yaml: String) throws -> String {
            try Data(yaml.utf8).write(to: dir.appendingPathComponent(name))
            return name
        }
        let cases: [([String], Int32, String)] = [
            (["simulate", "--app-secret", "S", "--script", try script("empty.yaml", "name: x\nturns:\n  - say: \"\"\n    expect: {intent: core.saludo}\n")],
             2, "liora: empty.yaml: turn 1: the text to say is empty"),
            (["simulate", "--app-secret", "S", "--script", try script("broken.yaml", "name: x\nturns:\n  - say: hola: que\n")],
             2, "liora: broken.yaml:3:14: not valid YAML: mapping values are not allowed in this context"),
            (["simulate", "--app-secret", "S", "--quiet-ms", "-5"],
             64, "Error: --quiet-ms must be a positive number of milliseconds, from 50 to 60000; got -5"),
            (["catalog", "list", "--secret", "whsec_d3Jvbmc="],
             2, "liora: --secret is too short: its base64 holds 5 byte(s); a catalog secret must be whsec_ followed by base64 of at least 16 bytes"),
        ]
        for (args, status, line) in cases {
            let r = try await Self.run(args, in: dir)
            #expect(r.status == status, "\(args): \(r.stderr)")
            #expect(r.stderr.hasPrefix(line + "\n") || r.stderr.hasPrefix(line + " ("), "\(args): \(r.stderr)")
        }
    }

    @Test("liora demo outside the repository says to run it there or pass --skills / --catalog, and writes nothing")
    func demoOutsideTheRepository() async throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let port = String(try Self.freePort())
        let noSkills = try await Self.run(["demo", "--port", port], in: dir)
        #expect(noSkills.status == 2)
        #expect(noSkills.stderr.hasPrefix("liora: no skills folder at ") && noSkills.stderr.contains("from the repository folder")
                && noSkills.stderr.contains("--skills"), "\(noSkills.stderr)")
        let noCatalog = try await Self.run(["demo", "--port", port, "--skills", Self.root.appendingPathComponent("skills").path], in: dir)
        #expect(noCatalog.status == 2)
        #expect(noCatalog.stderr.hasPrefix("liora: no demo catalog at ") && noCatalog.stderr.contains("--catalog"), "\(noCatalog.stderr)")
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir.path).isEmpty)  // no .liora/master.key left behind
    }

    // MARK: - Running the binary

    /// How a run ended and what it wrote.
    struct Run {
        let status: Int32
        let stdout: String
        let stderr: String
    }

    /// A `liora serve --demo` on 127.0.0.1 whose replies go to `graphPort`, where `simulate` listens.
    struct DemoServer {
        let url: String
        let graphPort: Int
        let dir: URL

        /// `liora simulate` against it (`--quiet-ms 300`), with `input` as the typed lines.
        func simulate(_ args: [String], input: String? = nil) async throws -> Run {
            try await SimulateCommandLineTests.run(
                ["simulate", "--url", url, "--graph-port", String(graphPort), "--quiet-ms", "300"]
                    + (args.contains("--app-secret") ? [] : ["--app-secret", "S"]) + args,
                input: input, in: dir)
        }
    }

    static func withDemoServer(appSecret: String?, _ body: (DemoServer) async throws -> Void) async throws {
        let dir = try tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        let (port, graphPort) = (try freePort(), try freePort())
        var env = ["PATH": "/usr/bin:/bin", "LIORA_PORT": String(port), "LIORA_LOG_LEVEL": "error",
                   "LIORA_GRAPH_BASE_URL": "http://127.0.0.1:\(graphPort)"]
        env["LIORA_META_APP_SECRET"] = appSecret
        let p = try ChildProcess(LioraCommand.binary, ["serve", "--demo", "--skills", root.appendingPathComponent("skills").path,
                                                       "--catalog", root.appendingPathComponent("catalogs/demo-store.json").path],
                                 environment: env, directory: dir)
        p.send(nil)
        defer { p.terminate(); p.waitUntilExit() }
        let url = "http://127.0.0.1:\(port)"
        let deadline = ContinuousClock.now + .seconds(60)
        var request = URLRequest(url: try #require(URL(string: url + "/health")))
        request.timeoutInterval = 1
        while true {
            if let (_, response) = try? await URLSession.shared.data(for: request), (response as? HTTPURLResponse)?.statusCode == 200 { break }
            guard p.isRunning, ContinuousClock.now < deadline else {
                Issue.record("serve --demo did not start: \(p.standardOutput)\(p.standardError)")
                return
            }
            try await Task.sleep(for: .milliseconds(100))
        }
        try await body(DemoServer(url: url, graphPort: graphPort, dir: dir))
    }

    /// Runs `liora args…` in `dir` (minimal environment, `input` on standard input, else none)
    /// without blocking a thread while it runs; stopped after 120 s.
    static func run(_ args: [String], input: String? = nil, in dir: URL) async throws -> Run {
        let p = try ChildProcess(LioraCommand.binary, args, environment: ["PATH": "/usr/bin:/bin"], directory: dir)
        p.send(input)
        let timer = DispatchWorkItem { p.terminate() }
        DispatchQueue.global().asyncAfter(deadline: .now() + 120, execute: timer)
        let status = await p.exit()
        timer.cancel()
        return Run(status: status, stdout: p.standardOutput, stderr: p.standardError)
    }

    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-sim-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    /// A port nothing listens on now (the kernel's pick for 127.0.0.1:0).
    static func freePort() throws -> Int {
        let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        guard fd >= 0 else { throw POSIXError(.EMFILE) }
        defer { close(fd) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let ok = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0 }
        }
        guard ok else { throw POSIXError(.EADDRINUSE) }
        return Int(UInt16(bigEndian: address.sin_port))
    }
}
