package import Foundation
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
        // Link checkers and mail scanners probe with HEAD: the same answer, and no click.
        router.head("/s/{code}") { _, context in
            let code = context.parameters.get("code") ?? ""
            guard LinkShortener.isWellFormed(code), let (linkID, tenantID) = try await store.resolveShortLink(code: code),
                  let target = try await store.withTenant(tenantID, { try await $0.shortLink(id: linkID)?.longURL }) else {
                throw APIError(.notFound, "link_not_found", "no such link")
            }
            return Response(status: .found, headers: [.location: target, .cacheControl: "no-store"])
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
        var stored = true
        let target: String?
        let verdict: ClickThrottle.Verdict
        do {
            (target, verdict) = try await store.withTenant(tenantID) { session -> (String?, ClickThrottle.Verdict) in
                guard let link = try await session.shortLink(id: linkID) else { return (nil, .record) }
                // Only a conversation of this tenant tells one person from another: a made-up
                // `?u=` is nobody's, so fresh random ones cannot pass repeats off as new people.
                var contextID: UUID?
                if let claimedContext, try await session.userContext(id: claimedContext) != nil { contextID = claimedContext }
                let verdict = throttle.admit(link: linkID, client: client ?? "",
                                             user: (contextID?.uuidString ?? "") + (isBot ? "|bot" : ""), now: now)
                guard verdict == .record else { return (link.longURL, verdict) }
                try await session.recordClick(LinkClick(
                    tenantID: tenantID, shortLinkID: linkID, userContextID: contextID, intent: link.intent,
                    isBot: isBot, userAgent: userAgent, clickedAt: now))
                return (link.longURL, .record)
            }
        } catch {
            // The person still gets where the link goes; only the count misses this click
            // (`liora_link_clicks_total{result="not_stored"}`). A database that cannot even be
            // read answers 503 from here.
            stored = false
            verdict = .record
            target = try await store.withTenant(tenantID) { try await $0.shortLink(id: linkID)?.longURL }
        }
        guard let target else { throw APIError(.notFound, "link_not_found", "no such link") }
        switch verdict {
        case .record: (stored ? metrics.clicksRecorded : metrics.clicksNotStored).increment()
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
/// Constant work per request: keys live in two generations of `repeatWindow` each, budgets in the
/// current minute's map, each replaced whole when its time is over. IPv6 clients are counted per
/// /64 (one subscriber's block). When a map is full (a flood from many addresses), clicks are
/// not recorded until it turns over: the redirect still answers.
package final class ClickThrottle: Sendable {
    package enum Verdict: Equatable, Sendable { case record, repeated, overLimit }

    /// A repeat of a link by the same client within this time is the same click.
    let repeatWindow: TimeInterval
    /// The most clicks one client address (IPv6: /64) records per minute.
    let perAddressLimit: Int
    /// The most keys each map holds.
    private let capacity: Int

    private struct State {
        var window = Int64.min
        var current: [String: Date] = [:]
        var previous: [String: Date] = [:]
        var minute = Int64.min
        var perAddress: [String: Int] = [:]
    }
    private let state = NIOLockedValueBox(State())

    package init(repeatWindow: TimeInterval = 30, perAddressLimit: Int = 60, capacity: Int = 100_000) {
        precondition(repeatWindow >= 1 && perAddressLimit > 0 && capacity > 0, "the click throttle needs positive bounds")
        self.repeatWindow = repeatWindow
        self.perAddressLimit = perAddressLimit
        self.capacity = capacity
    }

    package func admit(link: UUID, client: String, user: String, now: Date) -> Verdict {
        let key = "\(link.uuidString)|\(client)|\(user)"
        let block = TrustedProxies.limitKey(client)
        let seconds = now.timeIntervalSince1970
        let window = Int64((seconds / repeatWindow).rounded(.down))
        let minute = Int64((seconds / 60).rounded(.down))
        return state.withLockedValue { s in
            // Turned over when the window changes either way (a clock stepped back must not freeze the maps).
            if window != s.window {
                s.previous = window == s.window &+ 1 ? s.current : [:]
                s.current = [:]
                s.window = window
            }
            if minute != s.minute {
                s.perAddress = [:]
                s.minute = minute
            }
            if let last = s.current[key] ?? s.previous[key], now >= last, now.timeIntervalSince(last) < repeatWindow { return .repeated }
            let count = s.perAddress[block] ?? 0
            guard count < perAddressLimit, s.current.count < capacity, s.perAddress.count < capacity else { return .overLimit }
            s.perAddress[block] = count + 1
            s.current[key] = now
            return .record
        }
    }
}
