// The content objects of inbound messages, one per message `type`.

extension InboundMessage {
    /// A text message's content.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text)
    public struct Text: Sendable, Codable, Equatable {
        public var body: String

        enum CodingKeys: String, CodingKey {
            case body
        }

        public init(body: String) {
            self.body = body
        }
    }

    /// An image, audio, video, document or sticker the user sent; fetch it from the Graph API by `id`.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/image)
    public struct Media: Sendable, Codable, Equatable {
        /// The media id to download the file with.
        public var id: String
        public var mimeType: String?
        /// The file's SHA-256, base64.
        public var sha256: String?
        /// Image, video and document captions.
        public var caption: String?
        /// Documents only.
        public var filename: String?
        /// Audio only: true for a voice note recorded in WhatsApp.
        public var voice: Bool?
        /// Stickers only.
        public var animated: Bool?
        /// A download URL, when Meta includes one.
        public var url: String?

        enum CodingKeys: String, CodingKey {
            case id
            case mimeType = "mime_type"
            case sha256
            case caption
            case filename
            case voice
            case animated
            case url
        }

        public init(
            id: String,
            mimeType: String? = nil,
            sha256: String? = nil,
            caption: String? = nil,
            filename: String? = nil,
            voice: Bool? = nil,
            animated: Bool? = nil,
            url: String? = nil
        ) {
            self.id = id
            self.mimeType = mimeType
            self.sha256 = sha256
            self.caption = caption
            self.filename = filename
            self.voice = voice
            self.animated = animated
            self.url = url
        }
    }

    /// A location the user shared.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/location)
    public struct Location: Sendable, Codable, Equatable {
        public var latitude: Double
        public var longitude: Double
        public var name: String?
        public var address: String?
        public var url: String?

        enum CodingKeys: String, CodingKey {
            case latitude
            case longitude
            case name
            case address
            case url
        }

        public init(latitude: Double, longitude: Double, name: String? = nil, address: String? = nil, url: String? = nil) {
            self.latitude = latitude
            self.longitude = longitude
            self.name = name
            self.address = address
            self.url = url
        }
    }

    /// A reaction to a message; an absent or empty `emoji` means the user removed their reaction.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/reaction)
    public struct Reaction: Sendable, Codable, Equatable {
        /// The WhatsApp message id of the message reacted to.
        public var messageID: String
        public var emoji: String?

        enum CodingKeys: String, CodingKey {
            case messageID = "message_id"
            case emoji
        }

        public init(messageID: String, emoji: String? = nil) {
            self.messageID = messageID
            self.emoji = emoji
        }
    }

    /// A tap on a template's quick-reply button.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/button)
    public struct Button: Sendable, Codable, Equatable {
        /// The payload the business set on the button.
        public var payload: String?
        /// The button's label.
        public var text: String

        enum CodingKeys: String, CodingKey {
            case payload
            case text
        }

        public init(payload: String? = nil, text: String) {
            self.payload = payload
            self.text = text
        }
    }

    /// A reply to an interactive message; `type` says which reply field is set.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/interactive)
    public struct Interactive: Sendable, Codable, Equatable {
        public var type: InteractiveReplyType
        public var buttonReply: ButtonReply?
        public var listReply: ListReply?
        public var nfmReply: NFMReply?

        /// The reply button the user tapped.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/interactive)
        public struct ButtonReply: Sendable, Codable, Equatable {
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

        /// The list row the user picked.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/interactive)
        public struct ListReply: Sendable, Codable, Equatable {
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

        /// A completed WhatsApp Flow (`name` `flow`) or address message (`address_message`).
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/flows/guides/receiveflowresponse)
        public struct NFMReply: Sendable, Codable, Equatable {
            /// The Flow's answers, a JSON object encoded as a string (it carries the `flow_token`).
            public var responseJSON: String
            public var body: String?
            public var name: String?

            enum CodingKeys: String, CodingKey {
                case responseJSON = "response_json"
                case body
                case name
            }

            public init(responseJSON: String, body: String? = nil, name: String? = nil) {
                self.responseJSON = responseJSON
                self.body = body
                self.name = name
            }
        }

        enum CodingKeys: String, CodingKey {
            case type
            case buttonReply = "button_reply"
            case listReply = "list_reply"
            case nfmReply = "nfm_reply"
        }

        public init(
            type: InteractiveReplyType,
            buttonReply: ButtonReply? = nil,
            listReply: ListReply? = nil,
            nfmReply: NFMReply? = nil
        ) {
            self.type = type
            self.buttonReply = buttonReply
            self.listReply = listReply
            self.nfmReply = nfmReply
        }
    }

