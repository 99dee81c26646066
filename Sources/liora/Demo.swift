import ArgumentParser
import Foundation
import Hummingbird
import LioraCore
import LioraServer
import LioraStore
import NIOConcurrencyHelpers
import Logging
import ServiceLifecycle
import WhatsAppGraph
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

struct Demo: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat with the bot in this terminal: SQLite, the demo tenant and a simulated Graph API, in one process.")

    @Option(help: "Port for the Liora server (overrides LIORA_PORT).")
    var port: Int?

    @Option(help: "Folder of skill files.")
    var skills = "skills"

    @Option(help: "The catalog published for the demo tenant when it has none.")
    var catalog = "catalogs/demo-store.json"

    /// Where the demo keeps its data (DESIGN.md: the embedded SQLite default).
    static let database = "sqlite:.liora/liora.sqlite"
    /// Said once when a message gets no reply and none has come yet: the demo's Graph API and number are its
    /// own, so the usual hint (check LIORA_GRAPH_BASE_URL and the phone number id) would mislead.
    static let noReplyHint = "no reply yet: the demo tenant may be suspended, over its monthly conversations, or handed to "
        + "a person (the bot then stays quiet on what it does not understand); its log is in the server output above"

    func validate() throws {
        if let port, !(1...65535).contains(port) {
            throw ValidationError("--port must be a port number from 1 to 65535, got \(port)")
        }
    }

    func run() async throws {
        // What the demo reads, before it writes anything (its master key, its database): run
        // elsewhere, it used to leave a .liora folder behind and fail on a bare path.
        let skillCatalog = loadInputs()
        var env = ProcessInfo.processInfo.environment
        // An empty variable counts as unset, as in the configuration.
        if env["LIORA_META_APP_SECRET"]?.isEmpty ?? true { env["LIORA_META_APP_SECRET"] = "liora-demo-app-secret" }
        if env["LIORA_LOG_LEVEL"]?.isEmpty ?? true { env["LIORA_LOG_LEVEL"] = "error" }
        if let port { env["LIORA_PORT"] = String(port) }
        // The demo seeds a tenant, an owner and a catalog: never into the database an operator's
        // environment names (a production PostgreSQL), always into its own SQLite file.
        if let named = env["LIORA_DATABASE_URL"], named != Self.database {
            say("the demo uses its own database (\(Self.database)); LIORA_DATABASE_URL is ignored")
        }
        env["LIORA_DATABASE_URL"] = Self.database
        env["LIORA_MIGRATION_DATABASE_URL"] = nil
        env = withDemoJWTSecret(withDemoMasterKey(env))
        let config = loadConfiguration(env)
        let logger = makeLogger(level: config.logLevel)
        // The address to reach the server at: a wildcard host ("0.0.0.0", "::") is reached on loopback;
        // an IPv6 address goes in brackets.
        let reachAt = config.host == "0.0.0.0" ? "127.0.0.1" : config.host == "::" ? "::1" : config.host
        let base = Configuration.defaultPublicBaseURL(host: reachAt, port: config.port)
        // Something already answering there (another `liora serve`) would be the server the demo
        // chats with: refuse instead.
        if await answers(base) { fail("port \(config.port) on \(config.host) is in use; pick another with --port") }
        do {
            _ = try await runMigrations(config, statusOnly: false, logger: logger)
            let db = try await StoreFactory.openDatabase(config.databaseURL, logger: logger)
            let store = SQLStore(database: db, logger: logger)
            try await DemoSeed.ensure(store: store, now: Date())
            try await seedDemoOwner(store: store, env: env)
            let indexes = CatalogIndexCache()
            try await seedDemoCatalog(store: store, config: config, catalogFile: catalog, indexes: indexes)
            let graph = SimulatedGraphAPI(logger: logger)
            try await graph.run { graphURL in
                var conversation = ConversationSetup(
                    engine: ConversationEngine(router: IntentRouter(catalog: skillCatalog), configuration: engineConfiguration(config)),
                    graph: LibcurlGraphAPIClient(baseURL: graphURL, apiVersion: config.graphAPIVersion),
                    tokens: FixedAccessTokenSource(Secret("demo-access-token")))
                conversation.senderIdlePoll = .milliseconds(200)
                var options = LioraAppOptions(conversation: conversation)
                options.catalogIndexes = indexes
                let (app, _) = buildApplication(configuration: config, store: store, databaseDialect: db.dialect,
                                                options: options, logger: logger)
                // Its own service group, so /quit shuts the server down gracefully (no cancellation errors).
                let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
                // Why the server stopped before it listened (an address it cannot bind), said as is.
                let stopped = NIOLockedValueBox<String?>(nil)
                try await withThrowingTaskGroup(of: Void.self) { group in
                    group.addTask {
                        do {
                            try await services.run()
                            stopped.withLockedValue { $0 = $0 ?? "the server stopped" }
                        } catch {
                            stopped.withLockedValue { $0 = operatorDescription(error) }
                            throw error
                        }
                    }
                    try await waitForHealth(base, stopped: { stopped.withLockedValue { $0 } })
                    print("""
                        Liora demo — tenant "demo", WhatsApp number \(DemoSeed.displayPhoneNumber), database \(config.databaseURL)
                        Server http://\(config.host):\(config.port), Graph API simulated at \(graphURL.absoluteString)
                        Type a message (es or en) and press Enter; type a number to pick a button; /quit to leave.
                        """)
                    let session = ChatSession(webhookURL: base.appendingPathComponent("webhook/meta"),
                                              appSecret: config.metaAppSecret ?? Secret(""), phoneNumberID: DemoSeed.phoneNumberID,
                                              handOffIntents: ChatSession.handOffIntents(in: skillCatalog))
                    try await ChatLoop.run(session: session, graph: graph, noReplyHint: Self.noReplyHint) { print($0) }
                    await services.triggerGracefulShutdown()
                    try await group.waitForAll()
                }
            }
            await store.close()
        } catch {
            fail(operatorDescription(error))
        }
    }
}

