package import Foundation
#if canImport(FoundationNetworking)
package import FoundationNetworking
#endif
package import LioraCore
import Crypto
import NIOConcurrencyHelpers

/// A link shortener run by someone else (Bitly), used with a tenant's own token.
package protocol ExternalLinkShortener: Sendable {
    /// The short link for `longURL`; `domain` and `groupGUID` as the tenant configured them (nil: the account's default).
    func shorten(longURL: String, token: Secret, domain: String?, groupGUID: String?) async throws -> URL
}

/// Bitly's API v4 over `URLSession` (libcurl on Linux): `POST {baseURL}/v4/shorten` with
/// `Authorization: Bearer <token>` and the `Shorten` body (`long_url`, optional `domain` and
/// `group_guid`); the answer's `link` (200 for a link that existed, 201 for a new one) is the result.
///
/// Every call is bounded by `timeout`, connection included, so a slow Bitly cannot hold a reply;
/// and while Bitly is down (`circuit`: several timeouts, transport errors or 5xx in a row) calls
/// fail at once with `.circuitOpen` instead of each waiting for the timeout. Errors are
/// `BitlyError`s and never carry the token.
/// [Bitly docs](https://dev.bitly.com/api-reference/#createBitlink)
package struct BitlyClient: ExternalLinkShortener {
    /// Bitly's API host (the spec's server is `https://api-ssl.bitly.com/v4`).
    package static let defaultBaseURL = URL(string: "https://api-ssl.bitly.com")!

    package let baseURL: URL
    /// The most one call may take before it throws `.timeout`.
    package let timeout: Duration
    /// Skips Bitly for a while after it failed several times in a row (nil: always call).
    package let circuit: BitlyCircuit?
    /// Skips one account's token for a while after Bitly refused it (nil: always call).
    package let refusals: BitlyTokenRefusals?
    private let session: URLSession

    /// `session` should not follow redirects (`makeSession()`): a redirect would carry the
    /// tenant's token to wherever Bitly's answer pointed, and that host's link to customers.
    package init(baseURL: URL = BitlyClient.defaultBaseURL, timeout: Duration = .seconds(2), circuit: BitlyCircuit? = BitlyCircuit(),
                 refusals: BitlyTokenRefusals? = BitlyTokenRefusals(), session: URLSession = BitlyClient.makeSession()) {
        self.baseURL = baseURL
        self.timeout = timeout
        self.circuit = circuit
        self.refusals = refusals
        self.session = session
    }

    /// A session for Bitly: no cookies or cache kept, and a redirect is never followed — its 3xx
    /// is the answer, a refusal like any other (the shortener then falls back to the built-in one).
    package static func makeSession() -> URLSession {
        URLSession(configuration: .ephemeral, delegate: NoRedirects(), delegateQueue: nil)
    }

    /// Where links are shortened: `{baseURL}/v4/shorten`.
    package var shortenURL: URL { baseURL.appendingPathComponent("v4").appendingPathComponent("shorten") }

    package func shorten(longURL: String, token: Secret, domain: String?, groupGUID: String?) async throws(BitlyError) -> URL {
        if longURL.allSatisfy(\.isWhitespace) { throw .invalidRequest("the long URL is empty") }
        if token.value.allSatisfy(\.isWhitespace) { throw .invalidRequest("the token is empty") }
        if let status = refusals?.refused(token) { throw .tokenRefused(status: status) }
        if let circuit, !circuit.allowsCall() { throw .circuitOpen }
        do throws(BitlyError) {
            let url = try await send(longURL: longURL, token: token, domain: domain, groupGUID: groupGUID)
            circuit?.record(success: true)
            return url
        } catch {
            // Only Bitly's own trouble counts; a tenant's bad token or URL says nothing about Bitly
            // either way (it must not reset a run of timeouts: one tenant's revoked token would
            // keep the circuit closed for everyone while Bitly is down).
            if error.isOutage { circuit?.record(success: false) } else { circuit?.recordRefusal() }
            if case .rejected(let status, _, _) = error, BitlyTokenRefusals.holds(status) { refusals?.remember(token, status: status) }
            throw error
        }
    }

    private func send(longURL: String, token: Secret, domain: String?, groupGUID: String?) async throws(BitlyError) -> URL {
        var request = URLRequest(url: shortenURL)
        request.httpMethod = "POST"
        request.timeoutInterval = timeout.asTimeInterval
        request.setValue("Bearer \(token.value)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            request.httpBody = try encoder.encode(ShortenBody(longURL: longURL, domain: domain, groupGUID: groupGUID))
        } catch {
            throw .invalidRequest("the long URL cannot be encoded")
        }
        let (data, response) = try await perform(request, token: token)
        guard let http = response as? HTTPURLResponse else { throw .malformedResponse }
        guard http.statusCode == 200 || http.statusCode == 201 else {
            let body = try? JSONDecoder().decode(ErrorBody.self, from: data)
            throw .rejected(status: http.statusCode, message: body?.message.map { Self.scrub($0, token) },
                            description: body?.description.map { Self.scrub($0, token) })
        }
        guard let link = (try? JSONDecoder().decode(ShortenAnswer.self, from: data))?.link,
              let url = URL(string: link), let scheme = url.scheme?.lowercased(), scheme == "https" || scheme == "http",
              url.host?.isEmpty == false else {
            throw .malformedResponse
        }
        return url
    }

    /// Runs `request`, racing it against `timeout` (libcurl's own timeout only bounds idle time).
    private func perform(_ request: URLRequest, token: Secret) async throws(BitlyError) -> (Data, URLResponse) {
        let session = session
        let timeout = timeout
        let outcome: Result<(Data, URLResponse), any Error>
        do {
            let answer = try await withThrowingTaskGroup(of: (Data, URLResponse)?.self) { group in
                group.addTask { try await session.data(for: request) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let answer else { throw BitlyError.timeout }
            outcome = .success(answer)
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let answer):
            return answer
        case .failure(let error as BitlyError):
            throw error
        case .failure(let error as URLError) where error.code == .timedOut:
            throw .timeout
        case .failure(let error as URLError):
            throw .transport(Self.scrub("URLError \(error.code.rawValue): \(error.localizedDescription)", token))
        case .failure(is CancellationError):
            throw .transport("cancelled")
        case .failure(let error):
            throw .transport(Self.scrub(String(describing: type(of: error)), token))
        }
    }

    /// `text` with every occurrence of the token replaced, so no error ever carries it.
    private static func scrub(_ text: String, _ token: Secret) -> String {
        token.value.isEmpty ? text : text.replacingOccurrences(of: token.value, with: "[redacted]")
    }

    /// The `Shorten` request body; absent optionals are left out (Bitly then uses the account's defaults).
    private struct ShortenBody: Encodable {
        var longURL: String
        var domain: String?
        var groupGUID: String?

        enum CodingKeys: String, CodingKey {
            case longURL = "long_url"
            case domain
            case groupGUID = "group_guid"
        }

        func encode(to encoder: any Encoder) throws {
            var container = encoder.container(keyedBy: CodingKeys.self)
            try container.encode(longURL, forKey: .longURL)
            try container.encodeIfPresent(domain, forKey: .domain)
            try container.encodeIfPresent(groupGUID, forKey: .groupGUID)
        }
    }

    /// The part of `ShortenBitlinkBody` Liora uses.
    private struct ShortenAnswer: Decodable {
        var link: String?

        enum CodingKeys: String, CodingKey {
            case link
        }
    }

    /// Bitly's `Error` body: `{"message", "description", "resource", "errors": [...]}`.
    private struct ErrorBody: Decodable {
        var message: String?
        var description: String?

        enum CodingKeys: String, CodingKey {
            case message
            case description
        }
    }
}

/// Why a Bitly call failed. `description` is safe to log (status and Bitly's error code, never the
/// token); `debugDescription` adds Bitly's free-text `description`, with the token scrubbed from it.
/// [Bitly docs](https://dev.bitly.com/api-reference/#createBitlink)
package enum BitlyError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Bitly answered with a status other than 200/201; `message` is Bitly's error code
    /// (`FORBIDDEN`, `INVALID_ARG_LONG_URL`, `RATE_LIMIT_EXCEEDED`, …), when the body said.
    case rejected(status: Int, message: String?, description: String?)
    /// The request did not complete (connection refused, reset, DNS…).
    case transport(String)
    /// No answer within the client's timeout.
    case timeout
    /// A 200/201 answer without a usable `link`.
    case malformedResponse
    /// Nothing was sent: the request itself is unusable (empty long URL or token).
    case invalidRequest(String)
    /// Nothing was sent: Bitly failed several times in a row and is skipped for a while.
    case circuitOpen
    /// Nothing was sent: Bitly refused this token (HTTP `status`: bad or revoked token, account
    /// over its limits) less than `BitlyTokenRefusals.hold` ago.
    case tokenRefused(status: Int)

    /// The HTTP status Bitly answered with, when it answered with an error.
    package var status: Int? {
        if case .rejected(let status, _, _) = self { return status }
        return nil
    }

    /// Whether the same call may succeed later: timeouts, transport errors, 5xx and Bitly's
    /// hourly/minute rate limit (403 `RATE_LIMIT_EXCEEDED`). Other rejections (403 `FORBIDDEN`,
    /// 400 `INVALID_ARG_*`, 429 monthly limit, …) will fail the same way again.
    package var isRetryable: Bool {
        switch self {
        case .timeout, .transport, .circuitOpen, .tokenRefused:
            return true
        case .rejected(let status, let message, _):
            return status >= 500 || (status == 403 && message == "RATE_LIMIT_EXCEEDED")
        case .malformedResponse, .invalidRequest:
            return false
        }
    }

    /// Whether the failure is Bitly's (down, slow, unreachable), not the request's.
    var isOutage: Bool {
        switch self {
        case .timeout, .transport: return true
        case .rejected(let status, _, _): return status >= 500
        case .malformedResponse, .invalidRequest, .circuitOpen, .tokenRefused: return false
        }
    }

    package var description: String {
        switch self {
        case .rejected(let status, let message, _):
            return "Bitly rejected the request: HTTP \(status)" + (message.map { " \($0)" } ?? "")
        case .transport(let detail):
            return "Bitly request failed: \(detail)"
        case .timeout:
            return "Bitly request timed out"
        case .malformedResponse:
            return "Bitly answered without a usable link"
        case .invalidRequest(let why):
            return "not sent to Bitly: \(why)"
        case .circuitOpen:
            return "not sent to Bitly: it failed several times in a row, skipped for a while"
        case .tokenRefused(let status):
            return "not sent to Bitly: it refused this account's token (HTTP \(status)) within the last minute"
        }
    }

    package var debugDescription: String {
        if case .rejected(_, _, let detail?) = self { return "\(description): \(detail)" }
        return description
    }
}

