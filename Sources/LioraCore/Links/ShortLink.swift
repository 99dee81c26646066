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
        "go-http-client", "headlesschrome", "lighthouse", "google-inspectiontool", "googleother", "mediapartners-google",
        "feedfetcher", "apis-google", "google-read-aloud", "externalagent", "-user/", "python-urllib", "okhttp/", "axios/",
        "scrapy/", "java/", "libwww-perl", "httpclient", "+http", "google-apps-script", "google-safety", "yahoomailproxy",
        "iframely", "skypeuripreview",
    ]

    /// True for crawlers, link-preview fetchers and scripts; true for a missing user agent too,
    /// and for any that is not a browser's (browsers, in-app ones included, start with `Mozilla/`,
    /// `Opera/` or `UCWEB/`): `Python/3.11 aiohttp`, `node-fetch`, `PostmanRuntime`, `Dalvik/2.1.0`
    /// and `Viber/… CFNetwork` are programs fetching the link, not people opening it. A `+http`
    /// contact address is a crawler's signature.
    /// Beyond the known names, a product token containing "bot" counts where crawlers write it:
    /// with a version (`Googlebot/2.1`, `Googlebot-Image/1.0`, `DuckDuckBot-Https/1.1`), in a
    /// `compatible;` comment (`bingbot/2.0;`, `AhrefsBot)`), or anywhere in a user agent that is not
    /// a browser's (`AdsBot-Google (+http://…)`). Phones whose model contains it are people:
    /// `Android 10; CUBOT X30`, `CUBOT_X30`, `CUBOT-NOTE Build/PPR1`.
    public static func isBot(_ userAgent: String?) -> Bool {
        guard let ua = userAgent?.lowercased(), !ua.isEmpty else { return true }
        let browser = ua.hasPrefix("mozilla/") || ua.hasPrefix("ucweb/") || ua.hasPrefix("opera/")
        return !browser || markers.contains { ua.contains($0) } || hasBotToken(ua)
    }

    private static func hasBotToken(_ ua: String) -> Bool {
        let crawlerComment = ua.contains("compatible;")
        let browser = ua.hasPrefix("mozilla/") || ua.hasPrefix("ucweb/") || ua.hasPrefix("opera/")
        // Product tokens and comment words: split at spaces, `;`, `(` and `)`.
        for token in ua.utf8.split(whereSeparator: { $0 == 0x20 || $0 == 0x3B || $0 == 0x28 || $0 == 0x29 }) {
            guard token.count >= 3, containsBot(token) else { continue }
            if token.contains(0x2F) || crawlerComment || !browser { return true }  // "/": a versioned product token
        }
        return false
    }

    private static func containsBot(_ token: Substring.UTF8View.SubSequence) -> Bool {
        var i = token.startIndex
        while i != token.endIndex {
            let j = token.index(after: i)
            if token[i] == 0x62, j != token.endIndex, token[j] == 0x6F {
                let k = token.index(after: j)
                if k != token.endIndex, token[k] == 0x74 { return true }  // "bot"
            }
            i = j
        }
        return false
    }
}
