package import Foundation
import LioraStore
import WhatsApp
package import LioraCore
package import Logging
import NIOConcurrencyHelpers
import Prometheus
import ServiceLifecycle
package import WhatsAppGraph

/// Where the sender finds a WhatsApp account's access token (decrypted in memory only).
package protocol AccessTokenSource: Sendable {
    func accessToken(tenantID: UUID, wabaAccountID: UUID) async throws -> Secret?
    /// Drops decrypted tokens kept past their time (the sender calls this every round, so a
    /// token does not stay in memory on a quiet instance).
    func forgetExpired()
}

extension AccessTokenSource {
    package func forgetExpired() {}
}

/// One token for every account (the demo, and tests).
package struct FixedAccessTokenSource: AccessTokenSource {
    package let token: Secret
    package init(_ token: Secret) { self.token = token }
    package func accessToken(tenantID: UUID, wabaAccountID: UUID) async throws -> Secret? { token }
}

/// Delivers queued replies through the Graph API: claims due replies per tenant under a lease,
/// sends them, and records each attempt — sent (with Meta's message id, also in the
/// conversation log), retried later with exponential back-off and jitter (5xx, timeouts,
/// throttling), or failed for good (permanent errors, or out of attempts). A reply whose
/// account's access token cannot be read (our database or master key, not Meta) is not tried:
/// it waits uncharged, the token looked up again after a back-off, for at most the retry
/// policy's span (about 18.5 minutes), then fails for good with `last_error` saying so.
/// Once written, replies sent and failed for good are counted (`liora_outbox_replies_total`),
/// and each failure for good is logged as a warning (`reply failed for good`).
///
/// Sends run concurrently, at most `concurrency` Graph API requests in flight, but one user's
/// replies (same tenant and `wa_id`) go out one after the other in their queued order: each
/// answer's parts, the first preceded by the message's read receipt (`marksRead`; best effort, not
/// retried on its own). When one of them fails and will be retried, the user's later
/// replies are not sent either: they are put back for the same time (uncharged), so they still
/// follow it. The next claim starts while earlier replies
/// are in flight (but waits while the writes lag behind the sends); the attempts are written in
/// batches, one transaction per tenant per batch, a few batches at once.
///
/// Exactly once, as far as the sender can: a reply is not started in the last `sendMargin` of its
/// claim's lease (it is left for the next claim, the user's later replies behind it); each write
/// of an attempt changes the row only while that claim still holds it; and a write that fails is
/// tried again (`recordRetryDelays`), then kept in memory and written before anything else is
/// claimed, so a reply Meta accepted is not sent again because the database blinked.
package final class OutboxSender: Service, Sendable {
    private let store: any LioraStore
    private let graph: any GraphAPIClient
    private let tokens: any AccessTokenSource
    private let clock: any LioraClock
    private let policy: RetryPolicy
    private let logger: Logger
    private let metrics: LioraMetrics
    private let random: NIOLockedValueBox<any RandomNumberGenerator & Sendable>
    private let loop: WakeableLoop
    /// The most Graph API requests in flight at once.
    package let concurrency: Int
    /// The most replies claimed from one tenant at a time.
    package let claimLimit: Int
    /// How long a claim holds its replies (a crashed sender's replies are claimed again after it).
    package let lease: TimeInterval
    /// Attempts written per transaction, at least (fewer when sending pauses).
    private let recordBatch: Int
    /// Transactions writing attempts at once (on PostgreSQL each takes a pooled connection).
    private let maxWrites = 4
    /// `sendDue` stops claiming after this many sends (and on graceful shutdown), then returns once they are done.
    private let maxPerRound: Int
    /// A reply is only started while at least this much of its lease is left: by default twice
    /// the Graph client's request timeout plus 5 s (the read receipt, then the reply), or half the
    /// lease when the client names no timeout; never more than 90 % of the lease.
    package let sendMargin: TimeInterval
    /// A buffered attempt is written once it has waited this long, however few are buffered (so a
    /// record never waits for slow sends to finish, and delivery statuses find their message).
    private let recordFlushInterval: Duration
    /// How long to wait before writing a batch of attempts again after a failed write.
    private let recordRetryDelays: [Duration]
    /// Attempts whose write failed for good in an earlier round, by tenant: written before the
    /// next claim (their replies went out; without the record they would be sent again).
    private let leftovers = NIOLockedValueBox<[UUID: [Record]]>([:])
    /// Business numbers Meta throttled (130429 throughput, 80007/80004 account limits, 4/613 app
    /// limits: the number, account or app as a whole, not one user), and until when nothing more
    /// is sent from them: their other replies are put back unsent (no attempt charged) instead of
    /// each spending its own attempts against the same limit.
    private let pausedNumbers = NIOLockedValueBox<[String: Date]>([:])
    /// WhatsApp accounts whose access token could not be read (the database, or the master key),
    /// how many looks in a row failed, and until when it is not looked up again (the retry
    /// policy's back-off: 1 s, 2 s, 4 s … 5 min). Their replies wait uncharged meanwhile, for at
    /// most the policy's span from when they were queued; then they fail for good.
    private let unreadableTokens = NIOLockedValueBox<[UUID: (failures: Int, until: Date)]>([:])
    /// Graph codes that throttle a whole number, account or app (131048: the number's spam rate
    /// limit, set by its quality).
    static let numberWideThrottles: Set<Int> = [4, 613, 80004, 80007, 130429, 131048]

    package init(store: any LioraStore, graph: any GraphAPIClient, tokens: any AccessTokenSource, clock: any LioraClock,
                 policy: RetryPolicy = .init(), random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
                 concurrency: Int = 64, claimLimit: Int? = nil, lease: TimeInterval = 60, sendMargin: TimeInterval? = nil,
                 recordRetryDelays: [Duration] = [.milliseconds(100), .milliseconds(500), .seconds(2)],
                 recordFlushInterval: Duration = .milliseconds(500), idlePoll: Duration = .milliseconds(500),
                 metrics: LioraMetrics = LioraMetrics(), logger: Logger) {
        precondition(concurrency > 0, "concurrency must be positive")
        self.store = store
        self.graph = graph
        self.tokens = tokens
        self.clock = clock
        self.policy = policy
        self.logger = logger
        self.metrics = metrics
        self.random = NIOLockedValueBox(random)
        self.loop = WakeableLoop(idlePoll: idlePoll)
        self.concurrency = concurrency
        self.claimLimit = max(1, claimLimit ?? max(4 * concurrency, 50))
        self.lease = lease
        let timeout = graph.requestTimeout.map { Double($0.components.seconds) + Double($0.components.attoseconds) / 1e18 }
        self.sendMargin = min(0.9 * lease, max(0, sendMargin ?? timeout.map { 2 * $0 + 5 } ?? lease / 2))
        self.recordFlushInterval = recordFlushInterval
        self.recordRetryDelays = recordRetryDelays
        self.recordBatch = max(32, concurrency)
        self.maxPerRound = max(20_000, 8 * self.claimLimit)
    }

    /// Tells the sender replies were queued.
    package func wake() { loop.wake() }

    package func run() async throws {
        await loop.run(logger: logger, failure: "sending replies failed", { try await self.sendDue() },
                       stopped: { try? await self.writeLeftovers() })
    }

    /// How many attempts are waiting in memory for a write that failed (0 normally).
    package var unwrittenAttempts: Int { leftovers.withLockedValue { $0.values.reduce(0) { $0 + $1.count } } }

    /// Writes the attempts an earlier round could not; throws (keeping them) when it still cannot.
    private func writeLeftovers() async throws {
        let batch = leftovers.withLockedValue { l in
            defer { l = [:] }
            return l
        }
        guard !batch.isEmpty else { return }
        if case .failure(let failed) = await write(batch) {
            keep(failed.records)
            throw failed.error
        }
    }

    private func keep(_ records: [UUID: [Record]]) {
        leftovers.withLockedValue { l in l.merge(records) { $0 + $1 } }
    }

    /// Sends what is due: claims due replies tenant by tenant (the next claim while earlier
    /// replies are still in flight), sends them and records every attempt, until nothing more is
    /// due (or a round's worth was started). Returns how many sends it attempted. Claim or record
    /// failures end the round once the sends in flight are done, and are thrown then.
    @discardableResult
    package func sendDue() async throws -> Int {
        tokens.forgetExpired()
        try await writeLeftovers()
        var round = Round(concurrency: concurrency, lowWater: max(2 * concurrency, claimLimit / 2), recordBatch: recordBatch,
                          maxUnwritten: 2 * claimLimit + recordBatch)
        await withTaskGroup(of: Event.self) { group in
            while true {
                schedule(&round, in: &group)
                // Only the flush timer is left (nothing buffered, running, claimed or written): the
                // round is over, without waiting for the timer.
                if round.flushTimer && !round.claiming && round.running == 0 && round.writing == 0 && round.recordCount == 0 {
                    group.cancelAll()
                }
                guard let event = await group.next() else { break }
                handle(event, in: &round)
            }
        }
        if let error = round.firstError { throw error }
        return round.attempted
    }

    // MARK: - One round

    /// Who a reply goes to: the unit of ordering.
    private struct UserKey: Hashable, Sendable {
        var tenantID: UUID
        var waID: String
    }

    /// A claimed reply with what sending it needs.
    private struct Job: Sendable {
        var entry: OutboxEntry
        var phoneNumberID: String?
        var token: TokenLookup
    }

    private enum TokenLookup: Sendable {
        /// `unavailable`: our store or key could not give it; not tried again before `until`.
        case found(Secret), missing, unavailable(until: Date)
    }

    /// An attempt to write to the store (fenced by the claim in its entry's `claimedUntil`).
    private enum Record: Sendable {
        case sent(OutboxEntry, waMessageID: String, at: Date)
        case failed(OutboxEntry, error: String, retryAt: Date?, at: Date)
        /// Not tried: an earlier reply to the same user waits for its retry until then.
        case deferred(OutboxEntry, until: Date, at: Date)
    }

    /// One user's replies in this round.
    private struct Lane {
        var pending: [Job] = []
        var running = false
        /// Set when a reply failed and will be retried then (or its lease ran short): the replies
        /// put back for it, and it, by id with their queued time. Each of them goes out only once
        /// every older one of them is back; any other reply of the user joins them; the hold ends
        /// when all are back. (Within this round only: a new round does not know the hold.)
        var holdUntil: Date?
        var outstanding: [UUID: Date] = [:]
    }

    private enum Event: Sendable {
        case tenants(Result<[UUID], any Error>)
        case claimed(tenantID: UUID, Result<[Job], any Error>)
        /// A lane's sends ended: their records; when one failed for a retry (or the lease of the next
        /// one ran short), until when the user waits, the reply that failed (none for a short lease),
        /// and the jobs not sent (put back until then).
        case laneDone(UserKey, [Record], hold: Hold?, unsent: [Job])
        case recorded(count: Int, Result<Void, FailedWrite>)
        /// The flush timer fired: attempts buffered that long are written, however few.
        case flushDue
    }

    /// Why a user's later replies wait: until `until`, and until `failed` (if any) is claimed again.
    private struct Hold: Sendable {
        var until: Date
        var failed: OutboxEntry?
    }

    /// Attempts a write could not store, and why.
    private struct FailedWrite: Error {
        var records: [UUID: [Record]]
        var error: any Error
    }

    /// The state of one `sendDue` call.
    private struct Round {
        let concurrency: Int
        let lowWater: Int
        let recordBatch: Int
        /// Claims wait while this many attempts are not written yet (the store sets the pace).
        let maxUnwritten: Int
        /// This round's name on its claims (`outbox.claimed_by` on PostgreSQL): a reply in flight
        /// under its lease does not hold back the same user's later replies from the round's next
        /// claim (its lanes keep them in order), but does from every other sender's, from a later
        /// round's (every attempt of this one is written, or kept and written first, before a new
        /// round claims; a claim whose answer was lost is one the lanes never saw), and from the
        /// next process's after a crash.
        let claimer = UUID()
        var tenantsToClaim: [UUID] = []
        var needTenants = true
        /// Claims since the tenant list was read: it is read again now and then, so a tenant whose
        /// replies arrive while others keep the sender busy waits a few claims at most.
        var claimsSinceRefresh = 0
        var noMoreDue = false
        var claiming = false
        var lanes: [UserKey: Lane] = [:]
        var ready: [UserKey] = []
        var readyHead = 0
        var queued = 0
        var running = 0
        var records: [UUID: [Record]] = [:]
        var recordCount = 0
        /// Attempts made but not committed yet: buffered plus being written.
        var unwritten = 0
        var writing = 0
        /// When the oldest attempt still buffered was made, and whether a flush timer is running.
        var oldestBuffered: ContinuousClock.Instant?
        var flushTimer = false
        var attempted = 0
        var firstError: (any Error)?

        init(concurrency: Int, lowWater: Int, recordBatch: Int, maxUnwritten: Int) {
            self.concurrency = concurrency
            self.lowWater = lowWater
            self.recordBatch = recordBatch
            self.maxUnwritten = maxUnwritten
        }

        mutating func popReady() -> UserKey? {
            guard readyHead < ready.count else { return nil }
            let key = ready[readyHead]
            readyHead += 1
            if readyHead > 1024 && readyHead * 2 > ready.count {
                ready.removeFirst(readyHead)
                readyHead = 0
            }
            return key
        }

        mutating func record(_ r: Record, tenantID: UUID) {
            if recordCount == 0 { oldestBuffered = .now }
            records[tenantID, default: []].append(r)
            recordCount += 1
            unwritten += 1
        }
    }

    /// Starts whatever can start now: a claim when few replies are waiting (and the store keeps
    /// up with the attempts), lanes up to the concurrency bound, batches of attempts to write.
    private func schedule(_ round: inout Round, in group: inout TaskGroup<Event>) {
        let stopping = round.firstError != nil || round.attempted + round.queued >= maxPerRound || Task.isShuttingDownGracefully
            || Task.isCancelled
        if !round.claiming && !round.noMoreDue && !stopping && round.queued < round.lowWater && round.unwritten < round.maxUnwritten {
            if round.needTenants {
                round.claiming = true
                round.needTenants = false
                group.addTask { [claimer = round.claimer] in
                    .tenants(await caught { try await self.store.tenantsWithDueReplies(now: self.clock.now, limit: 100, claimer: claimer) })
                }
            } else if let tenantID = round.tenantsToClaim.first {
                round.claiming = true
                group.addTask { [claimer = round.claimer] in
                    .claimed(tenantID: tenantID, await caught { try await self.claim(tenantID: tenantID, claimer: claimer) })
                }
            }
        }
        while round.running < round.concurrency, let key = round.popReady() {
            guard var lane = round.lanes[key], !lane.running, !lane.pending.isEmpty else { continue }
            let jobs = lane.pending
            lane.pending = []
            lane.running = true
            round.lanes[key] = lane
            round.queued -= jobs.count
            round.running += 1
            round.attempted += jobs.count  // corrected in `handle` for jobs a failure kept back
            group.addTask { await self.sendInOrder(jobs, key: key) }
        }
        // Write when a batch is full, when no send is running (nothing more is coming soon), or
        // when the oldest buffered attempt has waited `recordFlushInterval` (a timer makes sure
        // the check runs: slow sends must not keep records, and the statuses waiting for them, back).
        // (Cancelled, the timer cannot wait: everything buffered is written now.)
        let stale = Task.isCancelled || (round.oldestBuffered.map { ContinuousClock.now - $0 >= recordFlushInterval } ?? false)
        while round.writing < maxWrites && round.recordCount > 0
            && (round.recordCount >= round.recordBatch || round.running == 0 || stale) {
            let batch = round.records
            let count = round.recordCount
            round.records = [:]
            round.recordCount = 0
            round.oldestBuffered = nil
            round.writing += 1
            group.addTask { .recorded(count: count, await self.write(batch)) }
        }
        if round.recordCount > 0 && !round.flushTimer && !Task.isCancelled {
            round.flushTimer = true
            // Until the oldest buffered attempt is due to be written.
            let wait = round.oldestBuffered.map { recordFlushInterval - (ContinuousClock.now - $0) } ?? recordFlushInterval
            group.addTask {
                try? await Task.sleep(for: max(wait, .milliseconds(1)))
                return .flushDue
            }
        }
    }

    private func handle(_ event: Event, in round: inout Round) {
        switch event {
        case .tenants(let result):
            round.claiming = false
            switch result {
            case .success(let tenants):
                round.tenantsToClaim = tenants
                round.claimsSinceRefresh = 0
                round.noMoreDue = tenants.isEmpty
            case .failure(let error):
                round.firstError = round.firstError ?? error
            }
        case .claimed(let tenantID, let result):
            round.claiming = false
            switch result {
            case .success(let jobs):
                // Round robin: a tenant with more to claim goes to the back; one drained for now leaves.
                round.tenantsToClaim.removeAll { $0 == tenantID }
                if jobs.count == claimLimit { round.tenantsToClaim.append(tenantID) }
                round.claimsSinceRefresh += 1
                if round.tenantsToClaim.isEmpty || round.claimsSinceRefresh >= 16 { round.needTenants = true }
                for job in jobs { enqueue(job, in: &round) }
            case .failure(let error):
                round.firstError = round.firstError ?? error
            }
        case .laneDone(let key, let records, let hold, let unsent):
            round.running -= 1
            round.attempted -= unsent.count
            for r in records { round.record(r, tenantID: key.tenantID) }
            var lane = round.lanes[key] ?? Lane()
            lane.running = false
            if let hold {
                lane.holdUntil = max(lane.holdUntil ?? hold.until, hold.until)
                if let failed = hold.failed { lane.outstanding[failed.id] = failed.createdAt }
                for job in unsent + lane.pending {
                    lane.outstanding[job.entry.id] = job.entry.createdAt
                    round.record(deferral(job, until: hold.until), tenantID: key.tenantID)
                }
                round.queued -= lane.pending.count
                lane.pending = []
            }
            if lane.pending.isEmpty {
                round.lanes[key] = lane.holdUntil == nil ? nil : lane
            } else {
                round.lanes[key] = lane
                round.ready.append(key)
            }
        case .recorded(let count, let result):
            round.writing -= 1
            round.unwritten -= count
            if case .failure(let failed) = result {
                // Kept for the next round, which writes them before it claims anything.
                keep(failed.records)
                round.firstError = round.firstError ?? failed.error
            }
        case .flushDue:
            round.flushTimer = false

        }
    }

    /// Queues a claimed reply behind the user's earlier ones (or puts it back when they wait for a retry).
    private func enqueue(_ job: Job, in round: inout Round) {
        let key = UserKey(tenantID: job.entry.tenantID, waID: job.entry.toWaID)
        var lane = round.lanes[key] ?? Lane()
        if let holdUntil = lane.holdUntil {
            // Claims come oldest first among what is due, but a reply put back is only claimable
            // once its record is written and its time has come: one whose older companions are
            // not all back yet is put back again (a second from now at the earliest, so this does
            // not spin), and so is any other reply of the user, which joins them.
            let at = job.entry.createdAt
            let olderOut = lane.outstanding.contains { id, created in
                id != job.entry.id && (created < at || (created == at && id.uuidString < job.entry.id.uuidString))
            }
            guard lane.outstanding[job.entry.id] != nil, !olderOut else {
                lane.outstanding[job.entry.id] = at
                round.lanes[key] = lane
                round.record(deferral(job, until: max(holdUntil, clock.now.addingTimeInterval(1))), tenantID: key.tenantID)
                return
            }
            lane.outstanding[job.entry.id] = nil
            if lane.outstanding.isEmpty { lane.holdUntil = nil }
        }
        lane.pending.append(job)
        round.queued += 1
        if !lane.running && lane.pending.count == 1 { round.ready.append(key) }
        round.lanes[key] = lane
    }

    private func deferral(_ job: Job, until: Date) -> Record {
        .deferred(job.entry, until: until, at: clock.now)
    }

    // MARK: - Store and Graph API

    /// Claims a tenant's due replies and resolves each account's number and token once.
    private func claim(tenantID: UUID, claimer: UUID) async throws -> [Job] {
        let now = clock.now
        let (claimed, accounts) = try await store.withTenant(tenantID) { s in
            (try await s.claimDueReplies(now: now, limit: claimLimit, lease: lease, claimer: claimer), try await s.wabaAccounts())
        }
        let phoneByAccount = Dictionary(accounts.map { ($0.id, $0.phoneNumberID) }, uniquingKeysWith: { a, _ in a })
        var tokenByAccount: [UUID: TokenLookup] = [:]
        for accountID in Set(claimed.map(\.wabaAccountID)) {
            let now = clock.now
            if let paused = unreadableTokens.withLockedValue({ $0[accountID] }), now < paused.until {
                tokenByAccount[accountID] = .unavailable(until: paused.until)
                continue
            }
            do {
                tokenByAccount[accountID] = try await tokens.accessToken(tenantID: tenantID, wabaAccountID: accountID).map(TokenLookup.found) ?? .missing
                if let was = unreadableTokens.withLockedValue({ $0.removeValue(forKey: accountID) }) {
                    logger.notice("access token readable again", metadata: [
                        "cliente_id": "\(tenantID.lowercasedText)", "waba_account_id": "\(accountID.lowercasedText)", "failed_looks": "\(was.failures)"])
                }
            } catch {
                // Our own store or key could not give the token (not Meta's doing): the account's
                // replies wait, uncharged (see `sendInOrder`), and it is looked up again after a
                // back-off. Logged on the 1st, 2nd, 4th, 8th… failure in a row.
                let (failures, until) = unreadableTokens.withLockedValue { m -> (Int, Date) in
                    let failures = (m[accountID]?.failures ?? 0) + 1
                    let until = now.addingTimeInterval(policy.backOff(afterAttempt: failures))
                    m[accountID] = (failures, until)
                    return (failures, until)
                }
                if failures & (failures - 1) == 0 {
                    logger.error("access token could not be read; the account's replies wait", metadata: [
                        "cliente_id": "\(tenantID.lowercasedText)", "waba_account_id": "\(accountID.lowercasedText)", "failed_looks": "\(failures)",
                        "error": "\(loggableDescription(error))"])
                }
                tokenByAccount[accountID] = .unavailable(until: until)
            }
        }
        return claimed.map { Job(entry: $0, phoneNumberID: phoneByAccount[$0.wabaAccountID], token: tokenByAccount[$0.wabaAccountID] ?? .missing) }
    }

    /// Writes a batch of attempts: one transaction per tenant, `WriteDurability.relaxed` (a record
    /// lost to a power cut, at most a few hundred milliseconds of them, means those replies are sent
    /// again: the same at-least-once window as a crash between Meta's answer and the commit, widened).
    /// Claims stay durable, so nothing is sent that is not on disk. A tenant's transaction that
    /// fails is run again after each of `recordRetryDelays` (it rolled back, so this is safe);
    /// the records still not written come back in the failure.
    private func write(_ batch: [UUID: [Record]]) async -> Result<Void, FailedWrite> {
        var failed: [UUID: [Record]] = [:]
        var lastError: (any Error)?
        for (tenantID, records) in batch {
            var delays = recordRetryDelays[...]
            while true {
                do {
                    try await WriteDurability.$relaxed.withValue(true) { try await writeRecords(records, tenantID: tenantID) }
                    break
                } catch {
                    guard let delay = delays.popFirst(), !Task.isCancelled else {
                        logger.error("attempts not written; kept to write again before the next claim", metadata: [
                            "cliente_id": "\(tenantID.lowercasedText)", "attempts": "\(records.count)", "error": "\(loggableDescription(error))"])
                        failed[tenantID] = records
                        lastError = error
                        break
                    }
                    try? await Task.sleep(for: delay)
                }
            }
        }
        if let lastError { return .failure(FailedWrite(records: failed, error: lastError)) }
        return .success(())
    }

    /// Writes one tenant's attempts; once they are committed, counts the replies sent and failed
    /// for good (`liora_outbox_replies_total`) and logs each failure for good as a warning with the
    /// tenant, outbox id, attempts and the stored reason (`last_error`: Graph status and codes, or
    /// our own reason; never the number, the text or the token).
    private func writeRecords(_ records: [Record], tenantID: UUID) async throws {
        let (lost, sentCount, failedForGood) = try await store.withTenant(tenantID) { s in
            var sent: [SentReply] = []
            var lost = 0
            var failedForGood: [(entry: OutboxEntry, reason: String)] = []
            for r in records {
                switch r {
                case .sent(let entry, let wamid, let at):
                    sent.append(SentReply(entry: entry, waMessageID: wamid, at: at))
                case .failed(let entry, let error, let retryAt, let at):
                    if try await !s.markReplyAttemptFailed(entry, error: error, retryAt: retryAt, now: at) {
                        lost += 1
                    } else if retryAt == nil {
                        failedForGood.append((entry, error))
                    }
                case .deferred(let entry, let until, let at):
                    if try await !s.deferReply(entry, until: until, now: at) { lost += 1 }
                }
            }
            let lostSent = sent.isEmpty ? 0 : try await s.markRepliesSent(sent).count
            return (lost + lostSent, sent.count - lostSent, failedForGood)
        }
        if sentCount > 0 { metrics.repliesSent.increment(by: Int64(sentCount)) }
        if !failedForGood.isEmpty { metrics.repliesFailed.increment(by: Int64(failedForGood.count)) }
        for (entry, reason) in failedForGood {
            logger.warning("reply failed for good", metadata: [
                "cliente_id": "\(tenantID.lowercasedText)", "outbox_id": "\(entry.id.lowercasedText)", "attempts": "\(entry.attempts + 1)",
                "reason": "\(reason.prefix(200))"])
        }
        if lost > 0 {
            // Their lease ran out before the write and another claim took them: that claim's
            // record stands (a reply sent by both is in the conversation log twice).
            logger.warning("attempts recorded after their claim was lost", metadata: ["cliente_id": "\(tenantID.lowercasedText)", "attempts": "\(lost)"])
        }
    }

    /// Sends one user's replies one after the other; stops at a failure that will be retried.
    private func sendInOrder(_ jobs: [Job], key: UserKey) async -> Event {
        var records: [Record] = []
        records.reserveCapacity(jobs.count)
        for (i, job) in jobs.enumerated() {
            if case .unavailable(let until) = job.token {
                // The token could not be read (the database or the key, not Meta): nothing was
                // tried, so nothing is charged, and the reply keeps its read receipt for when it
                // goes — unless it has waited as long as retries last: then it fails for good
                // (kept, with why, for the runbook's resend), and the user's next replies decide
                // for themselves.
                if clock.now.timeIntervalSince(job.entry.createdAt) >= policy.span {
                    records.append(.failed(job.entry, error: "access token could not be read", retryAt: nil, at: clock.now))
                    continue
                }
                return .laneDone(key, records, hold: Hold(until: max(until, clock.now.addingTimeInterval(1)), failed: nil),
                                 unsent: Array(jobs[i...]))
            }
            if let phone = job.phoneNumberID, let until = pausedNumbers.withLockedValue({ $0[phone] }), clock.now < until {
                // Meta throttled this number: this user's replies wait for it, in order, uncharged.
                return .laneDone(key, records, hold: Hold(until: until, failed: nil), unsent: Array(jobs[i...]))
            }
            if let claimedUntil = job.entry.claimedUntil, clock.now >= claimedUntil.addingTimeInterval(-sendMargin) {
                // Too little of the lease is left to finish this reply before another claim may
                // take it: this and the user's later replies are put back, to go out in order
                // under a fresh claim.
                let rest = Array(jobs[i...])
                logger.warning("replies not started: their lease ran short", metadata: [
                    "cliente_id": "\(key.tenantID.lowercasedText)", "replies": "\(rest.count)"])
                return .laneDone(key, records, hold: Hold(until: clock.now.addingTimeInterval(1), failed: nil), unsent: rest)
            }
            let outcome = await send(job)
            let at = clock.now
            switch outcome {
            case .sent(let wamid):
                records.append(.sent(job.entry, waMessageID: wamid, at: at))
            case .failed(let reason, let retryable, let throttled):
                let attempt = job.entry.attempts + 1
                let delay = retryable ? random.withLockedValue { g in policy.delay(afterAttempt: attempt, using: &g) } : nil
                let retryAt = delay.map { at.addingTimeInterval($0) }
                records.append(.failed(job.entry, error: reason, retryAt: retryAt, at: at))
                if throttled, let retryAt, let phone = job.phoneNumberID {
                    pausedNumbers.withLockedValue { paused in
                        paused = paused.filter { $0.value > at }
                        paused[phone] = max(paused[phone] ?? retryAt, retryAt)
                    }
                    logger.warning("Meta throttled a business number; its replies wait", metadata: [
                        "cliente_id": "\(key.tenantID.lowercasedText)", "phone_number_id": "\(phone)", "until": "\(retryAt)"])
                }
                if let retryAt {
                    return .laneDone(key, records, hold: Hold(until: retryAt, failed: job.entry), unsent: Array(jobs[(i + 1)...]))
                }
            }
        }
        return .laneDone(key, records, hold: nil, unsent: [])
    }

    private enum Outcome {
        case sent(String)
        /// `throttled`: Meta refused it for the number's (or account's, or app's) rate, not this reply.
        case failed(String, retryable: Bool, throttled: Bool = false)
    }

    private func send(_ job: Job) async -> Outcome {
        let entry = job.entry
        guard let phoneNumberID = job.phoneNumberID else { return .failed("the WhatsApp account is gone", retryable: false) }
        let token: Secret
        switch job.token {
        case .found(let secret): token = secret
        case .missing: return .failed("no access token for the WhatsApp account", retryable: false)
        case .unavailable: return .failed("access token could not be read", retryable: true)  // handled by sendInOrder
        }
        if entry.marksRead, entry.attempts == 0, let replyTo = entry.replyTo {
            // Best effort: the answer goes out whether or not Meta took the receipt (a receipt sent
            // after the answer would be no use, so it is not retried on its own), and only before
            // the answer's first attempt: a retry would show "typing…" again, and double the
            // requests into a throttled number.
            do {
                try await graph.markRead(MarkRead(messageID: replyTo, showsTypingIndicator: true), phoneNumberID: phoneNumberID,
                                         accessToken: token.value)
            } catch {
                logger.warning("read receipt not accepted", metadata: ["cliente_id": "\(entry.tenantID.lowercasedText)", "outbox_id": "\(entry.id.lowercasedText)",
                                                                       "error": "\(error)"])
            }
        }
        do {
            // The stored payload went through `validate()` when it was queued: it is posted as stored.
            if entry.kind == ReplyComposer.readKind {
                try await graph.markRead(encoded: entry.payloadJSON, phoneNumberID: phoneNumberID, accessToken: token.value)
                return .sent(entry.replyTo ?? "")
            }
            let sent = try await graph.send(encoded: entry.payloadJSON, phoneNumberID: phoneNumberID, accessToken: token.value)
            return .sent(sent.messageID)
        } catch {
            logger.warning("reply not accepted", metadata: ["cliente_id": "\(entry.tenantID.lowercasedText)", "outbox_id": "\(entry.id.lowercasedText)",
                                                            "error": "\(error)", "retryable": "\(error.isRetryable)"])
            var throttled = false
            if case .rejected(_, let code?, _, _) = error { throttled = Self.numberWideThrottles.contains(code) }
            return .failed(error.description, retryable: error.isRetryable, throttled: throttled)
        }
    }
}

/// The result of `body`, caught.
private func caught<T>(_ body: () async throws -> T) async -> Result<T, any Error> {
    do {
        return .success(try await body())
    } catch {
        return .failure(error)
    }
}
