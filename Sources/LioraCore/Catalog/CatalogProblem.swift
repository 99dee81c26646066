/// One thing wrong with a published catalog: where (a JSON path such as `$.products[3].price`),
/// what (a stable machine `code`) and a readable English `message` for the shop's developer.
public struct CatalogProblem: Sendable, Equatable, Hashable, CustomStringConvertible {
    /// Stable codes; clients may switch on them, so they never change meaning.
    public enum Code: String, Sendable, Equatable, Hashable, CaseIterable {
        /// The body is not JSON (the message says why, with line and column).
        case invalidJSON = "invalid_json"
        /// The body is larger than `CatalogLimits.maxBytes`.
        case tooLarge = "too_large"
        /// A required field is absent or null.
        case missingField = "missing_field"
        /// A field has the wrong JSON type (a number where a string belongs, …).
        case wrongType = "wrong_type"
        /// The same member name twice in one object.
        case duplicateKey = "duplicate_key"
        /// A required text is empty or only whitespace.
        case emptyField = "empty_field"
        /// A text is longer than its limit.
        case tooLong = "too_long"
        /// A single-line text holds control characters (line breaks, tabs, …).
        case badText = "bad_text"
        /// `currency` is not an ISO 4217 code.
        case badCurrency = "bad_currency"
        /// `locale` is not a BCP 47 language tag like `es-MX`.
        case badLocale = "bad_locale"
        /// A category id is malformed.
        case badCategoryID = "bad_category_id"
        /// Two categories share an id (or a name), case-insensitively.
        case duplicateCategory = "duplicate_category"
        /// A product's `category` is not the id of any category.
        case unknownCategory = "unknown_category"
        /// A sku is malformed.
        case badSKU = "bad_sku"
        /// Two products share a sku (case-insensitively).
        case duplicateSKU = "duplicate_sku"
        /// A price or sale price is not a positive decimal with at most two decimals.
        case badPrice = "bad_price"
        /// `sale_price` is above `price`.
        case salePriceAbovePrice = "sale_price_above_price"
        /// A URL is not an absolute http(s) URL with a host.
        case badURL = "bad_url"
        /// `stock` is below zero.
        case negativeStock = "negative_stock"
        /// `stock` is not a whole number, or is absurdly large.
        case badStock = "bad_stock"
        /// More products than `CatalogLimits.maxProducts`.
        case tooManyProducts = "too_many_products"
        /// More categories than `CatalogLimits.maxCategories`.
        case tooManyCategories = "too_many_categories"
        /// More tags or attributes on one product than allowed.
        case tooManyItems = "too_many_items"
        /// Collection stopped at `CatalogLimits.maxProblems`; always the last problem when present.
        case tooManyProblems = "too_many_problems"
    }

    public var path: String
    public var code: Code
    public var message: String

    public init(path: String, code: Code, message: String) {
        self.path = path
        self.code = code
        self.message = message
    }

    /// `$.products[3].price: bad_price: …`
    public var description: String { "\(path): \(code.rawValue): \(message)" }
}

/// Why a catalog was refused: every problem found, in a stable order (top-level fields, then
/// categories, then products in document order).
public struct CatalogValidationFailure: Error, Sendable, Equatable, CustomStringConvertible {
    public var problems: [CatalogProblem]

    public init(problems: [CatalogProblem]) {
        self.problems = problems
    }

    /// Whether collection stopped early (`too_many_problems` is the last problem).
    public var isTruncated: Bool { problems.last?.code == .tooManyProblems }

    public var description: String {
        problems.count == 1 ? "1 catalog problem: \(problems[0])" : "\(problems.count) catalog problems, first: \(problems.first.map(\.description) ?? "")"
    }
}

/// The bounds a published catalog must stay within. Lengths count Unicode scalars ("characters").
public struct CatalogLimits: Sendable, Equatable {
    /// The largest JSON body read (64 MiB); larger bodies are refused before parsing.
    public var maxBytes = 64 * 1024 * 1024
    public var maxProducts = 100_000
    public var maxCategories = 1_000
    public var maxSKULength = 64
    public var maxCategoryIDLength = 64
    public var maxCategoryNameLength = 100
    public var maxNameLength = 200
    public var maxDescriptionLength = 5_000
    public var maxURLLength = 2_048
    public var maxTags = 30
    public var maxTagLength = 50
    public var maxAttributes = 30
    public var maxAttributeNameLength = 50
    public var maxAttributeValueLength = 200
    /// The largest stock accepted (a typo guard).
    public var maxStock = 1_000_000_000
    /// How many problems are collected before giving up (one more, `too_many_problems`, says so).
    public var maxProblems = 1_000
    /// How deeply JSON may nest (the catalog itself needs 4 levels; unknown fields may use more).
    public var maxDepth = 64
    /// Whether rules added after catalogs were first accepted apply (whole prices for currencies
    /// shown without decimals). On for a publish; off when a stored snapshot is read back, so a
    /// catalog that is already live is never turned off by a newer rule.
    public var publishRules = true

    public init() {}
}
