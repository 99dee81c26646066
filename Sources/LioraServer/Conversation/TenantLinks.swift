package import Foundation
import LioraStore
package import LioraCore
package import Logging

/// Shortens the links in a tenant's replies: through the tenant's Bitly account when it has
/// configured one (each long URL shortened once, then reused), falling back to the built-in
/// shortener when Bitly fails or is not configured. UTM parameters are added either way.
package struct TenantLinks: Sendable {
    package let builtIn: LinkShortener
    package let vault: SecretVault?
    package let external: (any ExternalLinkShortener)?

    package init(builtIn: LinkShortener, vault: SecretVault?, external: (any ExternalLinkShortener)?) {
        self.builtIn = builtIn
        self.vault = vault
        self.external = external
    }

    static let bitlyTable = "link_provider_settings"

    /// The URL a product link is shortened to: the product's, with the UTM parameters.
    package static func longURL(_ url: String, intent: String?, sku: String?) -> String {
        LinkShortener.withUTM(url, campaign: intent, content: sku)
    }

    static func tokenBinding(tenantID: UUID) -> EncryptionBinding {
        EncryptionBinding(tenantID: tenantID, table: bitlyTable, rowID: tenantID.uuidString.lowercased(), column: "token_ciphertext")
    }

    /// Bitly's answers for long URLs (with their UTM parameters), fetched holding no transaction:
    /// a link, or nil where Bitly failed (the built-in shortener makes that one).
    package typealias FetchedLinks = [String: URL?]

    /// Calls Bitly for those of `longURLs` (with their UTM parameters) the tenant has no Bitly
    /// link for yet, outside any transaction: the tenant's settings and known links are read in a
    /// short transaction first. Empty when the tenant has no Bitly account or knows them all. The
    /// result goes to `shorten(…, fetched:)` in the transaction that queues the replies, so a slow
    /// Bitly never holds the database's writer (SQLite) or a row's lock.
    package func fetchExternal(_ longURLs: Set<String>, tenantID: UUID, store: any LioraStore, logger: Logger) async throws -> FetchedLinks {
        guard let external, let vault, !longURLs.isEmpty else { return [:] }
        let wanted: (BitlySettings, [String])? = try await store.withTenant(tenantID) { session in
            guard let settings = try await session.linkProviderSettings(), settings.provider == "bitly",
                  let token = try await openToken(settings, vault: vault, in: session, logger: logger) else { return nil }
            var unknown: [String] = []
            for long in longURLs.sorted() where try await session.externalLink(provider: "bitly", longURL: long).flatMap(URL.init(string:)) == nil {
                unknown.append(long)
            }
            return (BitlySettings(token: token, domain: settings.domain, groupGUID: settings.groupGUID), unknown)
        }
        guard let (bitly, unknown) = wanted else { return [:] }
        let shortener = FallbackLinkShortener(external: external, logger: logger)
        var fetched: FetchedLinks = [:]
        for long in unknown {
            switch await shortener.bitlyLink(long, bitly: bitly, metadata: ["cliente_id": "\(tenantID.lowercasedText)"]) {
            case .success(let url): fetched[long] = .some(url)
            case .failure:
                try Task.checkCancellation()  // shutting down: the batch is abandoned and tried again, with Bitly
                fetched[long] = .some(nil)
            }
        }
        return fetched
    }

    /// Those of `longURLs` (with their UTM parameters) a shortening in `session` would ask Bitly
    /// for: the tenant has a Bitly account and no Bitly link for them yet. Read only; Bitly is not
    /// called (see `fetchExternal`).
    package func unfetched(_ longURLs: Set<String>, in session: any TenantSession) async throws -> Set<String> {
        guard external != nil, vault != nil, !longURLs.isEmpty, let settings = try await session.linkProviderSettings(),
              settings.provider == "bitly" else { return [] }
        var unknown = Set<String>()
        for long in longURLs where try await session.externalLink(provider: "bitly", longURL: long).flatMap(URL.init(string:)) == nil {
            unknown.insert(long)
        }
        return unknown
    }

    private func openToken(_ settings: LinkProviderSettings, vault: SecretVault, in session: any TenantSession,
                           logger: Logger) async throws -> Secret? {
        do {
            return try await vault.open(settings.tokenCiphertext, keyVersion: settings.keyVersion,
                                        binding: Self.tokenBinding(tenantID: session.tenantID), in: session)
        } catch {
            logger.error("the tenant's Bitly token cannot be decrypted; using the built-in shortener",
                         metadata: ["cliente_id": "\(session.tenantID.lowercasedText)"])
            return nil
        }
    }

    /// The short link for a product URL: the tenant's Bitly link when it has Bitly (reused once
    /// made), else the built-in one. Bitly is never called here (this runs inside the transaction
    /// that queues the replies): its answers come in `fetched` (`fetchExternal`, holding no
    /// transaction), and a URL they do not cover (Bitly failed, or the settings or the known links
    /// changed in between) gets the built-in link.
    package func shorten(_ url: String, intent: String?, sku: String?, userContextID: UUID?, in session: any TenantSession,
                         now: Date, fetched: FetchedLinks) async throws -> URL {
        let builtInLink: () async throws -> URL = {
            try await builtIn.shorten(url, intent: intent, sku: sku, userContextID: userContextID, in: session, now: now)
        }
        guard external != nil, vault != nil, let settings = try await session.linkProviderSettings(), settings.provider == "bitly" else {
            return try await builtInLink()
        }
        let long = Self.longURL(url, intent: intent, sku: sku)
        if let known = try await session.externalLink(provider: "bitly", longURL: long), let knownURL = URL(string: known) {
            return knownURL
        }
        guard let answer = fetched[long], let link = answer else { return try await builtInLink() }
        try await session.saveExternalLink(provider: "bitly", longURL: long, shortURL: link.absoluteString, now: now)
        return link
    }
}
