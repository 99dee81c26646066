/// Marks a user's message (and the ones before it) as read, optionally showing a typing indicator
/// until the business replies or 25 seconds pass: the body of
/// `POST /{version}/{phone_number_id}/messages` with `status: "read"`.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/typing-indicators)
public struct MarkRead: Sendable, Codable, Equatable {
    /// The id (`wamid.…`) of the inbound message to mark as read.
    public var messageID: String
    /// Adds `typing_indicator: {"type": "text"}`.
    public var showsTypingIndicator: Bool

    enum CodingKeys: String, CodingKey {
        case messagingProduct = "messaging_product"
        case status
        case messageID = "message_id"
        case typingIndicator = "typing_indicator"
    }

    private struct TypingIndicator: Codable {
        var type: String

        enum CodingKeys: String, CodingKey {
            case type
        }
    }

    public init(messageID: String, showsTypingIndicator: Bool = false) {
        self.messageID = messageID
        self.showsTypingIndicator = showsTypingIndicator
    }

    /// Throws when Meta would refuse the body (a blank `message_id`).
    public func validate() throws(OutboundLimitError) {
        if messageID.isBlank { throw OutboundLimitError(field: "message_id", problem: .empty) }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        messageID = try container.decode(String.self, forKey: .messageID)
        showsTypingIndicator = try container.decodeIfPresent(TypingIndicator.self, forKey: .typingIndicator) != nil
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode("whatsapp", forKey: .messagingProduct)
        try container.encode("read", forKey: .status)
        try container.encode(messageID, forKey: .messageID)
        if showsTypingIndicator {
            try container.encode(TypingIndicator(type: "text"), forKey: .typingIndicator)
        }
    }
}
