package import Hummingbird
package import LioraCore
package import WhatsAppGraph
package import LioraStore
package import Logging
package import NIOCore
import ServiceLifecycle

/// The parts of a running Liora that tests and the CLI reach into.
package struct LioraComponents: Sendable {
    package let store: any LioraStore
    package let writer: IngestWriter
    package let processor: WebhookProcessor
    package let metrics: LioraMetrics
    /// Present when the bot answers (a conversation setup was given).
    package let sender: OutboxSender?
    /// The search indexes of the tenants' active catalogs.
    package let catalogIndexes: CatalogIndexCache
    /// Envelope encryption of tenant secrets; nil without `LIORA_MASTER_KEY`.
    package let vault: SecretVault?
    /// Every served route as "METHOD /path/{param}" (checked against docs/openapi.yaml by a test).
    package let routes: [String]
}

/// What the bot needs to answer: the engine (skills + router), the Graph API client and where
/// access tokens come from.
package struct ConversationSetup: Sendable {
    package var engine: ConversationEngine
    package var graph: any GraphAPIClient
    package var tokens: any AccessTokenSource
    /// Run the sender as a background service (tests may drive it by hand).
    package var runSender = true
    package var senderIdlePoll: Duration = .milliseconds(500)
    /// Bitly (or another external shortener) for tenants that configured a token.
    package var externalShortener: (any ExternalLinkShortener)? = BitlyClient()

    package init(engine: ConversationEngine, graph: any GraphAPIClient, tokens: any AccessTokenSource, runSender: Bool = true) {
        self.engine = engine
        self.graph = graph
        self.tokens = tokens
        self.runSender = runSender
    }
}

/// Options for assembling the application.
package struct LioraAppOptions: Sendable {
    /// Run the webhook processor as a background service (tests may drive it by hand instead).
    package var runProcessor = true
    /// Group-commit writers in flight (1 for SQLite; a few for PostgreSQL).
    package var ingestWriters: Int? = nil
    package var processorIdlePoll: Duration = .seconds(1)
    /// The bot: without it, webhooks are stored and processed but not answered.
    package var conversation: ConversationSetup? = nil
    /// Shared with the caller (the demo seeds the demo tenant's index into it).
    package var catalogIndexes = CatalogIndexCache()
    /// Token lifetimes, bcrypt cost and login limits of the admin API.
    package var adminAuth = AdminAuthOptions()
    /// Bytes of webhook bodies read at once before their signature is checked.
    package var webhookBodies = BodyBudget.forWebhooks()
    /// Bytes of catalog request bodies read at once before their signature is checked (nil: four
    /// of the largest allowed, at least 128 MB).
    package var catalogBodies: BodyBudget? = nil
    /// A connection that sends nothing for this long (between requests, or in the middle of a
    /// request's head or body) is closed, so idle or stalled clients cannot hold sockets for ever.
    /// A request being answered is not idle.
    package var idleTimeout: Duration = .seconds(75)
    /// The Graph API the admin API asks whether a token can use a number (nil: the bot's, else
    /// one to `LIORA_GRAPH_BASE_URL`).
    package var wabaGraph: (any GraphAPIClient)? = nil
    /// Called once the server listens, with its bound address (never when binding fails): where
    /// `liora serve` says "listening on …".
    package var onListening: @Sendable (_ address: SocketAddress?) async -> Void = { _ in }

    package init(runProcessor: Bool = true, conversation: ConversationSetup? = nil) {
        self.runProcessor = runProcessor
        self.conversation = conversation
    }
}

