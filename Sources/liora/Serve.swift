import ArgumentParser
import Foundation
import Hummingbird
import LioraCore
import LioraServer
import LioraStore
import Logging
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

    @Flag(inversion: .prefixedNo, help: "With --demo, answer the demo tenant's messages as the bot.")
    var bot = true

    @Option(help: "Folder of skill files (used with --demo).")
    var skills = "skills"

    @Flag(help: "Create the demo tenant and its WhatsApp number when missing (see README.md).")
    var demo = false

    func run() async throws {
        let config = loadConfiguration(database.environment([
            "LIORA_HOST": host, "LIORA_PORT": port.map(String.init),
        ]))
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
                if demo {
                    try await DemoSeed.ensure(store: store, now: Date())
                    say("demo tenant ready: slug demo, phone_number_id \(DemoSeed.phoneNumberID)")
                }
                var options = LioraAppOptions(runProcessor: processor)
                if demo && bot {
                    // The demo tenant's replies go to LIORA_GRAPH_BASE_URL with the demo token (point it at
                    // `liora simulate`). Other tenants answer once their tokens are stored (admin API).
                    let catalog = try SkillCatalog.load(directory: URL(fileURLWithPath: skills))
                    options.conversation = ConversationSetup(
                        engine: ConversationEngine(router: IntentRouter(catalog: catalog)),
                        graph: URLSessionGraphAPIClient(baseURL: config.graphBaseURL, apiVersion: config.graphAPIVersion),
                        tokens: FixedAccessTokenSource(Secret("demo-access-token")))
                }
                let (app, _) = buildApplication(configuration: config, store: store, databaseDialect: db.dialect,
                                                options: options, logger: logger)
                say("listening on http://\(config.host):\(config.port) (database \(config.databaseURL))")
                try await app.runService()
            } catch {
                await store.close()
                throw error
            }
            await store.close()
        } catch {
            fail("\(error)")
        }
    }
}
