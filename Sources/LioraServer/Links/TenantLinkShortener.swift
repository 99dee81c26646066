package import Foundation
package import LioraCore
package import Logging

/// A tenant's Bitly settings (the token decrypted in memory only).
package struct BitlySettings: Sendable, Equatable {
    package var token: Secret
    /// The branded domain to shorten on; nil: the account's default (`bit.ly`).
    package var domain: String?
    /// The Bitly group to create links in; nil: the token's default group.
    package var groupGUID: String?

    package init(token: Secret, domain: String? = nil, groupGUID: String? = nil) {
        self.token = token
        self.domain = domain
        self.groupGUID = groupGUID
    }
}

/// Which shortener made a link.
package enum LinkProvider: String, Sendable, Equatable {
    case bitly
    case builtIn = "built_in"
}

/// A short link and the shortener that made it.
package struct ShortenedLink: Sendable, Equatable {
    package var url: URL
    package var provider: LinkProvider
    /// Why Bitly was not used although the tenant configured it (safe to log); nil otherwise.
    package var bitlyFailure: String?

    package init(url: URL, provider: LinkProvider, bitlyFailure: String? = nil) {
        self.url = url
        self.provider = provider
        self.bitlyFailure = bitlyFailure
    }
}

/// Shortens through the tenant's Bitly account when it has one, and through the built-in
/// shortener otherwise or whenever Bitly fails (any error: rejected, timed out, unreachable,
/// malformed answer), so a reply never goes out without its link. Knows nothing of storage: the
/// caller passes the tenant's settings and the built-in path as a closure.
package struct FallbackLinkShortener: Sendable {
    package let external: any ExternalLinkShortener
    private let logger: Logger

    package init(external: any ExternalLinkShortener = BitlyClient(), logger: Logger) {
        self.external = external
        self.logger = logger
    }

    /// The short link for `longURL`: Bitly's with `bitly` settings when Bitly answers, else
    /// `builtIn()`'s. Throws only when the built-in shortener does (or the task is cancelled).
    /// `metadata` (ids only, e.g. `cliente_id`) goes with the warning logged on a fallback.
    package func shorten(_ longURL: String, bitly: BitlySettings?, metadata: Logger.Metadata = [:],
                         builtIn: () async throws -> URL) async throws -> ShortenedLink {
        guard let bitly else { return ShortenedLink(url: try await builtIn(), provider: .builtIn) }
        switch await bitlyLink(longURL, bitly: bitly, metadata: metadata) {
        case .success(let url):
            return ShortenedLink(url: url, provider: .bitly)
        case .failure(let failure):
            try Task.checkCancellation()
            return ShortenedLink(url: try await builtIn(), provider: .builtIn, bitlyFailure: failure.reason)
        }
    }

    /// Why Bitly gave no link (safe to log).
    package struct Failure: Error, Sendable, Equatable {
        package var reason: String
    }

    /// Bitly's link for `longURL`, or why there is none (logged as a warning: the caller falls
    /// back to the built-in shortener).
    package func bitlyLink(_ longURL: String, bitly: BitlySettings, metadata: Logger.Metadata = [:]) async -> Result<URL, Failure> {
        let failure: String
        var level = Logger.Level.warning
        do {
            return .success(try await external.shorten(longURL: longURL, token: bitly.token, domain: bitly.domain,
                                                       groupGUID: bitly.groupGUID))
        } catch let error as BitlyError {
            failure = error.description
            if case .tokenRefused = error { level = .debug }  // the refusal itself was logged a moment ago
        } catch {
            // Another shortener's error may say anything: only its type is safe to show.
            failure = "shortener failed: \(type(of: error))"
        }
        var metadata = metadata
        metadata["error"] = "\(failure)"
        logger.log(level: level, "Bitly failed; the built-in shortener made the link", metadata: metadata)
        return .failure(Failure(reason: failure))
    }
}
