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
        "crawler", "spider", "slurp", "facebookexternalhit", "facebookcatalog", "whatsapp/", "twitterbot", "slackbot",
        "linkedinbot", "telegrambot", "discordbot", "embedly", "preview", "curl/", "wget/", "python-requests",
        "go-http-client", "headlesschrome", "lighthouse",
    ]

    /// True for crawlers, link-preview fetchers and scripts; true for a missing user agent too.
    /// Beyond the known names, "bot" counts where crawlers write it: as a product token with a
    /// version (`Googlebot/2.1`), or ending a name inside a `compatible;` comment (`bingbot/2.0;`,
    /// `AhrefsBot)`), or ending a user agent that is not a browser's (`ExampleBot`). Phones
    /// whose model contains it are people: `Android 10; CUBOT X30`, `CUBOT_X30`, `CUBOT-NOTE`.
    public static func isBot(_ userAgent: String?) -> Bool {
        guard let ua = userAgent?.lowercased(), !ua.isEmpty else { return true }
        return markers.contains { ua.contains($0) } || hasBotToken(ua)
    }

    private static func hasBotToken(_ ua: String) -> Bool {
        let bytes = Array(ua.utf8)
        let crawlerComment = ua.contains("compatible;")
        let browser = ua.hasPrefix("mozilla/")
        var i = 0
        while i + 3 <= bytes.count {
            if bytes[i] == 0x62, bytes[i + 1] == 0x6F, bytes[i + 2] == 0x74 {  // "bot"
                guard i + 3 < bytes.count else { return crawlerComment || !browser }
                switch bytes[i + 3] {
                case 0x2F: return true  // "/": a product token with its version
                case 0x3B, 0x29: if crawlerComment { return true }  // ";" ")" in a crawler's comment
                default: break
                }
            }
            i += 1
        }
        return false
    }
}
