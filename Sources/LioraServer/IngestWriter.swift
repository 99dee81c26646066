import LioraStore
import Prometheus
package import LioraCore
package import Logging
import NIOConcurrencyHelpers

/// Group commit for webhook ingest: requests hand their verified delivery to the writer and wait;
/// the writer stores everything queued in one transaction and answers every waiter when it
/// commits. While one batch commits the next one fills, so the batch size follows the load.
package final class IngestWriter: Sendable {
    private struct Waiter {
        let delivery: WebhookDelivery
        let continuation: CheckedContinuation<Int, any Error>
    }
    private struct State {
        var queue: [Waiter] = []
        var writers = 0
    }

    private let inbox: any WebhookInbox
    private let state = NIOLockedValueBox(State())
    private let maxBatch: Int
    private let maxWriters: Int
    private let metrics: LioraMetrics
    private let logger: Logger
    private let onStored: @Sendable () -> Void

    /// - Parameters:
    ///   - maxBatch: most deliveries in one transaction.
    ///   - maxWriters: transactions in flight at once (1 for SQLite, whose writes serialise anyway).
    ///   - onStored: called after each commit (wakes the processor).
    package init(inbox: any WebhookInbox, maxBatch: Int = 256, maxWriters: Int = 1, metrics: LioraMetrics,
                 logger: Logger, onStored: @escaping @Sendable () -> Void) {
        self.inbox = inbox
        self.maxBatch = maxBatch
        self.maxWriters = maxWriters
        self.metrics = metrics
        self.logger = logger
        self.onStored = onStored
    }

    /// Deliveries waiting for the next transaction (tests).
    package var queued: Int { state.withLockedValue { $0.queue.count } }

    /// Stores the delivery durably; returns how many of its items were new. Throws when the
    /// database refused the batch (nothing of it was stored).
    package func store(_ delivery: WebhookDelivery) async throws -> Int {
        try await withCheckedThrowingContinuation { continuation in
            let startWriter = state.withLockedValue { s -> Bool in
                s.queue.append(Waiter(delivery: delivery, continuation: continuation))
                guard s.writers < maxWriters else { return false }
                s.writers += 1
                return true
            }
            if startWriter { Task { await self.drain() } }
        }
    }

    private func drain() async {
        while true {
            let batch = state.withLockedValue { s -> [Waiter] in
                guard !s.queue.isEmpty else { s.writers -= 1; return [] }
                let n = min(s.queue.count, maxBatch)
                let batch = Array(s.queue.prefix(n))
                s.queue.removeFirst(n)
                return batch
            }
            guard !batch.isEmpty else { return }
            await store(batch[...])
        }
    }

    /// Stores `waiters` in one transaction and answers each. When the database refuses a value in
    /// it (not the transaction: one body it cannot store must not get every delivery committed
    /// with it refused), the halves are stored apart until the culprit is alone, about 2·log₂(n)
    /// more transactions per bad body. Every waiter is answered once.
    private func store(_ waiters: ArraySlice<Waiter>) async {
        let start = ContinuousClock.now
        do {
            let counts = try await inbox.store(waiters.map(\.delivery))
            metrics.ingestCommitSeconds.record(ContinuousClock.now - start)
            metrics.ingestBatchSize.record(Double(waiters.count))
            for (waiter, count) in zip(waiters, counts) { waiter.continuation.resume(returning: count) }
            onStored()
        } catch where waiters.count > 1 && isRefusedData(error) {
            logger.warning("webhook batch refused; storing it in halves",
                           metadata: ["bodies": "\(waiters.count)", "error": "\(loggableDescription(error))"])
            let middle = waiters.startIndex + waiters.count / 2
            await store(waiters[..<middle])
            await store(waiters[middle...])
        } catch {
            logger.error("webhook batch not stored", metadata: ["bodies": "\(waiters.count)", "error": "\(loggableDescription(error))"])
            for waiter in waiters { waiter.continuation.resume(throwing: error) }
        }
    }
}
