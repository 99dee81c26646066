import Foundation
import LioraCore
import LioraStore
import LioraTestSupport
import Testing

@Suite("Outbox store")
struct OutboxStoreTests {
    private func reply(_ tenant: Tenant, _ account: WabaAccount, _ n: Int, at: Date = t0, to waID: String = "34600000000") -> OutboxEntry {
        OutboxEntry(tenantID: tenant.id, userContextID: nil, wabaAccountID: account.id, toWaID: waID, kind: "text",
                    payloadJSON: #"{"type":"text","text":{"body":"hola \#(n)"}}"#, summary: "hola \(n)", intent: "core.saludo",
                    replyTo: "wamid.IN\(n)", nextAttemptAt: at, createdAt: at.addingTimeInterval(Double(n) / 1000))
    }

    @Test("replies are claimed in order under a lease, sent once, retried on schedule, failed for good and logged",
          arguments: TestBackend.available)
    func lifecycle(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeTenant(t.store)
            let (other, otherAccount) = try await makeTenant(t.store)
            try await t.store.withTenant(tenant.id) { s in try await s.enqueueReplies((1...3).map { reply(tenant, account, $0) }) }
            try await t.store.withTenant(other.id) { s in try await s.enqueueReplies([reply(other, otherAccount, 9, at: t0.addingTimeInterval(100))]) }

            #expect(try await t.store.tenantsWithDueReplies(now: t0, limit: 10) == [tenant.id])
            #expect(Set(try await t.store.tenantsWithDueReplies(now: t0.addingTimeInterval(100), limit: 10)) == [tenant.id, other.id])

            let claimed = try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0, limit: 2, lease: 30) }
            #expect(claimed.map(\.summary) == ["hola 1", "hola 2"])
            // The third is the same user's: on PostgreSQL (several instances) it waits while the
            // first two are in flight; SQLite's one sender keeps that order itself.
            let third = try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0, limit: 10, lease: 30) }
            #expect(third.map(\.summary) == (backend == .postgres ? [] : ["hola 3"]))
            // All leased (or held) now: nothing due for this tenant until the lease ends.
            #expect(try await t.store.tenantsWithDueReplies(now: t0.addingTimeInterval(1), limit: 10).isEmpty)

            try await t.store.withTenant(tenant.id) { s throws in
                try await s.markReplySent(claimed[0], waMessageID: "wamid.OUT1", now: t0)
                try await s.markReplyAttemptFailed(claimed[1], error: "HTTP 503", retryAt: t0.addingTimeInterval(4), now: t0)
            }
            // The retried one comes back at its time, not before.
            #expect(try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0.addingTimeInterval(3), limit: 10, lease: 30) }.isEmpty)
            let retry = try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0.addingTimeInterval(5), limit: 10, lease: 30) }
            #expect(retry.map(\.summary) == (backend == .postgres ? ["hola 2", "hola 3"] : ["hola 2"]))
            #expect(retry[0].attempts == 1)
            #expect(try await t.store.withTenant(tenant.id) { s in
                try await s.markReplyAttemptFailed(retry[0], error: "code 131026 undeliverable", retryAt: nil, now: t0.addingTimeInterval(5))
            })
            let rows = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(rows.map(\.state) == [.sent, .failed, .pending])
            #expect(rows[0].waMessageID == "wamid.OUT1")
            #expect(rows[1].attempts == 2)
            #expect(rows[1].lastError == "code 131026 undeliverable")
            let logs = try await t.store.withTenant(tenant.id) { try await $0.conversationLogs(limit: 10) }
            // Each reply is logged from the moment it is queued, under its outbox id; the log row
            // follows it to `accepted` (with Meta's id) or `failed`.
            #expect(logs.map(\.status) == ["accepted", "failed", "queued"])
            #expect(logs.map(\.id) == rows.map(\.id))
            #expect(logs.map(\.waMessageID) == ["wamid.OUT1", nil, nil])
            #expect(logs[0].intent == "core.saludo")
            #expect(logs.allSatisfy { $0.direction == .outbound })
        }
    }

    @Test("a reply waiting for its retry holds back its user's later replies in every later claim, not other users'; due tenants agree",
          arguments: TestBackend.available)
    func waitingReplyHoldsLaterOnes(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeTenant(t.store)
            func to(_ waID: String, _ n: Int, at: Date) -> OutboxEntry { reply(tenant, account, n, at: at, to: waID) }
            let (user, other) = ("34600000001", "34600000002")
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies([to(user, 1, at: t0)]) }
            let first = try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0, limit: 10, lease: 30) }
            #expect(try await t.store.withTenant(tenant.id) { s in
                try await s.markReplyAttemptFailed(first[0], error: "HTTP 503", retryAt: t0.addingTimeInterval(10), now: t0)
            })
            // The user writes again, and so does someone else, while the first reply waits.
            let later = t0.addingTimeInterval(2)
            // One queued in the very same microsecond as the waiting reply, behind it by id.
            var tie = to(user, 1, at: t0)
            tie.id = UUID(uuidString: "ffffffff-ffff-7fff-bfff-ffffffffffff")!
            tie.summary = "hola 1b"
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies([tie, to(user, 2, at: later), to(other, 3, at: later)]) }
            #expect(try await t.store.tenantsWithDueReplies(now: later, limit: 10) == [tenant.id])
            #expect(try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: later, limit: 10, lease: 30) }.map(\.summary) == ["hola 3"])
            // Only the held reply is left: the tenant is not due (the sender would claim nothing).
            #expect(try await t.store.tenantsWithDueReplies(now: later, limit: 10).isEmpty)
            #expect(try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: later, limit: 10, lease: 30) }.isEmpty)
            // Its retry time comes: both go, the older first.
            let due = t0.addingTimeInterval(10)
            #expect(try await t.store.tenantsWithDueReplies(now: due, limit: 10) == [tenant.id])
            #expect(try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: due, limit: 10, lease: 30) }.map(\.summary) == ["hola 1", "hola 1b", "hola 2"])
        }
    }

    @Test("PostgreSQL, several instances: a reply in flight under one claim holds back its user's later replies at another, until it is recorded or its lease ends",
          arguments: TestBackend.available.filter { $0 == .postgres })
    func inFlightReplyHoldsLaterOnesAcrossInstances(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeTenant(t.store)
            func to(_ waID: String, _ n: Int, at: Date) -> OutboxEntry { reply(tenant, account, n, at: at, to: waID) }
            func claim(_ now: Date, limit: Int = 10) async throws -> [String?] {
                try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: now, limit: limit, lease: 30) }.map(\.summary)
            }
            let (user, other) = ("34600000001", "34600000002")
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies([to(user, 1, at: t0), to(other, 2, at: t0)]) }
            // Instance A takes the oldest; the user writes again, and so does someone else.
            let a = try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0, limit: 1, lease: 30) }
            #expect(a.map(\.summary) == ["hola 1"])
            let later = t0.addingTimeInterval(1)
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies([to(user, 3, at: later), to(other, 4, at: later)]) }
            // Instance B: everything but the reply behind the one in flight at A.
            #expect(try await claim(later) == ["hola 2", "hola 4"])
            #expect(try await t.store.tenantsWithDueReplies(now: later, limit: 10).isEmpty)
            #expect(try await claim(later).isEmpty)
            // A records its send: the held reply goes.
            try await t.store.withTenant(tenant.id) { try await $0.markReplySent(a[0], waMessageID: "wamid.OUT1", now: later) }
            #expect(try await t.store.tenantsWithDueReplies(now: later, limit: 10) == [tenant.id])
            let b = try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: later, limit: 10, lease: 30) }
            #expect(b.map(\.summary) == ["hola 3"])
            // B stops without a record (it crashed); the user's next reply waits for its lease to
            // end, then both go, in order.
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies([to(user, 5, at: later.addingTimeInterval(1))]) }
            #expect(try await claim(later.addingTimeInterval(2)).isEmpty)
            // (The other user's two, unrecorded as well, come back with them.)
            #expect(try await claim(later.addingTimeInterval(31)) == ["hola 2", "hola 3", "hola 4", "hola 5"])

            // A sender's own reply in flight does not hold back its own next claim (it keeps its
            // lanes in order itself), only other senders'.
            let me = UUID(), third = "34600000003"
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies([to(third, 6, at: t0.addingTimeInterval(40))]) }
            #expect(try await t.store.withTenant(tenant.id) {
                try await $0.claimDueReplies(now: t0.addingTimeInterval(40), limit: 10, lease: 30, claimer: me)
            }.map(\.summary) == ["hola 6"])
            let next = t0.addingTimeInterval(41)
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies([to(third, 7, at: next)]) }
            #expect(try await t.store.tenantsWithDueReplies(now: next, limit: 10).isEmpty)
            #expect(try await t.store.tenantsWithDueReplies(now: next, limit: 10, claimer: me) == [tenant.id])
            #expect(try await claim(next).isEmpty)
            #expect(try await t.store.withTenant(tenant.id) {
                try await $0.claimDueReplies(now: next, limit: 10, lease: 30, claimer: me)
            }.map(\.summary) == ["hola 7"])
        }
    }

    @Test("PostgreSQL: a claim waits for another instance's uncommitted claim of the same tenant, then holds back what that one took in flight",
          arguments: TestBackend.available.filter { $0 == .postgres })
    func concurrentClaimsTakeTurns(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeTenant(t.store)
            func to(_ waID: String, _ n: Int) -> OutboxEntry { reply(tenant, account, n, to: waID) }
            let user = "34600000001"
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies([to(user, 1)]) }
            let (claimed, release) = AsyncStream.makeStream(of: Void.self)
            async let a: [OutboxEntry] = t.store.withTenant(tenant.id) { s in
                let got = try await s.claimDueReplies(now: t0, limit: 10, lease: 30)
                release.yield()
                // Committed only after B had every chance to claim on a snapshot without A's claim.
                try await Task.sleep(for: .milliseconds(400))
                return got
            }
            var signals = claimed.makeAsyncIterator()
            _ = await signals.next()
            // The user's next reply, queued while A's claim is not committed yet.
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies([to(user, 2)]) }
            let b = try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0.addingTimeInterval(1), limit: 10, lease: 30) }
            #expect(try await a.map(\.summary) == ["hola 1"])
            #expect(b.isEmpty, "B claimed \(b.map(\.summary)) while A's reply to the same user was in flight")
        }
    }

    @Test("PostgreSQL, rolling upgrade: a reply claimed by an older instance (no claimer named) holds back its user's later replies at a newer one, also after this one had claimed it before",
          arguments: TestBackend.available.filter { $0 == .postgres })
    func olderInstanceClaimHolds(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeTenant(t.store)
            let me = UUID()
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies([reply(tenant, account, 1)]) }
            let first = try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0, limit: 10, lease: 30, claimer: me) }
            #expect(try await t.store.withTenant(tenant.id) { s in
                try await s.markReplyAttemptFailed(first[0], error: "HTTP 503", retryAt: t0.addingTimeInterval(2), now: t0)
            })
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies([reply(tenant, account, 2, at: t0.addingTimeInterval(1))]) }
            // An instance of the previous release claims the retry as it always did.
            let retryAt = t0.addingTimeInterval(3)
            _ = try await t.database.tenantTransaction(tenant.id) { c in
                try await c.query("UPDATE outbox SET claimed_until = $1 WHERE cliente_id = $2 AND id = $3",
                                  [.date(retryAt.addingTimeInterval(30)), .uuid(tenant.id), .uuid(first[0].id)])
            }
            #expect(try await t.store.tenantsWithDueReplies(now: retryAt, limit: 10).isEmpty)
            #expect(try await t.store.tenantsWithDueReplies(now: retryAt, limit: 10, claimer: me).isEmpty)
            #expect(try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: retryAt, limit: 10, lease: 30, claimer: me) }.isEmpty)
        }
    }

    @Test("PostgreSQL: a claim that cannot get its tenant's turn within its wait claims nothing, and the next one does",
          arguments: TestBackend.available.filter { $0 == .postgres })
    func claimTurnIsBounded(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeTenant(t.store)
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies([reply(tenant, account, 1)]) }
            // Two connections open before the hung claim takes one: under a loaded test run,
            // opening the claim's own connection could take longer than the hung claim.
            async let warmA: Void = t.database.tenantTransaction(tenant.id) { c in _ = try await c.query("SELECT pg_sleep(0.2)") }
            async let warmB: Void = t.database.tenantTransaction(tenant.id) { c in _ = try await c.query("SELECT pg_sleep(0.2)") }
            _ = try await (warmA, warmB)
            let (held, holding) = AsyncStream.makeStream(of: Void.self)
            // A claim that hangs: its transaction holds the tenant's turn for 6 s.
            async let hung: Void = t.database.tenantTransaction(tenant.id) { c in
                try await c.query("SELECT pg_advisory_xact_lock(7261002, hashtext($1))", [.text(tenant.id.uuidString)])
                holding.yield()
                try await Task.sleep(for: .seconds(6))
            }
            var signals = held.makeAsyncIterator()
            _ = await signals.next()
            let started = ContinuousClock.now
            let waited = try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0, limit: 10, lease: 30) }
            #expect(waited.isEmpty)
            #expect(ContinuousClock.now - started < .seconds(5), "the claim waited for the hung one")
            try await hung
            #expect(try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0, limit: 10, lease: 30) }.map(\.summary) == ["hola 1"])
        }
    }

    @Test("a batch of sent replies: each row sent with its own wamid, one log row per message, none for read receipts",
          arguments: TestBackend.available)
    func batchMarkSent(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeTenant(t.store)
            var read = reply(tenant, account, 0)
            read.kind = "read"
            try await t.store.withTenant(tenant.id) { s in try await s.enqueueReplies([read] + (1...3).map { reply(tenant, account, $0) }) }
            // Queued replies are logged at once (not the receipt); the third as an earlier version
            // queued it: without a log row.
            let queued = try await t.store.withTenant(tenant.id) { try await $0.conversationLogs(limit: 10) }
            #expect(queued.map(\.status) == ["queued", "queued", "queued"])
            _ = try await t.database.tenantTransaction(tenant.id) { c in
                try await c.query("DELETE FROM conversation_logs WHERE cliente_id = $1 AND id = $2", [.uuid(tenant.id), .uuid(queued[2].id)])
            }
            // More than one claim's worth of ids in flight: the claim index returns them oldest first.
            let claimed = try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0, limit: 10, lease: 30) }
            #expect(claimed.map(\.kind) == ["read", "text", "text", "text"])
            // Payloads come back byte for byte (the sender posts them as stored).
            #expect(claimed.dropFirst().map(\.payloadJSON) == (1...3).map { reply(tenant, account, $0).payloadJSON })
            _ = try await t.store.withTenant(tenant.id) { s in
                try await s.markRepliesSent(claimed.enumerated().map { i, e in
                    SentReply(entry: e, waMessageID: "wamid.OUT\(i)", at: t0.addingTimeInterval(Double(i)))
                })
            }
            let rows = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(rows.map(\.state) == [.sent, .sent, .sent, .sent])
            #expect(rows.map(\.waMessageID) == ["wamid.OUT0", "wamid.OUT1", "wamid.OUT2", "wamid.OUT3"])
            #expect(rows.allSatisfy { $0.attempts == 1 })
            let logs = try await t.store.withTenant(tenant.id) { try await $0.conversationLogs(limit: 10) }
            #expect(logs.count == 3)
            #expect(Set(logs.compactMap(\.waMessageID)) == ["wamid.OUT1", "wamid.OUT2", "wamid.OUT3"])
            #expect(logs.allSatisfy { $0.direction == .outbound && $0.status == "accepted" })
            #expect(try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0.addingTimeInterval(60), limit: 10, lease: 30) }.isEmpty)
            // A reply sent again under a claim that no longer holds it (its lease ran out mid-send,
            // and another claim sent it): the row keeps the other claim's record, and the log gets
            // a second row, because both went out.
            // (Two at once: on PostgreSQL a batch is recorded in two statements, fenced row by row.)
            let lost = try await t.store.withTenant(tenant.id) { s in
                try await s.markRepliesSent([SentReply(entry: claimed[1], waMessageID: "wamid.AGAIN", at: t0.addingTimeInterval(9)),
                                             SentReply(entry: claimed[3], waMessageID: "wamid.AGAIN3", at: t0.addingTimeInterval(9))])
            }
            #expect(lost == [claimed[1].id, claimed[3].id])
            let again = try await t.store.withTenant(tenant.id) { try await $0.conversationLogs(limit: 10) }
            #expect(again.count == 5)
            #expect(Set(again.compactMap(\.waMessageID)) == ["wamid.OUT1", "wamid.OUT2", "wamid.OUT3", "wamid.AGAIN", "wamid.AGAIN3"])
            let resent = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(resent[1].waMessageID == "wamid.OUT1" && resent[1].attempts == 1)
            // A few hundred replies in one batch: every one is recorded and logged once.
            let many = (10..<360).map { reply(tenant, account, $0, at: t0.addingTimeInterval(200)) }
            try await t.store.withTenant(tenant.id) { s in try await s.enqueueReplies(many) }
            let claimedMany = try await t.store.withTenant(tenant.id) {
                try await $0.claimDueReplies(now: t0.addingTimeInterval(300), limit: 500, lease: 30)
            }
            #expect(claimedMany.count == 350)
            _ = try await t.store.withTenant(tenant.id) { s in
                try await s.markRepliesSent(claimedMany.map { SentReply(entry: $0, waMessageID: "wamid.M\($0.summary ?? "")", at: t0.addingTimeInterval(301)) })
            }
            let all = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 500) }
            #expect(all.filter { $0.state == .sent }.count == 354)
            let logsMany = try await t.store.withTenant(tenant.id) { try await $0.conversationLogs(limit: 500) }
            #expect(logsMany.count == 355)
            #expect(logsMany.filter { $0.waMessageID?.hasPrefix("wamid.M") == true && $0.status == "accepted" }.count == 350)
        }
    }

    @Test("records of one reply under two claims, written together, count as one write after the other", arguments: TestBackend.available)
    func sameReplyTwiceInOneWrite(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeTenant(t.store)
            try await t.store.withTenant(tenant.id) { s in try await s.enqueueReplies((1...2).map { reply(tenant, account, $0) }) }
            let first = try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0, limit: 10, lease: 30) }
            let second = try await t.store.withTenant(tenant.id) {
                try await $0.claimDueReplies(now: t0.addingTimeInterval(31), limit: 10, lease: 30)
            }
            // The first claim's record of reply 1 waited in memory (a failed write) until the
            // second claim had sent it again: both are written in one call, oldest first.
            let lost = try await t.store.withTenant(tenant.id) { s in
                try await s.markRepliesSent([SentReply(entry: first[0], waMessageID: "wamid.OLD", at: t0.addingTimeInterval(10)),
                                             SentReply(entry: second[0], waMessageID: "wamid.NEW", at: t0.addingTimeInterval(40)),
                                             SentReply(entry: second[1], waMessageID: "wamid.TWO", at: t0.addingTimeInterval(40))])
            }
            #expect(lost == [first[0].id])
            let rows = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(rows.map(\.waMessageID) == ["wamid.NEW", "wamid.TWO"])
            #expect(rows.allSatisfy { $0.state == .sent && $0.attempts == 1 })
            // Both sends of reply 1 went out: both are in the conversation log.
            let logs = try await t.store.withTenant(tenant.id) { try await $0.conversationLogs(limit: 10) }
            #expect(Set(logs.compactMap(\.waMessageID)) == ["wamid.OLD", "wamid.NEW", "wamid.TWO"])
        }
    }

    @Test("an attempt is recorded only while its claim holds the reply: a stale claim changes nothing the next claim did",
          arguments: TestBackend.available)
    func claimFencesRecords(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeTenant(t.store)
            try await t.store.withTenant(tenant.id) { s in try await s.enqueueReplies((1...3).map { reply(tenant, account, $0) }) }
            let first = try await t.store.withTenant(tenant.id) { try await $0.claimDueReplies(now: t0, limit: 10, lease: 30) }
            #expect(first.allSatisfy { $0.claimedUntil == t0.addingTimeInterval(30) })
            #expect(try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }.allSatisfy {
                $0.claimedUntil == t0.addingTimeInterval(30)
            })
            // The lease runs out; a second claim takes all three.
            let second = try await t.store.withTenant(tenant.id) {
                try await $0.claimDueReplies(now: t0.addingTimeInterval(31), limit: 10, lease: 30)
            }
            #expect(second.map(\.id) == first.map(\.id))
            // The first claimant's late records are refused, each one: nothing changes.
            try await t.store.withTenant(tenant.id) { s throws in
                #expect(try await !s.markReplyAttemptFailed(first[0], error: "HTTP 503", retryAt: t0.addingTimeInterval(40),
                                                            now: t0.addingTimeInterval(32)))
                #expect(try await !s.deferReply(first[1], until: t0.addingTimeInterval(40), now: t0.addingTimeInterval(32)))
                #expect(try await !s.markReplyAttemptFailed(first[2], error: "code 100", retryAt: nil, now: t0.addingTimeInterval(32)))
            }
            var rows = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(rows.allSatisfy { $0.state == .pending && $0.attempts == 0 && $0.lastError == nil })
            #expect(try await t.store.withTenant(tenant.id) { try await $0.conversationLogs(limit: 10) }.map(\.status) == ["queued", "queued", "queued"])
            // The second claim's records go through.
            try await t.store.withTenant(tenant.id) { s throws in
                #expect(try await s.markRepliesSent(second.map { SentReply(entry: $0, waMessageID: "wamid.\($0.summary!)", at: t0.addingTimeInterval(33)) }).isEmpty)
            }
            rows = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(rows.allSatisfy { $0.state == .sent && $0.attempts == 1 && $0.claimedUntil == nil })
            // …and a stale retry after them does not turn a sent reply back into a pending one.
            #expect(try await !t.store.withTenant(tenant.id) { s in
                try await s.markReplyAttemptFailed(first[0], error: "timeout", retryAt: t0.addingTimeInterval(50), now: t0.addingTimeInterval(34))
            })
            #expect(try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }.allSatisfy { $0.state == .sent })
        }
    }

    @Test("retry delays grow exponentially, stay within the cap and the jitter, and stop at the last attempt")
    func retryPolicy() {
        var g = SeededGenerator(seed: 42)
        let p = RetryPolicy(maxAttempts: 6, base: 1, cap: 10, jitter: 0.2)
        let delays = (1...5).map { p.delay(afterAttempt: $0, using: &g)! }
        for (i, d) in delays.enumerated() {
            let raw = min(10, pow(2, Double(i)))
            #expect(d >= raw * 0.8 && d <= raw * 1.2, "attempt \(i + 1): \(d)")
        }
        #expect(p.delay(afterAttempt: 6, using: &g) == nil)
        // What the delays add up to without jitter: how long a reply keeps being retried.
        #expect(p.span == 1 + 2 + 4 + 8 + 10)
        #expect(RetryPolicy().span == 1_111)
    }
}
