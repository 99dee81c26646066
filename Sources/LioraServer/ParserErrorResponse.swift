import Foundation
import HTTPTypes
package import NIOCore
import NIOHTTP1
package import NIOHTTPTypes

/// Gives a request that cannot be parsed the usual JSON error body. Hummingbird
/// answers such a request itself, before any route or middleware sees it, with an empty 400 and
/// `Connection: close`; this handler, which sees the parser's error go by on its way in, rewrites
/// that answer: 431 `headers_too_large` when the head is over NIO's limits (80 KB of header
/// fields, as a 100 KB `X-Client-ID` is), else 400 `malformed_request`. The connection is still
/// closed: the parser cannot go on after an error. Every such answer carries
/// `Cache-Control: no-store`.
package final class ParserErrorResponseHandler: ChannelDuplexHandler, RemovableChannelHandler {
    package typealias InboundIn = HTTPRequestPart
    package typealias InboundOut = HTTPRequestPart
    package typealias OutboundIn = HTTPResponsePart
    package typealias OutboundOut = HTTPResponsePart

    /// The parser's error, until its 400 is written.
    private var parserError: HTTPParserError?

    package init() {}

    package func errorCaught(context: ChannelHandlerContext, error: any Error) {
        if let error = error as? HTTPParserError { parserError = error }
        context.fireErrorCaught(error)
    }

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        guard let error = parserError, case .head(let head) = unwrapOutboundIn(data), head.status == .badRequest,
              head.headerFields[.contentLength] == "0" else {
            context.write(data, promise: promise)
            return
        }
        parserError = nil
        let answer = Self.answer(to: error)
        let body = ByteBuffer(bytes: Self.json(answer))
        var fields = head.headerFields
        fields[.contentType] = "application/json; charset=utf-8"
        fields[.contentLength] = String(body.readableBytes)
        fields[.connection] = "close"
        // As every admin and sign-in answer (`NoStoreMiddleware`, which never sees this one); the
        // path is not known here, and no cache has a use for a parser's refusal anyway.
        fields[.cacheControl] = "no-store"
        context.write(wrapOutboundOut(.head(HTTPResponse(status: answer.status, headerFields: fields))), promise: nil)
        context.write(wrapOutboundOut(.body(body)), promise: promise)
    }

    /// The error envelope of `APIError.response()`, as bytes (this answer is written below the router).
    static func json(_ error: APIError) -> [UInt8] {
        struct Body: Encodable { struct Inner: Encodable { let code: String; let message: String }; let error: Inner }
        return Array((try? JSONEncoder().encode(Body(error: .init(code: error.code, message: error.message)))) ?? Data("{}".utf8))
    }

    static func answer(to error: HTTPParserError) -> APIError {
        if case .headerOverflow = error {
            return APIError(HTTPResponse.Status(code: 431, reasonPhrase: "Request Header Fields Too Large"), "headers_too_large",
                            "the request's header fields are larger than 80 KB")
        }
        return APIError(.badRequest, "malformed_request", "the request is not valid HTTP/1.1")
    }
}
