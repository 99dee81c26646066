import LioraStore
import Logging
import Hummingbird
import LioraCore
import NIOCore

/// `GET /health` (the process is up), `GET /ready` (the database answers), `GET /metrics`.
/// `HEAD /health` and `HEAD /ready` answer as GET does (status and headers, `Content-Length`
/// included) without the body, for load balancers and uptime checks that probe with HEAD.
struct HealthRoutes: Sendable {
    let store: any LioraStore
    let metrics: LioraMetrics

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/health") { _, _ in Self.health() }
        router.head("/health") { _, _ in Self.health().createHeadResponse() }
        router.get("/ready") { _, context in await ready(context.logger) }
        router.head("/ready") { _, context in await ready(context.logger).createHeadResponse() }
        router.get("/metrics") { _, _ in
            Response(status: .ok, headers: [.contentType: "text/plain; version=0.0.4; charset=utf-8"],
                     body: .init(byteBuffer: ByteBuffer(bytes: metrics.exposition())))
        }
    }

    static func health() -> Response { json(.ok, #"{"status":"ok"}"#) }

    func ready(_ logger: Logger) async -> Response {
        do {
            try await store.ping()
            return Self.json(.ok, #"{"status":"ready"}"#)
        } catch {
            logger.warning("readiness check failed", metadata: ["error": "\(loggableDescription(error))"])
            return Self.json(.serviceUnavailable, #"{"status":"unavailable","error":{"code":"database_unavailable","message":"the database is not reachable"}}"#)
        }
    }

    static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}
