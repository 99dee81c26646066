public import Foundation

/// A tenant's short link (table `short_links`): one code per tenant and long URL.
public struct ShortLink: Sendable, Equatable {
    public var id: UUID
    public var tenantID: UUID
    public var code: String
    public var longURL: String
    public var intent: String?
    public var createdAt: Date

    public init(id: UUID, tenantID: UUID, code: String, longURL: String, intent: String?, createdAt: Date) {
        self.id = id; self.tenantID = tenantID; self.code = code; self.longURL = longURL; self.intent = intent
        self.createdAt = createdAt
    }
}

/// One click on a short link (table `link_clicks`).
public struct LinkClick: Sendable, Equatable {
    public var id: UUID
    public var tenantID: UUID
    public var shortLinkID: UUID
    public var userContextID: UUID?
    public var intent: String?
    public var isBot: Bool
    public var userAgent: String?
    public var clickedAt: Date

    public init(id: UUID = UUID(), tenantID: UUID, shortLinkID: UUID, userContextID: UUID?, intent: String?, isBot: Bool,
                userAgent: String?, clickedAt: Date) {
        self.id = id; self.tenantID = tenantID; self.shortLinkID = shortLinkID; self.userContextID = userContextID
        self.intent = intent; self.isBot = isBot; self.userAgent = userAgent; self.clickedAt = clickedAt
    }
}

/// Link previews and crawlers, told apart from people by their user agent.
public enum UserAgentClassifier {
    private static let markers = [
        "bot", "crawler", "spider", "slurp", "facebookexternalhit", "facebookcatalog", "whatsapp/", "twitterbot",
        "slackbot", "linkedinbot", "telegrambot", "discordbot", "embedly", "preview", "curl/", "wget/",
        "python-requests", "go-http-client", "headlesschrome", "lighthouse",
    ]

    /// True for crawlers, link-preview fetchers and scripts; true for a missing user agent too.
    public static func isBot(_ userAgent: String?) -> Bool {
        guard let ua = userAgent?.lowercased(), !ua.isEmpty else { return true }
        return markers.contains { ua.contains($0) }
    }
}
