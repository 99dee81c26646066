/// The body of a webhook POST from Meta: one or more WhatsApp Business Accounts (`entry`), each with
/// one or more changes. Decode it with `WebhookDecoding.decode(_:)`.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview)
public struct WebhookPayload: Sendable, Codable, Equatable {
    /// Always `whatsapp_business_account` for WhatsApp.
    public var object: String
    public var entry: [WebhookEntry]

    enum CodingKeys: String, CodingKey {
        case object
        case entry
    }

    public init(object: String = "whatsapp_business_account", entry: [WebhookEntry]) {
        self.object = object
        self.entry = entry
    }
}

/// The changes for one WhatsApp Business Account in a webhook.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview)
public struct WebhookEntry: Sendable, Codable, Equatable {
    /// The WhatsApp Business Account (WABA) id.
    public var id: String
    public var changes: [WebhookChange]

    enum CodingKeys: String, CodingKey {
        case id
        case changes
    }

    public init(id: String, changes: [WebhookChange]) {
        self.id = id
        self.changes = changes
    }
}

/// One change: the subscribed `field` it is about and its `value`.
///
/// Only `messages` changes are parsed strictly. For any other field (`account_update`,
/// `message_template_status_update`, group events…) a `value` whose shape clashes with
/// `WebhookChangeValue` decodes as an empty value instead of failing the whole delivery, so one odd
/// field never makes the `messages` in the same body unreadable. Keep the raw body when you need
/// those fields: these models drop what they do not know.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview)
public struct WebhookChange: Sendable, Codable, Equatable {
    /// The webhook field, e.g. `messages`.
    public var field: String
    public var value: WebhookChangeValue

    enum CodingKeys: String, CodingKey {
        case field
        case value
    }

    public init(field: String = "messages", value: WebhookChangeValue) {
        self.field = field
        self.value = value
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.container(keyedBy: CodingKeys.self)
        field = try container.decode(String.self, forKey: .field)
        if field == "messages" {
            value = try container.decode(WebhookChangeValue.self, forKey: .value)
        } else {
            value = (try? container.decode(WebhookChangeValue.self, forKey: .value)) ?? WebhookChangeValue()
        }
    }
}

/// The `value` of a `messages` change: inbound messages with their senders' profiles, statuses of
/// messages the business sent, or errors. Any of them may be absent.
///
/// A status or change-level error that does not decode (a field Meta changed: `pricing.billable`
/// as `"yes"`) is left out rather than failing the whole delivery: refused, the body would come
/// back unchanged and be refused again, and the messages beside it would never be answered.
/// Messages stay strict: one that cannot be read is not silently dropped.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages)
public struct WebhookChangeValue: Sendable, Codable, Equatable {
    /// Always `whatsapp`.
    public var messagingProduct: String?
    /// The business phone number the change is for.
    public var metadata: WebhookMetadata?
    /// The senders of `messages`, in the same order.
    public var contacts: [WebhookContact]?
    public var messages: [InboundMessage]?
    public var statuses: [MessageStatus]?
    /// Change-level errors: problems Meta reports about the number or app, not about one message.
    public var errors: [GraphError]?
    /// How many statuses and change-level errors were left out because they did not decode (not
    /// encoded; 0 for a value built in code).
    public var unreadable: Int = 0

    enum CodingKeys: String, CodingKey {
        case messagingProduct = "messaging_product"
        case metadata
        case contacts
        case messages
        case statuses
        case errors
    }

    public init(from decoder: any Decoder) throws {
        let c = try decoder.container(keyedBy: CodingKeys.self)
        messagingProduct = try c.decodeIfPresent(String.self, forKey: .messagingProduct)
        metadata = try c.decodeIfPresent(WebhookMetadata.self, forKey: .metadata)
        contacts = try c.decodeIfPresent([WebhookContact].self, forKey: .contacts)
        messages = try c.decodeIfPresent([InboundMessage].self, forKey: .messages)
        let rawStatuses = try c.decodeIfPresent([Lenient<MessageStatus>].self, forKey: .statuses)
        let rawErrors = try c.decodeIfPresent([Lenient<GraphError>].self, forKey: .errors)
        statuses = rawStatuses?.compactMap(\.value)
        errors = rawErrors?.compactMap(\.value)
        unreadable = (rawStatuses ?? []).filter { $0.value == nil }.count + (rawErrors ?? []).filter { $0.value == nil }.count
    }

    public init(
        messagingProduct: String? = nil,
        metadata: WebhookMetadata? = nil,
        contacts: [WebhookContact]? = nil,
        messages: [InboundMessage]? = nil,
        statuses: [MessageStatus]? = nil,
        errors: [GraphError]? = nil
    ) {
        self.messagingProduct = messagingProduct
        self.metadata = metadata
        self.contacts = contacts
        self.messages = messages
        self.statuses = statuses
        self.errors = errors
    }
}

/// The business phone number a change is for.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages)
public struct WebhookMetadata: Sendable, Codable, Equatable {
    public var displayPhoneNumber: String?
    /// The business phone number id: which of a tenant's numbers the change belongs to.
    public var phoneNumberID: String

    enum CodingKeys: String, CodingKey {
        case displayPhoneNumber = "display_phone_number"
        case phoneNumberID = "phone_number_id"
    }

    public init(displayPhoneNumber: String? = nil, phoneNumberID: String) {
        self.displayPhoneNumber = displayPhoneNumber
        self.phoneNumberID = phoneNumberID
    }
}

/// The sender of an inbound message: their WhatsApp id and profile name.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text)
public struct WebhookContact: Sendable, Codable, Equatable {
    public var profile: Profile?
    /// The user's WhatsApp id; it may differ from the phone number they typed.
    public var waID: String?
    /// Only when the identity-change check is enabled.
    public var identityKeyHash: String?

    /// A WhatsApp user's public profile.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text)
    public struct Profile: Sendable, Codable, Equatable {
        /// The name the user set in WhatsApp.
        public var name: String?

        enum CodingKeys: String, CodingKey {
            case name
        }

        public init(name: String? = nil) {
            self.name = name
        }
    }

    enum CodingKeys: String, CodingKey {
        case profile
        case waID = "wa_id"
        case identityKeyHash = "identity_key_hash"
    }

    public init(profile: Profile? = nil, waID: String? = nil, identityKeyHash: String? = nil) {
        self.profile = profile
        self.waID = waID
        self.identityKeyHash = identityKeyHash
    }
}

/// An element of a list that is nil when it does not decode, so the rest of the list still does.
private struct Lenient<Wrapped: Decodable>: Decodable {
    var value: Wrapped?
    init(from decoder: any Decoder) throws { value = try? Wrapped(from: decoder) }
}
