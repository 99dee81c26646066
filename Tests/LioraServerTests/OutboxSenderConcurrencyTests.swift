import Foundation
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOConcurrencyHelpers
import Testing
import WhatsApp
import WhatsAppGraph

@Suite("Outbox sender: concurrent, in order per user")
struct OutboxSenderConcurrencyTests {
    @Test("each user's read receipt and answer parts go out in queued order while users are served in parallel, across claims",
          arguments: TestBackend.available)
    func perUserOrder(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            // 12 users, each a read receipt and 3 parts, queued interleaved (as several webhooks'
            // messages are), so a user's replies are spread over several small claims.
            let users = (0..<12).map { "3460000\(String(format: "%04d", $0))" }
            var entries: [OutboxEntry] = []
            for step in 0..<4 {
                for user in users {
                    let at = t0.addingTimeInterval(Double(entries.count) / 1000)
                    entries.append(step == 0 ? readEntry(tenant, account, to: user, at: at)
                                             : textEntry(tenant, account, to: user, body: "\(user) part \(step)", at: at))
                }
            }
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }

            let graph = ShufflingGraphAPI(seed: 7)
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")),
                                      clock: ManualClock(t0), concurrency: 4, claimLimit: 5, logger: TestDatabases.logger)
            #expect(try await sender.sendDue() == 48)
            #expect(try await sender.sendDue() == 0)

            let calls = graph.calls
            #expect(calls.count == 48)
            for user in users {
                #expect(calls.filter { $0.to == user }.map(\.label) == ["read", "\(user) part 1", "\(user) part 2", "\(user) part 3"])
            }
            #expect(graph.peakInFlight <= 4)
            #expect(graph.peakInFlight > 1, "users were not served in parallel")

            try await t.store.withTenant(tenant.id) { s throws in
                let rows = try await s.outbox(limit: 100)
                #expect(rows.count == 48)
                #expect(rows.allSatisfy { $0.state == .sent && $0.attempts == 1 && $0.waMessageID != nil })
                let logs = try await s.conversationLogs(limit: 100)
                #expect(logs.count == 36)  // the answers; read receipts are not conversation messages
                #expect(logs.allSatisfy { $0.direction == .outbound && $0.status == "accepted" })
            }
        }
    }

    @Test("a reply that marks its message read sends the receipt just before it; a refused receipt does not hold the answer back",
          arguments: TestBackend.available)
    func receiptsRideOnTheFirstPart(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            var entries: [OutboxEntry] = []
            for user in ["34600000001", "34600000002"] {
                for part in 1...2 {
                    var e = textEntry(tenant, account, to: user, body: "\(user) part \(part)", at: t0.addingTimeInterval(Double(entries.count) / 1000))
                    e.marksRead = part == 1
                    entries.append(e)
                }
            }
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }
            let graph = FakeGraphAPI()
            graph.failNextMarkReads(1, with: .rejected(status: 400, code: 100, subcode: nil, message: "bad receipt"))
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")),
                                      clock: ManualClock(t0), concurrency: 1, logger: TestDatabases.logger)
            #expect(try await sender.sendDue() == 4)
            // One receipt per answer (not per part), each for the message answered.
            #expect(graph.markReadCalls.map(\.markRead.messageID) == ["wamid.IN.34600000001", "wamid.IN.34600000002"])
            #expect(graph.markReadCalls.allSatisfy { $0.markRead.showsTypingIndicator })
            #expect(graph.sent.count == 4)
            try await t.store.withTenant(tenant.id) { s throws in
                #expect(try await s.outbox(limit: 10).allSatisfy { $0.state == .sent && $0.attempts == 1 })
                #expect(try await s.outbox(limit: 10).map(\.marksRead) == [true, false, true, false])
            }
        }
    }

    @Test("no more Graph API requests are in flight than the configured concurrency, and it is reached")
    func concurrencyBound() async throws {
        try await TestDatabases.withStore(.sqlite) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            let entries = (0..<20).map { i in
                textEntry(tenant, account, to: "4915100000\(String(format: "%03d", i))", body: "hola \(i)",
                          at: t0.addingTimeInterval(Double(i) / 1000))
            }
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }
            // Holds requests until as many as the bound are waiting (or all that are left), then lets one go.
            let graph = GatedGraphAPI(bound: 4, total: 20)
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")),
                                      clock: ManualClock(t0), concurrency: 4, logger: TestDatabases.logger)
            // A sender that never reaches the bound would wait here forever: after 10 s without
            // progress the gate opens, and the test fails instead of hanging.
            let watchdog = Task {
                var last = -1
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(10))
                    let now = graph.released
                    if now == last { graph.open(); return }
                    last = now
                }
            }
            defer { watchdog.cancel() }
            #expect(try await sender.sendDue() == 20)
            #expect(!graph.opened, "the sender stalled below the bound")
            #expect(graph.peakInFlight == 4)
            #expect(Set(graph.fake.sent.map(\.message.to)).count == 20)
        }
    }

    @Test("several tenants' replies all go out in one pass, each with its own number", arguments: TestBackend.available)
    func severalTenants(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            var expected: [String: String] = [:]  // wa_id → the tenant's phone number id
            for k in 0..<3 {
                let (tenant, account) = try await makeSenderTenant(t.store)
                let entries = (0..<5).map { i in
                    textEntry(tenant, account, to: "3470\(k)0000\(i)", body: "hola \(i)", at: t0.addingTimeInterval(Double(i) / 1000))
                }
                for e in entries { expected[e.toWaID] = account.phoneNumberID }
                try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }
            }
            let graph = FakeGraphAPI()
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")),
                                      clock: ManualClock(t0), concurrency: 4, claimLimit: 2, logger: TestDatabases.logger)
            #expect(try await sender.sendDue() == 15)
            #expect(Dictionary(uniqueKeysWithValues: graph.sent.map { ($0.message.to, $0.phoneNumberID) }) == expected)
            #expect(try await sender.sendDue() == 0)
        }
    }

    @Test("a reply that will be retried holds back the user's later replies, which then follow it in order; a permanent failure does not",
          arguments: TestBackend.available)
    func retryKeepsOrder(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            let user = "5215511112222"
            let entries = [readEntry(tenant, account, to: user, at: t0)] + (1...3).map {
                textEntry(tenant, account, to: user, body: "part \($0)", at: t0.addingTimeInterval(Double($0) / 1000))
            }
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }
            let graph = FakeGraphAPI()
            let clock = ManualClock(t0)
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")),
                                      clock: clock, concurrency: 8, logger: TestDatabases.logger)

            graph.failNextSends(1, with: .rejected(status: 503, code: nil, subcode: nil, message: "try later"))
            #expect(try await sender.sendDue() == 2)  // the read receipt and part 1; parts 2 and 3 wait
            #expect(graph.sendCalls.map(\.message.textBody) == ["part 1"])
            let waiting = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(waiting.map(\.state) == [.sent, .pending, .pending, .pending])
            #expect(waiting[1].lastError?.contains("503") == true)
            #expect(waiting[2].nextAttemptAt == waiting[1].nextAttemptAt)
            #expect(waiting[3].nextAttemptAt == waiting[1].nextAttemptAt)
            #expect(waiting[1].nextAttemptAt > t0)
            #expect(try await sender.sendDue() == 0)  // nothing is due before the retry

            clock.advance(by: 2)  // past the first back-off (1 s ± 20 %)
            // Part 1 now fails for good: parts 2 and 3 go out after it anyway.
            graph.failNextSends(1, with: .rejected(status: 400, code: 131026, subcode: nil, message: "undeliverable"))
            #expect(try await sender.sendDue() == 3)
            #expect(graph.sendCalls.map(\.message.textBody) == ["part 1", "part 1", "part 2", "part 3"])
            let rows = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(rows.map(\.state) == [.sent, .failed, .sent, .sent])
            #expect(rows[1].attempts == 2)
            let logs = try await t.store.withTenant(tenant.id) { try await $0.conversationLogs(limit: 10) }
            #expect(logs.map(\.status).sorted() == ["accepted", "accepted", "failed"])
        }
    }

    @Test("a reply queued after the round that saw the user's reply fail waits for that retry, then follows it",
          arguments: TestBackend.available)
    func laterRoundKeepsOrder(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            let (user, other) = ("5215533334444", "5215533335555")
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies([textEntry(tenant, account, to: user, body: "first", at: t0)]) }
            let graph = FakeGraphAPI()
            let clock = ManualClock(t0)
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")), clock: clock,
                                      policy: RetryPolicy(base: 5, jitter: 0), concurrency: 4, logger: TestDatabases.logger)
            graph.failNextSends(1, with: .rejected(status: 503, code: nil, subcode: nil, message: "try later"))
            #expect(try await sender.sendDue() == 1)

            // The user's next message is answered while the first answer waits for its retry.
            clock.advance(by: 1)
            try await t.store.withTenant(tenant.id) { s in
                try await s.enqueueReplies([textEntry(tenant, account, to: user, body: "second", at: clock.now),
                                            textEntry(tenant, account, to: other, body: "someone else", at: clock.now)])
            }
            #expect(try await sender.sendDue() == 1)
            #expect(graph.sent.map(\.message.textBody) == ["someone else"])
            clock.advance(by: 5)
            #expect(try await sender.sendDue() == 2)
            #expect(graph.sendCalls.filter { $0.message.to == user }.map(\.message.textBody) == ["first", "first", "second"])
            #expect(try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }.allSatisfy { $0.state == .sent })
        }
    }

    @Test("a reply Meta accepted is not sent again when recording it fails: the attempt is kept and written before the next claim",
          arguments: TestBackend.available)
    func failedWriteIsNotResent(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            let user = "34611112222"
            let entries = (1...3).map { textEntry(tenant, account, to: user, body: "part \($0)", at: t0.addingTimeInterval(Double($0) / 1000)) }
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }
            let graph = FakeGraphAPI()
            let clock = ManualClock(t0)
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")), clock: clock,
                                      concurrency: 4, recordRetryDelays: [.milliseconds(10), .milliseconds(10)], logger: TestDatabases.logger)

            // The database refuses to record any reply as sent (every try, retries included).
            try await refuseSentRecords(t, true)
            await #expect(throws: (any Error).self) { try await sender.sendDue() }
            #expect(graph.sent.map(\.message.textBody) == ["part 1", "part 2", "part 3"])
            #expect(sender.unwrittenAttempts == 3)
            #expect(try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }.allSatisfy { $0.state == .pending })
            // Still refusing: the next round writes nothing, claims nothing, sends nothing.
            clock.advance(by: 61)  // past the claim's lease
            await #expect(throws: (any Error).self) { try await sender.sendDue() }
            #expect(graph.sendCalls.count == 3)

            // The database is back: the kept attempts are written first, and nothing goes out twice.
            try await refuseSentRecords(t, false)
            #expect(try await sender.sendDue() == 0)
            #expect(graph.sendCalls.count == 3)
            #expect(sender.unwrittenAttempts == 0)
            let rows = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(rows.map(\.state) == [.sent, .sent, .sent])
            #expect(rows.map(\.waMessageID) == graph.sent.map(\.messageID))
            #expect(rows.allSatisfy { $0.attempts == 1 })
            let logs = try await t.store.withTenant(tenant.id) { try await $0.conversationLogs(limit: 10) }
            #expect(logs.map(\.status) == ["accepted", "accepted", "accepted"])
        }
    }

    @Test("when Meta throttles the business number, its other users' replies wait too, uncharged, instead of each hitting the limit",
          arguments: TestBackend.available, [130429, 131048])
    func numberThrottleHoldsEveryone(backend: TestBackend, code: Int) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            let users = ["34600000001", "34600000002", "34600000003"]
            let entries = users.enumerated().map { i, user in
                textEntry(tenant, account, to: user, body: "hola \(i)", at: t0.addingTimeInterval(Double(i) / 1000))
            }
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }
            let clock = ManualClock(t0)
            let graph = FakeGraphAPI()
            graph.failNextSends(1, with: .rejected(status: 400, code: code, subcode: nil, message: "(#\(code)) Rate limit hit"))
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")), clock: clock,
                                      concurrency: 1, logger: TestDatabases.logger)
            _ = try await sender.sendDue()
            // One request met the limit; the others were not sent into it.
            #expect(graph.sendCalls.count == 1)
            var rows = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(rows.map(\.attempts).sorted() == [0, 0, 1], "\(rows.map(\.attempts))")
            #expect(rows.allSatisfy { $0.state == .pending })
            // After the back-off (1 s ± 20 %) every reply goes, each user's once.
            clock.advance(by: 5)
            for _ in 0..<3 { _ = try await sender.sendDue() }
            #expect(Set(graph.sent.map(\.message.to)) == Set(users))
            rows = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(rows.allSatisfy { $0.state == .sent })
            #expect(rows.map(\.attempts).sorted() == [1, 1, 2])
        }
    }

    @Test("a reply whose lease ran short is not started: it and the user's later replies wait for the next claim, in order",
          arguments: TestBackend.available)
    func shortLeaseIsNotSent(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            let user = "34622223333"
            let entries = (1...4).map { textEntry(tenant, account, to: user, body: "part \($0)", at: t0.addingTimeInterval(Double($0) / 1000)) }
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }
            let clock = ManualClock(t0)
            // Each send takes 20 s; the lease is 60 s, and no reply starts in its last 30 s.
            let graph = SlowGraphAPI(clock: clock, step: 20)
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")), clock: clock,
                                      concurrency: 4, lease: 60, logger: TestDatabases.logger)
            #expect(try await sender.sendDue() == 2)  // parts 1 and 2, at t0 and t0 + 20 s
            #expect(graph.fake.sent.map(\.message.textBody) == ["part 1", "part 2"])
            #expect(try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }.map(\.state) == [.sent, .sent, .pending, .pending])
            // Put back for a second, in order: not due yet.
            #expect(try await sender.sendDue() == 0)
            clock.advance(by: 21)  // t0 + 61 s: the claim is over
            #expect(try await sender.sendDue() == 2)
            #expect(graph.fake.sent.map(\.message.textBody) == ["part 1", "part 2", "part 3", "part 4"])
            let rows = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(rows.allSatisfy { $0.state == .sent && $0.attempts == 1 })
        }
    }

    @Test("a later reply claimed while the user's failed reply is not back yet waits for it, even once the retry time has passed",
          arguments: TestBackend.available)
    func holdLastsUntilTheRetryIsBack(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            let (user, other) = ("34655556666", "34655550000")
            var entries = [textEntry(tenant, account, to: other, body: "held", at: t0),
                           textEntry(tenant, account, to: user, body: "A", at: t0.addingTimeInterval(0.001))]
            entries += (0..<10).map { textEntry(tenant, account, to: "3465555100\($0)", body: "filler \($0)", at: t0.addingTimeInterval(0.01 + Double($0) / 1000)) }
            // B and C come due after A failed (its send moves the clock 5 s, each filler 1 s), and are
            // claimed once A's retry time has passed but while A's failure is not written yet (the
            // held reply keeps a send running, so nothing is flushed).
            for (i, body) in ["B", "C"].enumerated() {
                var e = textEntry(tenant, account, to: user, body: body, at: t0.addingTimeInterval(1 + Double(i) / 1000))
                e.nextAttemptAt = t0.addingTimeInterval(3)
                entries.append(e)
            }
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }
            let clock = ManualClock(t0)
            let graph = HoldingGraphAPI(clock: clock, held: other, failing: user)
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")), clock: clock,
                                      policy: RetryPolicy(base: 2, jitter: 0), concurrency: 2, claimLimit: 2,
                                      recordFlushInterval: .seconds(3600), logger: TestDatabases.logger)
            let round = Task { try await sender.sendDue() }
            let deadline = ContinuousClock.now + .seconds(60)
            while graph.fake.sent.filter({ $0.message.to.hasPrefix("3465555100") }).count < 10 && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(5))
            }
            try await Task.sleep(for: .milliseconds(300))  // the claim of B and C
            graph.release()
            _ = try await within(.seconds(60)) { try await round.value }
            clock.advance(by: 5)
            _ = try await within(.seconds(60)) { try await sender.sendDue() }
            let mine = graph.fake.sendCalls.filter { $0.message.to == user }
            #expect(mine.map(\.message.textBody) == ["A", "A", "B", "C"])
            #expect(mine.first?.messageID == nil)
        }
    }

    @Test("no reply starts unless its lease leaves room for a read receipt and the reply at the Graph client's timeout")
    func marginFollowsTheClientTimeout() async throws {
        struct Timed: GraphAPIClient {
            let fake = FakeGraphAPI()
            var requestTimeout: Duration? { .seconds(15) }
            func send(_ message: OutboundMessage, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
                try await fake.send(message, phoneNumberID: phoneNumberID, accessToken: accessToken)
            }
            func markRead(_ m: MarkRead, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
                try await fake.markRead(m, phoneNumberID: phoneNumberID, accessToken: accessToken)
            }
        }
        try await TestDatabases.withStore(.sqlite) { t in
            func margin(_ graph: any GraphAPIClient, lease: TimeInterval) -> TimeInterval {
                OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("t")), clock: ManualClock(t0), lease: lease,
                             logger: TestDatabases.logger).sendMargin
            }
            #expect(margin(Timed(), lease: 60) == 35)  // 2 × 15 s + 5 s
            #expect(margin(Timed(), lease: 20) == 18)  // never more than 90 % of the lease
            #expect(margin(FakeGraphAPI(), lease: 60) == 30)  // no timeout known: half the lease
        }
    }

    @Test("a sent reply is recorded within the flush interval while another user's slow send is still in flight",
          arguments: TestBackend.available)
    func recordsDoNotWaitForSlowSends(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            let (slow, quick) = ("34677770000", "34677771111")
            try await t.store.withTenant(tenant.id) { s in
                try await s.enqueueReplies([textEntry(tenant, account, to: slow, body: "slow", at: t0),
                                            textEntry(tenant, account, to: quick, body: "quick", at: t0.addingTimeInterval(0.001))])
            }
            let clock = ManualClock(t0)
            let graph = HoldingGraphAPI(clock: clock, held: slow, failing: "nobody")
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")), clock: clock,
                                      concurrency: 2, recordFlushInterval: .milliseconds(50), logger: TestDatabases.logger)
            let round = Task { try await sender.sendDue() }
            // The quick reply's record reaches the database while the slow send is still held.
            let deadline = ContinuousClock.now + .seconds(60)
            var recorded = false
            while !recorded && ContinuousClock.now < deadline {
                try await Task.sleep(for: .milliseconds(10))
                recorded = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }.contains { $0.toWaID == quick && $0.state == .sent }
            }
            #expect(recorded)
            #expect(graph.fake.sent.map(\.message.to) == [quick])
            graph.release()
            #expect(try await within(.seconds(60)) { try await round.value } == 2)
            #expect(try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }.allSatisfy { $0.state == .sent })
        }
    }

    @Test("a user's retry that comes due while the same round is still sending goes out in that round, followed by the replies it held back",
          arguments: TestBackend.available)
    func retryDueInTheSameRound(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            let user = "34633334444"
            var entries = (1...2).map { textEntry(tenant, account, to: user, body: "part \($0)", at: t0.addingTimeInterval(Double($0) / 1000)) }
            // Other users' replies, queued after, keep the round claiming (two at a time).
            entries += (0..<8).map { textEntry(tenant, account, to: "3464444000\($0)", body: "other \($0)", at: t0.addingTimeInterval(1 + Double($0) / 1000)) }
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }
            let clock = ManualClock(t0)
            let graph = SlowGraphAPI(clock: clock, step: 1)  // each send moves the clock 1 s
            graph.fake.failNextSends(1, with: .rejected(status: 503, code: nil, subcode: nil, message: "try later"))
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")), clock: clock,
                                      policy: RetryPolicy(base: 2, jitter: 0), concurrency: 1, claimLimit: 2, logger: TestDatabases.logger)
            let sent = try await within(.seconds(60)) { try await sender.sendDue() }
            #expect(sent == 11)  // part 1 twice, part 2, the 8 others
            let mine = graph.fake.sendCalls.filter { $0.message.to == user }
            #expect(mine.map(\.message.textBody) == ["part 1", "part 1", "part 2"])
            #expect(mine.map { $0.messageID != nil } == [false, true, true])
            let rows = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 20) }
            #expect(rows.allSatisfy { $0.state == .sent })
            #expect(rows[0].attempts == 2 && rows[1].attempts == 1)
        }
    }
}