extension Demo {
    /// The skills and the catalog file, or a line saying where to run the demo from.
    func loadInputs() -> SkillCatalog {
        let hint = "run `liora demo` from the repository folder (where skills/ and catalogs/ are)"
        var isFolder: ObjCBool = false
        let skillsURL = URL(fileURLWithPath: skills)
        guard FileManager.default.fileExists(atPath: skillsURL.path, isDirectory: &isFolder), isFolder.boolValue else {
            fail("no skills folder at \(skillsURL.path): \(hint), or pass --skills FOLDER", code: 2)
        }
        guard FileManager.default.fileExists(atPath: catalog) else {
            fail("no demo catalog at \(URL(fileURLWithPath: catalog).path): \(hint), or pass --catalog FILE", code: 2)
        }
        do {
            return try SkillCatalog.load(directory: skillsURL)
        } catch {
            fail(operatorDescription(error))
        }
    }
}

/// Whether an HTTP server already answers at `base` (any status), within a second.
func answers(_ base: URL) async -> Bool {
    var request = URLRequest(url: base.appendingPathComponent("health"))
    request.timeoutInterval = 1
    return (try? await URLSession.shared.data(for: request)) != nil
}

/// Waits (at most 15 s, each try at most 1 s) until `GET /health` answers 200; fails at once,
/// saying why, when `stopped` says the server stopped.
func waitForHealth(_ base: URL, stopped: () -> String? = { nil }) async throws {
    let deadline = ContinuousClock.now + .seconds(15)
    var request = URLRequest(url: base.appendingPathComponent("health"))
    request.timeoutInterval = 1
    while ContinuousClock.now < deadline {
        if let reason = stopped() { throw LioraSimulatorError("liora could not start on \(base.absoluteString): \(reason)") }
        if let (_, response) = try? await URLSession.shared.data(for: request),
           (response as? HTTPURLResponse)?.statusCode == 200 { return }
        try await Task.sleep(for: .milliseconds(100))
    }
    throw LioraSimulatorError("liora did not start listening on \(base.absoluteString) within 15 s"
                              + (stopped().map { ": \($0)" } ?? " (is something else answering on that port?)"))
}