/// The tokens Bitly refused lately (401, 402, 403, 429: a revoked token, an account over its
/// monthly or hourly limit), by the token's SHA-256: for `hold` after a refusal every
/// link of that account goes to the built-in shortener at once, instead of each asking Bitly
/// again (and, on PostgreSQL, each batch with such links being run twice). At most `capacity`
/// tokens are remembered.
package final class BitlyTokenRefusals: Sendable {
    package let hold: Duration
    package let capacity: Int
    private let now: @Sendable () -> ContinuousClock.Instant
    private let refused = NIOLockedValueBox<[SHA256Digest: (status: Int, until: ContinuousClock.Instant)]>([:])

    package init(hold: Duration = .seconds(60), capacity: Int = 10_000,
                 now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.hold = hold
        self.capacity = max(1, capacity)
        self.now = now
    }

    /// Whether a rejection with `status` is about the account rather than the request.
    static func holds(_ status: Int) -> Bool { [401, 402, 403, 429].contains(status) }

    /// The status Bitly refused `token` with, while that is held.
    package func refused(_ token: Secret) -> Int? {
        let key = SHA256.hash(data: Data(token.value.utf8)), now = now()
        return refused.withLockedValue { map in
            guard let entry = map[key] else { return nil }
            if now >= entry.until { map[key] = nil; return nil }
            return entry.status
        }
    }

    package func remember(_ token: Secret, status: Int) {
        let key = SHA256.hash(data: Data(token.value.utf8)), now = now()
        refused.withLockedValue { map in
            if map.count >= capacity { map = map.filter { $0.value.until > now } }
            guard map.count < capacity else { return }
            map[key] = (status, now.advanced(by: hold))
        }
    }
}