/// Builds the HTTP application over an open store: routes, error mapping, ingest writer and the
/// background webhook processor.
package func buildApplication(
    configuration: Configuration,
    store: any LioraStore,
    databaseDialect: SQLDialect,
    clock: any LioraClock = SystemClock(),
    options: LioraAppOptions = .init(),
    logger: Logger
) -> (application: some ApplicationProtocol, components: LioraComponents) {
    let metrics = LioraMetrics()
    let sender = options.conversation.map { c in
        OutboxSender(store: store, graph: c.graph, tokens: c.tokens, clock: clock, idlePoll: c.senderIdlePoll, metrics: metrics,
                     logger: logger)
    }
    let vault = configuration.masterKeyRing.map(SecretVault.init(ring:))
    let indexes = options.catalogIndexes
    let responder = options.conversation.map { c in
        ConversationResponder(engine: c.engine, catalogs: indexes, shortener: TenantLinks(
            builtIn: LinkShortener(publicBaseURL: configuration.publicBaseURL), vault: vault, external: c.externalShortener),
            onQueued: { [runSender = c.runSender] in if runSender { sender?.wake() } })
    }
    let decodedWebhooks = DecodedWebhooks()
    let processor = WebhookProcessor(store: store, clock: clock, metrics: metrics, logger: logger,
                                     idlePoll: options.processorIdlePoll, responder: responder, decoded: decodedWebhooks,
                                     splitTransactions: databaseDialect == .sqlite)
    let writer = IngestWriter(
        inbox: store, maxWriters: options.ingestWriters ?? (databaseDialect == .sqlite ? 1 : 4),
        metrics: metrics, logger: logger, onStored: { [options] in if options.runProcessor { processor.wake() } })

    let router = Router(context: LioraRequestContext.self)
    // Outside the error middleware, so that it sees every answer, errors made into answers too.
    router.add(middleware: NoStoreMiddleware())
    router.add(middleware: ErrorMiddleware())
    router.add(middleware: JSONBodyMiddleware())
    HealthRoutes(store: store, metrics: metrics).register(on: router)
    ShortLinkRoutes(store: store, clock: clock, proxies: configuration.trustedProxies, metrics: metrics).register(on: router)
    WebhookRoutes(verifier: WebhookSignatureVerifier(appSecret: configuration.metaAppSecret),
                  verifyToken: configuration.metaVerifyToken, writer: writer, clock: clock, metrics: metrics,
                  decodedWebhooks: decodedWebhooks, bodies: options.webhookBodies)
        .register(on: router)
    var catalogOptions = CatalogAPIOptions()
    catalogOptions.maxBodyBytes = configuration.catalogMaxBytes
    catalogOptions.secretOverlap = configuration.catalogSecretOverlap
    catalogOptions.keepVersions = configuration.catalogKeepVersions
    catalogOptions.bodies = options.catalogBodies ?? BodyBudget.forCatalog(maxBodyBytes: configuration.catalogMaxBytes)
    let gate = SignedRequestGate(store: store, vault: vault,
                                 refusalLog: RefusalLogBudget(onSkipped: { [metrics] in metrics.ingestLogRefusalSkipped() }))
    let adminAuth = configuration.jwtSecret.map { AdminAuth(secret: $0, store: store, clock: clock, options: options.adminAuth) }
    CatalogRoutes(store: store, gate: gate, indexes: indexes, clock: clock, options: catalogOptions,
                  adminGate: adminAuth.map { AdminGate(auth: $0, store: store) }).register(on: router)
    LinkSettingsRoutes(store: store, gate: gate, clock: clock).register(on: router)
    if let auth = adminAuth {
        AdminRoutes(auth: auth, gate: AdminGate(auth: auth, store: store), store: store, vault: vault, clock: clock,
                    proxies: configuration.trustedProxies).register(on: router)
        LogsRoutes(gate: AdminGate(auth: auth, store: store), store: store, clock: clock).register(on: router)
        ApprovalRoutes(gate: AdminGate(auth: auth, store: store), store: store, clock: clock).register(on: router)
        let wabaGraph = options.wabaGraph ?? options.conversation?.graph ?? LibcurlGraphAPIClient(baseURL: configuration.graphBaseURL, apiVersion: configuration.graphAPIVersion)
        WabaRoutes(gate: AdminGate(auth: auth, store: store), store: store, vault: vault, clock: clock, graph: wabaGraph).register(on: router)
    } else {
        logger.warning("LIORA_JWT_SECRET is not set: the admin API answers 503")
        AdminRoutes.registerUnavailable(on: router)
    }

    // Accounts registered with their own Meta app: /webhook/meta/{waba_account_id}, checked with their own secret.
    WebhookRoutes(verifier: WebhookSignatureVerifier(appSecret: nil), verifyToken: nil, writer: writer, clock: clock, metrics: metrics,
                  decodedWebhooks: decodedWebhooks, bodies: options.webhookBodies)
        .registerAccountRoutes(on: router, secrets: WabaWebhookSecrets(store: store, vault: vault, clock: clock))

    if configuration.metaAppSecret == nil {
        logger.warning("LIORA_META_APP_SECRET is not set: every webhook POST will be refused")
    }
    // Last, so that it wraps only the router's "no route" answer.
    router.add(middleware: MethodNotAllowedMiddleware(routes: router.routes))
    let routes = router.routes.map { "\($0.method.rawValue) \($0.path.description)" }
    var app = Application(
        router: router,
        server: .http1(configuration: .init(additionalChannelHandlers: [CloseAfterTimeoutHandler(), ParserErrorResponseHandler()],
                                            idleTimeout: .nanoseconds(Int64(options.idleTimeout / .nanoseconds(1))))),
        configuration: .init(address: .hostname(configuration.listenHost, port: configuration.port), serverName: "liora"),
        onServerRunning: { [onListening = options.onListening] channel in await onListening(channel.localAddress) },
        logger: logger)
    if options.runProcessor { app.addServices(processor) }
    if options.runProcessor, configuration.retentionDays > 0 {
        app.addServices(RetentionService(store: store, clock: clock, days: configuration.retentionDays, metrics: metrics, logger: logger))
    }
    if let sender, options.conversation?.runSender == true { app.addServices(sender) }
    return (app, LioraComponents(store: store, writer: writer, processor: processor, metrics: metrics, sender: sender,
                                 catalogIndexes: indexes, vault: vault, routes: routes))
}