// MARK: - Helpers

private func makeSenderTenant(_ store: SQLStore) async throws -> (Tenant, WabaAccount) {
    let id = UUID()
    let tenant = try await store.createTenant(NewTenant(id: id, slug: "send-\(id.uuidString.prefix(8).lowercased())", name: "Shop"),
                                              actor: "test", now: t0)
    let phone = String(UInt64.random(in: 100_000_000_000_000...999_999_999_999_999))
    let account = try await store.withTenant(id) { s throws in
        try await s.addWabaAccount(NewWabaAccount(wabaID: "200000000000001", phoneNumberID: phone, displayPhoneNumber: "15550001111"),
                                   actor: "test", now: t0)
    }
    return (tenant, account)
}

private func textEntry(_ tenant: Tenant, _ account: WabaAccount, to waID: String, body: String, at: Date) -> OutboxEntry {
    let json = String(decoding: try! JSONEncoder().encode(OutboundMessage(to: waID, kind: .text(body: body))), as: UTF8.self)
    return OutboxEntry(tenantID: tenant.id, userContextID: nil, wabaAccountID: account.id, toWaID: waID, kind: "text",
                       payloadJSON: json, summary: body, intent: "core.saludo", replyTo: "wamid.IN.\(waID)",
                       nextAttemptAt: t0, createdAt: at)
}

