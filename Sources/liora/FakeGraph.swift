import ArgumentParser
import Foundation
import LioraCore
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix

/// `liora fake-graph`: a fast stand-in for Meta's Graph API for benchmarks (hidden). Answers every
/// `POST /{version}/{phone_number_id}/messages` with 200 — `{"success":true}` for a read receipt,
/// a generated wamid for a message — without decoding the JSON, and counts what it got. For each
/// inbound message answered (the `context.message_id` of an answer) it keeps the wall-clock time
/// its first answer arrived, so a load generator can measure webhook-to-reply latency.
///
/// - `GET /stats`: `{"requests", "answers", "reads", "answered_inbound", "first_answer_ns", "last_answer_ns"}`
/// - `GET /arrivals`: one `<inbound wamid>\t<unix ns>` line per answered inbound message
///
/// It is a bare SwiftNIO HTTP/1.1 handler rather than a Hummingbird app: Meta's servers are not on
/// the benchmark's machine, so the stand-in should take as little of it as it can (it took about a
/// fifth of a core at 6,000 requests/s as a Hummingbird app).
struct FakeGraph: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "fake-graph",
        abstract: "Serve a fast fake Graph API that counts requests (benchmarks).",
        shouldDisplay: false)

    @Option(help: "Address to listen on.")
    var host = "127.0.0.1"

    @Option(help: "Port to listen on (0: any free port, printed on start).")
    var port = 9098

    @Option(help: "Milliseconds to wait before answering (Meta's own latency).")
    var latencyMs = 0

    func run() async throws {
        let counts = FakeGraphCounts()
        let delay: TimeAmount? = latencyMs > 0 ? .milliseconds(Int64(latencyMs)) : nil
        let channel = try await ServerBootstrap(group: MultiThreadedEventLoopGroup.singleton)
            .serverChannelOption(.backlog, value: 256)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelOption(.socketOption(.tcp_nodelay), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.configureHTTPServerPipeline(withErrorHandling: true)
                    try channel.pipeline.syncOperations.addHandler(FakeGraphHandler(counts: counts, delay: delay))
                }
            }
            .bind(host: host, port: port).get()
        say("fake Graph API on http://\(host):\(channel.localAddress?.port ?? 0)")
        try await channel.closeFuture.get()
    }
}

/// One connection: collects each request's body, answers it (after `delay`, when set).
final class FakeGraphHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    /// Larger bodies are refused (Meta's own limit is far below).
    static let maxBody = 1 << 20

    private let counts: FakeGraphCounts
    private let delay: TimeAmount?
    private var head: HTTPRequestHead?
    private var body: ByteBuffer?
    private var tooLarge = false

    init(counts: FakeGraphCounts, delay: TimeAmount?) {
        self.counts = counts
        self.delay = delay
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        switch unwrapInboundIn(data) {
        case .head(let h):
            head = h
            body = nil
            tooLarge = false
        case .body(var chunk):
            guard !tooLarge else { return }
            if (body?.readableBytes ?? 0) + chunk.readableBytes > Self.maxBody {
                tooLarge = true
                body = nil
            } else if body == nil {
                body = chunk
            } else {
                body!.writeBuffer(&chunk)
            }
        case .end:
            guard let head else { return }
            self.head = nil
            let (status, type, text) = tooLarge ? (.payloadTooLarge, "text/plain", "too large\n") : answer(head, body)
            body = nil
            let keepAlive = head.isKeepAlive && !tooLarge
            if let delay, status == .ok, head.method == .POST {
                context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
                    self.respond(context: context, status: status, type: type, text: text, keepAlive: keepAlive)
                }
            } else {
                respond(context: context, status: status, type: type, text: text, keepAlive: keepAlive)
            }
        }
    }

    private func answer(_ head: HTTPRequestHead, _ body: ByteBuffer?) -> (HTTPResponseStatus, String, String) {
        let path = head.uri.split(separator: "?", maxSplits: 1).first.map(String.init) ?? head.uri
        let parts = path.split(separator: "/", omittingEmptySubsequences: false)
        switch (head.method, path) {
        case (.GET, "/stats"):
            return (.ok, "application/json", counts.statsJSON())
        case (.GET, "/arrivals"):
            return (.ok, "text/plain", counts.arrivalsText())
        case (.POST, _) where parts.count == 4 && parts[0].isEmpty && !parts[1].isEmpty && !parts[2].isEmpty && parts[3] == "messages":
            let body = body ?? ByteBuffer()
            let isRead = body.contains(FakeGraphCounts.readMarker)
            let replyTo = isRead ? nil : body.string(after: FakeGraphCounts.contextMarker)
            let n = counts.count(isRead: isRead, replyTo: replyTo, at: FakeGraphCounts.nowNanoseconds())
            let json = isRead ? #"{"success":true}"# : #"{"messaging_product":"whatsapp","messages":[{"id":"wamid.FAKE\#(n)"}]}"#
            return (.ok, "application/json", json)
        default:
            return (.notFound, "text/plain", "not found\n")
        }
    }

    private func respond(context: ChannelHandlerContext, status: HTTPResponseStatus, type: String, text: String, keepAlive: Bool) {
        var buffer = context.channel.allocator.buffer(capacity: text.utf8.count)
        buffer.writeString(text)
        var headers = HTTPHeaders()
        headers.add(name: "Content-Type", value: type)
        headers.add(name: "Content-Length", value: String(buffer.readableBytes))
        if !keepAlive { headers.add(name: "Connection", value: "close") }
        context.write(wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))), promise: nil)
        context.write(wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        let done = context.writeAndFlush(wrapOutboundOut(.end(nil)))
        if !keepAlive { done.assumeIsolated().whenComplete { _ in context.close(promise: nil) } }
    }
}

