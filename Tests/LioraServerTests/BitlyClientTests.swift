import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LioraCore
import LioraServer
import NIOConcurrencyHelpers
import NIOCore
import Testing
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

private let token = "bitly-token-canary-5150"

/// What the local Bitly saw of one request.
private struct BitlyRequest: Sendable {
    var method: String
    var path: String
    var authorization: String?
    var contentType: String?
    var accept: String?
    var body: Data
}

private actor BitlyRequestLog {
    private(set) var requests: [BitlyRequest] = []
    func append(_ r: BitlyRequest) { requests.append(r) }
}

/// A stand-in for api-ssl.bitly.com on 127.0.0.1 (random port): every request is recorded and
/// answered by `answer` (status, body, and how long to wait first).
private func withBitly(
    _ answer: @Sendable @escaping (BitlyRequest) -> (status: Int, body: String, delay: Duration?),
    _ body: @Sendable @escaping (URL, BitlyRequestLog) async throws -> Void
) async throws {
    let log = BitlyRequestLog()
    let router = Router()
    router.on("/**", method: .post) { request, _ -> Response in
        let buffer = try await request.body.collect(upTo: 1 << 20)
        let recorded = BitlyRequest(method: request.method.rawValue, path: request.uri.path,
                                    authorization: request.headers[.authorization], contentType: request.headers[.contentType],
                                    accept: request.headers[.accept], body: Data(buffer.readableBytesView))
        await log.append(recorded)
        let (status, json, delay) = answer(recorded)
        if let delay { try await Task.sleep(for: delay) }
        var headers: HTTPFields = [.contentType: "application/json"]
        if (300..<400).contains(status) { headers[.location] = "/elsewhere" }  // a redirect points at another path here
        return Response(status: .init(code: status), headers: headers, body: .init(byteBuffer: ByteBuffer(string: json)))
    }
    let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
    try await app.test(.live) { client in
        let port = try #require(client.port)
        try await body(try #require(URL(string: "http://127.0.0.1:\(port)")), log)
    }
}

private func client(_ baseURL: URL, timeout: Duration = .seconds(2), circuit: BitlyCircuit? = nil) -> BitlyClient {
    BitlyClient(baseURL: baseURL, timeout: timeout, circuit: circuit, session: BitlyClient.makeSession())
}

/// A circuit breaker on a clock the test moves by hand.
private final class ManualCircuit: Sendable {
    private let offset = NIOLockedValueBox<Duration>(.zero)
    let circuit: BitlyCircuit

    init(threshold: Int, coolDown: Duration) {
        let base = ContinuousClock.now
        let offset = offset
        circuit = BitlyCircuit(threshold: threshold, coolDown: coolDown, now: { base.advanced(by: offset.withLockedValue { $0 }) })
    }

    func advance(by d: Duration) { offset.withLockedValue { $0 += d } }
}

/// Bitly's `ShortenBitlinkBody`, as a 200 (existing link) or 201 (new link) carries it.
private func bitlink(_ link: String = "https://bit.ly/3hFqP2x") -> String {
    #"{"created_at":"2026-07-19T10:00:00+0000","id":"bit.ly/3hFqP2x","link":"\#(link)","custom_bitlinks":[],"long_url":"https://dev.bitly.com/","archived":false,"tags":[],"deeplinks":[],"references":{"group":"https://api-ssl.bitly.com/v4/groups/Ba1bc23dE4F"}}"#
}

/// Bitly's `Error` body.
private func bitlyError(_ message: String, _ description: String) -> String {
    #"{"message":"\#(message)","description":"\#(description)","resource":"bitlinks","errors":[]}"#
}

/// The JSON value of `data`, for comparing bodies whatever their key order or spacing.
private func json(_ data: Data) throws -> NSObject {
    try #require(try JSONSerialization.jsonObject(with: data) as? NSObject)
}

/// Runs `body` expecting a `BitlyError`, and returns it.
private func bitlyError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> BitlyError? {
    do {
        try await body()
        Issue.record("expected a BitlyError", sourceLocation: sourceLocation)
    } catch let error as BitlyError {
        return error
    } catch {
        Issue.record("expected a BitlyError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// A scripted rejection and how the client must report it.
struct BitlyRejection: Sendable, CustomTestStringConvertible {
    var status: Int
    var body: String
    var message: String?
    var retryable: Bool
    var testDescription: String { "HTTP \(status) \(message ?? "(no JSON)")" }
}

@Suite("BitlyClient against a local Bitly")
struct BitlyClientTests {
    @Test("POST /v4/shorten with the bearer token and the spec's Shorten example body; a 201 gives the link")
    func requestMatchesTheSpec() async throws {
        try await withBitly({ _ in (201, bitlink(), nil) }) { baseURL, log in
            let url = try await client(baseURL).shorten(longURL: "https://dev.bitly.com", token: Secret(token),
                                                        domain: "bit.ly", groupGUID: "Ba1bc23dE4F")
            #expect(url == URL(string: "https://bit.ly/3hFqP2x"))
            let requests = await log.requests
            try #require(requests.count == 1)
            #expect(requests[0].method == "POST")
            #expect(requests[0].path == "/v4/shorten")
            #expect(requests[0].authorization == "Bearer \(token)")
            #expect(requests[0].contentType == "application/json")
            #expect(requests[0].accept == "application/json")
            // components.schemas.Shorten.example in the Bitly v4 OpenAPI spec.
            let example = #"{"long_url": "https://dev.bitly.com", "domain": "bit.ly", "group_guid": "Ba1bc23dE4F"}"#
            #expect(try json(requests[0].body) == json(Data(example.utf8)))
        }
    }

    @Test("a redirect is a refusal: the token never goes where Bitly's answer points, and that host's link is never used")
    func redirectsAreRefused() async throws {
        for status in [301, 302, 307, 308] {
            try await withBitly({ r in r.path == "/elsewhere" ? (201, bitlink("https://evil.example/x"), nil) : (status, "", nil) }) { baseURL, log in
                let error = await bitlyError {
                    _ = try await client(baseURL).shorten(longURL: "https://dev.bitly.com", token: Secret(token), domain: nil, groupGUID: nil)
                }
                guard case .rejected(let got, _, _)? = error else { Issue.record("\(status): \(String(describing: error))"); return }
                #expect(got == status)
                #expect(await log.requests.map(\.path) == ["/v4/shorten"], "\(status)")
            }
        }
    }

    @Test("without domain and group only long_url is sent (Bitly's defaults apply); a 200 (existing link) gives the link too")
    func optionalFieldsLeftOut() async throws {
        try await withBitly({ _ in (200, bitlink("https://bit.ly/exist1"), nil) }) { baseURL, log in
            let long = "https://shop.example/p/42?utm_source=whatsapp&utm_medium=chatbot"
            let url = try await client(baseURL).shorten(longURL: long, token: Secret(token), domain: nil, groupGUID: nil)
            #expect(url == URL(string: "https://bit.ly/exist1"))
            let body = try #require(await log.requests.first?.body)
            #expect(try json(body) == json(try JSONSerialization.data(withJSONObject: ["long_url": long])))
        }
    }

    static let rejections: [BitlyRejection] = [
        BitlyRejection(status: 403, body: bitlyError("FORBIDDEN", "You are currently forbidden to access this resource."),
                       message: "FORBIDDEN", retryable: false),
        BitlyRejection(status: 400, body: bitlyError("INVALID_ARG_LONG_URL", "The value provided is invalid."),
                       message: "INVALID_ARG_LONG_URL", retryable: false),
        BitlyRejection(status: 403, body: bitlyError("RATE_LIMIT_EXCEEDED", "Rate limit exceeded."),
                       message: "RATE_LIMIT_EXCEEDED", retryable: true),
        BitlyRejection(status: 429, body: #"{"message":"MONTHLY_LIMIT_EXCEEDED"}"#, message: "MONTHLY_LIMIT_EXCEEDED", retryable: false),
        BitlyRejection(status: 500, body: bitlyError("INTERNAL_ERROR", "An internal error occurred."),
                       message: "INTERNAL_ERROR", retryable: true),
        BitlyRejection(status: 503, body: bitlyError("TEMPORARILY_UNAVAILABLE", "Try again later."),
                       message: "TEMPORARILY_UNAVAILABLE", retryable: true),
        BitlyRejection(status: 502, body: "<html>Bad Gateway</html>", message: nil, retryable: true),
    ]

    @Test("an error answer becomes a BitlyError with the status, Bitly's message and whether to retry", arguments: rejections)
    func rejected(_ r: BitlyRejection) async throws {
        try await withBitly({ _ in (r.status, r.body, nil) }) { baseURL, _ in
            let error = try #require(await bitlyError {
                _ = try await client(baseURL).shorten(longURL: "https://dev.bitly.com", token: Secret(token), domain: nil, groupGUID: nil)
            })
            #expect(error.status == r.status)
            guard case .rejected(_, let message, _) = error else {
                Issue.record("expected .rejected, got \(error)")
                return
            }
            #expect(message == r.message)
            #expect(error.isRetryable == r.retryable)
            #expect(error.description.contains("\(r.status)"))
        }
    }

    @Test("a 200 or 201 without a usable link is a malformed response",
          arguments: ["<html>not json</html>", #"{"id":"bit.ly/x"}"#, #"{"link":"not a link"}"#, #"{"link":42}"#])
    func malformed(body: String) async throws {
        try await withBitly({ _ in (201, body, nil) }) { baseURL, _ in
            let error = await bitlyError {
                _ = try await client(baseURL).shorten(longURL: "https://dev.bitly.com", token: Secret(token), domain: nil, groupGUID: nil)
            }
            #expect(error == .malformedResponse)
            #expect(error?.isRetryable == false)
        }
    }

    @Test("a Bitly slower than the timeout gives .timeout (retryable)")
    func timeout() async throws {
        try await withBitly({ _ in (201, bitlink(), .milliseconds(1500)) }) { baseURL, _ in
            let error = await bitlyError {
                _ = try await client(baseURL, timeout: .milliseconds(200))
                    .shorten(longURL: "https://dev.bitly.com", token: Secret(token), domain: nil, groupGUID: nil)
            }
            #expect(error == .timeout)
            #expect(error?.isRetryable == true)
        }
    }

    @Test("an unreachable Bitly is a retryable transport error")
    func unreachable() async throws {
        let error = await bitlyError {
            _ = try await client(URL(string: "http://127.0.0.1:9")!)
                .shorten(longURL: "https://dev.bitly.com", token: Secret(token), domain: nil, groupGUID: nil)
        }
        guard case .transport = error else {
            Issue.record("expected .transport, got \(String(describing: error))")
            return
        }
        #expect(error?.isRetryable == true)
        #expect(error.map { "\($0)".contains(token) } == false)
    }

    @Test("the token never appears in an error, even when Bitly echoes it back")
    func tokenNeverInErrors() async throws {
        try await withBitly({ r in (403, bitlyError("FORBIDDEN \(r.authorization ?? "")", "bad token \(r.authorization ?? "")"), nil) }) { baseURL, log in
            let error = try #require(await bitlyError {
                _ = try await client(baseURL).shorten(longURL: "https://dev.bitly.com", token: Secret(token), domain: nil, groupGUID: nil)
            })
            #expect(await log.requests.first?.authorization == "Bearer \(token)")  // it was sent, and echoed
            for text in [error.description, error.debugDescription, "\(error)", String(reflecting: error), error.localizedDescription] {
                #expect(!text.contains(token), "\(text)")
            }
            #expect(error.debugDescription.contains("bad token"))
        }
    }

    @Test("nothing is sent without a long URL or a token")
    func invalidRequest() async throws {
        try await withBitly({ _ in (201, bitlink(), nil) }) { baseURL, log in
            let c = client(baseURL)
            guard case .invalidRequest = await bitlyError({ _ = try await c.shorten(longURL: " ", token: Secret(token), domain: nil, groupGUID: nil) }) else {
                Issue.record("expected .invalidRequest for an empty long URL")
                return
            }
            guard case .invalidRequest = await bitlyError({ _ = try await c.shorten(longURL: "https://a.example", token: Secret(""), domain: nil, groupGUID: nil) }) else {
                Issue.record("expected .invalidRequest for an empty token")
                return
            }
            #expect(await log.requests.isEmpty)
        }
    }

    @Test("after several outages in a row Bitly is skipped for a while (no request, no wait), then tried again")
    func circuitBreaker() async throws {
        let healthy = NIOLockedValueBox(false)
        try await withBitly({ _ in healthy.withLockedValue { $0 } ? (201, bitlink(), nil) : (503, bitlyError("TEMPORARILY_UNAVAILABLE", "down"), nil) }) { baseURL, log in
            let clock = ManualCircuit(threshold: 3, coolDown: .seconds(30))
            let c = client(baseURL, circuit: clock.circuit)
            let shorten = { () async throws -> URL in
                try await c.shorten(longURL: "https://dev.bitly.com", token: Secret(token), domain: nil, groupGUID: nil)
            }
            for _ in 1...3 { #expect(await bitlyError { _ = try await shorten() }?.status == 503) }
            #expect(await bitlyError { _ = try await shorten() } == .circuitOpen)
            #expect(await log.requests.count == 3)

            clock.advance(by: .seconds(31))  // one probe goes through, fails: open again
            #expect(await bitlyError { _ = try await shorten() }?.status == 503)
            #expect(await bitlyError { _ = try await shorten() } == .circuitOpen)
            #expect(await log.requests.count == 4)

            healthy.withLockedValue { $0 = true }
            clock.advance(by: .seconds(31))  // the probe succeeds: closed
            let probe = try await shorten()
            let next = try await shorten()
            #expect(probe == URL(string: "https://bit.ly/3hFqP2x"))
            #expect(next == URL(string: "https://bit.ly/3hFqP2x"))
            #expect(await log.requests.count == 6)
        }
    }

    @Test("a tenant's refused request neither resets a run of outages nor keeps an open circuit open after a probe")
    func refusalsDoNotResetOutages() {
        let clock = ManualCircuit(threshold: 5, coolDown: .seconds(30))
        let circuit = clock.circuit
        // Bitly times out for everyone; one tenant's revoked token gets a fast 403 in between.
        for _ in 1...4 { circuit.record(success: false) }
        circuit.recordRefusal()
        circuit.record(success: false)
        #expect(!circuit.allowsCall())  // the fifth outage opens it, the 403 notwithstanding
        clock.advance(by: .seconds(31))
        #expect(circuit.allowsCall())   // the probe…
        circuit.recordRefusal()         // …is answered (a 4xx): Bitly is back
        #expect(circuit.allowsCall() && circuit.allowsCall())
    }

    @Test("a refused token is not sent again for a minute: its links go to the built-in shortener at once; other tokens still go")
    func refusedTokenIsHeld() async throws {
        try await withBitly({ request in
            request.authorization?.contains("revoked") == true ? (403, bitlyError("FORBIDDEN", "bad token"), nil) : (201, bitlink(), nil)
        }) { baseURL, log in
            let clock = NIOLockedValueBox(ContinuousClock.now)
            let refusals = BitlyTokenRefusals(hold: .seconds(60), now: { clock.withLockedValue { $0 } })
            let c = BitlyClient(baseURL: baseURL, circuit: nil, refusals: refusals, session: URLSession(configuration: .ephemeral))
            func shorten(_ token: String) async -> BitlyError? {
                await bitlyError { _ = try await c.shorten(longURL: "https://dev.bitly.com", token: Secret(token), domain: nil, groupGUID: nil) }
            }
            #expect(await shorten("revoked-token")?.status == 403)
            for _ in 0..<5 { #expect(await shorten("revoked-token") == .tokenRefused(status: 403)) }
            #expect(await log.requests.count == 1)
            // Another account is asked as usual.
            let good = try await c.shorten(longURL: "https://dev.bitly.com", token: Secret("good-token"), domain: nil, groupGUID: nil)
            #expect(good == URL(string: "https://bit.ly/3hFqP2x"))
            clock.withLockedValue { $0 = $0.advanced(by: .seconds(61)) }
            #expect(await shorten("revoked-token")?.status == 403)  // asked again after the hold
            #expect(await log.requests.count == 3)
        }
    }

    @Test("a tenant's rejected token never opens the circuit for everyone")
    func rejectionsDoNotOpenTheCircuit() async throws {
        try await withBitly({ _ in (403, bitlyError("FORBIDDEN", "bad token"), nil) }) { baseURL, log in
            let c = BitlyClient(baseURL: baseURL, circuit: BitlyCircuit(threshold: 2, coolDown: .seconds(30)), refusals: nil,
                                session: URLSession(configuration: .ephemeral))
            for _ in 1...5 {
                #expect(await bitlyError {
                    _ = try await c.shorten(longURL: "https://dev.bitly.com", token: Secret(token), domain: nil, groupGUID: nil)
                }?.status == 403)
            }
            #expect(await log.requests.count == 5)
        }
    }
}
