extension InboundMessage {
    /// A contact card the user shared (`contacts[]` of a `contacts` message).
    /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/contacts)
    public struct SharedContact: Sendable, Codable, Equatable {
        public var name: Name?
        public var org: Org?
        public var phones: [Phone]?
        public var emails: [Email]?
        public var urls: [Website]?
        public var addresses: [Address]?
        /// `YYYY-MM-DD`.
        public var birthday: String?

        /// A contact's name.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/contacts)
        public struct Name: Sendable, Codable, Equatable {
            public var formattedName: String?
            public var firstName: String?
            public var lastName: String?
            public var middleName: String?
            public var prefix: String?
            public var suffix: String?

            enum CodingKeys: String, CodingKey {
                case formattedName = "formatted_name"
                case firstName = "first_name"
                case lastName = "last_name"
                case middleName = "middle_name"
                case prefix
                case suffix
            }

            public init(
                formattedName: String? = nil,
                firstName: String? = nil,
                lastName: String? = nil,
                middleName: String? = nil,
                prefix: String? = nil,
                suffix: String? = nil
            ) {
                self.formattedName = formattedName
                self.firstName = firstName
                self.lastName = lastName
                self.middleName = middleName
                self.prefix = prefix
                self.suffix = suffix
            }
        }

        /// A contact's organisation.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/contacts)
        public struct Org: Sendable, Codable, Equatable {
            public var company: String?
            public var department: String?
            public var title: String?

            enum CodingKeys: String, CodingKey {
                case company
                case department
                case title
            }

            public init(company: String? = nil, department: String? = nil, title: String? = nil) {
                self.company = company
                self.department = department
                self.title = title
            }
        }

        /// A contact's phone number; `waID` is set when the number is on WhatsApp.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/contacts)
        public struct Phone: Sendable, Codable, Equatable {
            public var phone: String?
            public var waID: String?
            /// `CELL`, `MAIN`, `IPHONE`, `HOME`, `WORK`, `MOBILE`…
            public var type: String?

            enum CodingKeys: String, CodingKey {
                case phone
                case waID = "wa_id"
                case type
            }

            public init(phone: String? = nil, waID: String? = nil, type: String? = nil) {
                self.phone = phone
                self.waID = waID
                self.type = type
            }
        }

        /// A contact's email address.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/contacts)
        public struct Email: Sendable, Codable, Equatable {
            public var email: String?
            public var type: String?

            enum CodingKeys: String, CodingKey {
                case email
                case type
            }

            public init(email: String? = nil, type: String? = nil) {
                self.email = email
                self.type = type
            }
        }

        /// A contact's web address (`urls[]`).
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/contacts)
        public struct Website: Sendable, Codable, Equatable {
            public var url: String?
            public var type: String?

            enum CodingKeys: String, CodingKey {
                case url
                case type
            }

            public init(url: String? = nil, type: String? = nil) {
                self.url = url
                self.type = type
            }
        }

        /// A contact's postal address.
        /// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/contacts)
        public struct Address: Sendable, Codable, Equatable {
            public var street: String?
            public var city: String?
            public var state: String?
            public var zip: String?
            public var country: String?
            public var countryCode: String?
            public var type: String?

            enum CodingKeys: String, CodingKey {
                case street
                case city
                case state
                case zip
                case country
                case countryCode = "country_code"
                case type
            }

            public init(
                street: String? = nil,
                city: String? = nil,
                state: String? = nil,
                zip: String? = nil,
                country: String? = nil,
                countryCode: String? = nil,
                type: String? = nil
            ) {
                self.street = street
                self.city = city
                self.state = state
                self.zip = zip
                self.country = country
                self.countryCode = countryCode
                self.type = type
            }
        }

        enum CodingKeys: String, CodingKey {
            case name
            case org
            case phones
            case emails
            case urls
            case addresses
            case birthday
        }

        public init(
            name: Name? = nil,
            org: Org? = nil,
            phones: [Phone]? = nil,
            emails: [Email]? = nil,
            urls: [Website]? = nil,
            addresses: [Address]? = nil,
            birthday: String? = nil
        ) {
            self.name = name
            self.org = org
            self.phones = phones
            self.emails = emails
            self.urls = urls
            self.addresses = addresses
            self.birthday = birthday
        }
    }
}
