import Foundation
import LioraCore
import LioraStore
import LioraTestSupport
import NIOCore
import NIOPosix
import Testing

/// `liora keys status` and `liora serve` run as an operator would, over a SQLite database with
/// one tenant key wrapped under master key version 1.
@Suite("Master key version missing: the command line")
struct MasterKeyCommandLineTests {
    static let binary = LioraCommand.binary
    static let k1 = Data(repeating: 11, count: 32).base64EncodedString()
    static let k2 = Data(repeating: 22, count: 32).base64EncodedString()

    static func run(_ args: [String], env: [String: String], in dir: URL) throws -> LioraCommand.Run {
        try LioraCommand.run(args, env: env, in: dir)
    }

    @Test("keys status exits 3 while a version in use is missing or has the wrong key (0 once it is back); serve warns once, naming it and the key count, and says \"listening\" only after binding",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func statusAndServe() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-keys-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let url = "sqlite:\(dir.appendingPathComponent("liora.sqlite").path)"
        var env = ["LIORA_DATABASE_URL": url, "LIORA_LOG_LEVEL": "warning"]
        #expect(try Self.run(["migrate"], env: env, in: dir).status == 0)

        // One tenant whose key is wrapped under version 1.
        let db = try await StoreFactory.openDatabase(try #require(DatabaseURL(parsing: url)), logger: TestDatabases.logger)
        let store = SQLStore(database: db, logger: TestDatabases.logger)
        let id = UUID()
        _ = try await store.createTenant(NewTenant(id: id, slug: "keys-cli", name: "Shop"), actor: "test", now: t0)
        let vault = SecretVault(ring: try MasterKeyRing(parsing: "1:\(Self.k1)"))
        let binding = EncryptionBinding(tenantID: id, table: "catalog_secrets", rowID: UUID().uuidString, column: "secret_ciphertext")
        _ = try await store.withTenant(id) { s throws in try await vault.seal("whsec_x", binding: binding, in: s, now: t0) }
        await store.close()

        env["LIORA_MASTER_KEY"] = "2:\(Self.k2)"
        let missing = try Self.run(["keys", "status"], env: env, in: dir)
        #expect(missing.status == 3)
        #expect(missing.stdout.contains("version 1: 1 tenant key(s)  ← NOT in LIORA_MASTER_KEY"))
        let both = try Self.run(["keys", "status"], env: env.merging(["LIORA_MASTER_KEY": "2:\(Self.k2),1:\(Self.k1)"]) { _, b in b }, in: dir)
        #expect(both.status == 0, "\(both.stderr)")
        // The right version number with the wrong key: flagged too, and rotation names what it could not open.
        let k3 = Data(repeating: 33, count: 32).base64EncodedString()
        let wrongKey = env.merging(["LIORA_MASTER_KEY": "2:\(Self.k2),1:\(k3)"]) { _, b in b }
        let wrong = try Self.run(["keys", "status"], env: wrongKey, in: dir)
        #expect(wrong.status == 3, "\(wrong.stdout)\(wrong.stderr)")
        #expect(wrong.stdout.contains("version 1: 1 tenant key(s)  ← the key LIORA_MASTER_KEY gives for version 1 does not open them"), "\(wrong.stdout)")
        let rotate = try Self.run(["keys", "rotate"], env: wrongKey, in: dir)
        #expect(rotate.status == 1)
        #expect(rotate.stderr.contains("the tenant key of cliente \(id.uuidString.lowercased()) (data key version 1) does not open with master key version 1"),
                "\(rotate.stderr)")
        #expect(try Self.run(["keys", "status"], env: env.merging(["LIORA_MASTER_KEY": "2:\(Self.k2),1:\(Self.k1)"]) { _, b in b }, in: dir).status == 0)

        // serve on a port already taken: the warning comes first, then the bind fails, and it
        // never claimed to be listening.
        let holder = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .bind(host: "127.0.0.1", port: 0).get()
        let port = try #require(holder.localAddress?.port)
        env["LIORA_PORT"] = String(port)
        let serve = try Self.run(["serve", "--no-bot", "--no-processor"], env: env, in: dir)
        try await holder.close()
        #expect(serve.status == 1)
        let warnings = serve.stderr.split(separator: "\n").filter { $0.contains("LIORA_MASTER_KEY lacks master key version 1, still wrapping 1 tenant key(s)") }
        #expect(warnings.count == 1, "\(serve.stderr)")
        #expect(warnings.first?.contains("warning") == true)
        #expect(serve.stderr.contains("cannot listen on 127.0.0.1 port \(port): another process is already listening there"), "\(serve.stderr)")
        #expect(!serve.stderr.contains("errno"), "\(serve.stderr)")
        #expect(!serve.stderr.contains("listening on"), "\(serve.stderr)")
        // The right version number with the wrong key: serve warns too.
        let holder2 = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        env["LIORA_PORT"] = String(try #require(holder2.localAddress?.port))
        env["LIORA_MASTER_KEY"] = "1:\(Data(repeating: 44, count: 32).base64EncodedString())"
        let wrongServe = try Self.run(["serve", "--no-bot", "--no-processor"], env: env, in: dir)
        try await holder2.close()
        #expect(wrongServe.stderr.contains("LIORA_MASTER_KEY's key for master key version 1 does not open the 1 tenant key(s) wrapped under it"),
                "\(wrongServe.stderr)")
    }

    @Test("serve --demo beyond loopback refuses a demo owner that still signs in with the default password (made by an earlier loopback run)",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func exposedDemoOwnerWithTheDefaultPassword() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-demo-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let root = Self.binary.deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let holder = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton).bind(host: "127.0.0.1", port: 0).get()
        let port = String(try #require(holder.localAddress?.port))
        let args = ["serve", "--demo", "--port", port, "--skills", root.appendingPathComponent("skills").path,
                    "--catalog", root.appendingPathComponent("catalogs/demo-store.json").path]
        var env = ["LIORA_LOG_LEVEL": "error", "LIORA_PUBLIC_BASE_URL": "https://liora.example"]
        // On loopback: seeded with the default password, then the port is taken.
        let local = try Self.run(args, env: env, in: dir)
        #expect(local.stderr.contains("demo owner: owner@demo.test"), "\(local.stderr)")
        env["LIORA_DEMO_PASSWORD"] = "Strong-Demo-2026!"
        let exposed = try Self.run(args + ["--host", "0.0.0.0"], env: env, in: dir)
        try await holder.close()
        #expect(exposed.status == 1)
        #expect(exposed.stderr.contains("the demo owner owner@demo.test still signs in with the default password"), "\(exposed.stderr)")
        #expect(!exposed.stderr.contains("listening on"))
    }
}
