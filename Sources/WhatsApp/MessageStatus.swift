public import Foundation

/// A status webhook for a message the business sent: sent, delivered, read, played or failed.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status)
public struct MessageStatus: Sendable, Codable, Equatable {
    /// The WhatsApp message id (`wamid.…`) of the message the status is about.
    public var id: String
    public var status: MessageStatusKind
    /// Unix time in seconds, as a string (Meta's format).
    public var timestamp: String
    /// The user's WhatsApp id, or a group id for group messages.
    public var recipientID: String?
    /// Only with `sent` and one of `delivered`/`read`, and omitted for most conversations from v24.0.
    public var conversation: Conversation?
    public var pricing: Pricing?
    /// Why a `failed` message failed.
    public var errors: [GraphError]?
    /// The `biz_opaque_callback_data` the business attached when it sent the message.
    public var bizOpaqueCallbackData: String?

    /// `timestamp` as a date, or nil when it is not a plausible one (`MetaTimestamp`).
    public var timestampDate: Date? { MetaTimestamp.date(timestamp) }

    /// The conversation a status belongs to.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status)
    public struct Conversation: Sendable, Codable, Equatable {
        public var id: String?
        /// Unix time in seconds, as a string.
        public var expirationTimestamp: String?
        public var origin: Origin?

        /// Where the conversation started; `type` is its category (`utility`, `marketing`, `service`…).
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status)
        public struct Origin: Sendable, Codable, Equatable {
            public var type: String?

            enum CodingKeys: String, CodingKey {
                case type
            }

            public init(type: String? = nil) {
                self.type = type
            }
        }

        enum CodingKeys: String, CodingKey {
            case id
            case expirationTimestamp = "expiration_timestamp"
            case origin
        }

        public init(id: String? = nil, expirationTimestamp: String? = nil, origin: Origin? = nil) {
            self.id = id
            self.expirationTimestamp = expirationTimestamp
            self.origin = origin
        }
    }

    /// How the message is billed.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status)
    public struct Pricing: Sendable, Codable, Equatable {
        public var billable: Bool?
        /// `PMP` (per-message pricing) or the older `CBP`.
        public var pricingModel: String?
        /// `regular`, `free_customer_service` or `free_entry_point`.
        public var type: String?
        /// `utility`, `marketing`, `authentication`, `service`…
        public var category: String?

        enum CodingKeys: String, CodingKey {
            case billable
            case pricingModel = "pricing_model"
            case type
            case category
        }

        public init(billable: Bool? = nil, pricingModel: String? = nil, type: String? = nil, category: String? = nil) {
            self.billable = billable
            self.pricingModel = pricingModel
            self.type = type
            self.category = category
        }
    }

    enum CodingKeys: String, CodingKey {
        case id
        case status
        case timestamp
        case recipientID = "recipient_id"
        case conversation
        case pricing
        case errors
        case bizOpaqueCallbackData = "biz_opaque_callback_data"
    }

    public init(
        id: String,
        status: MessageStatusKind,
        timestamp: String,
        recipientID: String? = nil,
        conversation: Conversation? = nil,
        pricing: Pricing? = nil,
        errors: [GraphError]? = nil,
        bizOpaqueCallbackData: String? = nil
    ) {
        self.id = id
        self.status = status
        self.timestamp = timestamp
        self.recipientID = recipientID
        self.conversation = conversation
        self.pricing = pricing
        self.errors = errors
        self.bizOpaqueCallbackData = bizOpaqueCallbackData
    }
}
