import Foundation
import LioraCore
import LioraStore
import LioraTestSupport
import Testing

@Suite("Write durability: relaxed commits only where asked")
struct WriteDurabilityTests {
    /// The database's own view of whether this transaction's commit waits for the disk.
    private func waitsForDisk(_ database: any SQLDatabase) async throws -> Bool {
        try await database.transaction { c in
            switch c.dialect {
            case .sqlite:
                // 2 = FULL (fsync at each commit), 1 = NORMAL (WAL synced at the next FULL commit or checkpoint).
                let level = try await c.query("PRAGMA synchronous").first?.int("synchronous")
                return level == 2
            case .postgres:
                return try await c.query("SELECT current_setting('synchronous_commit') AS v").first?.string("v") == "on"
            }
        }
    }

    @Test("commits wait for the disk by default and after a relaxed scope; not inside one", arguments: TestBackend.available)
    func relaxedOnlyInsideTheScope(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            #expect(try await waitsForDisk(t.database))
            let inside = try await WriteDurability.$relaxed.withValue(true) { try await waitsForDisk(t.database) }
            #expect(!inside)
            // Child tasks inherit the scope; the next transaction outside it is durable again.
            let child = try await WriteDurability.$relaxed.withValue(true) {
                try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask { try await waitsForDisk(t.database) }
                    return try await group.next() ?? true
                }
            }
            #expect(!child)
            #expect(try await waitsForDisk(t.database))
        }
    }
}
