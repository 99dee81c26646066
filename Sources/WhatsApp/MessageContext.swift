/// What an inbound message refers to: the business message it replies to (a tapped button, a quoted
/// message), a product it asks about, or that it was forwarded.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text)
public struct MessageContext: Sendable, Codable, Equatable {
    /// The business phone number that sent the referred message.
    public var from: String?
    /// The WhatsApp message id of the referred message.
    public var id: String?
    public var forwarded: Bool?
    /// Forwarded more than five times.
    public var frequentlyForwarded: Bool?
    /// Set when the user asked about a product from a catalog message.
    public var referredProduct: ReferredProduct?

    /// A catalog product the user asked about.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text)
    public struct ReferredProduct: Sendable, Codable, Equatable {
        public var catalogID: String
        public var productRetailerID: String

        enum CodingKeys: String, CodingKey {
            case catalogID = "catalog_id"
            case productRetailerID = "product_retailer_id"
        }

        public init(catalogID: String, productRetailerID: String) {
            self.catalogID = catalogID
            self.productRetailerID = productRetailerID
        }
    }

    enum CodingKeys: String, CodingKey {
        case from
        case id
        case forwarded
        case frequentlyForwarded = "frequently_forwarded"
        case referredProduct = "referred_product"
    }

    public init(
        from: String? = nil,
        id: String? = nil,
        forwarded: Bool? = nil,
        frequentlyForwarded: Bool? = nil,
        referredProduct: ReferredProduct? = nil
    ) {
        self.from = from
        self.id = id
        self.forwarded = forwarded
        self.frequentlyForwarded = frequentlyForwarded
        self.referredProduct = referredProduct
    }
}
