public import Foundation

/// A business's product catalog, as published to `POST /clientes/{cliente_id}/catalog/publish`
/// and checked by `CatalogValidator` (which documents every rule). Immutable once validated: a
/// catalog snapshot is activated whole, and `CatalogSearchIndex` is built from it once.
///
/// JSON (snake_case; unknown fields are ignored):
/// ```json
/// {"currency": "MXN", "locale": "es-MX",
///  "categories": [{"id": "calzado", "name": "Calzado"}],
///  "products": [{"sku": "ZAP-001", "name": "Zapatillas urbanas", "price": "1299.00",
///                "sale_price": "999.00", "url": "https://tienda.example/zap-001",
///                "image_url": "https://tienda.example/zap-001.jpg", "category": "calzado",
///                "stock": 12, "tags": ["running"], "attributes": {"color": "rojo", "talla": "42"},
///                "description": "Ligeras y cómodas."}]}
/// ```
public struct Catalog: Sendable, Equatable {
    /// ISO 4217 code of every price, upper case (`MXN`).
    public var currency: String
    /// BCP 47 tag used to format prices (`es-MX`), normalised to `language-REGION` casing.
    public var locale: String
    public var categories: [CatalogCategory]
    public var products: [Product]

    public init(currency: String, locale: String, categories: [CatalogCategory], products: [Product]) {
        self.currency = currency
        self.locale = locale
        self.categories = categories
        self.products = products
    }

    /// `amount` in this catalog's currency and locale (`$1,299.00`).
    public func formatted(_ amount: Decimal) -> String {
        PriceFormatter.format(amount, currency: currency, locale: locale)
    }
}

/// A group of products, offered to the user as a button or list row.
public struct CatalogCategory: Sendable, Equatable, Hashable {
    /// The id products refer to in their `category` field.
    public var id: String
    /// The name shown to users.
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// One product of a catalog.
public struct Product: Sendable, Equatable {
    /// The shop's stock-keeping unit, unique in the catalog (case-insensitively).
    public var sku: String
    public var name: String
    public var description: String?
    public var price: ProductPrice
    /// A discounted price, never above `price`.
    public var salePrice: ProductPrice?
    /// The product page (absolute http or https URL).
    public var url: String
    public var imageURL: String?
    /// The id of one of the catalog's categories.
    public var category: String
    /// Units available; 0 means out of stock.
    public var stock: Int
    public var tags: [String]
    /// Free-form facts users search by (`color: rojo`, `talla: 42`).
    public var attributes: [String: String]

    public init(sku: String, name: String, description: String? = nil, price: ProductPrice, salePrice: ProductPrice? = nil,
                url: String, imageURL: String? = nil, category: String, stock: Int, tags: [String] = [],
                attributes: [String: String] = [:]) {
        self.sku = sku
        self.name = name
        self.description = description
        self.price = price
        self.salePrice = salePrice
        self.url = url
        self.imageURL = imageURL
        self.category = category
        self.stock = stock
        self.tags = tags
        self.attributes = attributes
    }

    /// Whether at least one unit is available.
    public var isInStock: Bool { stock > 0 }

    /// What the customer pays: the sale price when there is one.
    public var currentPrice: Decimal { salePrice?.amount ?? price.amount }
}

/// A price as the shop wrote it (`"1299.90"`) and its exact decimal value.
public struct ProductPrice: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// The decimal text as given: digits, optionally `.` and one or two decimals.
    public var text: String
    public var amount: Decimal

    /// Parses `text` by the catalog's price rule: `^[0-9]{1,10}(\.[0-9]{1,2})?$`, greater than zero
    /// (no sign, exponent, thousands separator or currency symbol). Nil when `text` breaks it.
    public init?(_ text: String) {
        var mantissa: UInt64 = 0
        var integerDigits = 0
        var fractionDigits = 0
        var seenPoint = false
        for b in text.utf8 {
            if b == UInt8(ascii: ".") {
                guard !seenPoint, integerDigits > 0 else { return nil }
                seenPoint = true
                continue
            }
            guard b >= 0x30, b <= 0x39 else { return nil }
            if seenPoint { fractionDigits += 1 } else { integerDigits += 1 }
            guard integerDigits <= 10, fractionDigits <= 2 else { return nil }
            mantissa = mantissa * 10 + UInt64(b - 0x30)
        }
        guard integerDigits >= 1, integerDigits <= 10, !(seenPoint && fractionDigits == 0), fractionDigits <= 2,
              mantissa > 0 else { return nil }
        if integerDigits > 1, text.utf8.first == UInt8(ascii: "0") { return nil }
        self.text = text
        self.amount = Decimal(sign: .plus, exponent: -fractionDigits, significand: Decimal(mantissa))
    }

    public var description: String { text }
}

// MARK: - JSON

extension Catalog: Encodable {
    private enum CodingKeys: String, CodingKey {
        case currency, locale, categories, products
    }
}

extension CatalogCategory: Encodable {}

extension Product: Encodable {
    private enum CodingKeys: String, CodingKey {
        case sku, name, description, price, category, stock, tags, attributes, url
        case salePrice = "sale_price"
        case imageURL = "image_url"
    }

    /// Writes the catalog JSON form (prices as decimal strings); `CatalogValidator` reads it back equal.
    public func encode(to encoder: any Encoder) throws {
        var c = encoder.container(keyedBy: CodingKeys.self)
        try c.encode(sku, forKey: .sku)
        try c.encode(name, forKey: .name)
        try c.encodeIfPresent(description, forKey: .description)
        try c.encode(price.text, forKey: .price)
        try c.encodeIfPresent(salePrice?.text, forKey: .salePrice)
        try c.encode(url, forKey: .url)
        try c.encodeIfPresent(imageURL, forKey: .imageURL)
        try c.encode(category, forKey: .category)
        try c.encode(stock, forKey: .stock)
        if !tags.isEmpty { try c.encode(tags, forKey: .tags) }
        if !attributes.isEmpty { try c.encode(attributes, forKey: .attributes) }
    }
}
