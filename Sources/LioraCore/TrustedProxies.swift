public import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The reverse proxies and load balancers in front of the service (`LIORA_TRUSTED_PROXIES`:
/// comma-separated IP addresses and CIDR blocks, IPv4 or IPv6). Only a connection from one of
/// them may say who the client is (`X-Forwarded-For`); any other peer is the client itself, so
/// a client cannot pick the address that per-address limits count.
public struct TrustedProxies: Sendable, Equatable {
    /// An address block: the address's bytes (4 or 16) and how many leading bits must match.
    struct Block: Sendable, Equatable {
        var bytes: [UInt8]
        var prefix: Int

        func contains(_ address: [UInt8]) -> Bool {
            guard address.count == bytes.count else { return false }
            var bits = prefix
            for i in 0..<bytes.count where bits > 0 {
                let n = min(8, bits)
                let mask: UInt8 = n == 8 ? 0xFF : ~(0xFF >> UInt8(n))
                if address[i] & mask != bytes[i] & mask { return false }
                bits -= n
            }
            return true
        }
    }

    let blocks: [Block]

    /// No proxy is trusted: the peer is always the client.
    public static let none = TrustedProxies(blocks: [])

    init(blocks: [Block]) { self.blocks = blocks }

    /// Parses `10.0.0.0/8, 192.168.1.7, fd00::/8`; nil when an entry is not an address or block.
    public init?(parsing list: String) {
        var blocks: [Block] = []
        for entry in list.split(separator: ",") {
            let text = entry.trimmingCharacters(in: .whitespaces)
            guard !text.isEmpty else { continue }
            let parts = text.split(separator: "/", omittingEmptySubsequences: false)
            guard parts.count <= 2, let bytes = Self.bytes(String(parts[0])) else { return nil }
            var prefix = bytes.count * 8
            if parts.count == 2 {
                guard let p = Int(parts[1]), (0...prefix).contains(p), parts[1].allSatisfy(\.isASCII) else { return nil }
                prefix = p
            }
            blocks.append(Block(bytes: bytes, prefix: prefix))
        }
        self.blocks = blocks
    }

    /// Whether `address` (text) is one of the trusted proxies.
    public func contains(_ address: String) -> Bool {
        guard !blocks.isEmpty, let bytes = Self.bytes(address) else { return false }
        return blocks.contains { $0.contains(bytes) }
    }

    /// The client's address: the peer, unless the peer is a trusted proxy; then the nearest
    /// address in `X-Forwarded-For` (its values in order, each a comma-separated list) that is not
    /// a trusted proxy, read from the right (the left part is whatever the client sent). A
    /// malformed entry stops the walk at the last trusted hop, which is then the answer.
    public func clientAddress(peer: String?, forwardedFor: [String]) -> String? {
        guard let peer, contains(peer) else { return peer }
        let hops = forwardedFor.flatMap { $0.split(separator: ",") }.map { $0.trimmingCharacters(in: .whitespaces) }
        var client = peer
        for hop in hops.reversed() {
            guard Self.bytes(hop) != nil else { break }
            client = hop
            if !contains(hop) { break }
        }
        return client
    }

    /// What per-address limits count for `address`: an IPv4 address itself, an IPv6 address's /64
    /// (one subscriber or host block: counting each of its 2^64 addresses apart would be no limit),
    /// anything unparseable as it is.
    public static func limitKey(_ address: String) -> String {
        guard let bytes = bytes(address) else { return address }
        guard bytes.count == 16 else { return bytes.map(String.init).joined(separator: ".") }
        let hex = bytes[0..<8].map { b -> String in
            let h = String(b, radix: 16)
            return h.count == 1 ? "0" + h : h
        }
        return stride(from: 0, to: 8, by: 2).map { hex[$0] + hex[$0 + 1] }.joined(separator: ":") + "::/64"
    }

    /// The 4 or 16 bytes of an IPv4 or IPv6 address in text; an IPv4-mapped IPv6 address is its IPv4.
    static func bytes(_ text: String) -> [UInt8]? {
        var v4 = in_addr()
        if inet_pton(AF_INET, text, &v4) == 1 {
            return withUnsafeBytes(of: &v4) { Array($0) }
        }
        var v6 = in6_addr()
        guard inet_pton(AF_INET6, text, &v6) == 1 else { return nil }
        let bytes = withUnsafeBytes(of: &v6) { Array($0) }
        if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF { return Array(bytes[12...]) }
        return bytes
    }
}
