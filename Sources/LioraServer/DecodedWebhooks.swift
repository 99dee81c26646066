package import Foundation
import NIOConcurrencyHelpers
package import WhatsApp

/// The items of webhook bodies this instance decoded on the request path, kept briefly for the
/// processor so it does not decode the same body again. Only an optimisation: the stored body
/// stays the truth, and the processor decodes it whenever the items are not here (another
/// instance received it, a restart, or it was evicted). Bounded by count and by the bodies'
/// bytes (the decoded items take about as much as the body): the oldest go first.
package final class DecodedWebhooks: Sendable {
    private struct State {
        var items: [UUID: (items: [WebhookItem], bytes: Int)] = [:]
        var order: [UUID] = []
        var head = 0
        var bytes = 0

        mutating func drop(_ id: UUID) -> [WebhookItem]? {
            guard let kept = items.removeValue(forKey: id) else { return nil }
            bytes -= kept.bytes
            return kept.items
        }
    }

    private let state = NIOLockedValueBox(State())
    /// The most bodies kept.
    package let capacity: Int
    /// The most body bytes kept (a body larger than this is not kept: the processor decodes it).
    package let byteBudget: Int

    package init(capacity: Int = 2048, byteBudget: Int = 32 << 20) {
        self.capacity = max(1, capacity)
        self.byteBudget = max(0, byteBudget)
    }

    /// Keeps the decoded items of the stored body `payloadID` (all of them, in the body's order),
    /// `bytes` long.
    package func keep(_ items: [WebhookItem], for payloadID: UUID, bytes: Int) {
        guard bytes <= byteBudget else { return }
        state.withLockedValue { s in
            if s.drop(payloadID) == nil { s.order.append(payloadID) }
            s.items[payloadID] = (items, bytes)
            s.bytes += bytes
            while s.order.count - s.head > capacity || s.bytes > byteBudget {
                _ = s.drop(s.order[s.head])
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
        state.withLockedValue { $0.drop(payloadID) }
    }

    /// How many body bytes are kept.
    package var bytes: Int { state.withLockedValue { $0.bytes } }

    /// How many bodies are kept (tests).
    package var count: Int { state.withLockedValue { $0.items.count } }
}
