import Crypto
package import Foundation
package import LioraCore

/// Checks Meta's `X-Hub-Signature-256: sha256=<hex>` over the raw body bytes, in constant time
/// (swift-crypto's `isValidAuthenticationCode`), before anything parses the body.
package struct WebhookSignatureVerifier: Sendable {
    private let keyBytes: [UInt8]?

    /// With no secret every request fails verification (fail closed).
    package init(appSecret: Secret?) {
        self.keyBytes = appSecret?.bytes
    }

    package var isConfigured: Bool { keyBytes != nil }

    package enum Failure: Error, Equatable { case notConfigured, missing, malformed, mismatch }

    package func verify(header: String?, body: some DataProtocol) throws(Failure) {
        guard let keyBytes else { throw .notConfigured }
        let key = SymmetricKey(data: keyBytes)
        guard let header else { throw .missing }
        guard header.count == 7 + 64, header.lowercased().hasPrefix("sha256="),
              let mac = Self.hexBytes(header.utf8.dropFirst(7)) else { throw .malformed }
        guard HMAC<SHA256>.isValidAuthenticationCode(mac, authenticating: body, using: key) else { throw .mismatch }
    }

    /// Signs a body the way Meta does (for the simulator, tests and benchmarks).
    package static func signature(for body: some DataProtocol, secret: Secret) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: body, using: SymmetricKey(data: secret.bytes))
        return "sha256=" + mac.map { byte in
            let hex = "0123456789abcdef".utf8
            return String(decoding: [hex[hex.index(hex.startIndex, offsetBy: Int(byte >> 4))],
                                     hex[hex.index(hex.startIndex, offsetBy: Int(byte & 0x0f))]], as: UTF8.self)
        }.joined()
    }

    private static func hexBytes(_ hex: some Collection<UInt8>) -> [UInt8]? {
        guard hex.count % 2 == 0 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(hex.count / 2)
        var high: UInt8?
        for c in hex {
            let v: UInt8
            switch c {
            case 48...57: v = c - 48
            case 97...102: v = c - 87
            case 65...70: v = c - 55
            default: return nil
            }
            if let h = high { out.append(h << 4 | v); high = nil } else { high = v }
        }
        return out
    }
}
