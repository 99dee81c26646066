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

    package init(store: any LioraStore, clock: any LioraClock, metrics: LioraMetrics, logger: Logger,
                 batchSize: Int = 256, lease: TimeInterval = 60, maxAttempts: Int = 5, idlePoll: Duration = .seconds(1),
                 responder: ConversationResponder? = nil, decoded: DecodedWebhooks? = nil) {
        self.responder = responder
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
    package func processBatch() async throws -> Int {
        let now = clock.now
        let events = try await store.claimPendingEvents(limit: batchSize, now: now, lease: lease)
        guard !events.isEmpty else { return 0 }

        var itemsByPayload: [UUID: [WebhookItem]] = [:]
        for event in events where itemsByPayload[event.payloadID] == nil {
            itemsByPayload[event.payloadID] = decoded?.take(event.payloadID)
                ?? (try? WebhookDecoding.decode(Data(event.body)))?.items ?? []
        }

        var routes: [String: PhoneNumberRoute?] = [:]
        var finished: [WebhookEventOutcome] = []
        var work: [UUID: [(event: PendingWebhookEvent, item: WebhookItem, route: PhoneNumberRoute)]] = [:]
        var tenantOrder: [UUID] = []

        for event in events {
            guard let items = itemsByPayload[event.payloadID], event.itemIndex < items.count else {
                finished.append(.init(eventID: event.id, state: .failed, outcome: "undecodable"))
                continue
            }
            let item = items[event.itemIndex]
            guard event.field == "messages" else {
                finished.append(.init(eventID: event.id, state: .ignored, outcome: "unsupported_field"))
                continue
            }
            guard let phone = event.phoneNumberID else {
                finished.append(.init(eventID: event.id, state: .ignored, outcome: "unknown_phone_number"))
                continue
            }
            if routes[phone] == nil { routes[phone] = .some(try await store.route(phoneNumberID: phone)) }
            guard let route = routes[phone] ?? nil else {
                logger.warning("webhook for an unknown phone number id", metadata: ["phone_number_id": "\(phone)", "event_id": "\(event.id)"])
                finished.append(.init(eventID: event.id, state: .ignored, outcome: "unknown_phone_number"))
                continue
            }
            guard route.tenantStatus == .active else {
                finished.append(.init(eventID: event.id, state: .ignored, outcome: "tenant_\(route.tenantStatus.rawValue)",
                                      tenantID: route.tenantID))
                continue
            }
            if work[route.tenantID] == nil { tenantOrder.append(route.tenantID) }
            work[route.tenantID, default: []].append((event, item, route))
        }

        if !finished.isEmpty {
            try await store.finishEvents(finished, now: now)
            count(finished)
        }

        for tenantID in tenantOrder {
            let items = work[tenantID] ?? []
            do {
                let outcomes = try await store.withTenant(tenantID) { session in
                    try await apply(items, tenantID: tenantID, session: session, now: now)
                }
                count(outcomes)
                responder?.onQueued()
            } catch {
                logger.error("tenant batch failed; will retry", metadata: [
                    "cliente_id": "\(tenantID)", "events": "\(items.count)", "error": "\(String(reflecting: error))"])
                try await store.failEvents(items.map(\.event.id), error: String(describing: error), now: now, maxAttempts: maxAttempts)
                metrics.eventsFailed.increment(by: Int64(items.count))
            }
        }
        return events.count
    }

    /// Applies one tenant's items in its transaction with a fixed number of statements: one upsert
    /// for the users' contexts, one insert for the log, one update per status, one to mark the
    /// items done. Returns the outcomes.
    private func apply(_ items: [(event: PendingWebhookEvent, item: WebhookItem, route: PhoneNumberRoute)], tenantID: UUID,
                       session: any TenantSession, now: Date) async throws -> [WebhookEventOutcome] {
        var outcomes: [WebhookEventOutcome] = []
        var touches: [UserContextTouch] = []
        var messages: [(event: PendingWebhookEvent, message: InboundMessage, route: PhoneNumberRoute)] = []
        for (event, item, route) in items {
            switch item.content {
            case .message(let message, let contact):
                touches.append(UserContextTouch(waID: message.from, profileName: contact?.profile?.name,
                                                messageAt: message.timestampDate ?? now))
                messages.append((event, message, route))
            case .status(let status):
                let applied = try await session.updateOutboundStatus(OutboundStatusUpdate(
                    waMessageID: status.id, status: status.status.rawValue, rank: status.status.rank,
                    at: status.timestampDate ?? now, errorCode: status.errors?.first?.code))
                outcomes.append(.init(eventID: event.id, state: .processed, outcome: applied ? "status_applied" : "status_no_change",
                                      tenantID: tenantID))
            case .error(let error):
                logger.warning("Meta reported an error", metadata: ["cliente_id": "\(tenantID)", "code": "\(error.code)"])
                outcomes.append(.init(eventID: event.id, state: .processed, outcome: "error_reported", tenantID: tenantID))
            }
        }
        if !messages.isEmpty {
            let contexts = try await session.touchUserContexts(touches, now: now)
            var intents: [String: String] = [:]
            if let responder {
                intents = try await responder.respond(to: messages.map { ($0.message, $0.route.wabaAccountID) }, contexts: contexts,
                                                      tenantID: tenantID, session: session, now: now)
            }
            try await session.appendLogs(messages.map { m in
                ConversationLogEntry(
                    tenantID: tenantID, userContextID: contexts[m.message.from]?.context.id, wabaAccountID: m.route.wabaAccountID,
                    direction: .inbound, waMessageID: m.message.id, messageType: m.message.type.rawValue,
                    body: m.message.textContent, intent: intents[m.message.id], status: "received",
                    createdAt: m.message.timestampDate ?? now)
            })
            outcomes += messages.map { .init(eventID: $0.event.id, state: .processed, outcome: "stored", tenantID: tenantID) }
        }
        try await session.finishEvents(outcomes, now: now)
        return outcomes.sorted { $0.eventID < $1.eventID }
    }

    private func count(_ outcomes: [WebhookEventOutcome]) {
        for o in outcomes {
            switch o.state {
            case .processed: metrics.eventsProcessed.increment()
            case .ignored: metrics.eventsIgnored.increment()
            case .failed: metrics.eventsFailed.increment()
            }
        }
    }
}
