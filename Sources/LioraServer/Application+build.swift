package import Hummingbird
package import LioraCore
package import LioraStore
package import Logging
import ServiceLifecycle

/// The parts of a running Liora that tests and the CLI reach into.
package struct LioraComponents: Sendable {
    package let store: any LioraStore
    package let writer: IngestWriter
    package let processor: WebhookProcessor
    package let metrics: LioraMetrics
}

/// Options for assembling the application.
package struct LioraAppOptions: Sendable {
    /// Run the webhook processor as a background service (tests may drive it by hand instead).
    package var runProcessor = true
    /// Group-commit writers in flight (1 for SQLite; a few for PostgreSQL).
    package var ingestWriters: Int? = nil
    package var processorIdlePoll: Duration = .seconds(1)

    package init(runProcessor: Bool = true) { self.runProcessor = runProcessor }
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
    let processor = WebhookProcessor(store: store, clock: clock, metrics: metrics, logger: logger,
                                     idlePoll: options.processorIdlePoll)
    let writer = IngestWriter(
        inbox: store, maxWriters: options.ingestWriters ?? (databaseDialect == .sqlite ? 1 : 4),
        metrics: metrics, logger: logger, onStored: { [options] in if options.runProcessor { processor.wake() } })

    let router = Router(context: BasicRequestContext.self)
    router.add(middleware: ErrorMiddleware())
    HealthRoutes(store: store, metrics: metrics).register(on: router)
    ShortLinkRoutes(store: store, clock: clock).register(on: router)
    WebhookRoutes(verifier: WebhookSignatureVerifier(appSecret: configuration.metaAppSecret),
                  verifyToken: configuration.metaVerifyToken, writer: writer, clock: clock, metrics: metrics)
        .register(on: router)

    if configuration.metaAppSecret == nil {
        logger.warning("LIORA_META_APP_SECRET is not set: every webhook POST will be refused")
    }
    var app = Application(
        router: router,
        configuration: .init(address: .hostname(configuration.host, port: configuration.port), serverName: "liora"),
        logger: logger)
    if options.runProcessor { app.addServices(processor) }
    return (app, LioraComponents(store: store, writer: writer, processor: processor, metrics: metrics))
}
