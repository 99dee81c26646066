/// Meta's limits on outbound messages, counted in `Character`s (grapheme clusters), as
/// `OutboundMessage.validate()` enforces them.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/messages/interactive-list-messages)
public enum OutboundLimits {
    /// `text.body`.
    public static let textBody = 4096
    /// `interactive.body.text` of reply-button and CTA URL messages.
    public static let interactiveBody = 1024
    /// `interactive.body.text` of list messages (Meta's list-message page; the OpenAPI schema says 1024).
    public static let listBody = 4096
    /// `interactive.header.text`.
    public static let headerText = 60
    /// `interactive.footer.text`.
    public static let footerText = 60
    /// `action.buttons` of a reply-button message (at least one).
    public static let replyButtons = 3
    /// `action.buttons[].reply.title`.
    public static let buttonTitle = 20
    /// `action.buttons[].reply.id`.
    public static let buttonID = 256
    /// `action.button` of a list message (the label of the button that opens the list).
    public static let listButtonText = 20
    /// `action.sections` of a list message.
    public static let listSections = 10
    /// Rows of a list message, counted over all its sections.
    public static let listRows = 10
    /// `sections[].title`.
    public static let sectionTitle = 24
    /// `sections[].rows[].title`.
    public static let rowTitle = 24
    /// `sections[].rows[].description`.
    public static let rowDescription = 72
    /// `sections[].rows[].id`.
    public static let rowID = 200
    /// `action.parameters.display_text` of a CTA URL message.
    public static let ctaDisplayText = 20
    /// `image.caption`.
    public static let mediaCaption = 1024
}

/// Why an outbound message would be refused by Meta: the field, by its JSON path in the request
/// body (e.g. `interactive.action.buttons[3].reply.title`), and the limit it breaks.
/// `description` names both and never quotes the message's text.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes)
public struct OutboundLimitError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The JSON path of the offending field in the request body.
    public var field: String
    public var problem: Problem

    /// The broken limit.
    public enum Problem: Sendable, Equatable {
        /// More than `limit` (UTF-16 code units for text, as Meta counts them).
        case tooLong(limit: Int, length: Int)
        /// More elements than `limit`.
        case tooMany(limit: Int, count: Int)
        /// Fewer elements than `minimum`.
        case tooFew(minimum: Int, count: Int)
        /// Empty or only whitespace, where Meta needs text.
        case empty
        /// Absent where Meta needs it (e.g. a section title in a list of several sections).
        case missing
        /// The same value as an earlier element, where Meta needs it unique.
        case duplicate
        /// Starts or ends with whitespace (Meta refuses this in ids).
        case surroundingWhitespace
        /// Not an absolute `http` or `https` URL.
        case invalidURL
        /// Holds characters the field does not allow (e.g. a phone number id that is not all digits).
        case invalidCharacters
    }

    public init(field: String, problem: Problem) {
        self.field = field
        self.problem = problem
    }

    public var description: String {
        switch problem {
        case .tooLong(let limit, let length): "\(field) is \(length) characters long; the limit is \(limit)"
        case .tooMany(let limit, let count): "\(field) has \(count) elements; the limit is \(limit)"
        case .tooFew(let minimum, let count): "\(field) has \(count) elements; at least \(minimum) are needed"
        case .empty: "\(field) is empty"
        case .missing: "\(field) is missing"
        case .duplicate: "\(field) repeats an earlier value; it must be unique"
        case .surroundingWhitespace: "\(field) starts or ends with whitespace"
        case .invalidURL: "\(field) is not an http(s) URL"
        case .invalidCharacters: "\(field) holds characters it does not allow"
        }
    }
}
