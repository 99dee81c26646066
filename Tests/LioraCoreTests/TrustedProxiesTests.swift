import LioraCore
import Testing

@Suite("Trusted proxies and the client's address")
struct TrustedProxiesTests {
    @Test("addresses and CIDR blocks, IPv4 and IPv6, are parsed; anything else is refused")
    func parsing() throws {
        let p = try #require(TrustedProxies(parsing: " 10.0.0.0/8, 192.168.1.7 ,fd00::/8, ::1"))
        #expect(p.contains("10.200.3.4") && p.contains("192.168.1.7") && p.contains("fd12::5") && p.contains("::1"))
        #expect(!p.contains("11.0.0.1") && !p.contains("192.168.1.8") && !p.contains("fe80::1") && !p.contains("not-an-ip"))
        #expect(p.contains("::ffff:10.1.2.3"), "an IPv4-mapped IPv6 peer is its IPv4 address")
        for bad in ["10.0.0.0/33", "10.0.0.0/", "banana", "10.0.0.0/8/8", "::1/129", "10.0.0.0/-1", "10.0.0.0/８"] {
            #expect(TrustedProxies(parsing: bad) == nil, "\(bad)")
        }
        #expect(TrustedProxies(parsing: "0.0.0.0/0")!.contains("8.8.8.8"))
        #expect(!TrustedProxies.none.contains("127.0.0.1"))
    }

    @Test("only a trusted peer may name the client; the nearest untrusted hop from the right is the client")
    func clientAddress() throws {
        let p = try #require(TrustedProxies(parsing: "10.0.0.0/8"))
        // A client talking directly: its header is ignored, whatever it says.
        #expect(p.clientAddress(peer: "203.0.113.5", forwardedFor: ["1.2.3.4"]) == "203.0.113.5")
        // Through the balancer: the address the balancer appended, not what the client made up on the left.
        #expect(p.clientAddress(peer: "10.0.0.2", forwardedFor: ["6.6.6.6, 203.0.113.5"]) == "203.0.113.5")
        // Two trusted hops (header split over two fields).
        #expect(p.clientAddress(peer: "10.0.0.2", forwardedFor: ["6.6.6.6, 203.0.113.5", "10.1.1.1"]) == "203.0.113.5")
        // No header, or only proxies in it: the last proxy is what we know.
        #expect(p.clientAddress(peer: "10.0.0.2", forwardedFor: []) == "10.0.0.2")
        #expect(p.clientAddress(peer: "10.0.0.2", forwardedFor: ["10.3.3.3"]) == "10.3.3.3")
        // A malformed hop stops the walk at the last trusted one.
        #expect(p.clientAddress(peer: "10.0.0.2", forwardedFor: ["203.0.113.5, junk"]) == "10.0.0.2")
        #expect(TrustedProxies.none.clientAddress(peer: "10.0.0.2", forwardedFor: ["203.0.113.5"]) == "10.0.0.2")
        #expect(p.clientAddress(peer: nil, forwardedFor: ["203.0.113.5"]) == nil)
    }
}
