import Foundation
import LioraStore
import LioraTestSupport
import Testing

/// The page-cache wrapper must change how fast SQLite ends a write transaction, never what it
/// reads: these tests churn b-trees until balances swap pages, roll back transactions that grew
/// the file, and check every row and `PRAGMA integrity_check` afterwards. The counters are
/// process-wide (other suites run alongside), so they are compared as lower bounds.
@Suite("SQLite page cache: truncations with nothing to drop are skipped, data is unchanged")
struct SQLitePageCacheTests {
    private struct Churned: Error {}

    private static let churnTable = "CREATE TABLE churn (k TEXT PRIMARY KEY, n INTEGER NOT NULL, pad BLOB NOT NULL)"

    private func integrity(_ db: any SQLDatabase) async throws -> String? {
        try await db.transaction { c in try await c.query("PRAGMA integrity_check").first?.string("integrity_check") }
    }

    private func contents(_ db: any SQLDatabase) async throws -> [String: Int64] {
        let rows = try await db.transaction { c in try await c.query("SELECT k, n FROM churn") }
        var found: [String: Int64] = [:]
        for row in rows { found[try #require(try row.string("k"))] = try #require(try row.int("n")) }
        return found
    }

    @Test("random inserts and deletes park pages during balances; commits skip the truncation; every row reads back")
    func churn() async throws {
        try await TestDatabases.withDatabase(.sqlite, migrated: false) { db, _ in
            try await db.transaction { c in
                try await c.query(Self.churnTable)
                try await c.query("CREATE INDEX churn_n ON churn (n, k)")
            }
            let before = LioraSQLiteDatabase.pageCache
            #expect(before.installed)
            var random = SeededGenerator(seed: 0x5EED_CAC4E)
            var model: [String: Int64] = [:]
            for round in 0..<60 {
                var inserts: [(String, Int64, [UInt8])] = []
                for _ in 0..<40 {
                    let key = String(random.next() % 5_000, radix: 16)
                    let n = Int64(random.next() % 1_000_000)
                    inserts.append((key, n, [UInt8](repeating: UInt8(truncatingIfNeeded: n), count: 200 + Int(random.next() % 400))))
                }
                let deletes = model.keys.sorted().filter { _ in random.next() % 4 == 0 }
                try await db.transaction { c in
                    for (k, n, pad) in inserts {
                        try await c.query("INSERT INTO churn (k, n, pad) VALUES ($1, $2, $3) ON CONFLICT (k) DO UPDATE SET n = excluded.n, pad = excluded.pad",
                                          [.text(k), .int(n), .blob(pad)])
                    }
                    for k in deletes { try await c.query("DELETE FROM churn WHERE k = $1", [.text(k)]) }
                }
                for (k, n, _) in inserts { model[k] = n }
                for k in deletes { model[k] = nil }
                if round % 20 == 19 { #expect(try await contents(db) == model) }
            }
            let after = LioraSQLiteDatabase.pageCache
            #expect(after.parked > before.parked, "the workload never swapped pages in a balance")
            #expect(after.skipped >= before.skipped + 60)
            #expect(try await contents(db) == model)
            #expect(try await integrity(db) == "ok")
        }
    }

    @Test("a rolled-back transaction that grew the file drops its pages; the file grows again with new content")
    func rollbackThatGrewTheFile() async throws {
        try await TestDatabases.withDatabase(.sqlite, migrated: false) { db, _ in
            try await db.transaction { c in
                try await c.query(Self.churnTable)
                try await c.query("INSERT INTO churn (k, n, pad) VALUES ('kept', 1, x'00')")
            }
            let before = LioraSQLiteDatabase.pageCache
            // Two megabytes of new pages, then an error: SQLite rolls the file back and must drop
            // the cached pages past its end, or the next growth would read their stale bytes.
            await #expect(throws: Churned.self) {
                try await db.transaction { c in
                    for i in 0..<500 {
                        try await c.query("INSERT INTO churn (k, n, pad) VALUES ($1, $2, $3)",
                                          [.text("gone-\(i)"), .int(Int64(i)), .blob([UInt8](repeating: 0xAB, count: 4_000))])
                    }
                    throw Churned()
                }
            }
            #expect(LioraSQLiteDatabase.pageCache.forwarded > before.forwarded)
            #expect(try await contents(db) == ["kept": 1])
            try await db.transaction { c in
                for i in 0..<300 {
                    try await c.query("INSERT INTO churn (k, n, pad) VALUES ($1, $2, $3)",
                                      [.text("new-\(i)"), .int(Int64(-i)), .blob([UInt8](repeating: 0x11, count: 3_000))])
                }
            }
            var expected: [String: Int64] = ["kept": 1]
            for i in 0..<300 { expected["new-\(i)"] = Int64(-i) }
            #expect(try await contents(db) == expected)
            let pads = try await db.transaction { c in
                try await c.query("SELECT count(*) AS n FROM churn WHERE k LIKE 'new-%' AND pad = $1",
                                  [.blob([UInt8](repeating: 0x11, count: 3_000))]).first?.int("n")
            }
            #expect(pads == 300)
            #expect(try await integrity(db) == "ok")
        }
    }
}

/// SQLite plans a statement once, whatever values are bound to it: without the stability guarantee
/// a `LIMIT $n` (every claim has one) was compiled again on every run.
@Suite("SQLite plans: one plan per statement, not one per bound value")
struct SQLiteStablePlanTests {
    @Test("a LIMIT bound anew on every run returns the right rows and is never compiled again")
    func limitRebound() async throws {
        try await TestDatabases.withDatabase(.sqlite, migrated: false) { db, _ in
            let sqlite = try #require(db as? LioraSQLiteDatabase)
            #expect(try await sqlite.plansAreStable())
            try await db.transaction { c in
                try await c.query("CREATE TABLE numbers (n INTEGER PRIMARY KEY, state TEXT NOT NULL)")
                for n in 1...50 { try await c.query("INSERT INTO numbers (n, state) VALUES ($1, $2)", [.int(Int64(n)), .text(n % 2 == 0 ? "even" : "odd")]) }
            }
            let sql = "SELECT n FROM numbers WHERE state = $1 AND n > $2 ORDER BY n LIMIT $3"
            for limit in [3, 1, 0, 7, 2, 25, 1] {
                let rows = try await db.transaction { c in try await c.query(sql, [.text("even"), .int(10), .int(Int64(limit))]) }
                let found = try rows.map { try #require(try $0.int("n")) }
                #expect(found == Array(stride(from: 12, through: 50, by: 2).prefix(limit)).map(Int64.init))
            }
            #expect(try await sqlite.reprepares(of: sql) == 0)
        }
    }
}
