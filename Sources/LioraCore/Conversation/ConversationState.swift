public import Foundation

/// What the bot remembers about one conversation between messages (stored as JSON in
/// `user_contexts.context`): the pending follow-up question, the no-match back-off, the hand-off.
public struct ConversationState: Sendable, Equatable, Codable {
    /// A question the bot asked and whose answer it expects (e.g. "which material?").
    public struct PendingSlot: Sendable, Equatable, Codable {
        public var intentID: String
        public var name: String
        public var askedAt: Date
    }

    public var pendingSlot: PendingSlot?
    /// Consecutive messages that matched nothing.
    public var noMatchStreak: Int = 0
    /// AIMD weight of fallback replies: halves on each unanswered no-match, grows back by a
    /// fixed step on each match, never above 1.
    public var fallbackWeight: Double = 1
    /// Accumulated weight; a fallback reply is sent when it reaches 1.
    public var fallbackCredit: Double = 0
    /// Set when the conversation was handed to a person (after too many no-matches or on request).
    public var handedOffAt: Date?
    /// The last catalog search or category shown, for "ver más".
    public var catalogBrowse: CatalogBrowse?
    /// The list a skill's answer took off the screen ("tengo que tirar unas pilas" while shopping),
    /// for "volver a la lista" after it.
    public var setAsideBrowse: CatalogBrowse?
    /// When the bot last said it reads only text (after a photo, voice note…): the rest of an
    /// album is not answered again.
    public var mediaNoticeAt: Date?
    /// When the user asked for a person (or a question only a person answers, or was at risk):
    /// until the hand-off hold ends, what they type waits for that person (see
    /// `ConversationEngine.respond`), unless they ask for the menu.
    public var personRequestedAt: Date?
    /// The intent that started that hold (`core.humano`, `core.crisis`…).
    public var personRequestedFor: String?
    /// When the bot last said a person will answer (once per hand-off).
    public var waitingNoticeAt: Date?
    /// The product whose card was shown last, and when: "¿cuánto cuesta?" right after it is about it.
    public var shownProduct: ShownProduct?

    /// A product card the bot sent.
    public struct ShownProduct: Sendable, Equatable, Codable {
        public var sku: String
        public var at: Date
        public var catalogVersion: Int?
        /// When the bot last said how to buy it ("me la llevo"): said again, the card is not resent.
        public var buyingToldAt: Date?

        public init(sku: String, at: Date, catalogVersion: Int?, buyingToldAt: Date? = nil) {
            self.sku = sku; self.at = at; self.catalogVersion = catalogVersion; self.buyingToldAt = buyingToldAt
        }

        enum CodingKeys: String, CodingKey { case sku, at, catalogVersion = "catalog_version", buyingToldAt = "buying_told_at" }
    }

    /// The skill's intent that answered last, and when: "what about water bottles?" right after
    /// glass is about recycling, not drinking water.
    public var lastAnswer: LastAnswer?

    /// A skill's answer.
    public struct LastAnswer: Sendable, Equatable, Codable {
        public var intentID: String
        public var skill: String
        public var at: Date

        public init(intentID: String, skill: String, at: Date) {
            self.intentID = intentID; self.skill = skill; self.at = at
        }

        enum CodingKeys: String, CodingKey { case intentID = "intent_id", skill, at }
    }

    public init() {}