    /// An order the user placed from a catalog or product message.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/order)
    public struct Order: Sendable, Codable, Equatable {
        public var catalogID: String
        /// The note the user added, often empty.
        public var text: String?
        public var productItems: [ProductItem]

        /// One line of an order.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/order)
        public struct ProductItem: Sendable, Codable, Equatable {
            public var productRetailerID: String
            public var quantity: Int
            /// The unit price, in `currency`.
            public var itemPrice: Double
            /// ISO 4217 code, e.g. `USD`.
            public var currency: String

            enum CodingKeys: String, CodingKey {
                case productRetailerID = "product_retailer_id"
                case quantity
                case itemPrice = "item_price"
                case currency
            }

            public init(productRetailerID: String, quantity: Int, itemPrice: Double, currency: String) {
                self.productRetailerID = productRetailerID
                self.quantity = quantity
                self.itemPrice = itemPrice
                self.currency = currency
            }
        }

        enum CodingKeys: String, CodingKey {
            case catalogID = "catalog_id"
            case text
            case productItems = "product_items"
        }

        public init(catalogID: String, text: String? = nil, productItems: [ProductItem]) {
            self.catalogID = catalogID
            self.text = text
            self.productItems = productItems
        }
    }

    /// A system notice, e.g. `user_changed_number` with the user's new WhatsApp id in `waID`.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/system)
    public struct System: Sendable, Codable, Equatable {
        public var body: String?
        /// `user_changed_number`, `customer_changed_number`, `customer_identity_changed`…
        public var type: String?
        /// The user's new WhatsApp id.
        public var waID: String?
        /// The user's previous WhatsApp id (older payloads).
        public var customer: String?

        enum CodingKeys: String, CodingKey {
            case body
            case type
            case waID = "wa_id"
            case customer
        }

        public init(body: String? = nil, type: String? = nil, waID: String? = nil, customer: String? = nil) {
            self.body = body
            self.type = type
            self.waID = waID
            self.customer = customer
        }
    }

    /// The Click-to-WhatsApp ad or post that brought the user to the chat.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text)
    public struct Referral: Sendable, Codable, Equatable {
        public var sourceURL: String?
        public var sourceID: String?
        /// `ad` or `post`.
        public var sourceType: String?
        public var body: String?
        public var headline: String?
        /// `image` or `video`.
        public var mediaType: String?
        public var imageURL: String?
        public var videoURL: String?
        public var thumbnailURL: String?
        /// The ad click id.
        public var ctwaClid: String?
        public var welcomeMessage: WelcomeMessage?

        /// The greeting the ad showed.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/text)
        public struct WelcomeMessage: Sendable, Codable, Equatable {
            public var text: String?

            enum CodingKeys: String, CodingKey {
                case text
            }

            public init(text: String? = nil) {
                self.text = text
            }
        }

        enum CodingKeys: String, CodingKey {
            case sourceURL = "source_url"
            case sourceID = "source_id"
            case sourceType = "source_type"
            case body
            case headline
            case mediaType = "media_type"
            case imageURL = "image_url"
            case videoURL = "video_url"
            case thumbnailURL = "thumbnail_url"
            case ctwaClid = "ctwa_clid"
            case welcomeMessage = "welcome_message"
        }

        public init(
            sourceURL: String? = nil,
            sourceID: String? = nil,
            sourceType: String? = nil,
            body: String? = nil,
            headline: String? = nil,
            mediaType: String? = nil,
            imageURL: String? = nil,
            videoURL: String? = nil,
            thumbnailURL: String? = nil,
            ctwaClid: String? = nil,
            welcomeMessage: WelcomeMessage? = nil
        ) {
            self.sourceURL = sourceURL
            self.sourceID = sourceID
            self.sourceType = sourceType
            self.body = body
            self.headline = headline
            self.mediaType = mediaType
            self.imageURL = imageURL
            self.videoURL = videoURL
            self.thumbnailURL = thumbnailURL
            self.ctwaClid = ctwaClid
            self.welcomeMessage = welcomeMessage
        }
    }

    /// What kind of message an `unsupported` message was, e.g. `poll_update`.
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/unsupported)
    public struct Unsupported: Sendable, Codable, Equatable {
        public var type: String?

        enum CodingKeys: String, CodingKey {
            case type
        }

        public init(type: String? = nil) {
            self.type = type
        }
    }
}
