package import Foundation
import NIOConcurrencyHelpers
package import WhatsApp

/// The items of webhook bodies this instance decoded on the request path, kept briefly for the
/// processor so it does not decode the same body again. Only an optimisation: the stored body
/// stays the truth, and the processor decodes it whenever the items are not here (another
/// instance received it, a restart, or it was evicted). Bounded: the oldest go first.
package final class DecodedWebhooks: Sendable {
    private struct State {
        var items: [UUID: [WebhookItem]] = [:]
        var order: [UUID] = []
        var head = 0
    }

    private let state = NIOLockedValueBox(State())
    /// The most bodies kept.
    package let capacity: Int

    package init(capacity: Int = 2048) {
        self.capacity = max(1, capacity)
    }

    /// Keeps the decoded items of the stored body `payloadID` (all of them, in the body's order).
    package func keep(_ items: [WebhookItem], for payloadID: UUID) {
        state.withLockedValue { s in
            if s.items.updateValue(items, forKey: payloadID) == nil { s.order.append(payloadID) }
            while s.order.count - s.head > capacity {
                s.items[s.order[s.head]] = nil
                s.head += 1
            }
            if s.head > capacity {
                s.order.removeFirst(s.head)
                s.head = 0
            }
        }
    }

    /// The items kept for `payloadID`, removed (each body is processed once), or nil.
    package func take(_ payloadID: UUID) -> [WebhookItem]? {
        state.withLockedValue { $0.items.removeValue(forKey: payloadID) }
    }

    /// How many bodies are kept (tests).
    package var count: Int { state.withLockedValue { $0.items.count } }
}
