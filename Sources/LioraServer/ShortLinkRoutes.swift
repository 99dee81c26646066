import Foundation
import HTTPTypes
import Hummingbird
import LioraCore
import Logging
import NIOCore

/// `GET /s/{code}`: the built-in shortener's redirect. Answers 302 to the long URL and records
/// the click (time, tenant, user context from `?u=` when it belongs to the tenant, the link's
/// intent, and whether the user agent is a bot or link preview).
struct ShortLinkRoutes: Sendable {
    let store: any LioraStore
    let clock: any LioraClock

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/s/{code}") { request, context in
            try await redirect(code: context.parameters.get("code") ?? "", request: request)
        }
    }

    func redirect(code: String, request: Request) async throws -> Response {
        guard LinkShortener.isWellFormed(code), let (linkID, tenantID) = try await store.resolveShortLink(code: code) else {
            throw APIError(.notFound, "link_not_found", "no such link")
        }
        let userAgent = request.headers[.userAgent]
        let claimedContext = request.uri.queryParameters["u"].flatMap { UUID(uuidString: String($0)) }
        let now = clock.now
        let target = try await store.withTenant(tenantID) { session -> String? in
            guard let link = try await session.shortLink(id: linkID) else { return nil }
            var contextID: UUID?
            if let claimedContext, try await session.userContext(id: claimedContext) != nil { contextID = claimedContext }
            try await session.recordClick(LinkClick(
                tenantID: tenantID, shortLinkID: linkID, userContextID: contextID, intent: link.intent,
                isBot: UserAgentClassifier.isBot(userAgent), userAgent: userAgent, clickedAt: now))
            return link.longURL
        }
        guard let target else { throw APIError(.notFound, "link_not_found", "no such link") }
        return Response(status: .found, headers: [.location: target, .cacheControl: "no-store"])
    }
}
