/// An error object as Meta puts it in webhooks: change-level `errors`, a failed status's `errors`
/// and an unsupported message's `errors`.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/errors)
/// and [error codes](https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes).
public struct GraphError: Sendable, Codable, Equatable {
    /// Meta's error code, e.g. `131047` (re-engagement message) or `130429` (rate limit hit).
    public var code: Int
    public var title: String?
    /// Usually the same text as `title`.
    public var message: String?
    /// `error_data`; its `details` say what went wrong in a sentence.
    public var errorData: ErrorData?
    /// A link to Meta's error-code documentation (sometimes relative to developers.facebook.com).
    public var href: String?

    /// The `error_data` object of an error.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/errors)
    public struct ErrorData: Sendable, Codable, Equatable {
        public var details: String?

        enum CodingKeys: String, CodingKey {
            case details
        }

        public init(details: String? = nil) {
            self.details = details
        }
    }

    enum CodingKeys: String, CodingKey {
        case code
        case title
        case message
        case errorData = "error_data"
        case href
    }

    public init(
        code: Int,
        title: String? = nil,
        message: String? = nil,
        errorData: ErrorData? = nil,
        href: String? = nil
    ) {
        self.code = code
        self.title = title
        self.message = message
        self.errorData = errorData
        self.href = href
    }
}