private func readEntry(_ tenant: Tenant, _ account: WabaAccount, to waID: String, at: Date) -> OutboxEntry {
    let json = String(decoding: try! JSONEncoder().encode(MarkRead(messageID: "wamid.IN.\(waID)", showsTypingIndicator: true)),
                      as: UTF8.self)
    return OutboxEntry(tenantID: tenant.id, userContextID: nil, wabaAccountID: account.id, toWaID: waID, kind: "read",
                       payloadJSON: json, replyTo: "wamid.IN.\(waID)", nextAttemptAt: t0, createdAt: at)
}

extension OutboundMessage {
    /// The body of a text message (nil for other kinds).
    fileprivate var textBody: String? {
        if case .text(let body, _) = kind { return body }
        return nil
    }
}

/// Counts requests in flight and their peak.
private struct InFlight {
    var now = 0
    var peak = 0
    mutating func enter() {
        now += 1
        peak = max(peak, now)
    }
}

/// A Graph API that answers every call, after yielding a pseudo-random number of times so that
/// concurrent calls finish in a scrambled order; records each call (who, what) as it is made.
private final class ShufflingGraphAPI: GraphAPIClient {
    struct Call: Sendable {
        var to: String
        var label: String
    }

    private struct State {
        var calls: [Call] = []
        var inFlight = InFlight()
        var generator: SeededGenerator
        var nextID = 1
    }

