import HummingbirdTesting
import Foundation
import HTTPTypes
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOConcurrencyHelpers
import ServiceLifecycleTestKit
import Testing

@Suite("Nothing acknowledged is lost")
struct CrashRecoveryTests {
    /// A processor that answers with the test engine between two transactions (as on SQLite),
    /// running `between` there.
    private func splitProcessor(_ h: Harness, at now: Date = t0,
                                between: (@Sendable () async throws -> Void)? = nil) -> WebhookProcessor {
        splitProcessor(h, clock: FixedClock(now: now), between: between)
    }

    private func splitProcessor(_ h: Harness, clock: any LioraClock, between: (@Sendable () async throws -> Void)? = nil) -> WebhookProcessor {
        WebhookProcessor(store: h.store, clock: clock, metrics: LioraMetrics(), logger: TestDatabases.logger,
                         responder: ConversationResponder(engine: ConversationTests.engine), splitTransactions: true,
                         betweenTransactions: between)
    }

    /// A split processor that receives `webhooks` the first time a batch is between its transactions.
    private func splitProcessor(_ h: Harness, receivingOnceBetween webhooks: [Data]) -> WebhookProcessor {
        let arrived = NIOLockedValueBox(false)
        return splitProcessor(h) {
            guard !arrived.withLockedValue({ a in defer { a = true }; return a }) else { return }
            for webhook in webhooks { _ = try await h.post(webhook) }
        }
    }

