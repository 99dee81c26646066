/// A message the business sends to a WhatsApp user: the body of
/// `POST /{version}/{phone_number_id}/messages`, encoded exactly as Meta's request examples
/// (`messaging_product: "whatsapp"`, `recipient_type: "individual"`, `to`, `type`, and the content
/// object `type` names).
///
/// Build one, then `validate()` it against Meta's limits, or let `fitted()` repair it into messages
/// that always pass. It also decodes the JSON it encodes, so a queued message can be stored as its
/// request body.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/message-api)
public struct OutboundMessage: Sendable, Codable, Equatable {
    /// The recipient: a WhatsApp id or phone number (e.g. `16505551234`).
    public var to: String
    public var kind: Kind
    /// The id (`wamid.…`) of the user's message this one quotes (`context.message_id`), if any.
    public var replyTo: String?
    /// Opaque data (≤ 512 characters) Meta echoes back in this message's status webhooks
    /// (`biz_opaque_callback_data`); Liora puts the intent that produced the reply there.
    public var callbackData: String?

    public init(to: String, kind: Kind, replyTo: String? = nil, callbackData: String? = nil) {
        self.to = to
        self.kind = kind
        self.replyTo = replyTo
        self.callbackData = callbackData
    }

    /// What the message shows, one case per Graph `type` (and `interactive.type`) Liora sends.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/send-messages)
    public enum Kind: Sendable, Equatable {
        /// `type: "text"`. `previewURL` asks WhatsApp to render a preview of the first URL in `body`.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/text-messages)
        case text(body: String, previewURL: Bool = false)
        /// `type: "interactive"`, `interactive.type: "button"`: up to three reply buttons; `header`
        /// is a text header.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages)
        case replyButtons(body: String, buttons: [ReplyButton], header: String? = nil, footer: String? = nil)
        /// `type: "interactive"`, `interactive.type: "list"`: a menu opened by a button labelled
        /// `buttonText`; `header` is a text header.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-list-messages)
        case list(body: String, buttonText: String, sections: [ListSection], header: String? = nil, footer: String? = nil)
        /// `type: "interactive"`, `interactive.type: "cta_url"`: one button labelled `displayText`
        /// that opens `url`; `headerImageURL` is an image header.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-cta-url-messages)
        case ctaURL(body: String, displayText: String, url: String, headerImageURL: String? = nil, footer: String? = nil)
        /// `type: "image"` by public HTTP(S) link.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/image-messages)
        case image(link: String, caption: String? = nil)
    }

    /// One reply button (`action.buttons[].reply`). A tap comes back in an inbound webhook as
    /// `interactive.button_reply` with this `id` and `title`.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-reply-buttons-messages)
    public struct ReplyButton: Sendable, Codable, Equatable {
        public var id: String
        public var title: String

        enum CodingKeys: String, CodingKey {
            case id
            case title
        }

        public init(id: String, title: String) {
            self.id = id
            self.title = title
        }
    }

    /// A section of a list message (`action.sections[]`). `title` is required when the list has
    /// more than one section.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-list-messages)
    public struct ListSection: Sendable, Codable, Equatable {
        public var title: String?
        public var rows: [ListRow]

        enum CodingKeys: String, CodingKey {
            case title
            case rows
        }

        public init(title: String? = nil, rows: [ListRow]) {
            self.title = title
            self.rows = rows
        }
    }

    /// A row of a list message (`sections[].rows[]`). A pick comes back in an inbound webhook as
    /// `interactive.list_reply` with this `id`, `title` and `description`.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-list-messages)
    public struct ListRow: Sendable, Codable, Equatable {
        public var id: String
        public var title: String
        public var description: String?

        enum CodingKeys: String, CodingKey {
            case id
            case title
            case description
        }

        public init(id: String, title: String, description: String? = nil) {
            self.id = id
            self.title = title
            self.description = description
        }
    }
}

extension OutboundMessage {
    /// A text message.
    public static func text(_ body: String, to: String, previewURL: Bool = false, replyTo: String? = nil) -> OutboundMessage {
        OutboundMessage(to: to, kind: .text(body: body, previewURL: previewURL), replyTo: replyTo)
    }

    /// The Graph `type` this message is sent as.
    public var graphType: String {
        switch kind {
        case .text: "text"
        case .replyButtons, .list, .ctaURL: "interactive"
        case .image: "image"
        }
    }
}