    private let state: NIOLockedValueBox<State>

    init(seed: UInt64) { state = NIOLockedValueBox(State(generator: SeededGenerator(seed: seed))) }

    var calls: [Call] { state.withLockedValue { $0.calls } }
    var peakInFlight: Int { state.withLockedValue { $0.inFlight.peak } }

    private func call(_ c: Call) async -> Int {
        let yields = state.withLockedValue { s in
            s.calls.append(c)
            s.inFlight.enter()
            return Int.random(in: 1...12, using: &s.generator)
        }
        for _ in 0..<yields { await Task.yield() }
        return state.withLockedValue { s in
            s.inFlight.now -= 1
            s.nextID += 1
            return s.nextID
        }
    }

    func send(_ message: OutboundMessage, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
        let id = await call(Call(to: message.to, label: message.textBody ?? "?"))
        return SentMessage(messageID: "wamid.out.\(id)", recipientWaID: message.to)
    }

    func markRead(_ m: MarkRead, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
        _ = await call(Call(to: String(m.messageID.dropFirst("wamid.IN.".count)), label: "read"))
    }
}

/// Holds every request until `bound` requests are waiting (or all that are left of `total`),
/// then lets the oldest go: a sender that respects the bound reaches it exactly, one that does
/// not goes past it.
private final class GatedGraphAPI: GraphAPIClient {
    let fake = FakeGraphAPI()
    private let bound: Int
    private let total: Int

