import Crypto
public import Foundation

/// Signed requests per the Standard Webhooks scheme (standardwebhooks.com), used for catalog
/// publishing: `webhook-id`, `webhook-timestamp` (Unix seconds) and `webhook-signature`
/// (`v1,<base64 HMAC-SHA256(secret, "id.timestamp.body")>`, several space-separated allowed),
/// secrets written `whsec_<base64>`.
public enum StandardWebhooks {
    /// Why a request was refused; the raw value is the API's error code.
    public enum Failure: String, Error, Sendable {
        case headersMissing = "signature_headers_missing"
        case idInvalid = "webhook_id_invalid"
        case timestampInvalid = "timestamp_invalid"
        case timestampOutOfRange = "timestamp_out_of_range"
        case signatureMalformed = "signature_malformed"
        case signatureInvalid = "signature_invalid"
        case noSecret = "signing_secret_missing"

        public var message: String {
            switch self {
            case .headersMissing: "webhook-id, webhook-timestamp and webhook-signature headers are required"
            case .idInvalid: "webhook-id must be at most 200 bytes"
            case .timestampInvalid: "webhook-timestamp must be Unix seconds"
            case .timestampOutOfRange: "webhook-timestamp is more than 5 minutes away from the server's clock"
            case .signatureMalformed: "webhook-signature must be one or more space-separated v1,<base64> values"
            case .signatureInvalid: "no signature matches this request"
            case .noSecret: "no signing secret is configured for this tenant"
            }
        }
    }

    /// Timestamps further than this from now are refused.
    public static let tolerance: TimeInterval = 5 * 60

    /// The key bytes of a `whsec_…` secret (a secret without the prefix is read as base64 too).
    public static func key(fromSecret secret: String) -> [UInt8]? {
        let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
        guard let data = Data(base64Encoded: encoded), data.count >= 16 else { return nil }
        return Array(data)
    }

    /// A new secret: 32 random bytes, `whsec_`-prefixed base64.
    public static func generateSecret() -> String {
        "whsec_" + SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }

    /// The `webhook-signature` value for a request (what a client library sends).
    public static func sign(id: String, timestamp: Int, body: [UInt8], key: [UInt8]) -> String {
        "v1," + Data(mac(id: id, timestamp: String(timestamp), body: body, key: key)).base64EncodedString()
    }

    /// HMAC-SHA256 of `id.timestamp.body` under `key`, without copying the body.
    private static func mac(id: String, timestamp: String, body: [UInt8], key: [UInt8]) -> HMAC<SHA256>.MAC {
        var hmac = HMAC<SHA256>(key: SymmetricKey(data: key))
        hmac.update(data: Array(id.utf8) + [UInt8(ascii: ".")] + Array(timestamp.utf8) + [UInt8(ascii: ".")])
        hmac.update(data: body)
        return hmac.finalize()
    }

    /// The most signatures one `webhook-signature` header may carry (each one is compared, so
    /// the header cannot make the server do unbounded work).
    public static let maxSignatures = 8

    /// A request's signature headers, checked: well-formed, and a timestamp within `tolerance`.
    public struct SignedHeaders: Sendable {
        public let id: String
        public let timestamp: String
        let candidates: [Data]
    }

    /// Checks what needs no key: the headers are there and well-formed (at most `maxSignatures`
    /// `v1` signatures) and the timestamp is within `tolerance` of `now`.
    public static func checkHeaders(id: String?, timestamp: String?, signature: String?, now: Date) throws(Failure) -> SignedHeaders {
        guard let id, !id.isEmpty, let timestamp, let signature else { throw .headersMissing }
        guard id.utf8.count <= 200 else { throw .idInvalid }
        guard !timestamp.isEmpty, timestamp.utf8.count <= 12, timestamp.utf8.allSatisfy({ (48...57).contains($0) }),
              let seconds = Int(timestamp) else { throw .timestampInvalid }
        guard abs(now.timeIntervalSince1970 - Double(seconds)) <= tolerance else { throw .timestampOutOfRange }
        var candidates: [Data] = []
        for part in signature.split(separator: " ") where !part.isEmpty {
            let pieces = part.split(separator: ",", maxSplits: 1)
            guard pieces.count == 2 else { throw .signatureMalformed }
            guard pieces[0] == "v1" else { continue }  // other schemes (v1a, …) are not ours
            guard let mac = Data(base64Encoded: String(pieces[1])), mac.count == SHA256.byteCount else { throw .signatureMalformed }
            candidates.append(mac)
            guard candidates.count <= maxSignatures else { throw .signatureMalformed }
        }
        guard !candidates.isEmpty else { throw .signatureMalformed }
        return SignedHeaders(id: id, timestamp: timestamp, candidates: candidates)
    }

    /// Whether one of the signatures is the HMAC of the raw body under one of `keys` (two during
    /// a rotation): one HMAC per key, compared with each signature in constant time.
    public static func matches(_ headers: SignedHeaders, body: [UInt8], keys: [[UInt8]]) -> Bool {
        !matchingKeys(headers, body: body, keys: keys).isEmpty
    }

    /// The positions in `keys` of the keys that signed the request (`matches`, telling which).
    public static func matchingKeys(_ headers: SignedHeaders, body: [UInt8], keys: [[UInt8]]) -> [Int] {
        var matched: [Int] = []
        for (i, key) in keys.enumerated() {
            let mac = mac(id: headers.id, timestamp: headers.timestamp, body: body, key: key)
            var hit = false
            for candidate in headers.candidates where mac == candidate { hit = true }
            if hit { matched.append(i) }
        }
        return matched
    }

    /// Checks a request's headers and raw body against each of `keys` (two during a rotation),
    /// in constant time per comparison, before anything is parsed. Does not check replays: the
    /// caller records `id` once the signature is good.
    public static func verify(id: String?, timestamp: String?, signature: String?, body: [UInt8], keys: [[UInt8]],
                              now: Date) throws(Failure) {
        let headers = try checkHeaders(id: id, timestamp: timestamp, signature: signature, now: now)
        guard !keys.isEmpty else { throw .noSecret }
        guard matches(headers, body: body, keys: keys) else { throw .signatureInvalid }
    }
}