/// A circuit breaker for Bitly: after `threshold` failed calls in a row it opens for `coolDown`
/// (calls are refused at once), then lets one call through; a success closes it again.
package final class BitlyCircuit: Sendable {
    package let threshold: Int
    package let coolDown: Duration
    private let now: @Sendable () -> ContinuousClock.Instant
    private let state = NIOLockedValueBox<(failures: Int, openUntil: ContinuousClock.Instant?)>((0, nil))

    /// - Parameter now: the clock (tests move it by hand).
    package init(threshold: Int = 5, coolDown: Duration = .seconds(30),
                 now: @escaping @Sendable () -> ContinuousClock.Instant = { ContinuousClock.now }) {
        self.threshold = max(1, threshold)
        self.coolDown = coolDown
        self.now = now
    }

    /// Whether a call may go to Bitly now. When the cool-down is over, one call goes through
    /// (and the next ones wait for its outcome, at most another cool-down).
    package func allowsCall() -> Bool {
        let now = now()
        return state.withLockedValue { s in
            guard let openUntil = s.openUntil else { return true }
            guard now >= openUntil else { return false }
            s.openUntil = now.advanced(by: coolDown)  // half-open: this call probes
            return true
        }
    }

    /// Records a call Bitly answered with a refusal of the request (a tenant's bad token or URL):
    /// as a probe after a cool-down it shows Bitly is back; otherwise it changes nothing.
    package func recordRefusal() {
        state.withLockedValue { s in
            if s.openUntil != nil { s = (0, nil) }
        }
    }

    /// Records how a call ended.
    package func record(success: Bool) {
        let now = now()
        state.withLockedValue { s in
            if success {
                s = (0, nil)
            } else {
                s.failures += 1
                if s.failures >= threshold { s.openUntil = now.advanced(by: coolDown) }
            }
        }
    }
}

extension Duration {
    /// This duration in seconds, as Foundation wants it.
    fileprivate var asTimeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}

/// Refuses every redirect, so the 3xx itself is what the caller gets.
private final class NoRedirects: NSObject, URLSessionTaskDelegate, Sendable {
    func urlSession(_ session: URLSession, task: URLSessionTask, willPerformHTTPRedirection response: HTTPURLResponse,
                    newRequest request: URLRequest, completionHandler: @escaping @Sendable (URLRequest?) -> Void) {
        completionHandler(nil)
    }
}