    private struct State {
        var waiting: [CheckedContinuation<Void, Never>] = []
        var released = 0
        var opened = false
        var inFlight = InFlight()
    }

    private let state = NIOLockedValueBox(State())

    init(bound: Int, total: Int) {
        self.bound = bound
        self.total = total
    }

    var peakInFlight: Int { state.withLockedValue { $0.inFlight.peak } }
    var released: Int { state.withLockedValue { $0.released } }
    var opened: Bool { state.withLockedValue { $0.opened } }

    /// Lets every request through from now on.
    func open() {
        let go = state.withLockedValue { s in
            s.opened = true
            defer { s.waiting = [] }
            return s.waiting
        }
        for c in go { c.resume() }
    }

    func send(_ message: OutboundMessage, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let go: [CheckedContinuation<Void, Never>] = state.withLockedValue { s in
                s.inFlight.enter()
                s.waiting.append(c)
                var go: [CheckedContinuation<Void, Never>] = []
                while !s.waiting.isEmpty && (s.opened || s.waiting.count >= min(bound, total - s.released)) {
                    go.append(s.waiting.removeFirst())
                    s.released += 1
                }
                return go
            }
            for c in go { c.resume() }
        }
        defer { state.withLockedValue { $0.inFlight.now -= 1 } }
        return try await fake.send(message, phoneNumberID: phoneNumberID, accessToken: accessToken)
    }

    func markRead(_ m: MarkRead, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
        try await fake.markRead(m, phoneNumberID: phoneNumberID, accessToken: accessToken)
    }
}

