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
