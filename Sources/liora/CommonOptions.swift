import ArgumentParser
import Foundation
import LioraCore
import LioraServer
import Logging

/// Flags that override the environment, shared by the subcommands.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Database URL (overrides LIORA_DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .long, help: "Database URL for migrations, the schema owner (overrides LIORA_MIGRATION_DATABASE_URL).")
    var migrationDatabaseURL: String?

    func environment(_ extra: [String: String?] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        if let databaseURL { env["LIORA_DATABASE_URL"] = databaseURL }
        if let migrationDatabaseURL { env["LIORA_MIGRATION_DATABASE_URL"] = migrationDatabaseURL }
        for (k, v) in extra { if let v { env[k] = v } }
        return env
    }

    /// The flag that set each variable it overrides (`LIORA_DATABASE_URL` → `--database-url`),
    /// plus `extra` (a command's own flags), so a bad value is reported under the name the
    /// operator typed.
    func flags(_ extra: [String: String] = [:]) -> [String: String] {
        var flags = extra
        if databaseURL != nil { flags["LIORA_DATABASE_URL"] = "--database-url" }
        if migrationDatabaseURL != nil { flags["LIORA_MIGRATION_DATABASE_URL"] = "--migration-database-url" }
        return flags
    }

    /// The configuration from the environment with these flags over it; stops the process with
    /// one line naming the flag or the variable the bad value came from.
    func configuration() -> Configuration {
        loadConfiguration(environment(), flags: flags())
    }
}

/// Loads the configuration or stops the process with one line naming the variable — or the
/// flag, when `flags` says one set it (`--database-url: must be sqlite:PATH or …`).
func loadConfiguration(_ env: [String: String], flags: [String: String] = [:]) -> Configuration {
    do {
        return try Configuration.load(environment: env)
    } catch {
        var problem = error
        if let flag = flags[problem.variable] { problem.variable = flag }
        fail("\(problem)", code: 2)
    }
}

/// Prints `liora: message` to standard error and exits.
func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("liora: \(message)\n".utf8))
    exit(code)
}

/// One line on standard error for progress the operator should see.
func say(_ message: String) {
    FileHandle.standardError.write(Data("liora: \(message)\n".utf8))
}


/// Logs go to standard error, at the configured level, with ids only (never message text).
func makeLogger(level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    var logger = Logger(label: "liora")
    logger.logLevel = level
    return logger
}

/// The conversation engine's tuning from the configuration (LIORA_SLOT_IDLE_SECONDS, LIORA_HANDOFF_AFTER).
func engineConfiguration(_ config: Configuration) -> ConversationEngine.Configuration {
    var c = ConversationEngine.Configuration()
    c.slotTimeout = config.slotIdleTimeout
    c.handOffAfter = config.handOffAfter
    return c
}

/// Demo mode only: when LIORA_MASTER_KEY is not set, use (or create, mode 0600) `.liora/master.key`.
func withDemoMasterKey(_ env: [String: String]) -> [String: String] {
    guard env["LIORA_MASTER_KEY"]?.isEmpty ?? true else { return env }  // empty is unset, as everywhere
    var env = env
    let path = ".liora/master.key"
    if let data = FileManager.default.contents(atPath: path),
       let key = String(data: data, encoding: .utf8)?.trimmingCharacters(in: .whitespacesAndNewlines), !key.isEmpty {
        env["LIORA_MASTER_KEY"] = key
        return env
    }
    let key = MasterKeyRing.generateKey()
    do {
        if !FileManager.default.fileExists(atPath: ".liora") {
            try FileManager.default.createDirectory(atPath: ".liora", withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        }
        guard FileManager.default.createFile(atPath: path, contents: Data((key + "\n").utf8), attributes: [.posixPermissions: 0o600]) else {
            throw CocoaError(.fileWriteUnknown)
        }
        say("LIORA_MASTER_KEY not set: generated a demo master key into \(path) (never use it in production)")
    } catch {
        say("LIORA_MASTER_KEY not set and \(path) cannot be written; secrets live for this run only")
    }
    env["LIORA_MASTER_KEY"] = key
    return env
}

/// Demo mode only: when LIORA_JWT_SECRET is not set, the admin API signs with a secret made for
/// this run (its access tokens end with it), so the demo owner can sign in.
func withDemoJWTSecret(_ env: [String: String]) -> [String: String] {
    guard env["LIORA_JWT_SECRET"]?.isEmpty ?? true else { return env }
    var env = env
    env["LIORA_JWT_SECRET"] = MasterKeyRing.generateKey()
    say("LIORA_JWT_SECRET not set: the admin API signs with a secret made for this run (never use it in production)")
    return env
}

/// Creates the demo owner (password `LIORA_DEMO_PASSWORD`, default `demo-password`) unless it exists.
/// An empty value counts as unset (`LIORA_DEMO_PASSWORD=${UNSET}` in a compose file must not make
/// the owner's password empty).
func seedDemoOwner(store: any LioraStore, env: [String: String]) async throws {
    let given = env["LIORA_DEMO_PASSWORD"].flatMap { $0.isEmpty ? nil : $0 }
    if let given, given.utf8.count > AdminAuth.maxPasswordBytes {
        throw ValidationError("LIORA_DEMO_PASSWORD: must be at most \(AdminAuth.maxPasswordBytes) bytes (bcrypt reads no more)")
    }
    if try await DemoSeed.ensureOwner(store: store, password: given ?? DemoSeed.defaultOwnerPassword, now: Date()) {
        say("demo owner: \(DemoSeed.ownerEmail), password from LIORA_DEMO_PASSWORD"
            + (given == nil ? " (default: \(DemoSeed.defaultOwnerPassword))" : ""))
    }
}

/// Seeds the demo tenant's catalog secret and publishes the demo catalog when none is active.
func seedDemoCatalog(store: any LioraStore, config: Configuration, catalogFile: String, indexes: CatalogIndexCache?) async throws {
    guard let ring = config.masterKeyRing else { return }
    let body = FileManager.default.contents(atPath: catalogFile).map(Array.init)
    if body == nil { say("no demo catalog at \(catalogFile); the demo tenant starts without one") }
    let secret = ProcessInfo.processInfo.environment["LIORA_DEMO_CATALOG_SECRET"].flatMap { $0.isEmpty ? nil : $0 }
    if let secret, StandardWebhooks.key(fromSecret: secret) == nil {
        throw ValidationError("LIORA_DEMO_CATALOG_SECRET must be whsec_ followed by base64 of at least 16 bytes")
    }
    let version = try await DemoSeed.ensureCatalog(store: store, vault: SecretVault(ring: ring), secret: secret, catalogBody: body,
                                                   indexes: indexes, now: Date())
    if let version {
        say("demo catalog active: version \(version); publish another with `liora catalog publish FILE`"
            + (secret == nil ? " (demo signing secret: see README)" : ""))
    }
}
