import ArgumentParser
import Foundation
import Hummingbird
import LioraCore
import LioraServer
import LioraStore
import Logging
import NIOCore
import WhatsAppGraph

struct Serve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Run the service.")

    @OptionGroup var database: DatabaseOptions

    @Option(help: "Address to listen on (overrides LIORA_HOST).")
    var host: String?

    @Option(help: "Port to listen on (overrides LIORA_PORT).")
    var port: Int?

    @Flag(inversion: .prefixedNo, help: "Apply pending migrations before serving.")
    var migrate = true

    @Flag(inversion: .prefixedNo, help: "Process stored webhooks in this process (turn off for ingest-only instances).")
    var processor = true

    @Flag(inversion: .prefixedNo, help: "Answer messages as the bot (needs LIORA_MASTER_KEY to read tenants' access tokens).")
    var bot = true

    @Option(help: "Folder of skill files.")
    var skills = "skills"

    @Flag(help: "Create the demo tenant, its WhatsApp number and its catalog when missing (see README.md).")
    var demo = false

    @Option(help: "The catalog published for the demo tenant when it has none (used with --demo).")
    var catalog = "catalogs/demo-store.json"

    func validate() throws {
        if let port, !(1...65535).contains(port) {
            throw ValidationError("--port must be a port number from 1 to 65535, got \(port)")
        }
    }

    func run() async throws {
        var env = database.environment(["LIORA_HOST": host, "LIORA_PORT": port.map(String.init)])
        if demo {
            // Before anything is written (the demo master key file).
            let host = env["LIORA_HOST"].flatMap { $0.trimmingCharacters(in: .whitespaces).isEmpty ? nil : $0 } ?? "127.0.0.1"
            if let problem = Configuration.demoOwnerProblem(host: host, demoPassword: env["LIORA_DEMO_PASSWORD"]) { fail("\(problem)", code: 2) }
            // Beyond loopback the demo owner is a real login: its password follows the admin API's rules.
            if Configuration.demoOwnerProblem(host: host, demoPassword: nil) != nil, let given = env["LIORA_DEMO_PASSWORD"] {
                do { try AdminAuth.checkPasswordStrength(given, email: DemoSeed.ownerEmail) } catch let refused as APIError {
                    fail("LIORA_DEMO_PASSWORD: \(refused.message)", code: 2)
                }
            }
            if bot { requireSkillsFolder() }
            env = withDemoJWTSecret(withDemoMasterKey(env))
        }
        var named: [String: String] = [:]
        if host != nil { named["LIORA_HOST"] = "--host" }
        if port != nil { named["LIORA_PORT"] = "--port" }
        let config = loadConfiguration(env, flags: database.flags(named))
        // Only an instance that answers messages builds links (an ingest-only one does not).
        if bot, processor, config.masterKeyRing != nil, let problem = config.publicLinksProblem { fail("\(problem)", code: 2) }
        if bot, config.masterKeyRing != nil { requireSkillsFolder() }
        let logger = makeLogger(level: config.logLevel)
        do {
            if migrate {
                _ = try await runMigrations(config, statusOnly: false, logger: logger)
            }
            let db = try await StoreFactory.openDatabase(config.databaseURL, logger: logger)
            let store = SQLStore(database: db, logger: logger)
            do {
                try await StoreFactory.checkServiceRole(db)
                let pending = try await Migrator(database: db, logger: logger).pending()
                guard pending.isEmpty else {
                    throw ValidationError("the database has \(pending.count) pending migration(s); run `liora migrate` first")
                }
                if let ring = config.masterKeyRing {
                    await warnAboutMissingMasterKeyVersions(config: config, service: db, ring: ring, logger: logger)
                }
                var options = LioraAppOptions(runProcessor: processor)
                // Said once the socket is bound: a port in use fails without claiming to listen.
                options.onListening = { [config] address in
                    let url = Configuration.defaultPublicBaseURL(host: config.host, port: address?.port ?? config.port)
                    say("listening on \(url.absoluteString) (database \(config.databaseURL))")
                }
                if demo {
                    try await DemoSeed.ensure(store: store, now: Date())
                    try await seedDemoOwner(store: store, env: env)
                    // Created by an earlier run on loopback, the owner may still open with the default.
                    if Configuration.demoOwnerProblem(host: config.host, demoPassword: nil) != nil,
                       try await DemoSeed.ownerOpens(store: store, password: DemoSeed.defaultOwnerPassword) {
                        throw ValidationError("""
                            serve --demo on \(config.host): the demo owner \(DemoSeed.ownerEmail) still signs in with the default \
                            password (an earlier run on loopback created it); use a fresh database, or deactivate that user \
                            through the admin API, before listening beyond this machine
                            """)
                    }
                    say("demo tenant ready: slug demo, phone_number_id \(DemoSeed.phoneNumberID)")
                    try await seedDemoCatalog(store: store, config: config, catalogFile: catalog, indexes: options.catalogIndexes)
                }
                if bot {
                    // The bot answers every active tenant whose WhatsApp account has a stored token
                    // (admin API), sending through LIORA_GRAPH_BASE_URL. With --demo, the seeded demo
                    // account (no stored token) uses the demo token — point the base URL at `liora simulate`.
                    if let ring = config.masterKeyRing {
                        let skillCatalog = try SkillCatalog.load(directory: URL(fileURLWithPath: skills))
                        let stored = StoredAccessTokenSource(store: store, vault: SecretVault(ring: ring),
                                                             fallback: demo ? FixedAccessTokenSource(Secret("demo-access-token")) : nil)
                        options.conversation = ConversationSetup(
                            engine: ConversationEngine(router: IntentRouter(catalog: skillCatalog), configuration: engineConfiguration(config)),
                            graph: LibcurlGraphAPIClient(baseURL: config.graphBaseURL, apiVersion: config.graphAPIVersion),
                            tokens: stored)
                        logger.info("bot on: replies go to the Graph API", metadata: [
                            "graph_base_url": "\(config.graphBaseURL.absoluteString)", "libcurl": "\(LibcurlGraphAPIClient.libcurlVersion)"])
                    } else {
                        say("LIORA_MASTER_KEY is not set: messages are stored and processed, but the bot does not answer (no access tokens can be read)")
                    }
                }
                if config.masterKeyRing == nil {
                    say("LIORA_MASTER_KEY is not set: per-account webhooks (/webhook/meta/{id}) answer 503 until it is (their secrets are sealed with it)")
                }
                let (app, _) = buildApplication(configuration: config, store: store, databaseDialect: db.dialect,
                                                options: options, logger: logger)
                if processor, config.retentionDays > 0 {
                    say("history older than \(config.retentionDays) days is deleted every hour (LIORA_RETENTION_DAYS)")
                }
                try await app.runService()
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        } catch let error as IOError where error.errnoCode == EADDRINUSE {
            // NIO's own text is "bind(descriptor:ptr:bytes:): Address already in use) (errno: 98)".
            fail("cannot listen on \(config.host) port \(config.port): another process is already listening there (LIORA_PORT, --port)")
        } catch {
            fail(operatorDescription(error))
        }
    }
}

