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

extension MarkRead {
    /// The request body: the JSON `JSONEncoder` writes for this receipt (keys in Meta's order),
    /// without the encoder's cost (one of these goes out with every answer).
    public var json: String {
        var out = #"{"messaging_product":"whatsapp","status":"read","message_id":"#
        JSONText.appendQuoted(messageID, to: &out)
        out += showsTypingIndicator ? #","typing_indicator":{"type":"text"}}"# : "}"
        return out
    }
}

/// JSON text written by hand where the shape is fixed.
enum JSONText {
    private static let hex = Array("0123456789abcdef".unicodeScalars)

    /// Appends `s` as a JSON string, escaped as `JSONEncoder` escapes it: `"` and `\`, the short
    /// forms of backspace, tab, line feed, form feed and carriage return, `\u00xx` for the other
    /// control characters; everything else (slashes included) as it is.
    static func appendQuoted(_ s: String, to out: inout String) {
        out.unicodeScalars.append("\"")
        for scalar in s.unicodeScalars {
            switch scalar.value {
            case 0x22: out += "\\\""
            case 0x5C: out += "\\\\"
            case 0x08: out += "\\b"
            case 0x09: out += "\\t"
            case 0x0A: out += "\\n"
            case 0x0C: out += "\\f"
            case 0x0D: out += "\\r"
            case 0..<0x20:
                out += "\\u00"
                out.unicodeScalars.append(hex[Int(scalar.value >> 4)])
                out.unicodeScalars.append(hex[Int(scalar.value & 0xF)])
            default: out.unicodeScalars.append(scalar)
            }
        }
        out.unicodeScalars.append("\"")
    }
}
