import Foundation
import LioraCore
import LioraServer
import LioraTestSupport
import Logging
import NIOConcurrencyHelpers
import Testing

/// An external shortener that records its calls and answers as scripted.
private final class ScriptedShortener: ExternalLinkShortener {
    struct Call: Sendable, Equatable {
        var longURL: String
        var token: String
        var domain: String?
        var groupGUID: String?
    }

    private let answer: @Sendable () throws -> URL
    private let recorded = NIOLockedValueBox<[Call]>([])
    var calls: [Call] { recorded.withLockedValue { $0 } }

    init(_ answer: @escaping @Sendable () throws -> URL) { self.answer = answer }

    func shorten(longURL: String, token: Secret, domain: String?, groupGUID: String?) async throws -> URL {
        recorded.withLockedValue { $0.append(Call(longURL: longURL, token: token.value, domain: domain, groupGUID: groupGUID)) }
        return try answer()
    }
}

private struct SomeOtherError: Error, CustomStringConvertible {
    var description: String { "failed with secret-token-77" }
}

private let long = "https://shop.example/p/42?utm_source=whatsapp"
private let builtInURL = URL(string: "https://liora.example/s/AbCdEfGh1234")!
private let bitlyURL = URL(string: "https://bit.ly/3hFqP2x")!
private let settings = BitlySettings(token: Secret("secret-token-77"), domain: "go.shop.example", groupGUID: "Ba1bc23dE4F")

@Suite("Bitly first, the built-in shortener when it fails")
struct FallbackLinkShortenerTests {
    @Test("a tenant without Bitly gets the built-in link, and Bitly is not called")
    func noBitly() async throws {
        let bitly = ScriptedShortener { bitlyURL }
        let link = try await FallbackLinkShortener(external: bitly, logger: LogRecorder().logger())
            .shorten(long, bitly: nil) { builtInURL }
        #expect(link == ShortenedLink(url: builtInURL, provider: .builtIn))
        #expect(bitly.calls.isEmpty)
    }

    @Test("with Bitly configured, Bitly's link is used and the built-in shortener is not touched")
    func bitlyAnswers() async throws {
        let bitly = ScriptedShortener { bitlyURL }
        let link = try await FallbackLinkShortener(external: bitly, logger: LogRecorder().logger())
            .shorten(long, bitly: settings) {
                Issue.record("the built-in shortener was called")
                return builtInURL
            }
        #expect(link == ShortenedLink(url: bitlyURL, provider: .bitly))
        #expect(bitly.calls == [.init(longURL: long, token: "secret-token-77", domain: "go.shop.example", groupGUID: "Ba1bc23dE4F")])
    }

    @Test("any Bitly failure falls back to the built-in link, says why, and logs no token",
          arguments: [BitlyError.rejected(status: 403, message: "FORBIDDEN", description: "no"), .timeout,
                      .transport("URLError -1004"), .malformedResponse])
    func bitlyFails(error: BitlyError) async throws {
        let logs = LogRecorder()
        let link = try await FallbackLinkShortener(external: ScriptedShortener { throw error }, logger: logs.logger())
            .shorten(long, bitly: settings, metadata: ["cliente_id": "t-1"]) { builtInURL }
        #expect(link == ShortenedLink(url: builtInURL, provider: .builtIn, bitlyFailure: error.description))
        #expect(logs.all.contains { $0.contains("Bitly failed") && $0.contains("t-1") })
        #expect(!logs.all.contains { $0.contains("secret-token-77") || $0.contains("shop.example") })
    }

    @Test("a failure that is not a BitlyError is reported by its type only")
    func otherError() async throws {
        let logs = LogRecorder()
        let link = try await FallbackLinkShortener(external: ScriptedShortener { throw SomeOtherError() }, logger: logs.logger())
            .shorten(long, bitly: settings) { builtInURL }
        #expect(link.provider == .builtIn)
        #expect(link.bitlyFailure?.contains("SomeOtherError") == true)
        #expect(!(link.bitlyFailure ?? "").contains("secret-token-77"))
        #expect(!logs.all.contains { $0.contains("secret-token-77") })
    }

    @Test("when the built-in shortener fails too, its error is thrown")
    func bothFail() async throws {
        struct StoreDown: Error {}
        await #expect(throws: StoreDown.self) {
            _ = try await FallbackLinkShortener(external: ScriptedShortener { throw BitlyError.timeout }, logger: LogRecorder().logger())
                .shorten(long, bitly: settings) { throw StoreDown() }
        }
    }

    @Test("the real client against an unreachable Bitly falls back")
    func unreachableBitly() async throws {
        let client = BitlyClient(baseURL: URL(string: "http://127.0.0.1:9")!, timeout: .seconds(2))
        let link = try await FallbackLinkShortener(external: client, logger: LogRecorder().logger())
            .shorten(long, bitly: settings) { builtInURL }
        #expect(link.url == builtInURL)
        #expect(link.provider == .builtIn)
        #expect(link.bitlyFailure?.hasPrefix("Bitly request failed") == true)
    }
}
