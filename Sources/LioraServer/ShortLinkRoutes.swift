import Foundation
import HTTPTypes
import Hummingbird
import LioraCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Prometheus

/// `GET /s/{code}`: the built-in shortener's redirect. Answers 302 to the long URL and records
/// the click (time, tenant, user context from `?u=` when it belongs to the tenant, the link's
/// intent, and whether the user agent is a bot or link preview).
///
/// Every request is redirected, but not every one is written: a repeat of the same link by the
/// same client (address, `?u=`, and bot or not) within `ClickThrottle.repeatWindow` is one click
/// (a double tap, a reload), and a client address records at most
/// `ClickThrottle.perAddressLimit` clicks a minute, so a script hammering links can neither
/// inflate the figures nor fill `link_clicks`.
struct ShortLinkRoutes: Sendable {
    let store: any LioraStore
    let clock: any LioraClock
    let proxies: TrustedProxies
    let throttle: ClickThrottle
    let metrics: LioraMetrics

    init(store: any LioraStore, clock: any LioraClock, proxies: TrustedProxies, metrics: LioraMetrics,
         throttle: ClickThrottle = ClickThrottle()) {
        self.store = store
        self.clock = clock
        self.proxies = proxies
        self.metrics = metrics
        self.throttle = throttle
    }

    func register(on router: Router<LioraRequestContext>) {
        router.get("/s/{code}") { request, context in
            try await redirect(code: context.parameters.get("code") ?? "", request: request,
                               client: proxies.clientAddress(peer: context.remoteAddress,
                                                             forwardedFor: request.headers[values: .xForwardedFor]))
        }
    }

    func redirect(code: String, request: Request, client: String?) async throws -> Response {
        guard LinkShortener.isWellFormed(code), let (linkID, tenantID) = try await store.resolveShortLink(code: code) else {
            throw APIError(.notFound, "link_not_found", "no such link")
        }
        let userAgent = request.headers[.userAgent]
        let claimedRaw = request.uri.queryParameters["u"].map(String.init)
        let claimedContext = claimedRaw.flatMap { UUID(uuidString: $0) }
        let now = clock.now
        let isBot = UserAgentClassifier.isBot(userAgent)
        let verdict = throttle.admit(link: linkID, client: client ?? "", user: (claimedContext?.uuidString ?? "") + (isBot ? "|bot" : ""),
                                     now: now)
        let target = try await store.withTenant(tenantID) { session -> String? in
            guard let link = try await session.shortLink(id: linkID) else { return nil }
            guard verdict == .record else { return link.longURL }
            var contextID: UUID?
            if let claimedContext, try await session.userContext(id: claimedContext) != nil { contextID = claimedContext }
            try await session.recordClick(LinkClick(
                tenantID: tenantID, shortLinkID: linkID, userContextID: contextID, intent: link.intent,
                isBot: isBot, userAgent: userAgent, clickedAt: now))
            return link.longURL
        }
        guard let target else { throw APIError(.notFound, "link_not_found", "no such link") }
        switch verdict {
        case .record: metrics.clicksRecorded.increment()
        case .repeated: metrics.clicksRepeated.increment()
        case .overLimit: metrics.clicksOverLimit.increment()
        }
        return Response(status: .found, headers: [.location: target, .cacheControl: "no-store"])
    }
}

extension HTTPField.Name {
    static let xForwardedFor = HTTPField.Name("X-Forwarded-For")!
}

/// Which short-link requests are written as clicks (in memory, per instance; see `ShortLinkRoutes`).
final class ClickThrottle: Sendable {
    enum Verdict: Equatable { case record, repeated, overLimit }

    /// A repeat of a link by the same client within this time is the same click.
    let repeatWindow: TimeInterval
    /// The most clicks one client address records per minute.
    let perAddressLimit: Int
    /// The most entries kept (memory bound); beyond it, the oldest are dropped.
    private let capacity: Int

    private struct State {
        var lastRecorded: [String: Date] = [:]
        var perAddress: [String: (minute: Int64, count: Int)] = [:]
    }
    private let state = NIOLockedValueBox(State())

    init(repeatWindow: TimeInterval = 30, perAddressLimit: Int = 60, capacity: Int = 100_000) {
        self.repeatWindow = repeatWindow
        self.perAddressLimit = perAddressLimit
        self.capacity = capacity
    }

    func admit(link: UUID, client: String, user: String, now: Date) -> Verdict {
        let key = "\(link.uuidString)|\(client)|\(user)"
        let minute = Int64((now.timeIntervalSince1970 / 60).rounded(.down))
        return state.withLockedValue { s in
            if let last = s.lastRecorded[key], now.timeIntervalSince(last) < repeatWindow, now >= last { return .repeated }
            var budget = s.perAddress[client] ?? (minute, 0)
            if budget.minute != minute { budget = (minute, 0) }
            guard budget.count < perAddressLimit else { return .overLimit }
            budget.count += 1
            s.perAddress[client] = budget
            s.lastRecorded[key] = now
            if s.lastRecorded.count > capacity {
                let since = now.addingTimeInterval(-repeatWindow)
                s.lastRecorded = s.lastRecorded.filter { $0.value > since }
                if s.lastRecorded.count > capacity { s.lastRecorded.removeAll() }
            }
            if s.perAddress.count > capacity {
                s.perAddress = s.perAddress.filter { $0.value.minute == minute }
                if s.perAddress.count > capacity { s.perAddress.removeAll() }
            }
            return .record
        }
    }
}
