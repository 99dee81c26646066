public import WhatsApp
import Foundation

/// Meta's Graph API as Liora uses it: send a message, mark one read. The real client is
/// `LibcurlGraphAPIClient`; tests use `FakeGraphAPI` from LioraTestSupport.
///
/// Both calls check the payload first and throw `GraphAPIError.invalidPayload` without sending
/// anything Meta would refuse for its shape.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/message-api)
public protocol GraphAPIClient: Sendable {
    /// Sends `message` from the business number `phoneNumberID`; returns Meta's id for it.
    func send(_ message: OutboundMessage, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage
    /// Marks an inbound message read (with a typing indicator if `m` asks for one).
    func markRead(_ m: MarkRead, phoneNumberID: String, accessToken: String) async throws(GraphAPIError)
    /// Sends a message already encoded as Meta's JSON: `OutboundMessage`'s own encoding of a
    /// message that passed `validate()` when it was encoded, as the outbox stores replies. A client
    /// that talks to Meta posts the bytes as they are (no decoding and re-encoding per send); the
    /// default decodes them and calls `send(_:…)`.
    func send(encoded json: String, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage
    /// A read receipt already encoded as Meta's JSON (see `send(encoded:…)`).
    func markRead(encoded json: String, phoneNumberID: String, accessToken: String) async throws(GraphAPIError)
    /// Reads a business number's display number and verified name (`GET /{phone_number_id}?fields=…`):
    /// whether an access token works for that number.
    func phoneNumber(phoneNumberID: String, accessToken: String) async throws -> PhoneNumberInfo
    /// The most one request may take (nil: unbounded or unknown). The sender starts a reply only
    /// while its lease leaves room for two of them (the read receipt, then the reply).
    var requestTimeout: Duration? { get }
}

extension GraphAPIClient {
    public var requestTimeout: Duration? { nil }

    public func send(encoded json: String, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
        guard let message = try? JSONDecoder().decode(OutboundMessage.self, from: Data(json.utf8)) else {
            throw .invalidPayload(OutboundLimitError(field: "payload", problem: .invalidCharacters))
        }
        return try await send(message, phoneNumberID: phoneNumberID, accessToken: accessToken)
    }

    public func markRead(encoded json: String, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
        guard let receipt = try? JSONDecoder().decode(MarkRead.self, from: Data(json.utf8)) else {
            throw .invalidPayload(OutboundLimitError(field: "payload", problem: .invalidCharacters))
        }
        try await markRead(receipt, phoneNumberID: phoneNumberID, accessToken: accessToken)
    }

    /// Clients that do not talk to Meta (fakes) cannot check a number.
    public func phoneNumber(phoneNumberID: String, accessToken: String) async throws -> PhoneNumberInfo {
        throw GraphAPIError.transport("unsupported: this Graph API client cannot read phone numbers")
    }
}

/// Meta's answer to `GET /{phone_number_id}?fields=display_phone_number,verified_name`.
/// [Meta docs](https://developers.facebook.com/docs/graph-api/reference/whats-app-business-account-to-number-current-status/)
public struct PhoneNumberInfo: Sendable, Codable, Equatable {
    public var id: String?
    public var displayPhoneNumber: String?
    public var verifiedName: String?

    public init(id: String? = nil, displayPhoneNumber: String?, verifiedName: String?) {
        self.id = id
        self.displayPhoneNumber = displayPhoneNumber
        self.verifiedName = verifiedName
    }

    enum CodingKeys: String, CodingKey {
        case id
        case displayPhoneNumber = "display_phone_number"
        case verifiedName = "verified_name"
    }
}

/// Meta's answer to a sent message: `{"messaging_product": "whatsapp", "contacts": [{"input", "wa_id"}],
/// "messages": [{"id": "wamid.…"}]}`.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/message-api)
public struct SentMessage: Sendable, Codable, Equatable {
    /// The WhatsApp message id (`wamid.…`) that status webhooks for this message will carry.
    public var messageID: String
    /// The recipient's WhatsApp id as Meta resolved it (`contacts[0].wa_id`), when Meta says.
    public var recipientWaID: String?

    public init(messageID: String, recipientWaID: String? = nil) {
        self.messageID = messageID
        self.recipientWaID = recipientWaID
    }

    enum CodingKeys: String, CodingKey {
        case messages
        case contacts
    }

    private struct Message: Codable {
        var id: String

        enum CodingKeys: String, CodingKey {
            case id
        }
    }

    private struct Contact: Codable {
        var waID: String?

        enum CodingKeys: String, CodingKey {
            case waID = "wa_id"
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        let messages = try container.decode([Message].self, forKey: .messages)
        guard let first = messages.first, !first.id.isEmpty else {
            throw DecodingError.dataCorruptedError(forKey: .messages, in: container, debugDescription: "no message id")
        }
        messageID = first.id
        recipientWaID = try container.decodeIfPresent([Contact].self, forKey: .contacts)?.first?.waID
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.container(keyedBy: CodingKeys.self)
        try container.encode([Message(id: messageID)], forKey: .messages)
        if let recipientWaID {
            try container.encode([Contact(waID: recipientWaID)], forKey: .contacts)
        }
    }
}
