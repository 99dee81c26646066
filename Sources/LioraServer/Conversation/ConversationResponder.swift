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

    /// Message types the bot does not answer (a reaction to its message, system notices, …).
    private static let silentTypes: Set<String> = ["reaction", "system", "unsupported", "order", "request_welcome"]

    /// What the bot needs from the store before it can answer a tenant's batch.
    package struct Prepared: Sendable {
        var enabled: Set<String>
        /// The users the plan lets the bot answer this month (nil: no plan, no limit).
        var admitted: Set<String>?
        var catalog: ActiveCatalogIndex?
        /// The active catalog's snapshot when its index is not built yet (`buildCatalog` builds it).
        var unbuiltCatalog: (version: Int, body: [UInt8])?
    }

    /// The engine's answers for a batch, not yet queued.
    package struct Computed: Sendable {
        /// One per answered message, in order (product links not shortened yet).
        var answers: [Answer]
        var states: [String: (language: Language, state: ConversationState, lastIntent: String?)]
        /// Each user's state as stored (`ConversationState.encoded()`), encoded here rather than
        /// inside the transaction that saves it.
        var encodedStates: [String: String] = [:]
        /// The matched intent per inbound message id.
        package var intents: [String: String]
    }

    struct Answer: Sendable {
        var message: InboundMessage
        var contextID: UUID
        var wabaAccountID: UUID
        var turn: ConversationEngine.Turn
        /// The queued rows when they could be composed outside the transaction (no product links to shorten).
        var composed: [OutboxEntry]?
    }

    /// Thrown by `respond` when the tenant's active catalog has no index in this process yet: the
    /// caller rolls its transaction back, builds the index outside it (`CatalogIndexCache.build`)
    /// and runs the transaction again.
    struct CatalogIndexNotBuilt: Error {
        var version: Int
        var body: [UInt8]
    }

    /// Thrown by `respond` when the answers need Bitly links the tenant does not have yet: the
    /// caller rolls its transaction back, fetches them holding none (`TenantLinks.fetchExternal`)
    /// and runs the transaction again with them.
    struct LinksNotFetched: Error {
        var urls: Set<String>
    }

    /// Answers each message in order in one transaction; returns the matched intent per message id.
    /// A catalog index not built yet throws `CatalogIndexNotBuilt`, unless `buildingMissingIndex`
    /// (a second try, when another activation came between): then it is built here. Bitly is never
    /// called here: without `fetched`, links Bitly would have to make throw `LinksNotFetched`;
    /// with it, a link it does not cover is built in.
    func respond(to messages: [(message: InboundMessage, wabaAccountID: UUID)], contexts: [String: (context: UserContext, created: Bool)],
                 tenantID: UUID, session: any TenantSession, now: Date, buildingMissingIndex: Bool = false,
                 fetched: TenantLinks.FetchedLinks? = nil) async throws -> [String: String] {
        let read = try await prepare(for: messages, tenantID: tenantID, session: session, now: now)
        if let unbuilt = read.unbuiltCatalog, !buildingMissingIndex {
            throw CatalogIndexNotBuilt(version: unbuilt.version, body: unbuilt.body)
        }
        let prepared = await buildCatalog(read, tenantID: tenantID)
        let computed = try compute(messages, contexts: contexts, prepared: prepared, tenantID: tenantID, now: now)
        if fetched == nil, let shortener {
            let missing = try await shortener.unfetched(Self.productURLs(computed), in: session)
            if !missing.isEmpty { throw LinksNotFetched(urls: missing) }
        }
        try await commit(computed, contexts: contexts, tenantID: tenantID, session: session, now: now, fetched: fetched ?? [:])
        return computed.intents
    }

    /// Reads what answering needs: the enabled skills (as the plan allows), the users admitted
    /// under the plan's monthly conversations (admitting new ones), the active catalog (its index,
    /// or its snapshot when the index is not built in this process yet: see `buildCatalog`).
    func prepare(for messages: [(message: InboundMessage, wabaAccountID: UUID)], tenantID: UUID, session: any TenantSession,
                 now: Date) async throws -> Prepared {
        var enabled = try await session.enabledSkills(among: allSkills)
        // The plan decides which skills exist for the tenant and how many conversations a month the bot starts.
        let plan = try await session.plan()
        if let skills = plan?.skills { enabled.formIntersection(skills) }
        var admitted: Set<String>?
        if let plan {
            let answerable = messages.filter { Self.answers($0.message) }
            admitted = try await session.admitConversations(answerable.map(\.message.from), month: QuotaMonth.of(now),
                                                            limit: plan.monthlyConversations, now: now)
        }
        var prepared = Prepared(enabled: enabled, admitted: admitted)
        if enabled.contains("ecommerce") {
            switch try await catalogs.lookup(in: session) {
            case .none: break
            case .ready(let catalog): prepared.catalog = catalog
            case .unbuilt(let version, let body): prepared.unbuiltCatalog = (version, body)
            }
        }
        return prepared
    }

    /// Builds the active catalog's index when `prepare` found it unbuilt (after a restart, or
    /// another instance's activation): up to a second or two of CPU for a large catalog, so the
    /// processor calls this between its transactions, never holding the database's writer.
    func buildCatalog(_ prepared: Prepared, tenantID: UUID) async -> Prepared {
        guard let unbuilt = prepared.unbuiltCatalog else { return prepared }
        var built = prepared
        built.unbuiltCatalog = nil
        built.catalog = await catalogs.build(tenantID: tenantID, version: unbuilt.version, body: unbuilt.body)
        return built
    }

    /// A question sent from a product's page in WhatsApp ("Is this still available?", with
    /// `context.referred_product`): answered as a tap on that product's row (its card, or that it
    /// is no longer in the catalog), its retailer id being the catalog's SKU.
    private static func productInquiry(_ message: InboundMessage) -> String? {
        guard let sku = message.context?.referredProduct?.productRetailerID, !sku.isEmpty else { return nil }
        return CatalogReplyID.product + sku
    }

    /// What a message with nothing to read is, for `ConversationEngine.respond(toAttachment:)`.
    private static func attachment(_ message: InboundMessage) -> ConversationEngine.Attachment? {
        switch message.type {
        case .image: .photo
        case .video: .video
        case .audio: .audio
        case .sticker: .sticker
        case .document: .document
        case .location: .location
        case .contacts: .contact
        default: nil
        }
    }

    private static func answers(_ message: InboundMessage) -> Bool {
        !silentTypes.contains(message.type.rawValue) && InboundMessageType.known.contains(message.type)
    }

    /// Runs the engine over the batch (no store access: this can run outside any transaction) and
    /// composes the replies that need no short links.
    func compute(_ messages: [(message: InboundMessage, wabaAccountID: UUID)], contexts: [String: (context: UserContext, created: Bool)],
                 prepared: Prepared, tenantID: UUID, now: Date) throws -> Computed {
        var computed = Computed(answers: [], states: [:], intents: [:])
        for (message, wabaAccountID) in messages {
            guard let context = contexts[message.from]?.context, Self.answers(message) else { continue }
            // Over the plan's monthly conversations: the message is stored and logged, not answered.
            if let admitted = prepared.admitted, !admitted.contains(message.from) { continue }
            let current = computed.states[message.from] ?? (Language(code: context.language) ?? .default,
                                                            ConversationState.decode(context.conversationJSON), context.lastIntent)
            let at = message.sentAt(receivedAt: now)
            // A user new with this batch has no language of their own yet, only the default.
            let established = computed.states[message.from] != nil || contexts[message.from]?.created != true
            // A caption is read as what the user wrote; a photo, voice note… without one gets its own answer.
            let text = message.textContent ?? message.caption.flatMap { $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty ? nil : $0 }
            var turn = if text == nil, let attachment = Self.attachment(message) {
                engine.respond(toAttachment: attachment, language: current.language, state: current.state, now: at)
            } else {
                // (Not when the question asks for a person, or someone is at risk: that comes first.)
                engine.respond(to: text ?? "", replyID: message.replyID ?? Self.productInquiry(message).flatMap {
                                   engine.router.urgentIntent(in: text ?? "", enabledSkills: prepared.enabled) == nil ? $0 : nil
                               }, language: current.language,
                               languageEstablished: established, state: current.state, enabledSkills: prepared.enabled,
                               catalog: prepared.catalog, now: at)
            }
            // The quiet on attachments is for the rest of an album: a captioned photo answers for
            // its album, and a text in between ends it.
            if Self.attachment(message) != nil, text != nil {
                turn.state.mediaNoticeAt = at
            } else if text != nil {
                turn.state.mediaNoticeAt = nil
            }
            computed.states[message.from] = (turn.language, turn.state, turn.intentID ?? current.lastIntent)
            if let intent = turn.intentID { computed.intents[message.id] = intent }
            var answer = Answer(message: message, contextID: context.id, wabaAccountID: wabaAccountID, turn: turn)
            let needsLinks = turn.replies.contains { if case .product = $0 { true } else { false } }
            if !needsLinks || shortener == nil {
                answer.composed = try compose(answer, replies: turn.replies.map { reply in
                    guard case .product(var card) = reply else { return reply }
                    card.url = LinkShortener.withUTM(card.url, campaign: turn.intentID, content: card.sku)
                    return .product(card)
                }, tenantID: tenantID, now: now)
            }
            computed.answers.append(answer)
        }
        computed.encodedStates = computed.states.mapValues { $0.state.encoded() }
        return computed
    }

    /// The Bitly links the answers' product cards need, fetched holding no transaction (the
    /// processor calls this between its two transactions; see `TenantLinks.fetchExternal`).
    func fetchLinks(_ computed: Computed, tenantID: UUID, store: any LioraStore) async throws -> TenantLinks.FetchedLinks {
        try await fetchLinks(Self.productURLs(computed), tenantID: tenantID, store: store)
    }

    /// Bitly's links for `urls` (long, with UTM parameters), fetched holding no transaction.
    func fetchLinks(_ urls: Set<String>, tenantID: UUID, store: any LioraStore) async throws -> TenantLinks.FetchedLinks {
        guard let shortener else { return [:] }
        return try await shortener.fetchExternal(urls, tenantID: tenantID, store: store, logger: logger)
    }

    /// The long URLs (with UTM parameters) of the answers' product cards, still to be shortened.
    private static func productURLs(_ computed: Computed) -> Set<String> {
        var urls = Set<String>()
        for answer in computed.answers where answer.composed == nil {
            for case .product(let card) in answer.turn.replies {
                urls.insert(TenantLinks.longURL(card.url, intent: answer.turn.intentID, sku: card.sku))
            }
        }
        return urls
    }

    /// Queues the answers (shortening product links first, with Bitly's links from `fetched`:
    /// Bitly is never called here) and saves the users' conversation state.
    func commit(_ computed: Computed, contexts: [String: (context: UserContext, created: Bool)], tenantID: UUID,
                session: any TenantSession, now: Date, fetched: TenantLinks.FetchedLinks) async throws {
        var outbox: [OutboxEntry] = []
        for answer in computed.answers {
            if let composed = answer.composed {
                outbox += composed
                continue
            }
            var replies = answer.turn.replies
            for (i, reply) in replies.enumerated() {
                guard case .product(var card) = reply, let shortener else { continue }
                card.url = try await shortener.shorten(card.url, intent: answer.turn.intentID, sku: card.sku,
                                                       userContextID: answer.contextID, in: session, now: now,
                                                       fetched: fetched).absoluteString
                replies[i] = .product(card)
            }
            outbox += try compose(answer, replies: replies, tenantID: tenantID, now: now)
        }
        // Queued order is creation order: each answer's parts, message by message.
        for i in outbox.indices { outbox[i].createdAt = Self.queuedAt(now, position: i) }
        try await session.enqueueReplies(outbox)
        try await session.saveConversations(computed.states.compactMap { waID, s in
            contexts[waID].map { ConversationSave(contextID: $0.context.id, language: s.language.rawValue, lastIntent: s.lastIntent,
                                                  conversationJSON: computed.encodedStates[waID] ?? s.state.encoded()) }
        }, now: now)
    }

    /// When the row at `position` in a batch counts as queued: 10 µs apart, so the order
    /// survives storage on both databases. Timestamps are stored in whole microseconds, and a
    /// `Date` near today resolves about 0.24 µs, so rows 1 µs apart could round (SQLite) or
    /// truncate (PostgreSQL) to the same value and be sent in either order.
    static func queuedAt(_ now: Date, position: Int) -> Date {
        now.addingTimeInterval(Double(position) * 10 / 1_000_000)
    }

    /// The outbox rows of one answer, the first marking the message read (with "typing…") just before it goes.
    private func compose(_ answer: Answer, replies: [BotReply], tenantID: UUID, now: Date) throws -> [OutboxEntry] {
        var rows = try ReplyComposer.outboxEntries(
            for: replies, tenantID: tenantID, userContextID: answer.contextID, wabaAccountID: answer.wabaAccountID,
            to: answer.message.from, intent: answer.turn.intentID, replyTo: answer.message.id, now: now)
        if !rows.isEmpty { rows[0].marksRead = true }
        return rows
    }
}
