import Foundation
import LioraTestSupport
import Testing

/// A bad `--database-url` or `--migration-database-url` is reported under the flag the operator
/// typed, not under the environment variable it overrides.
@Suite("Command line: bad database flags are named as flags")
struct AdminGapsCommandLineTests {
    static let urlRule = "must be sqlite:PATH or postgres://user:pass@host:port/db"
    static let masterKey = Data(repeating: 11, count: 32).base64EncodedString()

    @Test("migrate, migrate --status, keys status and keys rotate name --database-url / --migration-database-url; the variable when it came from the environment",
          .enabled(if: LioraCommand.isBuilt))
    func flagNamed() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-flags-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        let env = ["LIORA_MASTER_KEY": Self.masterKey]
        for command in [["migrate"], ["migrate", "--status"], ["keys", "status"], ["keys", "rotate"]] {
            let flag = try LioraCommand.run(command + ["--database-url", "bogus"], env: env, in: dir)
            #expect(flag.status == 2, "\(command): \(flag.stderr)")
            #expect(flag.stderr == "liora: --database-url: \(Self.urlRule)\n", "\(command)")
            let migration = try LioraCommand.run(command + ["--migration-database-url", "bogus"], env: env, in: dir)
            #expect(migration.status == 2, "\(command): \(migration.stderr)")
            #expect(migration.stderr == "liora: --migration-database-url: \(Self.urlRule)\n", "\(command)")
            // From the environment, the variable is named; a good flag does not take the blame for it.
            let variable = try LioraCommand.run(command + ["--migration-database-url", "sqlite:x.sqlite"],
                                                env: env.merging(["LIORA_DATABASE_URL": "bogus"]) { _, b in b }, in: dir)
            #expect(variable.status == 2, "\(command): \(variable.stderr)")
            #expect(variable.stderr == "liora: LIORA_DATABASE_URL: \(Self.urlRule)\n", "\(command)")
        }
        // Nothing was created on the way.
        #expect(!FileManager.default.fileExists(atPath: dir.appendingPathComponent("x.sqlite").path))
    }
}
