import LioraStore
package import Foundation
package import LioraCore
package import Logging
import ServiceLifecycle

/// Deletes history older than `LIORA_RETENTION_DAYS`, once at start-up and then every hour
/// (decisions.md, "Retention"): finished webhook items and the raw bodies none refers to any more;
/// per tenant, conversation log rows with the outbox rows of replies that went out or failed,
/// link clicks and catalog ingest log rows. Kept: anything still pending, user contexts, short
/// links, catalogs, the audit trail. Works in small batches with a pause between them, so the
/// database (SQLite's single writer above all) stays free for live traffic.
package final class RetentionService: Service, Sendable {
    private let store: any LioraStore
    private let clock: any LioraClock
    private let logger: Logger
    private let metrics: LioraMetrics
    private let retention: TimeInterval
    private let batchSize: Int
    private let pause: Duration
    private let loop: WakeableLoop

    /// - Parameters:
    ///   - days: how long history is kept.
    ///   - batchSize: rows scanned (inbox) or deleted per table (tenants) in one transaction.
    ///   - pause: the least time between two batches; after a batch that took longer, twice its
    ///     time, so deleting a large backlog takes at most a third of the database's time.
    ///   - every: between two passes.
    package init(store: any LioraStore, clock: any LioraClock, days: Int, metrics: LioraMetrics, logger: Logger,
                 batchSize: Int = 500, pause: Duration = .milliseconds(20), every: Duration = .seconds(3600)) {
        self.store = store
        self.clock = clock
        self.retention = TimeInterval(days) * 86_400
        self.metrics = metrics
        self.logger = logger
        self.batchSize = max(1, batchSize)
        self.pause = pause
        self.loop = WakeableLoop(idlePoll: every)
    }

    package func run() async throws {
        loop.wake()
        await loop.run(logger: logger, failure: "retention pass failed; the next one retries") {
            _ = try await self.runOnce()
            return 0
        }
    }

    /// What one pass deleted.
    package struct Report: Sendable, Equatable {
        package var events = 0, payloads = 0, logs = 0, replies = 0, clicks = 0, ingestLogs = 0
        /// Approvals whose `wa_id` parameter was forgotten, and quiet users' last searches (rows kept).
        package var approvals = 0, searches = 0
        /// `monthly_usage` rows of past months.
        package var usage = 0
        package var total: Int { events + payloads + logs + replies + clicks + ingestLogs + approvals + searches + usage }
    }

    /// One pass over the inbox and every tenant. Stops between batches on graceful shutdown.
    @discardableResult
    package func runOnce() async throws -> Report {
        let cutoff = clock.now.addingTimeInterval(-retention)
        var report = Report()
        var started: ContinuousClock.Instant? = nil
        /// False when the pass should stop; pauses between batches.
        func nextBatch() async throws -> Bool {
            if Task.isShuttingDownGracefully { return false }
            if let started {
                let wait = max(pause, (ContinuousClock.now - started) * 2)
                if wait > .zero {
                    do {
                        try await cancelWhenGracefulShutdown { try await Task.sleep(for: wait) }
                    } catch where Task.isShuttingDownGracefully {
                        return false  // stopping: the next start carries on
                    }
                }
            }
            started = ContinuousClock.now
            return true
        }
        var afterEvent: Int64 = 0
        while try await nextBatch() {
            let r = try await store.forgetFinishedEvents(receivedBefore: cutoff, after: afterEvent, limit: batchSize)
            report.events += r.deleted
            afterEvent = r.lastScanned
            if r.done { break }
        }
        var afterPayload: UUID? = nil
        while try await nextBatch() {
            let r = try await store.forgetUnusedPayloads(receivedBefore: cutoff, after: afterPayload, limit: batchSize)
            report.payloads += r.deleted
            afterPayload = r.lastScanned
            if r.done { break }
        }
        for tenant in try await store.retentionTenantIDs() {
            var afterLog: ConversationLogCursor? = nil
            while try await nextBatch() {
                let f = try await WriteDurability.$relaxed.withValue(true) { [afterLog] in
                    try await store.withTenant(tenant) { try await $0.forgetHistory(before: cutoff, after: afterLog, limit: batchSize) }
                }
                afterLog = f.lastLog ?? afterLog
                report.logs += f.logs
                report.replies += f.replies
                report.clicks += f.clicks
                report.ingestLogs += f.ingestLogs
                report.approvals += f.approvals
                report.searches += f.searches
                report.usage += f.usage
                if !f.more { break }
            }
        }
        metrics.retentionDeleted(report)
        if report.total > 0 {
            logger.info("retention pass deleted old history", metadata: [
                "before": "\(cutoff.ISO8601Format())", "webhook_events": "\(report.events)", "webhook_payloads": "\(report.payloads)",
                "conversation_logs": "\(report.logs)", "outbox": "\(report.replies)", "link_clicks": "\(report.clicks)",
                "ingest_logs": "\(report.ingestLogs)", "approvals_redacted": "\(report.approvals)",
                "searches_forgotten": "\(report.searches)", "monthly_usage": "\(report.usage)",
            ])
        }
        return report
    }
}
