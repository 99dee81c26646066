import ArgumentParser
import Foundation
import LioraCore
import LioraStore

/// `liora keys …`: the master key of envelope encryption (LIORA_MASTER_KEY).
struct Keys: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Generate, inspect and rotate the master key that wraps every tenant's data key.",
        discussion: """
            Rotation without downtime: 1) `liora keys generate` → NEW; 2) set LIORA_MASTER_KEY="2:NEW,1:OLD" on every \
            instance (newest first; both versions open secrets); 3) `liora keys rotate` re-wraps every tenant key under \
            version 2; 4) when `liora keys status` shows nothing under version 1, drop "1:OLD" from LIORA_MASTER_KEY.
            """,
        subcommands: [Generate.self, Status.self, Rotate.self])

    struct Generate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Print a new random 32-byte key, base64 (nothing is stored).")
        func run() async throws { print(MasterKeyRing.generateKey()) }
    }

    struct Status: AsyncParsableCommand {
        /// Exit status when a version still in use is not in LIORA_MASTER_KEY (1 is any other
        /// failure, 2 a configuration error), so scripts and deploy checks can stop on it.
        static let missingVersionExitCode: Int32 = 3

        static let configuration = CommandConfiguration(
            abstract: "How many tenant keys each master key version wraps.",
            discussion: """
                Exit status: 0 when every version in use is in LIORA_MASTER_KEY and opens its keys; 3 when a version \
                still wrapping tenant keys is NOT in it, or its key there does not open them (a wrong key: one key per \
                version is tried), since those tenants' secrets cannot be opened; 2 for a configuration error; \
                1 for any other failure.
                """)
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            var missing = false
            try await Keys.withOwnerDatabase(database) { db, ring in
                let counts = try await KeyRotation.versionCounts(db)
                let wrong = try await KeyRotation.unopenableVersions(db, ring: ring)
                print("current master key version: \(ring.currentVersion) (configured: \(ring.versions.map(String.init).joined(separator: ", ")))")
                if counts.isEmpty { print("no tenant keys yet") }
                for (version, n) in counts.sorted(by: { $0.key > $1.key }) {
                    let note = ring.key(version: version) == nil ? "  ← NOT in LIORA_MASTER_KEY: these secrets cannot be opened"
                        : wrong[version] != nil ? "  ← the key LIORA_MASTER_KEY gives for version \(version) does not open them (a wrong key?)" : ""
                    print("version \(version): \(n) tenant key(s)\(note)")
                }
                missing = !KeyRotation.missingVersions(in: counts, ring: ring).isEmpty || !wrong.isEmpty
            }
            if missing { throw ExitCode(Self.missingVersionExitCode) }
        }
    }

    struct Rotate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Re-wrap every tenant key under the newest version of LIORA_MASTER_KEY (safe while serving).")
        @OptionGroup var database: DatabaseOptions

        func run() async throws {
            try await Keys.withOwnerDatabase(database) { db, ring in
                let before = try await KeyRotation.versionCounts(db)
                let pending = before.filter { $0.key != ring.currentVersion }.values.reduce(0, +)
                say("re-wrapping \(pending) tenant key(s) under master key version \(ring.currentVersion)")
                let n = try await KeyRotation.rewrapAll(db, ring: ring, now: Date()) { say("… \($0) of \(pending)") }
                say("done: \(n) re-wrapped; older master versions can be removed from LIORA_MASTER_KEY once every instance runs with the new one")
            }
        }
    }

    /// Runs `body` on the schema owner's database (LIORA_MIGRATION_DATABASE_URL) with the key
    /// ring; closes it afterwards and stops the process with one line on failure.
    static func withOwnerDatabase(_ options: DatabaseOptions,
                                  _ body: (any SQLDatabase, MasterKeyRing) async throws -> Void) async throws {
        let config = options.configuration()
        let ring = requireRing(config)
        let db = try await StoreFactory.openDatabase(config.migrationDatabaseURL, logger: makeLogger(level: config.logLevel),
                                                     maximumConnections: 1)
        do {
            try await body(db, ring)
            await db.close()
        } catch {
            await db.close()
            fail(operatorDescription(error))
        }
    }

    static func requireRing(_ config: Configuration) -> MasterKeyRing {
        guard let ring = config.masterKeyRing else {
            fail("LIORA_MASTER_KEY: is required (generate one with `liora keys generate`)", code: 2)
        }
        return ring
    }
}

private func requireRing(_ config: Configuration) -> MasterKeyRing { Keys.requireRing(config) }
