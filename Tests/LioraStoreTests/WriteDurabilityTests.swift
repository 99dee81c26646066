import Foundation
import LioraCore
import LioraStore
import LioraTestSupport
import Testing

@Suite("Write durability: relaxed commits only where asked")
struct WriteDurabilityTests {
    /// Whether a transaction's commit waits for the disk: on SQLite, whether it waited for an
    /// fsync of the WAL after committing; on PostgreSQL, the session's `synchronous_commit`.
    private func waitsForDisk(_ t: TestStore) async throws -> Bool {
        switch t.backend {
        case .sqlite:
            let db = try #require(t.database as? LioraSQLiteDatabase)
            try await db.transaction { c in try await c.query("CREATE TABLE IF NOT EXISTS durability_probe (n INTEGER)") }
            let before = db.walSyncs
            try await db.transaction { c in try await c.query("INSERT INTO durability_probe (n) VALUES (1)") }
            return db.walSyncs > before
        case .postgres:
            return try await t.database.transaction { c in
                try await c.query("SELECT current_setting('synchronous_commit') AS v").first?.string("v") == "on"
            }
        }
    }

    @Test("commits wait for the disk by default and after a relaxed scope; not inside one", arguments: TestBackend.available)
    func relaxedOnlyInsideTheScope(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            #expect(try await waitsForDisk(t))
            let inside = try await WriteDurability.$relaxed.withValue(true) { try await waitsForDisk(t) }
            #expect(!inside)
            // Child tasks inherit the scope; the next transaction outside it is durable again.
            let child = try await WriteDurability.$relaxed.withValue(true) {
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask { try await waitsForDisk(t) }
                    return try await group.next() ?? true
                }
            }
            #expect(!child)
            #expect(try await waitsForDisk(t))
        }
    }

    @Test("SQLite: concurrent durable transactions all land, sharing WAL flushes that run outside the writer")
    func sharedWALFlushes() async throws {
        try await TestDatabases.withStore(.sqlite) { t in
            let db = try #require(t.database as? LioraSQLiteDatabase)
            let (tenant, _) = try await makeTenant(t.store)
            let before = db.walSyncs
            try await withThrowingTaskGroup(of: Void.self) { group in
                for i in 0..<40 {
                    group.addTask {
                        try await t.store.withTenant(tenant.id) { s in
                            try await s.record(TenantEvent(tenantID: tenant.id, actor: "test", action: "durable.\(i)", createdAt: t0))
                        }
                    }
                }
                try await group.waitForAll()
            }
            let flushes = db.walSyncs - before
            #expect(flushes >= 1 && flushes <= 40)
            let events = try await t.store.withTenant(tenant.id) { try await $0.tenantEvents(limit: 100) }
            #expect(Set(events.map(\.action)).isSuperset(of: (0..<40).map { "durable.\($0)" }))
            // Relaxed commits do not flush.
            let relaxedBefore = db.walSyncs
            try await WriteDurability.$relaxed.withValue(true) {
                try await t.store.withTenant(tenant.id) { s in
                    try await s.record(TenantEvent(tenantID: tenant.id, actor: "test", action: "relaxed", createdAt: t0))
                }
            }
            #expect(db.walSyncs == relaxedBefore)
            // Nor do transactions that wrote nothing.
            _ = try await t.store.withTenant(tenant.id) { try await $0.tenantEvents(limit: 1) }
            #expect(db.walSyncs == relaxedBefore)
        }
    }

    @Test("SQLite: closing while durable commits wait for their flush never reports a committed write as failed")
    func closeDuringFlushes() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-close-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("close.sqlite").path
        // A slow disk: commits are still waiting for their flush when the database is closed.
        let db = try await LioraSQLiteDatabase.open(path: path, logger: TestDatabases.logger, walFlushDelay: .milliseconds(2))
        try await db.transaction { c in try await c.query("CREATE TABLE probe (n INTEGER PRIMARY KEY)") }
        let results = await withTaskGroup(of: (Int, Bool).self) { group in
            for n in 0..<400 {
                group.addTask {
                    do {
                        try await db.transaction { c in try await c.query("INSERT INTO probe (n) VALUES ($1)", [.int(Int64(n))]) }
                        return (n, true)
                    } catch {
                        return (n, false)
                    }
                }
                // Shut down while commits keep arriving and earlier ones wait for the disk.
                if n == 200 { group.addTask { await db.close(); return (-1, true) } }
                try? await Task.sleep(for: .microseconds(50))
            }
            return await group.reduce(into: [Int: Bool]()) { $0[$1.0] = $1.1 }
        }
        let reopened = try await LioraSQLiteDatabase.open(path: path, logger: TestDatabases.logger)
        let stored = Set(try await reopened.transaction { c in try await c.query("SELECT n FROM probe") }.map { try $0.required("n", $0.int) })
        await reopened.close()
        let succeeded = Set(results.filter { $0.key >= 0 && $0.value }.map { Int64($0.key) })
        #expect(succeeded.count >= 100)
        // Every transaction reported as committed is on disk, and none that is stored was reported failed.
        #expect(stored.subtracting(succeeded).isEmpty, "stored but reported failed: \(stored.subtracting(succeeded).count)")
        #expect(succeeded.subtracting(stored).isEmpty, "reported committed but not stored: \(succeeded.subtracting(stored).count)")
    }

    @Test("SQLite: under a steady write load the WAL starts again from its beginning instead of growing with every commit")
    func walStaysBounded() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-wal-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("wal.sqlite").path
        /// The WAL header's checkpoint sequence number (bytes 12–15, big-endian): SQLite adds one
        /// each time it starts the WAL again.
        func walRestartsOnDisk() throws -> UInt32 {
            let handle = try FileHandle(forReadingFrom: URL(fileURLWithPath: path + "-wal"))
            defer { try? handle.close() }
            let header = try #require(try handle.read(upToCount: 16))
            try #require(header.count == 16)
            return header[12..<16].reduce(0) { $0 << 8 | UInt32($1) }
        }
        // Restart past 256 frames (1 MiB) instead of 64 MiB, so a short load shows it.
        let db = try await LioraSQLiteDatabase.open(path: path, logger: TestDatabases.logger, walRestartFrames: 256)
        try await db.transaction { c in try await c.query("CREATE TABLE probe (n INTEGER PRIMARY KEY, body BLOB NOT NULL)") }
        let before = try walRestartsOnDisk()
        let body = [UInt8](repeating: 7, count: 4 * 1024)
        var rows = 0
        var largestWAL: UInt64 = 0
        // Relaxed commits: the writer never waits for the disk, so the background checkpoint never
        // catches up on its own; written until two restarts were seen (bounded in time).
        let deadline = ContinuousClock.now + .seconds(30)
        try await WriteDurability.$relaxed.withValue(true) {
            while ContinuousClock.now < deadline && rows < 60_000 {
                if db.walRestarts >= 2, try walRestartsOnDisk() >= before + 2 { break }
                let n = rows
                try await db.transaction { c in try await c.query("INSERT INTO probe (n, body) VALUES ($1, $2)", [.int(Int64(n)), .blob(body)]) }
                rows += 1
                // An uncontended transaction never suspends: without this the loop would hold a
                // thread of Swift's pool for its whole run, starving the checkpointer's finish
                // (and other suites' tasks) in the full test run.
                await Task.yield()
                if rows % 50 == 0 {
                    let size = (try? FileManager.default.attributesOfItem(atPath: path + "-wal")[.size] as? UInt64) ?? nil
                    largestWAL = max(largestWAL, size ?? 0)
                }
            }
        }
        let restartsOnDisk = try walRestartsOnDisk() - before
        let stored = try await db.transaction { c in try await c.query("SELECT count(*) AS n FROM probe") }.first?.int("n")
        let restarts = db.walRestarts, fileSyncs = db.databaseFileSyncs
        await db.close()
        #expect(stored == Int64(rows))
        // SQLite started the WAL again; without the checkpoints under the lock it never does.
        #expect(restarts >= 2 && restartsOnDisk >= 2, "restarts: \(restarts), on disk: \(restartsOnDisk), rows: \(rows)")
        // The database file was flushed through SQLite's own handle before the restarts.
        #expect(fileSyncs >= 1)
        #expect(largestWAL > 0)
    }

    @Test("SQLite: a reader outside Liora that keeps the WAL from starting again is named in the log, and so is the recovery")
    func walBlockedByOutsideReader() async throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-wal-\(UUID().uuidString)", isDirectory: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let path = dir.appendingPathComponent("wal.sqlite").path
        let logs = LogRecorder()
        let db = try await LioraSQLiteDatabase.open(path: path, logger: logs.logger(), walRestartFrames: 256,
                                                    blockedWarning: .init(after: .milliseconds(500), every: .seconds(60)))
        try await db.transaction { c in try await c.query("CREATE TABLE probe (n INTEGER PRIMARY KEY, body BLOB NOT NULL)") }
        // Another connection to the file (as a sqlite3 shell would be) opens a read transaction and keeps it.
        let outside = try await LioraSQLiteDatabase.open(path: path, logger: TestDatabases.logger, walRestartFrames: 1 << 30)
        try await outside.withConnection { c in
            try await c.query("BEGIN")
            _ = try await c.query("SELECT count(*) AS n FROM probe")
        }
        let body = [UInt8](repeating: 7, count: 4 * 1024)
        var rows = 0
        /// Writes relaxed rows until `done` holds (bounded in time).
        func write(until done: () -> Bool) async throws {
            let deadline = ContinuousClock.now + .seconds(20)
            try await WriteDurability.$relaxed.withValue(true) {
                while ContinuousClock.now < deadline && !done() {
                    let n = rows
                    try await db.transaction { c in try await c.query("INSERT INTO probe (n, body) VALUES ($1, $2)", [.int(Int64(n)), .blob(body)]) }
                    rows += 1
                    await Task.yield()
                    if rows % 100 == 0 { try await Task.sleep(for: .milliseconds(20)) }
                }
            }
        }
        try await write { db.walBlockedWarnings >= 1 }
        #expect(db.walBlockedWarnings == 1, "rows: \(rows)")
        #expect(db.walRestarts == 0)
        #expect(logs.all.contains { $0.hasPrefix("warning") && $0.contains("cannot start again") && $0.contains("wal_mb") })
        #expect(!logs.all.contains { $0.contains("started again") })
        // The reader lets go: the WAL starts again, and the log says so.
        try await outside.withConnection { c in try await c.query("COMMIT") }
        try await write { logs.all.contains { $0.contains("started again") } }
        #expect(db.walRestarts >= 1)
        #expect(logs.all.contains { $0.hasPrefix("notice") && $0.contains("the SQLite WAL started again") })
        #expect(db.walBlockedWarnings == 1)
        await outside.close()
        await db.close()
    }
}
