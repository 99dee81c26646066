import Foundation
package import HTTPTypes
package import Hummingbird
import LioraCore
import LioraStore
import Logging
import NIOCore

/// An HTTP error with a stable code and a fixed message: `{"error": {"code": …, "message": …}}`.
/// Never carries internals.
package struct APIError: HTTPResponseError, Equatable {
    package var status: HTTPResponse.Status
    package var code: String
    package var message: String
    /// Seconds after which a retry may succeed (`Retry-After`), for 503 and 429.
    package var retryAfter: Int?

    package init(_ status: HTTPResponse.Status, _ code: String, _ message: String, retryAfter: Int? = nil) {
        self.status = status
        self.code = code
        self.message = message
        self.retryAfter = retryAfter
    }

    package func response(from request: Request, context: some RequestContext) throws -> Response {
        response()
    }

    static func jsonResponse(status: HTTPResponse.Status, code: String, message: String) -> Response {
        struct Body: Encodable { struct Inner: Encodable { let code: String; let message: String }; let error: Inner }
        let data = (try? JSONEncoder().encode(Body(error: .init(code: code, message: message)))) ?? Data("{}".utf8)
        return Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: data)))
    }

    /// A 429 with the `Retry-After` every 429 carries: `seconds` (until a retry can succeed)
    /// rounded up to a whole second, at least 1.
    static func tooManyRequests(_ code: String, _ message: String, retryAfter seconds: TimeInterval) -> APIError {
        APIError(.tooManyRequests, code, message, retryAfter: max(1, Int(seconds.rounded(.up))))
    }

    static let notFound = APIError(.notFound, "not_found", "no such resource")
    static let internalError = APIError(.internalServerError, "internal_error", "something went wrong; it has been logged")
}

/// The one place errors become HTTP responses: known errors keep their status and fixed
/// message, everything else is a 500 whose detail goes to the log, not the client. Configuration
/// the server lacks (`LioraError.invalidConfiguration`, e.g. a master key version missing from
/// LIORA_MASTER_KEY) is a 503 `server_misconfigured`, logged at error level with the route; so
/// is a master key that does not open a tenant's keys (`LioraError.tenantKeyNotOpened`).
package struct ErrorMiddleware<Context: RequestContext>: RouterMiddleware {
    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        do {
            return try await next(request, context)
        } catch let e as APIError {
            return e.response()
        } catch is NIOTooManyBytesError {
            return APIError(.contentTooLarge, "payload_too_large", "the request body is too large").response()
        } catch let e as LioraError where e.code == .invalidConfiguration {
            // The server lacks configuration this request needs (in practice a master key version
            // still wrapping the tenant's keys, missing from LIORA_MASTER_KEY): the operator's to
            // fix, so logged at error level with the route; the client gets a 503 it may retry.
            context.logger.error("request needs configuration the server lacks", metadata: [
                "route": "\(request.method) \(context.endpointPath ?? request.uri.path)", "error": "\(e.debugDescription)"])
            return APIError(.serviceUnavailable, "server_misconfigured", e.message).response()
        } catch let e as LioraError where e.isTenantKeyNotOpened {
            // The master key version is configured but its key does not open the tenant's data
            // key: LIORA_MASTER_KEY holds another key under that version (or the row was
            // altered). The operator's to fix, as a missing version is; no key material is logged.
            context.logger.error("request needs configuration the server lacks", metadata: [
                "route": "\(request.method) \(context.endpointPath ?? request.uri.path)", "error": "\(e.debugDescription)"])
            return Self.masterKeyDoesNotOpen.response()
        } catch let e as LioraError {
            return APIError(Self.status(for: e.code), e.code.rawValue, e.message).response()
        } catch let e as HTTPError {
            return APIError(e.status, e.status == .notFound ? "not_found" : "http_error", e.status.reasonPhrase).response()
        } catch where isDatabaseUnavailable(error) {
            context.logger.warning("database unavailable", metadata: ["error": "\(loggableDescription(error))"])
            return Self.databaseUnavailable.response()
        } catch {
            context.logger.error("request failed", metadata: ["error": "\(loggableDescription(error))"])
            return APIError.internalError.response()
        }
    }

    /// A tenant key the configured master key does not open (`LioraError.tenantKeyNotOpened`).
    static var masterKeyDoesNotOpen: APIError {
        APIError(.serviceUnavailable, "server_misconfigured",
                 "LIORA_MASTER_KEY does not open this tenant's keys (a different key under the same version?); "
                 + "the operator must restore the key that sealed them (see `liora keys status`)")
    }

    /// A database outage: try again shortly (a write may or may not have been committed).
    static var databaseUnavailable: APIError {
        APIError(.serviceUnavailable, "database_unavailable", "the database is not reachable; retry shortly", retryAfter: 5)
    }

    static func status(for code: LioraError.Code) -> HTTPResponse.Status {
        switch code {
        case .notFound: .notFound
        case .conflict: .conflict
        case .invalidInput: .badRequest
        case .storage, .migrationChecksumMismatch, .insecureDatabaseRole: .serviceUnavailable
        case .invalidConfiguration: .serviceUnavailable  // answered as `server_misconfigured`, and logged
        }
    }
}

extension APIError {
    func response() -> Response {
        var r = Self.jsonResponse(status: status, code: code, message: message)
        if let retryAfter { r.headers[.retryAfter] = String(retryAfter) }
        return r
    }
}
