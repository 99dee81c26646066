import ArgumentParser
import Foundation
import Hummingbird
import Logging
import NIOConcurrencyHelpers
import NIOCore

/// `liora fake-graph`: a fast stand-in for Meta's Graph API for benchmarks (hidden). Answers every
/// `POST /{version}/{phone_number_id}/messages` with 200 — `{"success":true}` for a read receipt,
/// a generated wamid for a message — without decoding the JSON, and counts what it got. For each
/// inbound message answered (the `context.message_id` of an answer) it keeps the wall-clock time
/// its first answer arrived, so a load generator can measure webhook-to-reply latency.
///
/// - `GET /stats`: `{"requests", "answers", "reads", "answered_inbound", "first_answer_ns", "last_answer_ns"}`
/// - `GET /arrivals`: one `<inbound wamid>\t<unix ns>` line per answered inbound message
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
        var logger = Logger(label: "liora-fake-graph")
        logger.logLevel = .error
        let counts = FakeGraphCounts()
        let delay: Duration? = latencyMs > 0 ? .milliseconds(latencyMs) : nil
        let router = Router()
        router.post("/{version}/{phone}/messages") { request, _ -> Response in
            let body = try await request.body.collect(upTo: 1 << 20)
            let isRead = body.contains(FakeGraphCounts.readMarker)
            let replyTo = isRead ? nil : body.string(after: FakeGraphCounts.contextMarker)
            let n = counts.count(isRead: isRead, replyTo: replyTo, at: FakeGraphCounts.nowNanoseconds())
            if let delay { try await Task.sleep(for: delay) }
            let json = isRead ? #"{"success":true}"# : #"{"messaging_product":"whatsapp","messages":[{"id":"wamid.FAKE\#(n)"}]}"#
            return Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        router.get("/stats") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: counts.statsJSON())))
        }
        router.get("/arrivals") { _, _ -> Response in
            Response(status: .ok, headers: [.contentType: "text/plain"], body: .init(byteBuffer: ByteBuffer(string: counts.arrivalsText())))
        }
        let app = Application(
            router: router, configuration: .init(address: .hostname(host, port: port), serverName: "liora-fake-graph"),
            onServerRunning: { channel in
                say("fake Graph API on http://\(host):\(channel.localAddress?.port ?? 0)")
            },
            logger: logger)
        try await app.runService()
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
        guard let first = needle.first, bytes.count >= needle.count else { return nil }
        var i = 0
        let last = bytes.count - needle.count
        while i <= last {
            if bytes[i] == first {
                var j = 1
                while j < needle.count && bytes[i + j] == needle[j] { j += 1 }
                if j == needle.count { return i }
            }
            i += 1
        }
        return nil
    }
}
