public import Foundation

/// The source of "now" for everything that depends on time (windows, leases, timestamps),
/// injected so tests are exact.
public protocol LioraClock: Sendable {
    /// The current wall-clock time.
    var now: Date { get }
}

/// The real clock.
public struct SystemClock: LioraClock {
    public init() {}
    public var now: Date { Date() }
}

extension UUID {
    /// A version-7 UUID: 48 bits of Unix milliseconds, then random bits. Ids made later sort
    /// later, so B-tree primary keys grow at the end instead of splitting pages at random.
    public static func timeOrdered(at date: Date = Date(), using generator: inout some RandomNumberGenerator) -> UUID {
        let ms = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        var bytes = [UInt8](repeating: 0, count: 16)
        for i in 0..<6 { bytes[i] = UInt8(truncatingIfNeeded: ms >> (40 - 8 * UInt64(i))) }
        // Two draws for the ten random bytes (the system generator is a syscall per draw).
        let high = generator.next() as UInt64, low = generator.next() as UInt64
        for i in 6..<8 { bytes[i] = UInt8(truncatingIfNeeded: high >> (8 * UInt64(i - 6))) }
        for i in 8..<16 { bytes[i] = UInt8(truncatingIfNeeded: low >> (8 * UInt64(i - 8))) }
        bytes[6] = (bytes[6] & 0x0F) | 0x70  // version 7
        bytes[8] = (bytes[8] & 0x3F) | 0x80  // RFC 4122 variant
        return UUID(uuid: (bytes[0], bytes[1], bytes[2], bytes[3], bytes[4], bytes[5], bytes[6], bytes[7],
                           bytes[8], bytes[9], bytes[10], bytes[11], bytes[12], bytes[13], bytes[14], bytes[15]))
    }

    /// A version-7 UUID from the system's random source.
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        var g = SystemRandomNumberGenerator()
        return timeOrdered(at: date, using: &g)
    }
}
