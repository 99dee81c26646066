package import Foundation
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

    static func tokenBinding(tenantID: UUID) -> EncryptionBinding {
        EncryptionBinding(tenantID: tenantID, table: bitlyTable, rowID: tenantID.uuidString.lowercased(), column: "token_ciphertext")
    }

    package func shorten(_ url: String, intent: String?, sku: String?, userContextID: UUID?, in session: any TenantSession,
                         now: Date, logger: Logger) async throws -> URL {
        let builtInLink: () async throws -> URL = {
            try await builtIn.shorten(url, intent: intent, sku: sku, userContextID: userContextID, in: session, now: now)
        }
        guard let external, let vault, let settings = try await session.linkProviderSettings(), settings.provider == "bitly" else {
            return try await builtInLink()
        }
        let long = LinkShortener.withUTM(url, campaign: intent, content: sku)
        if let known = try await session.externalLink(provider: "bitly", longURL: long), let knownURL = URL(string: known) {
            return knownURL
        }
        let token: Secret
        do {
            token = try await vault.open(settings.tokenCiphertext, keyVersion: settings.keyVersion,
                                         binding: Self.tokenBinding(tenantID: session.tenantID), in: session)
        } catch {
            logger.error("the tenant's Bitly token cannot be decrypted; using the built-in shortener",
                         metadata: ["cliente_id": "\(session.tenantID)"])
            return try await builtInLink()
        }
        let link = try await FallbackLinkShortener(external: external, logger: logger).shorten(
            long, bitly: BitlySettings(token: token, domain: settings.domain, groupGUID: settings.groupGUID),
            metadata: ["cliente_id": "\(session.tenantID)"], builtIn: builtInLink)
        if link.provider == .bitly {
            try await session.saveExternalLink(provider: "bitly", longURL: long, shortURL: link.url.absoluteString, now: now)
        }
        return link.url
    }
}
