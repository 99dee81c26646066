import HTTPTypes
package import NIOCore
package import NIOHTTPTypes

/// Closes a connection once a 408 has been written: the request's body stopped arriving, so
/// there is nothing left to read and no next request to wait for. Without it Hummingbird, which
/// reads the rest of a body before the next request, would hold the socket until the idle
/// timeout (75 s): a client that stalls on purpose would keep its connection for free.
/// The 408 carries `Connection: close` so the client knows.
///
/// Other refusals (413 among them) keep the connection: the client may still be sending its
/// body, and closing a socket with unread bytes resets it, which many clients report as a
/// network error instead of the answer.
package final class CloseAfterTimeoutHandler: ChannelOutboundHandler, RemovableChannelHandler {
    package typealias OutboundIn = HTTPResponsePart
    package typealias OutboundOut = HTTPResponsePart

    private var closing = false

    package init() {}

    package func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        switch unwrapOutboundIn(data) {
        case .head(var head) where head.status == .requestTimeout:
            closing = true
            head.headerFields[.connection] = "close"
            context.write(wrapOutboundOut(.head(head)), promise: promise)
        case .end where closing:
            closing = false
            let written = context.eventLoop.makePromise(of: Void.self)
            written.futureResult.whenComplete { _ in context.close(promise: nil) }
            written.futureResult.cascade(to: promise)
            context.write(data, promise: written)
        default:
            context.write(data, promise: promise)
        }
    }
}
