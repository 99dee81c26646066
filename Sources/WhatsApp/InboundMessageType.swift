/// What an inbound message carries: its `type`, which names the field holding the content.
/// Types Meta adds later decode as `.unknown` and encode back to the same string.
/// Equality and hashing compare `rawValue` (the standard library's `RawRepresentable` defaults),
/// so `.unknown("text") == .text`. Build values with `init(rawValue:)`, which never wraps a known
/// string in `.unknown`: a `switch` would still take the `.unknown` branch for one made by hand.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages)
public enum InboundMessageType: Sendable, Hashable, Codable, RawRepresentable {
    case text
    /// A reply to an interactive message: a reply button, a list row or a Flow.
    case interactive
    /// A tap on a template's quick-reply button.
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
    /// A system notice, e.g. the user changed their number.
    case system
    /// A message WhatsApp cannot pass on (polls, view-once media…); see the message's `errors`.
    case unsupported
    /// A type this version does not know; holds Meta's string unchanged.
    case unknown(String)

    /// Every type this version knows.
    public static let known: [InboundMessageType] = [
        .text, .interactive, .button, .image, .audio, .video, .document, .sticker,
        .location, .contacts, .reaction, .order, .system, .unsupported,
    ]

    public init(rawValue: String) {
        switch rawValue {
        case "text": self = .text
        case "interactive": self = .interactive
        case "button": self = .button
        case "image": self = .image
        case "audio": self = .audio
        case "video": self = .video
        case "document": self = .document
        case "sticker": self = .sticker
        case "location": self = .location
        case "contacts": self = .contacts
        case "reaction": self = .reaction
        case "order": self = .order
        case "system": self = .system
        case "unsupported": self = .unsupported
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .text: "text"
        case .interactive: "interactive"
        case .button: "button"
        case .image: "image"
        case .audio: "audio"
        case .video: "video"
        case .document: "document"
        case .sticker: "sticker"
        case .location: "location"
        case .contacts: "contacts"
        case .reaction: "reaction"
        case .order: "order"
        case .system: "system"
        case .unsupported: "unsupported"
        case .unknown(let value): value
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(rawValue: try container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}

/// The kind of reply in an `interactive` message (`interactive.type`).
/// Kinds Meta adds later decode as `.unknown` and encode back to the same string.
/// Equality and hashing compare `rawValue`, as for `InboundMessageType`.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/interactive)
public enum InteractiveReplyType: Sendable, Hashable, Codable, RawRepresentable {
    /// The user tapped a reply button.
    case buttonReply
    /// The user picked a list row.
    case listReply
    /// The user completed a WhatsApp Flow (or an address message).
    case nfmReply
    /// A kind this version does not know; holds Meta's string unchanged.
    case unknown(String)

    /// Every kind this version knows.
    public static let known: [InteractiveReplyType] = [.buttonReply, .listReply, .nfmReply]

    public init(rawValue: String) {
        switch rawValue {
        case "button_reply": self = .buttonReply
        case "list_reply": self = .listReply
        case "nfm_reply": self = .nfmReply
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .buttonReply: "button_reply"
        case .listReply: "list_reply"
        case .nfmReply: "nfm_reply"
        case .unknown(let value): value
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(rawValue: try container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
