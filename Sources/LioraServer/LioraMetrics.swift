package import Prometheus

/// The service's Prometheus metrics, on a registry of its own (one per application), served at
/// `GET /metrics`. Labels carry outcomes, never tenant data.
package final class LioraMetrics: Sendable {
    package let registry = PrometheusCollectorRegistry()

    let webhookAccepted: Counter
    let webhookRejectedSignature: Counter
    let webhookRejectedMalformed: Counter
    let webhookRejectedTooLarge: Counter
    let webhookStoreFailed: Counter
    let itemsStored: Counter
    let itemsDuplicate: Counter
    let ingestBatchSize: ValueHistogram
    let ingestCommitSeconds: DurationHistogram
    let eventsProcessed: Counter
    let eventsIgnored: Counter
    let eventsFailed: Counter

    package init() {
        let registry = self.registry
        func webhook(_ result: String) -> Counter {
            registry.makeCounter(name: "liora_webhook_requests_total", labels: [("result", result)],
                                 help: "Webhook POSTs by result")
        }
        webhookAccepted = webhook("accepted")
        webhookRejectedSignature = webhook("bad_signature")
        webhookRejectedMalformed = webhook("malformed")
        webhookRejectedTooLarge = webhook("too_large")
        webhookStoreFailed = webhook("store_failed")
        itemsStored = registry.makeCounter(name: "liora_webhook_items_total", labels: [("result", "stored")], help: "Webhook items by result")
        itemsDuplicate = registry.makeCounter(name: "liora_webhook_items_total", labels: [("result", "duplicate")], help: "Webhook items by result")
        ingestBatchSize = registry.makeValueHistogram(name: "liora_ingest_batch_size", buckets: [1, 2, 4, 8, 16, 32, 64, 128, 256],
                                                       help: "Webhook bodies per group commit")
        ingestCommitSeconds = registry.makeDurationHistogram(
            name: "liora_ingest_commit_seconds",
            buckets: [.microseconds(250), .milliseconds(1), .milliseconds(2), .milliseconds(5), .milliseconds(10),
                      .milliseconds(25), .milliseconds(100), .seconds(1)],
            help: "Time to store one group commit")
        func processed(_ state: String) -> Counter {
            registry.makeCounter(name: "liora_webhook_events_processed_total", labels: [("state", state)],
                                 help: "Stored webhook items by processing result")
        }
        eventsProcessed = processed("processed")
        eventsIgnored = processed("ignored")
        eventsFailed = processed("failed")
    }

    /// The Prometheus text exposition of every metric.
    package func exposition() -> [UInt8] {
        var buffer: [UInt8] = []
        registry.emit(into: &buffer)
        return buffer
    }
}