    enum CodingKeys: String, CodingKey {
        case pendingSlot = "pending_slot", noMatchStreak = "no_match_streak", fallbackWeight = "fallback_weight"
        case fallbackCredit = "fallback_credit", handedOffAt = "handed_off_at", catalogBrowse = "catalog_browse"
        case mediaNoticeAt = "media_notice_at", shownProduct = "shown_product", personRequestedAt = "person_requested_at"
        case waitingNoticeAt = "waiting_notice_at", personRequestedFor = "person_requested_for", lastAnswer = "last_answer"
        case setAsideBrowse = "set_aside_browse"
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        pendingSlot = try c.decodeIfPresent(PendingSlot.self, forKey: .pendingSlot)
        noMatchStreak = try c.decodeIfPresent(Int.self, forKey: .noMatchStreak) ?? 0
        fallbackWeight = try c.decodeIfPresent(Double.self, forKey: .fallbackWeight) ?? 1
        fallbackCredit = try c.decodeIfPresent(Double.self, forKey: .fallbackCredit) ?? 0
        handedOffAt = try c.decodeIfPresent(Date.self, forKey: .handedOffAt)
        catalogBrowse = try? c.decodeIfPresent(CatalogBrowse.self, forKey: .catalogBrowse)
        mediaNoticeAt = try? c.decodeIfPresent(Date.self, forKey: .mediaNoticeAt)
        shownProduct = try? c.decodeIfPresent(ShownProduct.self, forKey: .shownProduct)
        personRequestedAt = try? c.decodeIfPresent(Date.self, forKey: .personRequestedAt)
        waitingNoticeAt = try? c.decodeIfPresent(Date.self, forKey: .waitingNoticeAt)
        personRequestedFor = try? c.decodeIfPresent(String.self, forKey: .personRequestedFor)
        lastAnswer = try? c.decodeIfPresent(LastAnswer.self, forKey: .lastAnswer)
        setAsideBrowse = try? c.decodeIfPresent(CatalogBrowse.self, forKey: .setAsideBrowse)
    }

    /// Shared by every decode (a `JSONDecoder` is safe to share; making one per message was a
    /// measurable part of the processor's CPU).
    private static let decoder = JSONDecoder()
    private static let encoder: JSONEncoder = {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        return encoder
    }()

    /// Reads the JSON stored in `user_contexts.context`; anything unreadable starts afresh.
    public static func decode(_ json: String?) -> ConversationState {
        // A new user's context is empty: nothing to decode.
        guard let json, json != "{}", !json.isEmpty,
              let state = try? decoder.decode(ConversationState.self, from: Data(json.utf8)) else { return ConversationState() }
        return state
    }

    public func encoded() -> String {
        (try? Self.encoder.encode(self)).map { String(decoding: $0, as: UTF8.self) } ?? "{}"
    }
}

/// A reply the engine wants sent, independent of WhatsApp's payload format.
public enum BotReply: Sendable, Equatable {
    case text(String)
    /// Body text with up to three reply buttons (`id` is an intent id, `title` what the user sees).
    case buttons(body: String, buttons: [(id: String, title: String)])
    /// Body text and a button that opens a list of rows (one section).
    case list(body: String, button: String, rows: [ListRow])
    /// A product card with a button to the product page.
    case product(ProductCard)

    /// One row of a list reply.
    public struct ListRow: Sendable, Equatable {
        public var id: String
        public var title: String
        public var description: String?

        public init(id: String, title: String, description: String?) {
            self.id = id; self.title = title; self.description = description
        }
    }

    public static func == (a: BotReply, b: BotReply) -> Bool {
        switch (a, b) {
        case (.text(let x), .text(let y)): x == y
        case (.buttons(let x, let xs), .buttons(let y, let ys)):
            x == y && xs.map(\.id) == ys.map(\.id) && xs.map(\.title) == ys.map(\.title)
        case (.list(let x, let xb, let xs), .list(let y, let yb, let ys)): x == y && xb == yb && xs == ys
        case (.product(let x), .product(let y)): x == y
        default: false
        }
    }

    /// A short text for logs and the conversation log.
    public var summary: String {
        switch self {
        case .text(let t): t
        case .buttons(let body, let buttons): body + " [" + buttons.map(\.title).joined(separator: " | ") + "]"
        case .list(let body, _, let rows): body + " [" + rows.map(\.title).joined(separator: " | ") + "]"
        case .product(let card): card.body + " [" + card.buttonTitle + "]"
        }
    }
}
