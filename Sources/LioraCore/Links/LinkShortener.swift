public import Foundation

/// Turns product and content links in replies into tracked short links on the built-in
/// shortener: UTM parameters added, one unguessable code per tenant and long URL.
public struct LinkShortener: Sendable {
    /// Where `/s/{code}` is served (`LIORA_PUBLIC_BASE_URL`).
    public var publicBaseURL: URL
    private let makeCode: @Sendable () -> String

    /// - Parameter makeCode: the code source; defaults to 12 random base-62 characters (~71 bits).
    public init(publicBaseURL: URL, makeCode: (@Sendable () -> String)? = nil) {
        self.publicBaseURL = publicBaseURL
        self.makeCode = makeCode ?? { LinkShortener.randomCode() }
    }

    /// The short URL for `url` in this tenant, creating the link the first time. `userContextID`
    /// rides along as `?u=` so a click is attributed to the conversation (it is a random id, not
    /// a phone number).
    public func shorten(_ url: String, intent: String?, sku: String? = nil, userContextID: UUID?,
                        in session: any TenantSession, now: Date) async throws -> URL {
        let long = Self.withUTM(url, campaign: intent, content: sku)
        let link = try await session.shortLink(longURL: long, intent: intent, makeCode: makeCode, now: now)
        var text = publicBaseURL.absoluteString
        while text.hasSuffix("/") { text.removeLast() }
        text += "/s/" + link.code
        if let userContextID { text += "?u=" + userContextID.uuidString.lowercased() }
        guard let short = URL(string: text) else { throw LioraError(.invalidInput, "cannot build a short link") }
        return short
    }

    /// Adds `utm_source=whatsapp`, `utm_medium=chatbot`, `utm_campaign=<intent>` and
    /// `utm_content=<sku>`, keeping the URL's own parameters byte for byte: those four replace the
    /// URL's own values of the same names; its other UTM parameters (`utm_term`, `utm_id`, a
    /// campaign or content Liora has none for) stay. The query is edited as written, never
    /// decoded and re-encoded: `%2B` stays a
    /// plus sign for the shop (Foundation writes a decoded `+` back bare, which servers read as a
    /// space) and a value in another encoding (`q=caf%E9`) is not dropped.
    public static func withUTM(_ url: String, campaign: String?, content: String?) -> String {
        guard var components = URLComponents(string: url), components.scheme != nil else { return url }
        var replaced: Set<String> = ["utm_source", "utm_medium"]
        if let campaign, !campaign.isEmpty { replaced.insert("utm_campaign") }
        if let content, !content.isEmpty { replaced.insert("utm_content") }
        var pieces = (components.percentEncodedQuery ?? "").split(separator: "&").filter { piece in
            let name = piece.prefix { $0 != "=" }
            return !replaced.contains((String(name).removingPercentEncoding ?? String(name)).lowercased())
        }.map(String.init)
        func value(_ text: String) -> String { text.addingPercentEncoding(withAllowedCharacters: queryValueAllowed) ?? "" }
        pieces += ["utm_source=whatsapp", "utm_medium=chatbot"]
        if let campaign, !campaign.isEmpty { pieces.append("utm_campaign=" + value(campaign)) }
        if let content, !content.isEmpty { pieces.append("utm_content=" + value(content)) }
        components.percentEncodedQuery = pieces.joined(separator: "&")
        return components.string ?? url
    }

    /// What a query value may hold unescaped: the query's characters except those that end or
    /// change a value (`&`, `=`, `#`, and `+`, which form-decoding servers read as a space).
    private static let queryValueAllowed = CharacterSet.urlQueryAllowed.subtracting(CharacterSet(charactersIn: "+&=#"))

    private static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz")

    /// 12 characters from a cryptographically secure source.
    public static func randomCode() -> String {
        var g = SystemRandomNumberGenerator()
        return randomCode(using: &g)
    }

    public static func randomCode(using generator: inout some RandomNumberGenerator) -> String {
        String((0..<12).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
    }

    /// Whether `code` could be one of ours (checked before any database look-up).
    public static func isWellFormed(_ code: String) -> Bool {
        (4...32).contains(code.utf8.count) && code.utf8.allSatisfy {
            (48...57).contains($0) || (65...90).contains($0) || (97...122).contains($0)
        }
    }
}
