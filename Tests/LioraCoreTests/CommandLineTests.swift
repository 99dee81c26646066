import Foundation
import Testing

/// Runs the built `liora` binary as an operator would.
@Suite("liora command line")
struct CommandLineTests {
    static let binary: URL = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/liora")
    }()

    struct Run { let status: Int32; let stderr: String }

    static func run(_ args: [String], env: [String: String], in dir: URL) throws -> Run {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.environment = env.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        p.currentDirectoryURL = dir
        let err = Pipe()
        p.standardError = err
        p.standardOutput = Pipe()
        try p.run()
        let data = err.fileHandleForReading.readDataToEndOfFile()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stderr: String(decoding: data, as: UTF8.self))
    }

    static func tempDir() throws -> URL {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-cli-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir
    }

    @Test("a malformed variable stops serve before it binds, with one line naming it",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)),
          arguments: [("LIORA_PORT", "http"), ("LIORA_DATABASE_URL", "mysql://nope"), ("LIORA_LOG_LEVEL", "chatty")])
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
        #expect(status.status == 0)
        #expect(status.stderr.contains("pending: " + files.joined(separator: ", ")))
        let first = try Self.run(["migrate"], env: env, in: dir)
        #expect(first.status == 0)
        for file in files { #expect(first.stderr.contains("applying \(file)")) }
        #expect(first.stderr.contains("applied \(files.count) migration(s)"))
        let second = try Self.run(["migrate"], env: env, in: dir)
        #expect(second.stderr.contains("database is up to date"))
        #expect(FileManager.default.fileExists(atPath: dir.appendingPathComponent(".liora/liora.sqlite").path))
    }

    @Test("create-platform-admin reads the password from standard input, refuses weak ones and duplicate e-mails",
          .enabled(if: FileManager.default.isExecutableFile(atPath: binary.path)))
    func createPlatformAdmin() throws {
        let dir = try Self.tempDir()
        defer { try? FileManager.default.removeItem(at: dir) }
        func create(_ password: String) throws -> Int32 {
            let p = Process()
            p.executableURL = Self.binary
            p.arguments = ["admin", "create-platform-admin", "--email", "ops@example.com"]
            p.environment = ["LIORA_LOG_LEVEL": "error", "PATH": "/usr/bin:/bin"]
            p.currentDirectoryURL = dir
            let input = Pipe()
            p.standardInput = input
            p.standardOutput = Pipe()
            p.standardError = Pipe()
            try p.run()
            input.fileHandleForWriting.write(Data((password + "\n").utf8))
            try input.fileHandleForWriting.close()
            p.waitUntilExit()
            return p.terminationStatus
        }
        #expect(try create("short") == 2)
        #expect(try create("Una-clave-larga-2026") == 0)
        #expect(try create("Otra-clave-larga-2026") == 1)  // the e-mail is taken
    }
}