/// A Graph API whose every request takes `step` seconds of the test's clock.
private final class SlowGraphAPI: GraphAPIClient {
    let fake = FakeGraphAPI()
    private let clock: ManualClock
    private let step: TimeInterval

    init(clock: ManualClock, step: TimeInterval) {
        self.clock = clock
        self.step = step
    }

    func send(_ message: OutboundMessage, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
        defer { clock.advance(by: step) }
        return try await fake.send(message, phoneNumberID: phoneNumberID, accessToken: accessToken)
    }

    func markRead(_ m: MarkRead, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
        try await fake.markRead(m, phoneNumberID: phoneNumberID, accessToken: accessToken)
    }
}

/// Makes the database refuse (or accept again) every write that marks a reply sent, as a failing
/// disk or a lost connection would: a real error from the database, not from a stand-in.
private func refuseSentRecords(_ t: TestStore, _ refuse: Bool) async throws {
    let statements: [String]
    switch (t.backend, refuse) {
    case (.sqlite, true):
        statements = ["CREATE TRIGGER refuse_sent BEFORE UPDATE ON outbox WHEN NEW.state = 'sent' BEGIN SELECT RAISE(ABORT, 'refused by the test'); END"]
    case (.sqlite, false):
        statements = ["DROP TRIGGER refuse_sent"]
    case (.postgres, true):
        statements = ["CREATE FUNCTION refuse_sent() RETURNS trigger LANGUAGE plpgsql AS 'BEGIN RAISE EXCEPTION ''refused by the test''; END'",
                      "CREATE TRIGGER refuse_sent BEFORE UPDATE ON outbox FOR EACH ROW WHEN (NEW.state = 'sent') EXECUTE FUNCTION refuse_sent()"]
    case (.postgres, false):
        statements = ["DROP TRIGGER refuse_sent ON outbox", "DROP FUNCTION refuse_sent()"]
    }
    // The service role may not change the schema: the owner does.
    try await t.asOwner { c in
        for sql in statements { try await c.query(sql, []) }
    }
}

