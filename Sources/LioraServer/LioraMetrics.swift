package import Prometheus

/// The service's Prometheus metrics, on a registry of its own (one per application), served at
/// `GET /metrics`. Labels carry outcomes, never tenant data.
package final class LioraMetrics: Sendable {
    package let registry = PrometheusCollectorRegistry()

    let webhookAccepted: Counter
    let webhookRejectedSignature: Counter
    let webhookRejectedMalformed: Counter
    let webhookRejectedTooLarge: Counter
    let webhookRejectedBusy: Counter
    let webhookRejectedTimeout: Counter
    let webhookStoreFailed: Counter
    let itemsStored: Counter
    let itemsDuplicate: Counter
    let ingestBatchSize: ValueHistogram
    let ingestCommitSeconds: DurationHistogram
    let eventsProcessed: Counter
    let eventsIgnored: Counter
    let eventsFailed: Counter
    let clicksRecorded: Counter
    let clicksRepeated: Counter
    let clicksOverLimit: Counter
    let clicksNotStored: Counter
    let ingestLogSkipped: Counter
    /// Replies (outbox rows) Meta accepted, and replies that failed for good: a permanent Graph
    /// error, attempts exhausted, or no usable access token. Counted once the outcome is written.
    let repliesSent: Counter
    let repliesFailed: Counter
    private let retentionCounters: [String: Counter]

    package init() {
        let registry = self.registry
        // `liora_<name>_<unit>`: the names the runbook's alerts and dashboards use.
        func name(_ metric: String, _ unit: String, _ help: String) -> MetricNameDescriptor {
            MetricNameDescriptor(namespace: "liora", metricName: metric, unitName: unit, helpText: help)
        }
        let requests = name("webhook_requests", "total", "Webhook POSTs by result")
        func webhook(_ result: String) -> Counter { registry.makeCounter(descriptor: requests, labels: [("result", result)]) }
        webhookAccepted = webhook("accepted")
        webhookRejectedSignature = webhook("bad_signature")
        webhookRejectedMalformed = webhook("malformed")
        webhookRejectedTooLarge = webhook("too_large")
        webhookRejectedBusy = webhook("busy")
        webhookRejectedTimeout = webhook("body_timeout")
        webhookStoreFailed = webhook("store_failed")
        let items = name("webhook_items", "total", "Webhook items by result")
        itemsStored = registry.makeCounter(descriptor: items, labels: [("result", "stored")])
        itemsDuplicate = registry.makeCounter(descriptor: items, labels: [("result", "duplicate")])
        ingestBatchSize = registry.makeValueHistogram(descriptor: name("ingest_batch", "size", "Webhook bodies per group commit"),
                                                       buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256])
        ingestCommitSeconds = registry.makeDurationHistogram(
            descriptor: name("ingest_commit", "seconds", "Time to store one group commit"),
            buckets: [.microseconds(250), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                      .milliseconds(25), .milliseconds(100), .seconds(1)])
        let outcomes = name("webhook_events_processed", "total", "Stored webhook items by processing result")
        func processed(_ state: String) -> Counter { registry.makeCounter(descriptor: outcomes, labels: [("state", state)]) }
        eventsProcessed = processed("processed")
        eventsIgnored = processed("ignored")
        eventsFailed = processed("failed")
        let clicks = name("link_clicks", "total", "Short-link redirects by whether the click was recorded")
        clicksRecorded = registry.makeCounter(descriptor: clicks, labels: [("result", "recorded")])
        clicksRepeated = registry.makeCounter(descriptor: clicks, labels: [("result", "repeated")])
        clicksOverLimit = registry.makeCounter(descriptor: clicks, labels: [("result", "over_limit")])
        clicksNotStored = registry.makeCounter(descriptor: clicks, labels: [("result", "not_stored")])
        ingestLogSkipped = registry.makeCounter(descriptor: name(
            "ingest_log_refusals_skipped", "total", "Refused signed requests not written to ingest_logs: over the tenant's budget"))
        let replies = name("outbox_replies", "total", "Replies settled by the outbox sender: sent (accepted by Meta) or failed for good")
        repliesSent = registry.makeCounter(descriptor: replies, labels: [("result", "sent")])
        repliesFailed = registry.makeCounter(descriptor: replies, labels: [("result", "failed")])
        let deleted = name("retention_deleted_rows", "total", "Rows deleted for being older than LIORA_RETENTION_DAYS, by table")
        retentionCounters = Dictionary(uniqueKeysWithValues: Self.retentionTables.map { table in
            (table, registry.makeCounter(descriptor: deleted, labels: [("table", table)]))
        })
    }

    private static let retentionTables = ["webhook_events", "webhook_payloads", "conversation_logs", "outbox", "link_clicks", "ingest_logs"]

    func ingestLogRefusalSkipped() { ingestLogSkipped.increment() }

    func retentionDeleted(_ report: RetentionService.Report) {
        let counts = [report.events, report.payloads, report.logs, report.replies, report.clicks, report.ingestLogs]
        for (table, n) in zip(Self.retentionTables, counts) where n > 0 { retentionCounters[table]?.increment(by: Int64(n)) }
    }

    /// The Prometheus text exposition of every metric.
    package func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
