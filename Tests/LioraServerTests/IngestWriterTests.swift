import Foundation
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOConcurrencyHelpers
import Testing

/// A real store that refuses any batch holding a body marked `POISON` (as a database refuses a
/// value it cannot index), and holds its first `store` until released.
private final class PoisonInbox: WebhookInbox, Sendable {
    let base: any WebhookInbox
    let gate: AsyncStream<Void>
    let open: AsyncStream<Void>.Continuation
    let held = NIOLockedValueBox(false)
    let batches = NIOLockedValueBox<[Int]>([])

    init(base: any WebhookInbox) {
        self.base = base
        (gate, open) = AsyncStream.makeStream(of: Void.self)
    }

    func store(_ deliveries: [WebhookDelivery]) async throws -> [Int] {
        batches.withLockedValue { $0.append(deliveries.count) }
        if !held.withLockedValue({ let was = $0; $0 = true; return was }) {
            for await _ in gate { break }
        }
        if deliveries.contains(where: { String(decoding: $0.body, as: UTF8.self) == "POISON" }) {
            throw StoreError.corrupt("value too long for the index")
        }
        return try await base.store(deliveries)
    }
    func claimPendingEvents(limit: Int, now: Date, lease: TimeInterval, maxAttempts: Int) async throws -> [PendingWebhookEvent] {
        try await base.claimPendingEvents(limit: limit, now: now, lease: lease, maxAttempts: maxAttempts)
    }
    func payloadBodies(_ ids: [UUID]) async throws -> [UUID: [UInt8]] { try await base.payloadBodies(ids) }
    func finishEvents(_ outcomes: [WebhookEventOutcome], now: Date) async throws { try await base.finishEvents(outcomes, now: now) }
    func releaseEvents(_ events: [PendingWebhookEvent]) async throws -> Int { try await base.releaseEvents(events) }
    func renewClaims(_ events: [PendingWebhookEvent], from current: Date, until: Date) async throws {
        try await base.renewClaims(events, from: current, until: until)
    }
    func postponeEvents(_ events: [PendingWebhookEvent], until: Date) async throws { try await base.postponeEvents(events, until: until) }
    func failEvents(_ events: [PendingWebhookEvent], error: String, now: Date, maxAttempts: Int) async throws {
        try await base.failEvents(events, error: error, now: now, maxAttempts: maxAttempts)
    }
    func webhookEvents(limit: Int) async throws -> [WebhookEventRecord] { try await base.webhookEvents(limit: limit) }
    func payloadCount() async throws -> Int { try await base.payloadCount() }
}

@Suite("Ingest group commit")
struct IngestWriterTests {
    private func delivery(_ body: String, key: String) -> WebhookDelivery {
        WebhookDelivery(receivedAt: t0, body: Array(body.utf8),
                        items: [IngestItem(kind: .message, key: key, field: "messages", phoneNumberID: "1", wabaID: "2")])
    }

    @Test("a body the database refuses fails alone: the deliveries committed with it are stored and answered",
          arguments: TestBackend.available)
    func poisonFailsAlone(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let inbox = PoisonInbox(base: t.store)
            let writer = IngestWriter(inbox: inbox, metrics: LioraMetrics(), logger: TestDatabases.logger, onStored: {})
            async let first = writer.store(delivery("first", key: "m:first"))
            // While the first batch is held, two more queue up: they go in one batch together.
            while inbox.batches.withLockedValue({ $0.isEmpty }) { try await Task.sleep(for: .milliseconds(5)) }
            async let poison: String = { () async -> String in
                do { _ = try await writer.store(delivery("POISON", key: "m:poison")); return "stored" } catch { return "\(type(of: error))" }
            }()
            async let good = writer.store(delivery("good", key: "m:good"))
            let deadline = ContinuousClock.now + .seconds(60)
            while writer.queued < 2, ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            inbox.open.yield()
            #expect(try await first == 1)
            #expect(try await good == 1)
            #expect(await poison == "StoreError")
            #expect(inbox.batches.withLockedValue { $0 } == [1, 2, 1, 1])  // the pair, then each alone
            #expect(Set(try await t.store.webhookEvents(limit: 10).map(\.key)) == ["m:first", "m:good"])
        }
    }
}
