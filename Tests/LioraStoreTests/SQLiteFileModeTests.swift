import Foundation
import LioraStore
import LioraTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The SQLite files hold message text and end users' phone numbers.
@Suite("SQLite files are owner-only")
struct SQLiteFileModeTests {
    private static func mode(_ path: String) throws -> Int {
        let attributes = try FileManager.default.attributesOfItem(atPath: path)
        return try #require(attributes[.posixPermissions] as? Int) & 0o777
    }

    @Test("a database the service creates, and its -wal and -shm files, are 0600 under umask 022, in a folder made 0700; an existing file keeps its mode")
    func createdOwnerOnly() async throws {
        // The usual umask, under which SQLite alone creates 0644 files (restored afterwards).
        let previous = umask(0o022)
        defer { umask(previous) }
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-mode-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("liora.sqlite").path

        let db = try await LioraSQLiteDatabase.open(path: path, logger: TestDatabases.logger)
        try await db.transaction { c in
            try await c.query("CREATE TABLE t (x TEXT)")
            try await c.query("INSERT INTO t (x) VALUES ('hola')")
        }
        let folder = try Self.mode(dir.path)
        #expect(folder == 0o700, "the folder made for the database is \(String(folder, radix: 8))")
        for file in [path, path + "-wal", path + "-shm"] {
            #expect(FileManager.default.fileExists(atPath: file), "\(file) was not created")
            let mode = try Self.mode(file)
            #expect(mode == 0o600, "\(file) is \(String(mode, radix: 8))")
        }
        await db.close()

        // An operator's own choice for an existing file is left alone.
        let existing = dir.appendingPathComponent("existing.sqlite").path
        #expect(FileManager.default.createFile(atPath: existing, contents: nil, attributes: [.posixPermissions: 0o640]))
        let other = try await LioraSQLiteDatabase.open(path: existing, logger: TestDatabases.logger)
        try await other.transaction { c in try await c.query("CREATE TABLE t (x TEXT)") }
        #expect(try Self.mode(existing) == 0o640)
        await other.close()
    }
}