/// What the fake Graph API received.
final class FakeGraphCounts: Sendable {
    static let readMarker = Array(#""status":"read""#.utf8)
    static let contextMarker = Array(#""context":{"message_id":""#.utf8)

    private struct State {
        var requests = 0
        var answers = 0
        var reads = 0
        var firstAnswerNs: Int64 = 0
        var lastAnswerNs: Int64 = 0
        var arrivals: [String: Int64] = [:]
    }

    private let state = NIOLockedValueBox(State())

    /// Counts one request; returns its sequence number.
    func count(isRead: Bool, replyTo: String?, at ns: Int64) -> Int {
        state.withLockedValue { s in
            s.requests += 1
            if isRead {
                s.reads += 1
            } else {
                s.answers += 1
                if s.firstAnswerNs == 0 { s.firstAnswerNs = ns }
                s.lastAnswerNs = ns
                if let replyTo, s.arrivals[replyTo] == nil { s.arrivals[replyTo] = ns }
            }
            return s.requests
        }
    }

    func statsJSON() -> String {
        state.withLockedValue { s in
            #"{"requests":\#(s.requests),"answers":\#(s.answers),"reads":\#(s.reads),"answered_inbound":\#(s.arrivals.count),"#
                + #""first_answer_ns":\#(s.firstAnswerNs),"last_answer_ns":\#(s.lastAnswerNs)}"#
        }
    }

    func arrivalsText() -> String {
        let arrivals = state.withLockedValue { $0.arrivals }
        var text = ""
        text.reserveCapacity(arrivals.count * 48)
        for (id, ns) in arrivals { text += "\(id)\t\(ns)\n" }
        return text
    }

    static func nowNanoseconds() -> Int64 {
        Int64((Date().timeIntervalSince1970 * 1_000_000_000).rounded())
    }
}

extension ByteBuffer {
    /// Whether the readable bytes contain `needle`.
    fileprivate func contains(_ needle: [UInt8]) -> Bool { firstIndex(of: needle) != nil }

    /// The bytes after `marker` up to the next `"`, as a string (a JSON string value without escapes).
    fileprivate func string(after marker: [UInt8]) -> String? {
        withUnsafeReadableBytes { bytes in
            guard let start = Self.search(bytes, marker) else { return nil }
            let from = start + marker.count
            guard let end = bytes[from...].firstIndex(of: UInt8(ascii: "\"")) else { return nil }
            return String(decoding: UnsafeRawBufferPointer(rebasing: bytes[from..<end]), as: UTF8.self)
        }
    }

    private func firstIndex(of needle: [UInt8]) -> Int? {
        withUnsafeReadableBytes { Self.search($0, needle) }
    }

    private static func search(_ bytes: UnsafeRawBufferPointer, _ needle: [UInt8]) -> Int? {
        needle.isEmpty ? nil : needle.withUnsafeBytes { ByteSearch.firstIndex(of: $0, in: bytes) }
    }
}
