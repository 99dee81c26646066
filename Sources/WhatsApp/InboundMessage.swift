public import Foundation

/// A message a WhatsApp user sent to the business (`value.messages[]`). `type` says which content
/// field is set; every content field is optional, so a type this version does not know still decodes
/// (with `type == .unknown(…)` and its content ignored).
///
/// Decoding reads only the content field `type` names (plus `context`, `referral` and `errors`,
/// which may come with any type): it is on the webhook's hot path, and a content field that does not
/// match `type` is not something Meta sends.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages)
public struct InboundMessage: Sendable, Codable, Equatable {
    /// The sender's WhatsApp id (their phone number in most countries).
    public var from: String
    /// The WhatsApp message id, `wamid.…`; unique per message, the key for deduplication.
    public var id: String
    /// Unix time in seconds, as a string (Meta's format); see `timestampDate`.
    public var timestamp: String
    public var type: InboundMessageType
    public var context: MessageContext?
    public var text: Text?
    public var interactive: Interactive?
    public var button: Button?
    public var image: Media?
    public var audio: Media?
    public var video: Media?
    public var document: Media?
    public var sticker: Media?
    public var location: Location?
    /// Contact cards the user shared.
    public var contacts: [SharedContact]?
    public var reaction: Reaction?
    public var order: Order?
    public var system: System?
    /// Set when the user came from a Click-to-WhatsApp ad or post.
    public var referral: Referral?
    /// Set on `unsupported` messages (code 131051 and friends).
    public var errors: [GraphError]?
    /// Set on `unsupported` messages: which kind of message it was.
    public var unsupported: Unsupported?

    enum CodingKeys: String, CodingKey {
        case from
        case id
        case timestamp
        case type
        case context
        case text
        case interactive
        case button
        case image
        case audio
        case video
        case document
        case sticker
        case location
        case contacts
        case reaction
        case order
        case system
        case referral
        case errors
        case unsupported
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        from = try container.decode(String.self, forKey: .from)
        id = try container.decode(String.self, forKey: .id)
        timestamp = try container.decode(String.self, forKey: .timestamp)
        type = try container.decode(InboundMessageType.self, forKey: .type)
        context = try container.decodeIfPresent(MessageContext.self, forKey: .context)
        referral = try container.decodeIfPresent(Referral.self, forKey: .referral)
        errors = try container.decodeIfPresent([GraphError].self, forKey: .errors)
        switch type {
        case .text: text = try container.decodeIfPresent(Text.self, forKey: .text)
        case .interactive: interactive = try container.decodeIfPresent(Interactive.self, forKey: .interactive)
        case .button: button = try container.decodeIfPresent(Button.self, forKey: .button)
        case .image: image = try container.decodeIfPresent(Media.self, forKey: .image)
        case .audio: audio = try container.decodeIfPresent(Media.self, forKey: .audio)
        case .video: video = try container.decodeIfPresent(Media.self, forKey: .video)
        case .document: document = try container.decodeIfPresent(Media.self, forKey: .document)
        case .sticker: sticker = try container.decodeIfPresent(Media.self, forKey: .sticker)
        case .location: location = try container.decodeIfPresent(Location.self, forKey: .location)
        case .contacts: contacts = try container.decodeIfPresent([SharedContact].self, forKey: .contacts)
        case .reaction: reaction = try container.decodeIfPresent(Reaction.self, forKey: .reaction)
        case .order: order = try container.decodeIfPresent(Order.self, forKey: .order)
        case .system: system = try container.decodeIfPresent(System.self, forKey: .system)
        case .unsupported: unsupported = try container.decodeIfPresent(Unsupported.self, forKey: .unsupported)
        case .unknown: break
        }
    }

    public init(
        from: String,
        id: String,
        timestamp: String,
        type: InboundMessageType,
        context: MessageContext? = nil,
        text: Text? = nil,
        interactive: Interactive? = nil,
        button: Button? = nil,
        image: Media? = nil,
        audio: Media? = nil,
        video: Media? = nil,
        document: Media? = nil,
        sticker: Media? = nil,
        location: Location? = nil,
        contacts: [SharedContact]? = nil,
        reaction: Reaction? = nil,
        order: Order? = nil,
        system: System? = nil,
        referral: Referral? = nil,
        errors: [GraphError]? = nil,
        unsupported: Unsupported? = nil
    ) {
        self.from = from
        self.id = id
        self.timestamp = timestamp
        self.type = type
        self.context = context
        self.text = text
        self.interactive = interactive
        self.button = button
        self.image = image
        self.audio = audio
        self.video = video
        self.document = document
        self.sticker = sticker
        self.location = location
        self.contacts = contacts
        self.reaction = reaction
        self.order = order
        self.system = system
        self.referral = referral
        self.errors = errors
        self.unsupported = unsupported
    }
}

extension InboundMessage {
    /// `timestamp` as a date, or nil when it is not a plausible one (`MetaTimestamp`).
    public var timestampDate: Date? { MetaTimestamp.date(timestamp) }

    /// How far ahead of its receipt a message's own time is believed (clocks drift).
    public static let clockSkewAllowed: TimeInterval = 5 * 60

    /// When the message was sent, as far as it can be believed: its `timestamp`, but never more
    /// than `clockSkewAllowed` after `receivedAt` (a time in 2090 would pin the user's last-message
    /// time there for good, and the bot's time-outs with it), and `receivedAt` when it has none.
    public func sentAt(receivedAt: Date) -> Date {
        min(timestampDate ?? receivedAt, receivedAt.addingTimeInterval(Self.clockSkewAllowed))
    }

    /// The caption of a photo, video or file: what the user wrote with it.
    public var caption: String? {
        switch type {
        case .image: image?.caption
        case .video: video?.caption
        case .document: document?.caption
        default: nil
        }
    }

    /// The text the user typed or picked: a text message's body, a template button's text, or the
    /// title of the reply button or list row they chose. Nil for every other kind of message
    /// (media captions, Flow responses and reactions are not something the user typed to the bot).
    public var textContent: String? {
        switch type {
        case .text: text?.body
        case .button: button?.text
        case .interactive:
            switch interactive?.type {
            case .buttonReply: interactive?.buttonReply?.title
            case .listReply: interactive?.listReply?.title
            default: nil
            }
        default: nil
        }
    }

    /// The id the business gave the choice the user made: a reply button's or list row's `id`, or a
    /// template button's `payload`. Nil for every other kind of message.
    public var replyID: String? {
        switch type {
        case .button: button?.payload
        case .interactive:
            switch interactive?.type {
            case .buttonReply: interactive?.buttonReply?.id
            case .listReply: interactive?.listReply?.id
            default: nil
            }
        default: nil
        }
    }
}