    @Test("a webhook acknowledged before a crash is processed after restart, exactly once", arguments: TestBackend.available)
    func crashBetweenAckAndProcessing(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, _) = try await h.tenant()
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "999", id: "wamid.CR1")).status == .ok)
            // A worker claims the item and dies before finishing: its lease is held, nothing applied.
            let claimed = try await h.store.claimPendingEvents(limit: 10, now: t0, lease: 60)
            #expect(claimed.map(\.key) == ["m:wamid.CR1"])
            #expect(try await h.process() == 0)  // still leased by the dead worker

            // A restarted processor, a minute later, finds it again.
            let restarted = WebhookProcessor(store: h.store, clock: FixedClock(now: t0.addingTimeInterval(61)),
                                             metrics: LioraMetrics(), logger: TestDatabases.logger)
            #expect(try await restarted.runUntilIdle() == 1)
            #expect(try await restarted.runUntilIdle() == 0)
            try await h.store.withTenant(tenant.id) { s throws in
                #expect(try await s.conversationLogs(limit: 10).map(\.waMessageID) == ["wamid.CR1"])
                #expect(try await s.userContext(waID: "999")?.messageCount == 1)
            }
            let events = try await h.store.webhookEvents(limit: 10)
            #expect(events.map(\.state) == ["processed"])
            #expect(events[0].attempts == 2)
        }
    }

    @Test("a batch that runs longer than its lease keeps its items: the next claim does not take them back, and it is answered once",
          arguments: TestBackend.available)
    func longBatchKeepsItsLease(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            // One batch with two tenants' messages.
            let (first, firstPhone, _) = try await h.tenant()
            let (second, secondPhone, _) = try await h.tenant()
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: firstPhone, from: "999", id: "wamid.SLOW1")).status == .ok)
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: secondPhone, from: "998", id: "wamid.SLOW2")).status == .ok)
            // Each time a tenant's work is between its transactions, 61 s go by (a slow Bitly,
            // say): more than the 60 s lease. The next batch is claimed meanwhile, and must not
            // take the second tenant's items, still this batch's, back.
            let clock = ManualClock(t0)
            let box = NIOLockedValueBox<WebhookProcessor?>(nil)
            let processor = splitProcessor(h, clock: clock, between: {
                                                 // A claim started before has run (at the time before the jump), then time jumps.
                                                 _ = await box.withLockedValue({ $0 })?.claimedAhead()
                                                 clock.advance(by: 61)
                                             })
            box.withLockedValue { $0 = processor }
            for _ in 0..<8 { _ = try await processor.processBatch() }
            let events = try await h.store.webhookEvents(limit: 10)
            #expect(events.map(\.state) == ["processed", "processed"], "\(events.map(\.outcome))")
            #expect(events.allSatisfy { $0.attempts == 1 }, "\(events.map(\.attempts))")
            for (tenant, id) in [(first.id, "wamid.SLOW1"), (second.id, "wamid.SLOW2")] {
                #expect(try await h.store.withTenant(tenant) { try await $0.outbox(limit: 10) }.compactMap(\.replyTo) == [id])
            }
        }
    }

    @Test("after a tenant's batch fails, the same user's next message waits for the failed one: answered in order",
          arguments: TestBackend.available)
    func failedBatchKeepsOrder(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, _) = try await h.tenant()
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "888", id: "wamid.ORD1", body: "quiero reciclar")).status == .ok)
            // The first attempt fails between its transactions (a deadlock, say); it is retried 5 s later.
            let failures = NIOLockedValueBox(1)
            let clock = ManualClock(t0)
            let processor = splitProcessor(h, clock: clock, between: {
                                                 if failures.withLockedValue({ f in defer { f -= 1 }; return f > 0 }) {
                                                     clock.advance(by: 8)  // it fails 8 s into its batch
                                                     throw StoreError.unavailable("deadlock detected")
                                                 }
                                             })
            _ = try await processor.processBatch()
            // Meanwhile the user writes again (at t0+8: the hold runs from the failure, to t0+13).
            try await expectNextWaits(h, processor, clock, tenant: tenant.id, phone: phone, failed: "wamid.ORD1", next: "wamid.ORD2")
        }
    }

    /// The user writes `next` while `failed` waits for its retry: `next` is claimed but waits,
    /// then both are answered, `failed` first, and waiting charged `next` no attempt.
    private func expectNextWaits(_ h: Harness, _ processor: WebhookProcessor, _ clock: ManualClock, tenant: UUID, phone: String,
                                 failed: String, next: String) async throws {
        #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "888", id: next, body: "pilas")).status == .ok)
        _ = try await processor.processBatch()
        #expect(try await h.store.withTenant(tenant) { try await $0.outbox(limit: 10) }.isEmpty)
        clock.advance(by: 6)
        for _ in 0..<3 { _ = try await processor.processBatch() }
        let answered = try await h.store.withTenant(tenant) { try await $0.outbox(limit: 10) }.compactMap(\.replyTo)
        #expect(answered.first == failed && Set(answered) == [failed, next], "\(answered)")
        #expect(try await h.store.webhookEvents(limit: 10).map(\.state) == ["processed", "processed"])
        #expect(try await h.store.webhookEvents(limit: 10).map(\.attempts) == [2, 1])
    }

    @Test("a processor that did not receive the webhooks itself reads their bodies a few at a time and answers each",
          arguments: TestBackend.available)
    func bodiesReadInGroups(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, _) = try await h.tenant()
            let ids = (0..<21).map { "wamid.G\($0)" }
            for (i, id) in ids.enumerated() {
                #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "77\(i)", id: id, body: "hola")).status == .ok)
            }
            // Another instance, or this one after a restart: nothing decoded at hand.
            let other = splitProcessor(h)
            #expect(try await other.runUntilIdle() == ids.count)
            let answered = try await h.store.withTenant(tenant.id) { try await $0.outbox(limit: 100) }.compactMap(\.replyTo)
            #expect(Set(answered) == Set(ids))
        }
    }

    @Test("a batch that fails before its items are told apart by tenant retries them after the back-off; the user's next message waits",
          arguments: TestBackend.available)
    func batchWideFailureKeepsOrder(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, _) = try await h.tenant()
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "888", id: "wamid.BW1", body: "quiero reciclar")).status == .ok)
            let clock = ManualClock(t0)
            let processor = splitProcessor(h, clock: clock)
            // The routing lookup fails (a failover, a reset connection): a real error from the database.
            try await h.test.asOwner { c in try await c.query("ALTER TABLE waba_accounts RENAME TO waba_accounts_off", []) }
            _ = try await processor.processBatch()
            try await h.test.asOwner { c in try await c.query("ALTER TABLE waba_accounts_off RENAME TO waba_accounts", []) }
            let failed = try await h.store.webhookEvents(limit: 10)
            #expect(failed.map(\.state) == ["pending"] && failed.map(\.attempts) == [1], "\(failed)")
            // The user writes again before the retry.
            try await expectNextWaits(h, processor, clock, tenant: tenant.id, phone: phone, failed: "wamid.BW1", next: "wamid.BW2")
        }
    }

    @Test("a user's next message claimed ahead before the failure's retry still waits for it, however late it is processed",
          arguments: TestBackend.available)
    func claimedAheadWaitsForTheFailure(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (other, otherPhone, _) = try await h.tenant()
            let (tenant, phone, _) = try await h.tenant()
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: otherPhone, from: "111", id: "wamid.B1")).status == .ok)
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "888", id: "wamid.A1", body: "quiero reciclar")).status == .ok)
            let calls = NIOLockedValueBox(0)
            let clock = ManualClock(t0)
            let processor = splitProcessor(h, clock: clock, between: {
                                                 switch calls.withLockedValue({ c in c += 1; return c }) {
                                                 case 1:  // the other tenant's work: the user writes again, and the next batch is claimed
                                                     _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "888", id: "wamid.A2", body: "pilas"))
                                                 case 2:  // this tenant's work fails
                                                     throw StoreError.unavailable("deadlock detected")
                                                 default: break
                                                 }
                                             })
            _ = try await processor.processBatch()
            // The batch claimed ahead (holding A2) is processed only after A1's retry time.
            clock.advance(by: 6)
            for _ in 0..<3 { _ = try await processor.processBatch() }
            let answered = try await h.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }.compactMap(\.replyTo)
            #expect(answered.first == "wamid.A1" && Set(answered) == ["wamid.A1", "wamid.A2"], "\(answered)")
            #expect(try await h.store.withTenant(other.id) { try await $0.outbox(limit: 10) }.count == 1)
        }
    }

    @Test("renewing a batch's lease leaves its failed items on their retry time", arguments: TestBackend.available)
    func renewalKeepsRetryTimes(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (_, phone, _) = try await h.tenant()
            for id in ["wamid.R1", "wamid.R2"] {
                #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "777", id: id)).status == .ok)
            }
            let claimed = try await h.store.claimPendingEvents(limit: 10, now: t0, lease: 60)
            #expect(claimed.count == 2)
            try await h.store.failEvents([claimed[0]], error: "deadlock", now: t0, maxAttempts: 5)  // retry at t0+5
            try await h.store.renewClaims(claimed, from: t0.addingTimeInterval(60), until: t0.addingTimeInterval(120))
            // At t0+6 the failed item is claimable again; the other is still leased.
            let again = try await h.store.claimPendingEvents(limit: 10, now: t0.addingTimeInterval(6), lease: 60)
            #expect(again.map(\.key) == ["m:wamid.R1"])
        }
    }

    @Test("a batch stopped between its two transactions is processed again: answered once, counted once",
          arguments: TestBackend.available)
    func crashBetweenSplitTransactions(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, _) = try await h.tenant()
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "777", id: "wamid.SPLIT1", body: "hola")).status == .ok)
            let crashes = NIOLockedValueBox(0)
            let dying = splitProcessor(h) { crashes.withLockedValue { $0 += 1 }; throw CancellationError() }
            _ = try await dying.processBatch()
            #expect(crashes.withLockedValue { $0 } == 1)
            try await h.store.withTenant(tenant.id) { s throws in
                #expect(try await s.outbox(limit: 10).isEmpty)
                #expect(try await s.conversationLogs(limit: 10).isEmpty)
                #expect(try await s.userContext(waID: "777")?.messageCount == 0)
            }
            // After the retry delay another processor finds the item again and finishes it.
            let next = splitProcessor(h, at: t0.addingTimeInterval(61))
            #expect(try await next.runUntilIdle() == 1)
            try await h.store.withTenant(tenant.id) { s throws in
                let outbox = try await s.outbox(limit: 10)
                #expect(outbox.count == 1, "\(outbox.map(\.kind))")
                #expect(outbox.allSatisfy { $0.replyTo == "wamid.SPLIT1" && $0.marksRead })
                let logs = try await s.conversationLogs(limit: 10)
                #expect(logs.filter { $0.direction == .inbound }.map(\.waMessageID) == ["wamid.SPLIT1"])
                #expect(logs.filter { $0.direction == .outbound }.map(\.id) == outbox.map(\.id))  // the one queued answer
                #expect(try await s.userContext(waID: "777")?.messageCount == 1)
            }
            #expect(try await h.store.webhookEvents(limit: 10).map(\.state) == ["processed"])
        }
    }

    @Test("a processor that stalls past its lease, while another answers its batch, commits nothing: one answer",
          arguments: TestBackend.available)
    func stalledPastLease(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, _) = try await h.tenant()
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "5215500000066", id: "wamid.ST1")).status == .ok)
            // A's batch stalls between its transactions (a long catalog build, a paused VM) for
            // longer than its lease; meanwhile B, a minute later, claims the item and answers it.
            let other = splitProcessor(h, at: t0.addingTimeInterval(61))
            let stalled = splitProcessor(h) {
                let answered = try await other.runUntilIdle()
                #expect(answered == 1)
            }
            // A's last transaction finds the item no longer its own and rolls back.
            #expect(try await stalled.processBatch() == 1)
            try await h.store.withTenant(tenant.id) { s throws in
                #expect(try await s.outbox(limit: 10).count == 1)
                #expect(try await s.conversationLogs(limit: 10).filter { $0.direction == .inbound }.count == 1)
                #expect(try await s.userContext(waID: "5215500000066")?.messageCount == 1)
            }
            let events = try await h.store.webhookEvents(limit: 10)
            #expect(events.map(\.state) == ["processed"])
            #expect(try await other.runUntilIdle() == 0)
        }
    }

    @Test("messages arriving while a batch is answered are claimed ahead, then answered once, in order",
          arguments: TestBackend.available)
    func nextBatchClaimedAhead(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, _) = try await h.tenant()
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "888", id: "wamid.AHEAD1", body: "hola")).status == .ok)
            // While the first batch is between its transactions, two more messages arrive.
            let processor = splitProcessor(h, receivingOnceBetween: [
                WebhookBuilder.text(phoneNumberID: phone, from: "888", id: "wamid.AHEAD2", body: "gracias"),
                WebhookBuilder.text(phoneNumberID: phone, from: "889", id: "wamid.AHEAD3", body: "hola")])
            #expect(try await processor.processBatch() == 1)
            // The first batch started claiming the next one before its second transaction: both
            // new items are leased (one attempt each) but not processed yet.
            #expect(await processor.claimedAhead() == 2)
            let between = try await h.store.webhookEvents(limit: 10)
            #expect(between.map(\.state) == ["processed", "pending", "pending"])
            #expect(between.map(\.attempts) == [1, 1, 1])
            #expect(try await processor.processBatch() == 2)
            #expect(try await processor.processBatch() == 0)
            #expect(try await h.store.webhookEvents(limit: 10).map(\.attempts) == [1, 1, 1])
            try await h.store.withTenant(tenant.id) { s throws in
                let outbox = try await s.outbox(limit: 20)
                #expect(outbox.compactMap(\.replyTo) == ["wamid.AHEAD1", "wamid.AHEAD2", "wamid.AHEAD3"])
                let inbound = try await s.conversationLogs(limit: 20).filter { $0.direction == .inbound }
                #expect(Set(inbound.compactMap(\.waMessageID)) == ["wamid.AHEAD1", "wamid.AHEAD2", "wamid.AHEAD3"])
                #expect(inbound.count == 3)
                #expect(try await s.userContext(waID: "888")?.messageCount == 2)
                #expect(try await s.userContext(waID: "889")?.messageCount == 1)
            }
        }
    }

    @Test("a processor stopping with a batch claimed ahead gives it back: the next one answers it at once",
          arguments: TestBackend.available)
    func claimedAheadGivenBackOnStop(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, _) = try await h.tenant()
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "881", id: "wamid.STOP1", body: "hola")).status == .ok)
            let processor = splitProcessor(h, receivingOnceBetween: [
                WebhookBuilder.text(phoneNumberID: phone, from: "882", id: "wamid.STOP2", body: "hola")])
            #expect(try await processor.processBatch() == 1)
            #expect(await processor.claimedAhead() == 1)
            // The processor stops here; what it claimed ahead is given back, not left leased.
            #expect(await processor.releaseClaimedAhead() == 1)
            #expect(await processor.releaseClaimedAhead() == 0)
            let events = try await h.store.webhookEvents(limit: 10)
            #expect(events.map(\.state) == ["processed", "pending"])
            #expect(events.map(\.attempts) == [1, 0])
            // The next processor, at the same instant (no lease to wait out), answers it once.
            let next = splitProcessor(h)
            #expect(try await next.runUntilIdle() == 1)
            #expect(try await h.store.webhookEvents(limit: 10).map(\.attempts) == [1, 1])
            try await h.store.withTenant(tenant.id) { s throws in
                #expect(try await s.outbox(limit: 10).compactMap(\.replyTo) == ["wamid.STOP1", "wamid.STOP2"])
            }
        }
    }

    @Test("on graceful shutdown the processor ends after its current batch, leaving the rest claimable at once",
          arguments: TestBackend.available)
    func gracefulShutdownStopsBetweenBatches(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, _) = try await h.tenant()
            for i in 0..<12 {
                let webhook = WebhookBuilder.text(phoneNumberID: phone, from: "86\(i)", id: "wamid.GS\(i)", body: "hola")
                #expect(try await h.post(webhook).status == .ok)
            }
            try await testGracefulShutdown { shutdown in
                // Shutdown is asked for while the first batch (4 items) is between its transactions.
                let processor = WebhookProcessor(
                    store: h.store, clock: FixedClock(now: t0), metrics: LioraMetrics(), logger: TestDatabases.logger,
                    batchSize: 4, responder: ConversationResponder(engine: ConversationTests.engine), splitTransactions: true,
                    betweenTransactions: { shutdown.triggerGracefulShutdown() })
                processor.wake()
                try await processor.run()
            }
            let events = try await h.store.webhookEvents(limit: 20)
            #expect(events.map(\.state) == Array(repeating: "processed", count: 4) + Array(repeating: "pending", count: 8))
            // Nothing is left leased: all eight are claimable now, none charged an attempt.
            #expect(events.dropFirst(4).allSatisfy { $0.attempts == 0 })
            #expect(try await h.store.claimPendingEvents(limit: 20, now: t0, lease: 60).count == 8)
            try await h.store.withTenant(tenant.id) { s throws in
                #expect(try await s.outbox(limit: 20).count == 4)
            }
        }
    }

    @Test("many concurrent deliveries are all stored and each answered once", arguments: TestBackend.available)
    func concurrentDeliveries(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, _) = try await h.tenant()
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<64 {
                    group.addTask {
                        try await h.postOnOwnConnection(WebhookBuilder.text(phoneNumberID: phone, from: "55\(i % 8)", id: "wamid.CC\(i)"))
                    }
                }
                return try await group.reduce(into: [HTTPResponse.Status]()) { $0.append($1) }
            }
            #expect(statuses.count == 64)
            #expect(statuses.allSatisfy { $0 == .ok })
            #expect(try await h.store.payloadCount() == 64)
            #expect(try await h.process() == 64)
            let users = try await h.store.withTenant(tenant.id) { try await $0.userContexts() }
            #expect(users.count == 8)
            #expect(users.map(\.messageCount).reduce(0, +) == 64)
        }
    }
}