private struct TookTooLong: Error {}

/// The result of `body`, or a failure when it takes longer than `limit` (a round that never ends).
func within<T: Sendable>(_ limit: Duration, _ body: @escaping @Sendable () async throws -> T) async throws -> T {
    try await withThrowingTaskGroup(of: T?.self) { group in
        group.addTask { try await body() }
        group.addTask {
            try await Task.sleep(for: limit)
            return nil
        }
        guard let first = try await group.next(), let value = first else {
            group.cancelAll()
            throw TookTooLong()
        }
        group.cancelAll()
        return value
    }
}

/// A Graph API that holds every request to `held` until `release()`, fails the first request to
/// `failing` (503), moving the clock 5 s as it does, and moves it 1 s on every other request.
private final class HoldingGraphAPI: GraphAPIClient {
    let fake = FakeGraphAPI()
    private let clock: ManualClock
    private let held: String
    private let failing: String
    private let gate = NIOLockedValueBox<(released: Bool, waiting: [CheckedContinuation<Void, Never>])>((false, []))
    private let failed = NIOLockedValueBox(false)

    init(clock: ManualClock, held: String, failing: String) {
        self.clock = clock
        self.held = held
        self.failing = failing
    }

    func release() {
        for c in gate.withLockedValue({ g in defer { g = (true, []) }; return g.waiting }) { c.resume() }
    }

    func send(_ message: OutboundMessage, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
        if message.to == held {
            await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
                if gate.withLockedValue({ g in g.released ? true : { g.waiting.append(c); return false }() }) { c.resume() }
            }
        }
        if message.to == failing, failed.withLockedValue({ f in defer { f = true }; return !f }) {
            fake.failNextSends(1, with: .rejected(status: 503, code: nil, subcode: nil, message: "try later"))
            defer { clock.advance(by: 5) }
            return try await fake.send(message, phoneNumberID: phoneNumberID, accessToken: accessToken)
        }
        defer { if message.to != held { clock.advance(by: 1) } }
        return try await fake.send(message, phoneNumberID: phoneNumberID, accessToken: accessToken)
    }

    func markRead(_ m: MarkRead, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
        try await fake.markRead(m, phoneNumberID: phoneNumberID, accessToken: accessToken)
    }
}
