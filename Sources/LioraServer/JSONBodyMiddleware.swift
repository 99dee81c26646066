import Foundation
import HTTPTypes
package import Hummingbird
import NIOCore

/// A request with a body to an admin API or sign-in route must say it is JSON
/// (`application/json` or `application/…+json`, parameters such as `; charset=utf-8` allowed),
/// else 415 `unsupported_media_type` naming what was sent, before the route reads or changes
/// anything. A browser lets any page post a form (`application/x-www-form-urlencoded`,
/// `multipart/form-data`, `text/plain`) or a typeless blob to another site without asking it
/// first, so without this a page could sign its visitor in to an account of the page's choosing
/// (login CSRF). A request without a body passes (`POST …/resume`).
///
/// Only routes the router matched (a path nobody serves stays 404, a method it does not take
/// 405); the signed catalog and link-settings routes (`AdminAPIPaths.isSignedAPI`) keep their
/// own rules, their bodies being authenticated by their signature.
package struct JSONBodyMiddleware<Context: RequestContext>: RouterMiddleware {
    /// The admin API's body limit (`AdminRoutes.decode`).
    static var maxBodyBytes: Int { 64 * 1024 }

    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let route = context.endpointPath, AdminAPIPaths.contains(route), !AdminAPIPaths.isSignedAPI(route) else {
            return try await next(request, context)
        }
        if let length = request.headers[.contentLength] {
            if Int(length) != 0 { try Self.requireJSON(request.headers[.contentType]) }
            return try await next(request, context)
        }
        guard request.headers[.transferEncoding] != nil else { return try await next(request, context) }
        // Chunked: whether there is a body is known once it is read (admin bodies are small).
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: Self.maxBodyBytes)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "payload_too_large", "admin API bodies are limited to 64 KB")
        }
        if buffer.readableBytes > 0 { try Self.requireJSON(request.headers[.contentType]) }
        var collected = request
        collected.body = RequestBody(buffer: buffer)
        return try await next(collected, context)
    }

    /// Throws 415 unless `contentType` is a JSON media type.
    static func requireJSON(_ contentType: String?) throws {
        guard let contentType else {
            throw APIError(.unsupportedMediaType, "unsupported_media_type",
                           "the body must be JSON sent with Content-Type: application/json; no Content-Type was sent")
        }
        let mediaType = contentType.split(separator: ";", maxSplits: 1, omittingEmptySubsequences: false)[0]
            .trimmingCharacters(in: .whitespaces).lowercased()
        if mediaType == "application/json" || (mediaType.hasPrefix("application/") && mediaType.hasSuffix("+json")) { return }
        let shown = mediaType.isEmpty ? "an empty Content-Type" : "Content-Type \(mediaType.prefix(100))"
        throw APIError(.unsupportedMediaType, "unsupported_media_type",
                       "the body must be JSON sent with Content-Type: application/json; this request sent \(shown)")
    }
}