extension Serve {
    /// Stops with one line, before anything is written (the demo's master key, migrations), when
    /// the bot's skills folder is missing: `serve` is usually run from somewhere else by mistake.
    func requireSkillsFolder() {
        var isFolder: ObjCBool = false
        guard FileManager.default.fileExists(atPath: skills, isDirectory: &isFolder), isFolder.boolValue else {
            fail("no skills folder at \(URL(fileURLWithPath: skills).path): run `liora serve` from the repository folder (where skills/ is), "
                 + "or pass --skills FOLDER (--no-bot serves without answering)", code: 2)
        }
    }
}

/// `liora keys status`'s check at start-up: one warning line when tenant keys are wrapped under a
/// master key version LIORA_MASTER_KEY lacks (naming the versions and how many keys). The instance
/// still starts (docs/decisions.md): the other tenants, and webhook ingest, do not depend on those
/// keys. Counting every tenant's keys takes the schema owner on PostgreSQL
/// (LIORA_MIGRATION_DATABASE_URL); without it the check is skipped with a notice.
private func warnAboutMissingMasterKeyVersions(config: Configuration, service: any SQLDatabase, ring: MasterKeyRing,
                                               logger: Logger) async {
    do {
        let missing: [Int: Int], wrong: [Int: Int]
        if config.migrationDatabaseURL == config.databaseURL {
            missing = try await KeyRotation.missingVersions(service, ring: ring)
            wrong = try await KeyRotation.unopenableVersions(service, ring: ring)
        } else {
            let owner = try await StoreFactory.openDatabase(config.migrationDatabaseURL, logger: logger, maximumConnections: 1)
            do {
                missing = try await KeyRotation.missingVersions(owner, ring: ring)
                wrong = try await KeyRotation.unopenableVersions(owner, ring: ring)
                await owner.close()
            } catch {
                await owner.close()
                throw error
            }
        }
        if let warning = KeyRotation.missingVersionsWarning(missing) { logger.warning("\(warning)") }
        // The right version number with the wrong key: as bad as a missing one (`keys status` exits 3).
        for (version, keys) in wrong.sorted(by: { $0.key < $1.key }) {
            logger.warning("""
                LIORA_MASTER_KEY's key for master key version \(version) does not open the \(keys) tenant key(s) wrapped under it \
                (a wrong key?): those tenants' secrets cannot be opened; see `liora keys status`
                """)
        }
    } catch {
        logger.notice("master key versions not checked at start-up; run `liora keys status`", metadata: [
            "error": "\(operatorDescription(error))"])
    }
}
