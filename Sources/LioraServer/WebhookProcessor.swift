import LioraStore
import Prometheus
package import Foundation
package import LioraCore
package import Logging
import NIOConcurrencyHelpers
import ServiceLifecycle
import WhatsApp

/// Processes stored webhook items off the request path: claims pending items under a lease,
/// resolves each one's tenant from `metadata.phone_number_id`, and applies it inside that
/// tenant's transaction (user context, conversation log, delivery status), marking the item done
/// in the same transaction so a crash at any point neither loses nor repeats work.
package final class WebhookProcessor: Service, Sendable {
    private let store: any LioraStore
    private let clock: any LioraClock
    private let metrics: LioraMetrics
    private let logger: Logger
    private let batchSize: Int
    private let lease: TimeInterval
    private let maxAttempts: Int
    private let loop: WakeableLoop
    private let responder: ConversationResponder?
    private let decoded: DecodedWebhooks?
    /// Runs the bot between two transactions instead of inside one (see `apply`): only where this
    /// processor is the only one (SQLite).
    private let splitTransactions: Bool
    /// Runs between the two transactions of a split batch (tests stop a batch there, as a crash would).
    private let betweenTransactions: (@Sendable () async throws -> Void)?
    /// The next batch's claim, started while this batch's last transaction waits for the writer
    /// (split transactions only): the processor's steps otherwise queue for the writer one after
    /// another. Batches are still applied one at a time, in claim order.
    private let nextClaim = NIOLockedValueBox<Task<[PendingWebhookEvent], any Error>?>(nil)
    /// Tenants whose batch failed, until its items' retry: their later items wait behind them, so
    /// a user's next message is not answered before the one that failed.
    private let heldTenants = NIOLockedValueBox<[UUID: Date]>([:])
    /// Until when every item claimed before then waits, after a batch failed before its items were
    /// told apart by tenant (a routing lookup or a batch-wide write failed): those items retry
    /// then, and no later message of their users may be answered first.
    private let heldAll = NIOLockedValueBox<Date?>(nil)
    /// Raw bodies read at once when the decoded items are not at hand (up to 3 MB each).
    private static let bodiesPerRead = 8
    /// How long a failed tenant batch waits before its retry (`failEvents`' back-off).
    private static let retryBackOff: TimeInterval = 5

    package init(store: any LioraStore, clock: any LioraClock, metrics: LioraMetrics, logger: Logger,
                 batchSize: Int = 256, lease: TimeInterval = 60, maxAttempts: Int = PendingWebhookEvent.defaultMaxAttempts, idlePoll: Duration = .seconds(1),
                 responder: ConversationResponder? = nil, decoded: DecodedWebhooks? = nil, splitTransactions: Bool = false,
                 betweenTransactions: (@Sendable () async throws -> Void)? = nil) {
        self.responder = responder
        self.betweenTransactions = betweenTransactions
        self.splitTransactions = splitTransactions
        self.decoded = decoded
        self.store = store
        self.clock = clock
        self.metrics = metrics
        self.logger = logger
        self.batchSize = batchSize
        self.lease = lease
        self.maxAttempts = maxAttempts
        self.loop = WakeableLoop(idlePoll: idlePoll)
    }

    /// Tells the processor new items were stored (called by the ingest writer after each commit).
    package func wake() { loop.wake() }

    /// The background loop: process while there is work, then sleep until woken or `idlePoll`
    /// passes (which also picks up items whose lease ran out or whose retry is due).
    package func run() async throws {
        await loop.run(logger: logger, failure: "webhook processing failed") { try await self.processBatch() }
            stopped: { await self.releaseClaimedAhead() }
    }

    /// Gives back a batch claimed ahead and not processed (the loop is stopping): its items are
    /// claimable at once by the next processor instead of waiting out their lease. Returns how
    /// many items it gave back.
    @discardableResult
    package func releaseClaimedAhead() async -> Int {
        guard let claim = nextClaim.withLockedValue({ c in defer { c = nil }; return c }),
              let events = try? await claim.value, !events.isEmpty else { return 0 }
        do {
            return try await store.releaseEvents(events)
        } catch {
            logger.warning("could not give back items claimed ahead; they are claimable again when their lease ends",
                           metadata: ["events": "\(events.count)", "error": "\(loggableDescription(error))"])
            return 0
        }
    }

    /// Processes until nothing is pending (tests and the demo use this to wait deterministically).
    /// Returns the number of items handled.
    @discardableResult
    package func runUntilIdle() async throws -> Int {
        var total = 0
        while true {
            let n = try await processBatch()
            if n == 0 { return total }
            total += n
        }
    }

    /// Claims and handles one batch; returns how many items it claimed.
    ///
    /// Its commits are `WriteDurability.relaxed`: the items it works on are already on disk, so a
    /// commit lost to a power cut only means the items are processed again (nothing was sent yet:
    /// the sender's claims are durable, and they make everything committed before them durable).
    package func processBatch() async throws -> Int {
        try await WriteDurability.$relaxed.withValue(true) { try await processClaimedBatch() }
    }

    private func processClaimedBatch() async throws -> Int {
        let now = clock.now
        var events: [PendingWebhookEvent] = []
        if let claimed = nextClaim.withLockedValue({ c in defer { c = nil }; return c }) {
            events = (try? await claimed.value) ?? []
        }
        // Nothing claimed ahead (or it found nothing yet): claim now.
        if events.isEmpty { events = try await store.claimPendingEvents(limit: batchSize, now: now, lease: lease, maxAttempts: maxAttempts) }
        guard !events.isEmpty else { return 0 }

        // A batch claimed ahead waited for the one before it; and any batch may run long (many
        // tenants, a slow Bitly): its lease is renewed while it works, or the next claim would
        // take its own unfinished items back and every tenant after would fail (`claimLost`).
        let lease = LeaseKeeper(events: events, lease: self.lease, clock: clock, store: store)
        try await lease.keep()

        // When these items were claimed (a batch claimed ahead was claimed during the one before):
        // a claim made by the end of a hold cannot hold the failed items it waits for.
        let claimedAt = events.compactMap(\.claimedUntil).min().map { $0.addingTimeInterval(-lease.duration) } ?? now
        if let until = heldAll.withLockedValue({ h -> Date? in
            if let until = h, claimedAt > until { h = nil }
            return h
        }) {
            try await store.postponeEvents(events, until: until)
            return events.count
        }
        var settled = Set<Int64>()
        do {
            try await processClaimed(events, now: now, claimedAt: claimedAt, lease: lease, settled: &settled)
        } catch {
            // A failure outside any one tenant's work: whatever the batch had not settled retries
            // after the usual back-off, and everything claimed meanwhile waits for it.
            let unsettled = events.filter { !settled.contains($0.id) }
            logger.error("webhook batch failed; its unfinished items will retry", metadata: [
                "events": "\(unsettled.count)", "error": "\(loggableDescription(error))"])
            let failedAt = clock.now
            heldAll.withLockedValue { h in h = max(h ?? failedAt, failedAt.addingTimeInterval(Self.retryBackOff)) }
            if !unsettled.isEmpty {
                try await store.failEvents(unsettled, error: String(describing: error), now: failedAt, maxAttempts: maxAttempts)
                metrics.eventsFailed.increment(by: Int64(unsettled.count))
            }
        }
        return events.count
    }

    private func processClaimed(_ events: [PendingWebhookEvent], now: Date, claimedAt: Date, lease: LeaseKeeper,
                                settled: inout Set<Int64>) async throws {

        var itemsByPayload: [UUID: [WebhookItem]] = [:]
        var missing: [UUID] = []
        for event in events where itemsByPayload[event.payloadID] == nil {
            if let items = decoded?.take(event.payloadID) {
                itemsByPayload[event.payloadID] = items
            } else {
                itemsByPayload[event.payloadID] = []
                missing.append(event.payloadID)
            }
        }
        // Bodies this process did not decode on receipt (another instance took them, or a restart
        // came between): read and decoded a few at a time, so a batch of large bodies never sits
        // in memory all at once.
        for start in stride(from: 0, to: missing.count, by: Self.bodiesPerRead) {
            let group = Array(missing[start..<min(start + Self.bodiesPerRead, missing.count)])
            let bodies = try await store.payloadBodies(group)
            for id in group {
                itemsByPayload[id] = bodies[id].flatMap { try? WebhookDecoding.decode(Data($0)) }?.items ?? []
            }
        }

        var routes: [String: PhoneNumberRoute?] = [:]
        var finished: [WebhookEventOutcome] = []
        var work: [UUID: [(event: PendingWebhookEvent, item: WebhookItem, route: PhoneNumberRoute)]] = [:]
        var tenantOrder: [UUID] = []
        var suspended: [UUID: [Message]] = [:]

        for event in events {
            guard let items = itemsByPayload[event.payloadID], event.itemIndex < items.count else {
                finished.append(.init(event, state: .failed, outcome: "undecodable"))
                continue
            }
            let item = items[event.itemIndex]
            guard event.field == "messages" else {
                finished.append(.init(event, state: .ignored, outcome: "unsupported_field"))
                continue
            }
            guard let phone = event.phoneNumberID else {
                finished.append(.init(event, state: .ignored, outcome: "unknown_phone_number"))
                continue
            }
            if routes[phone] == nil { routes[phone] = .some(try await store.route(phoneNumberID: phone)) }
            guard let route = routes[phone] ?? nil else {
                logger.warning("webhook for an unknown phone number id", metadata: ["phone_number_id": "\(phone)", "event_id": "\(event.id)"])
                finished.append(.init(event, state: .ignored, outcome: "unknown_phone_number"))
                continue
            }
            guard route.tenantStatus == .active else {
                // Not answered; a suspended tenant's customers' messages are still logged
                // (conversation_logs holds every inbound message), for its team once it is resumed.
                if route.tenantStatus == .suspended, case .message(let message, _) = item.content {
                    suspended[route.tenantID, default: []].append((event, message, route))
                } else {
                    finished.append(.init(event, state: .ignored, outcome: "tenant_\(route.tenantStatus.rawValue)",
                                          tenantID: route.tenantID))
                }
                continue
            }
            if work[route.tenantID] == nil { tenantOrder.append(route.tenantID) }
            work[route.tenantID, default: []].append((event, item, route))
        }

        if !finished.isEmpty {
            try await store.finishEvents(finished, now: now)
            count(finished)
            settled.formUnion(finished.map(\.eventID))
        }
        for (tenantID, messages) in suspended {
            let outcomes = messages.map { WebhookEventOutcome($0.event, state: .ignored, outcome: "tenant_suspended", tenantID: tenantID) }
            try await store.withTenant(tenantID) { session in
                try await session.appendLogs(messages.map { m in
                    ConversationLogEntry(
                        tenantID: tenantID, userContextID: nil, wabaAccountID: m.route.wabaAccountID, direction: .inbound,
                        waMessageID: m.message.id, messageType: m.message.type.rawValue, body: m.message.textContent ?? m.message.caption,
                        intent: nil, status: "received_while_suspended", createdAt: m.message.sentAt(receivedAt: now))
                })
                try await session.finishEvents(outcomes, now: now)
            }
            count(outcomes)
            settled.formUnion(outcomes.map(\.eventID))
        }

        for tenantID in tenantOrder {
            let items = work[tenantID] ?? []
            let heldUntil = heldTenants.withLockedValue { held -> Date? in
                held = held.filter { $0.value >= claimedAt }
                return held[tenantID]
            }
            if let heldUntil, claimedAt <= heldUntil {
                // Earlier items of this tenant failed and wait for their retry: these go after them.
                try await store.postponeEvents(items.map(\.event), until: heldUntil)
                settled.formUnion(items.map(\.event.id))
                continue
            }
            do {
                try await lease.keep()
                let outcomes = try await apply(items, tenantID: tenantID, now: now, lease: lease)
                settled.formUnion(items.map(\.event.id))
                count(outcomes)
                responder?.onQueued()
            } catch {
                logger.error("tenant batch failed; will retry", metadata: [
                    "cliente_id": "\(tenantID.lowercasedText)", "events": "\(items.count)", "error": "\(loggableDescription(error))"])
                // The back-off, and the hold on the tenant's later items, run from the failure,
                // not from the batch's start (a long batch would leave a hold already over).
                let failedAt = clock.now
                try await store.failEvents(items.map(\.event), error: String(describing: error), now: failedAt, maxAttempts: maxAttempts)
                metrics.eventsFailed.increment(by: Int64(items.count))
                settled.formUnion(items.map(\.event.id))
                heldTenants.withLockedValue { $0[tenantID] = failedAt.addingTimeInterval(Self.retryBackOff) }
            }
        }
    }

    private typealias Item = (event: PendingWebhookEvent, item: WebhookItem, route: PhoneNumberRoute)
    private typealias Message = (event: PendingWebhookEvent, message: InboundMessage, route: PhoneNumberRoute)

    /// Applies one tenant's items: the users' contexts, the bot's answers (queued in the outbox with
    /// the users' new conversation state), the log, delivery statuses, and the items marked done.
    ///
    /// In one transaction; or, with `splitTransactions` (SQLite, where one processor is the only
    /// writer of conversation state), the engine runs between a short transaction that reads what it
    /// needs and one that writes the results, so the database's single writer is not held while the
    /// bot thinks. A crash between the two leaves the items claimed: they are processed again after
    /// their lease, and nothing was queued or logged the first time.
    private func apply(_ items: [Item], tenantID: UUID, now: Date, lease: LeaseKeeper) async throws -> [WebhookEventOutcome] {
        var messages: [Message] = []
        var touches: [UserContextTouch] = []
        for (event, item, route) in items {
            if case .message(let message, let contact) = item.content {
                touches.append(UserContextTouch(waID: message.from, profileName: contact?.profile?.name,
                                                messageAt: message.sentAt(receivedAt: now)))
                messages.append((event, message, route))
            }
        }
        let inbound = messages.map { ($0.message, $0.route.wabaAccountID) }
        guard let responder, !messages.isEmpty, splitTransactions else {
            let (messages, touches) = (messages, touches)
            @Sendable func oneTransaction(buildingMissingIndex: Bool, fetched: TenantLinks.FetchedLinks?) async throws -> [WebhookEventOutcome] {
                try await store.withTenant(tenantID) { session in
                    let contexts = messages.isEmpty ? [:] : try await session.touchUserContexts(touches, now: now)
                    var intents: [String: String] = [:]
                    if let responder, !messages.isEmpty {
                        intents = try await responder.respond(to: inbound, contexts: contexts, tenantID: tenantID, session: session,
                                                              now: now, buildingMissingIndex: buildingMissingIndex, fetched: fetched)
                    }
                    return try await finish(items, messages: messages, contexts: contexts, intents: intents, tenantID: tenantID,
                                            session: session, now: now)
                }
            }
            // Work that must not hold the transaction (its users' rows stay unlocked meanwhile)
            // rolls it back, is done outside, and the batch runs again: at most once each.
            var (buildingMissingIndex, fetched): (Bool, TenantLinks.FetchedLinks?) = (false, nil)
            while true {
                do {
                    return try await oneTransaction(buildingMissingIndex: buildingMissingIndex, fetched: fetched)
                } catch let missing as ConversationResponder.CatalogIndexNotBuilt where !buildingMissingIndex {
                    _ = await responder?.catalogs.build(tenantID: tenantID, version: missing.version, body: missing.body)
                    buildingMissingIndex = true
                } catch let links as ConversationResponder.LinksNotFetched where fetched == nil {
                    fetched = try await responder?.fetchLinks(links.urls, tenantID: tenantID, store: store) ?? [:]
                }
            }
        }
        // The first transaction makes sure each user has a context without counting the messages
        // (counted in the second, so a batch processed twice after a crash still counts once);
        // an existing context is only read.
        let (contexts, read) = try await store.withTenant(tenantID) { session in
            let contexts = try await session.ensureUserContexts(touches, now: now)
            return (contexts, try await responder.prepare(for: inbound, tenantID: tenantID, session: session, now: now))
        }
        let prepared = await responder.buildCatalog(read, tenantID: tenantID)
        let computed = try responder.compute(inbound, contexts: contexts, prepared: prepared, tenantID: tenantID, now: now)
        try await betweenTransactions?()
        try await lease.keep()  // before the next claim, which takes whatever lease has run out
        claimNextBatch()
        // Bitly is called here, between the transactions, never while one is open (and after the
        // next batch is claimed, so that claim does not wait for Bitly).
        let fetched = try await responder.fetchLinks(computed, tenantID: tenantID, store: store)
        return try await store.withTenant(tenantID) { session in
            try await session.countUserMessages(touches, now: now)
            try await responder.commit(computed, contexts: contexts, tenantID: tenantID, session: session, now: now, fetched: fetched)
            return try await finish(items, messages: messages, contexts: contexts, intents: computed.intents, tenantID: tenantID,
                                    session: session, now: now)
        }
    }

    /// The writes that close a tenant's batch, with a fixed number of statements: one update per
    /// status, one insert for the log, one to mark the items done. Returns the outcomes.
    private func finish(_ items: [Item], messages: [Message], contexts: [String: (context: UserContext, created: Bool)],
                        intents: [String: String], tenantID: UUID, session: any TenantSession, now: Date) async throws -> [WebhookEventOutcome] {
        var outcomes: [WebhookEventOutcome] = []
        for (event, item, _) in items {
            switch item.content {
            case .message:
                continue
            case .status(let status):
                let applied = try await session.updateOutboundStatus(OutboundStatusUpdate(
                    waMessageID: status.id, status: status.status.rawValue, rank: status.status.rank,
                    at: status.timestampDate ?? now, errorCode: (status.errors?.first?.code).flatMap { Int32(exactly: $0).map(Int.init) }))  // the column is 32-bit
                if applied {
                    outcomes.append(.init(event, state: .processed, outcome: "status_applied", tenantID: tenantID))
                } else if try await session.hasOutboundMessage(waMessageID: status.id) {
                    outcomes.append(.init(event, state: .processed, outcome: "status_no_change", tenantID: tenantID))
                } else if let delay = Self.earlyStatusRetry(afterAttempt: event.attempts, maxAttempts: maxAttempts) {
                    // Meta can report a message before the sender has recorded Meta's id for it:
                    // the status is kept and tried again.
                    outcomes.append(.init(event, state: .retryLater, outcome: "status_before_message", tenantID: tenantID,
                                          retryAt: clock.now.addingTimeInterval(delay)))
                } else {
                    // Not a message this service sent (or its record never came): nothing to update.
                    outcomes.append(.init(event, state: .processed, outcome: "status_unknown_message", tenantID: tenantID))
                }
            case .error(let error):
                logger.warning("Meta reported an error", metadata: ["cliente_id": "\(tenantID.lowercasedText)", "code": "\(error.code)"])
                outcomes.append(.init(event, state: .processed, outcome: "error_reported", tenantID: tenantID))
            }
        }
        if !messages.isEmpty {
            try await session.appendLogs(messages.map { m in
                ConversationLogEntry(
                    tenantID: tenantID, userContextID: contexts[m.message.from]?.context.id, wabaAccountID: m.route.wabaAccountID,
                    direction: .inbound, waMessageID: m.message.id, messageType: m.message.type.rawValue,
                    body: m.message.textContent ?? m.message.caption, intent: intents[m.message.id], status: "received",
                    createdAt: m.message.sentAt(receivedAt: now))
            })
            outcomes += messages.map { .init($0.event, state: .processed, outcome: "stored", tenantID: tenantID) }
        }
        try await session.finishEvents(outcomes, now: now)
        return outcomes.sorted { $0.eventID < $1.eventID }
    }

    /// Starts claiming the next batch (once): its wait for the writer overlaps this batch's last
    /// transaction. The claim is relaxed like the rest of the batch (claims only move leases). A
    /// claim that fails is retried by the next `processBatch`; one left when the loop stops is given
    /// back (`releaseClaimedAhead`).
    private func claimNextBatch() {
        nextClaim.withLockedValue { next in
            guard next == nil else { return }
            let (store, clock, batchSize, lease, maxAttempts) = (store, clock, batchSize, lease, maxAttempts)
            next = Task {
                try await WriteDurability.$relaxed.withValue(true) {
                    try await store.claimPendingEvents(limit: batchSize, now: clock.now, lease: lease, maxAttempts: maxAttempts)
                }
            }
        }
    }

    /// How many items the claim started ahead holds, once it has run (0 when none was started).
    /// For tests: the claim stays for the next `processBatch`.
    package func claimedAhead() async -> Int {
        guard let claim = nextClaim.withLockedValue({ $0 }) else { return 0 }
        return (try? await claim.value)?.count ?? 0
    }

    /// How long a delivery status for a message not (yet) in the log waits before it is tried
    /// again, after the `attempt`th try: 2 s, 10 s, then 60 s (a sender whose records are held
    /// back by a database blip writes them at its next round); nil once it has been tried four
    /// times, about 72 s after it came (or the item may not be claimed again).
    static func earlyStatusRetry(afterAttempt attempt: Int, maxAttempts: Int) -> TimeInterval? {
        let delays: [TimeInterval] = [2, 10, 60]
        guard attempt < min(delays.count + 1, maxAttempts) else { return nil }
        return delays[max(attempt, 1) - 1]
    }

    private func count(_ outcomes: [WebhookEventOutcome]) {
        for o in outcomes {
            switch o.state {
            case .processed: metrics.eventsProcessed.increment()
            case .ignored: metrics.eventsIgnored.increment()
            case .retryLater: break  // counted when it ends
            case .failed: metrics.eventsFailed.increment()
            }
        }
    }
}

/// Renews a batch's lease while it is worked on, once half of it has gone by (so a batch that
/// ends within half its lease, the usual case, writes nothing for it).
private final class LeaseKeeper: Sendable {
    private let events: [PendingWebhookEvent]
    private let lease: TimeInterval
    /// How long a claim's lease runs.
    var duration: TimeInterval { lease }
    private let clock: any LioraClock
    private let store: any LioraStore
    private let until: NIOLockedValueBox<Date>

    init(events: [PendingWebhookEvent], lease: TimeInterval, clock: any LioraClock, store: any LioraStore) {
        self.events = events
        self.lease = lease
        self.clock = clock
        self.store = store
        self.until = NIOLockedValueBox(events.compactMap(\.claimedUntil).min() ?? .distantFuture)
    }

    func keep() async throws {
        let now = clock.now
        let current = until.withLockedValue { $0 }
        guard now.addingTimeInterval(lease / 2) >= current else { return }
        let renewed = now.addingTimeInterval(lease)
        try await WriteDurability.$relaxed.withValue(true) { try await store.renewClaims(events, from: current, until: renewed) }
        until.withLockedValue { $0 = renewed }
    }
}
