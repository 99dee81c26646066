import Foundation
package import LioraCore
package import Logging
import WhatsApp

/// Runs the conversation engine for a tenant's batch of inbound messages inside the
/// processor's transaction: replies go to the outbox and the users' conversation state is saved
/// in that same transaction, so a reply is queued exactly once per message.
package struct ConversationResponder: Sendable {
    package let engine: ConversationEngine
    package let allSkills: Set<String>
    /// The tenants' active catalogs (search indexes).
    package let catalogs: CatalogIndexCache
    /// Shortens product links (Bitly when the tenant has it, else the built-in shortener).
    package let shortener: TenantLinks?
    /// Called after a batch's transaction committed (wakes the sender).
    package let onQueued: @Sendable () -> Void
    private let logger: Logger

    package init(engine: ConversationEngine, catalogs: CatalogIndexCache = CatalogIndexCache(), shortener: TenantLinks? = nil,
                 logger: Logger = Logger(label: "liora.conversation"), onQueued: @escaping @Sendable () -> Void = {}) {
        self.engine = engine
        self.allSkills = Set(engine.router.catalog.skills.map(\.id))
        self.catalogs = catalogs
        self.shortener = shortener
        self.logger = logger
        self.onQueued = onQueued
    }

    /// "2026-11" (UTC), the quota month of `date`.
    static func month(_ date: Date) -> String {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = TimeZone(identifier: "UTC")!
        let c = calendar.dateComponents([.year, .month], from: date)
        return String(format: "%04d-%02d", c.year ?? 1970, c.month ?? 1)
    }

    /// Message types the bot does not answer (a reaction to its message, system notices, …).
    private static let silentTypes: Set<String> = ["reaction", "system", "unsupported", "order", "request_welcome"]

    /// Answers each message in order; returns the matched intent per message id.
    func respond(to messages: [(message: InboundMessage, wabaAccountID: UUID)], contexts: [String: (context: UserContext, created: Bool)],
                 tenantID: UUID, session: any TenantSession, now: Date) async throws -> [String: String] {
        var enabled = try await session.enabledSkills(among: allSkills)
        // The plan decides which skills exist for the tenant and how many conversations a month the bot starts.
        let plan = try await session.plan()
        if let skills = plan?.skills { enabled.formIntersection(skills) }
        var admitted: Set<String>?
        if let plan {
            let answerable = messages.filter { !Self.silentTypes.contains($0.message.type.rawValue) && InboundMessageType.known.contains($0.message.type) }
            admitted = try await session.admitConversations(answerable.map(\.message.from), month: Self.month(now),
                                                            limit: plan.monthlyConversations, now: now)
        }
        let catalog = enabled.contains("ecommerce") ? try await catalogs.active(in: session) : nil
        var states: [String: (language: Language, state: ConversationState, lastIntent: String?)] = [:]
        var intents: [String: String] = [:]
        var outbox: [OutboxEntry] = []
        for (message, wabaAccountID) in messages {
            guard let context = contexts[message.from]?.context else { continue }
            if Self.silentTypes.contains(message.type.rawValue) || !InboundMessageType.known.contains(message.type) { continue }
            // Over the plan's monthly conversations: the message is stored and logged, not answered.
            if let admitted, !admitted.contains(message.from) { continue }
            let current = states[message.from] ?? (Language(code: context.language) ?? .default,
                                                   ConversationState.decode(context.conversationJSON), context.lastIntent)
            let at = message.timestampDate ?? now
            let turn = engine.respond(to: message.textContent ?? "", replyID: message.replyID, language: current.language,
                                      state: current.state, enabledSkills: enabled, catalog: catalog, now: at)
            states[message.from] = (turn.language, turn.state, turn.intentID ?? current.lastIntent)
            if let intent = turn.intentID { intents[message.id] = intent }
            if !turn.replies.isEmpty {
                // Mark the message read and show "typing…" while the answer goes out (queued first).
                outbox.append(try ReplyComposer.readReceipt(for: message.id, tenantID: tenantID, userContextID: context.id,
                                                            wabaAccountID: wabaAccountID, to: message.from, now: now,
                                                            sequence: outbox.count))
            }
            var replies = turn.replies
            for (i, reply) in replies.enumerated() {
                guard case .product(var card) = reply else { continue }
                if let shortener {
                    card.url = try await shortener.shorten(card.url, intent: turn.intentID, sku: card.sku, userContextID: context.id,
                                                           in: session, now: now, logger: logger).absoluteString
                } else {
                    card.url = LinkShortener.withUTM(card.url, campaign: turn.intentID, content: card.sku)
                }
                replies[i] = .product(card)
            }
            outbox += try ReplyComposer.outboxEntries(
                for: replies, tenantID: tenantID, userContextID: context.id, wabaAccountID: wabaAccountID, to: message.from,
                intent: turn.intentID, replyTo: message.id, now: now, sequence: outbox.count)
        }
        try await session.enqueueReplies(outbox)
        for (waID, s) in states {
            guard let context = contexts[waID]?.context else { continue }
            try await session.saveConversation(contextID: context.id, language: s.language.rawValue, lastIntent: s.lastIntent,
                                               conversationJSON: s.state.encoded(), now: now)
        }
        return intents
    }
}
