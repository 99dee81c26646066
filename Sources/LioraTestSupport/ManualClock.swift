package import Foundation
import LioraCore
import NIOConcurrencyHelpers

/// A clock tests move by hand.
package final class ManualClock: LioraClock, Sendable {
    private let current: NIOLockedValueBox<Date>
    package init(_ start: Date) { current = NIOLockedValueBox(start) }
    package var now: Date { current.withLockedValue { $0 } }
    package func advance(by seconds: TimeInterval) { current.withLockedValue { $0 = $0.addingTimeInterval(seconds) } }
}
