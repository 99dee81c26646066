import Foundation

/// Checks a published catalog's raw JSON and builds the `Catalog`, reporting every problem at
/// once (up to `CatalogLimits.maxProblems`), each with its JSON path, code and message.
///
/// The rules, beyond JSON types (see `CatalogProblem.Code` for the codes):
/// - Top level: `currency` (ISO 4217, any case, stored upper case), `locale` (`es`, `es-MX`,
///   `es-419`, `zh-Hant-TW`; `_` accepted for `-`; stored as `es-MX`), `categories` and
///   `products` (arrays, possibly empty) are required. Unknown fields anywhere are ignored.
/// - Category: `id` (1–64 characters, no spaces or control characters; unique ignoring case) and
///   `name` (1–100 characters, one line; unique ignoring case). Categories without products are fine.
/// - Product: `sku` (1–64 characters, no control characters, no leading or trailing space — inner
///   spaces are fine; unique ignoring case), `name` (1–200, one line), `price`
///   (a string or number: a positive decimal with at most 10 integer digits and 2 decimals, no
///   sign, exponent, symbol or separators — `"1299.00"`, `1299.9`; whole, like `"1299"` or `"1299.00"`,
///   in a currency shown without decimals: JPY, CLP, COP…), `url` (absolute http/https URL
///   with a host, no spaces, no `user:password@`, ≤ 2,048), `category` (an existing category id,
///   exactly), `stock` (a whole number 0…1,000,000,000) are required. Optional: `description`
///   (≤ 5,000, may span lines), `sale_price` (same rule as price, ≤ price), `image_url` (same rule
///   as url), `tags` (≤ 30 strings of ≤ 50), `attributes` (an object of ≤ 30 names of ≤ 50 to
///   string or number values of ≤ 200).
/// - Texts are trimmed of surrounding whitespace. For optional fields, `null` and `""` mean
///   absent (spreadsheet exports write both), as do empty tags and attribute values.
/// - Lengths count Unicode scalars. A member name given twice in one object is `duplicate_key`.
public enum CatalogValidator {
    /// Validates `json` (UTF-8 bytes, as received) against `limits`.
    public static func validate(_ json: [UInt8], limits: CatalogLimits = .init()) -> Result<Catalog, CatalogValidationFailure> {
        let validation = Validation(limits: limits)
        let catalog = validation.run(json)
        if let catalog, validation.problems.isEmpty { return .success(catalog) }
        return .failure(CatalogValidationFailure(problems: validation.problems))
    }
}

private final class Validation {
    let limits: CatalogLimits
    var problems: [CatalogProblem] = []
    /// Problems found, including those past the cap that were not stored.
    var problemCount = 0
    /// The catalog's currency once read (prices are checked against its decimals).
    var currency: String?

    init(limits: CatalogLimits) {
        self.limits = limits
    }

    var isFull: Bool { problemCount > limits.maxProblems }

    func report(_ code: CatalogProblem.Code, _ path: @autoclosure () -> String, _ message: @autoclosure () -> String) {
        problemCount += 1
        if problemCount <= limits.maxProblems {
            problems.append(CatalogProblem(path: path(), code: code, message: message()))
        } else if problemCount == limits.maxProblems + 1 {
            problems.append(CatalogProblem(path: "$", code: .tooManyProblems,
                                           message: "stopped after \(limits.maxProblems) problems; fix these and publish again to see the rest"))
        }
    }

    // MARK: Top level

    func run(_ json: [UInt8]) -> Catalog? {
        guard json.count <= limits.maxBytes else {
            report(.tooLarge, "$", "the catalog is \(json.count) bytes; the limit is \(limits.maxBytes)")
            return nil
        }
        let root: CatalogJSON
        switch CatalogJSON.parse(json, maxDepth: limits.maxDepth) {
        case .success(let value): root = value
        case .failure(let error):
            report(.invalidJSON, "$", "not valid JSON: \(error.description)")
            return nil
        }
        guard case .object(let members) = root else {
            report(.wrongType, "$", "the catalog must be a JSON object, got \(root.typeName)")
            return nil
        }
        let f = fields(members, ["currency", "locale", "categories", "products"], at: "$")
        let currency = self.currency(f[0])
        self.currency = currency
        let locale = self.locale(f[1])
        let (categories, categoryIDs) = self.categories(f[2])
        let products = self.products(f[3], categoryIDs: categoryIDs)
        guard let currency, let locale, let categories, let products else { return nil }
        return Catalog(currency: currency, locale: locale, categories: categories, products: products)
    }

    func currency(_ value: CatalogJSON?) -> String? {
        guard let text = text(value, "$.currency", required: true, maxLength: 16) else { return nil }
        let code = text.uppercased()
        guard ISO4217.isCurrencyCode(code) else {
            report(.badCurrency, "$.currency", "\"\(text)\" is not an ISO 4217 currency code like \"MXN\", \"EUR\" or \"USD\"")
            return nil
        }
        return code
    }

    func locale(_ value: CatalogJSON?) -> String? {
        guard let text = text(value, "$.locale", required: true, maxLength: 35) else { return nil }
        guard let tag = Self.languageTag(text) else {
            report(.badLocale, "$.locale", "\"\(text)\" is not a language tag like \"es-MX\", \"es\" or \"en-US\"")
            return nil
        }
        return tag
    }

    /// `language[-Script][-REGION]`, normalised (`es_mx` → `es-MX`); nil when malformed.
    static func languageTag(_ text: String) -> String? {
        let parts = text.split(separator: "-", omittingEmptySubsequences: false)
            .flatMap { $0.split(separator: "_", omittingEmptySubsequences: false) }
        guard !parts.isEmpty, parts.count <= 3, parts.allSatisfy({ $0.utf8.allSatisfy { $0 < 0x80 } }) else { return nil }
        let language = parts[0]
        guard (2...3).contains(language.count), language.allSatisfy(\.isLetter) else { return nil }
        var out = language.lowercased()
        var rest = parts.dropFirst()
        if let script = rest.first, script.count == 4, script.allSatisfy(\.isLetter) {
            out += "-" + script.prefix(1).uppercased() + script.dropFirst().lowercased()
            rest = rest.dropFirst()
        }
        if let region = rest.first {
            if region.count == 2, region.allSatisfy(\.isLetter) {
                out += "-" + region.uppercased()
            } else if region.count == 3, region.allSatisfy(\.isNumber) {
                out += "-" + region
            } else {
                return nil
            }
            rest = rest.dropFirst()
        }
        return rest.isEmpty ? out : nil
    }

    // MARK: Categories

    /// The categories (nil after a problem) and the ids a product may refer to (nil when the
    /// list itself is unusable, so products are not all reported as `unknown_category`).
    func categories(_ value: CatalogJSON?) -> ([CatalogCategory]?, Set<String>?) {
        guard let value, !value.isNull else {
            report(.missingField, "$.categories", "is required (an array of {\"id\", \"name\"} objects)")
            return (nil, nil)
        }
        guard case .array(let items) = value else {
            report(.wrongType, "$.categories", "must be an array, got \(value.typeName)")
            return (nil, nil)
        }
        if items.count > limits.maxCategories {
            report(.tooManyCategories, "$.categories", "has \(items.count) categories; the limit is \(limits.maxCategories)")
        }
        var categories: [CatalogCategory] = []
        var ids = Set<String>()
        var firstByID: [String: Int] = [:]
        var firstByName: [String: Int] = [:]
        let before = problemCount
        for (i, item) in items.enumerated() {
            if isFull { break }
            let path = "$.categories[\(i)]"
            guard case .object(let members) = item else {
                report(.wrongType, path, "must be an object with \"id\" and \"name\", got \(item.typeName)")
                continue
            }
            let f = fields(members, ["id", "name"], at: path)
            let id = identifier(f[0], path + ".id", maxLength: limits.maxCategoryIDLength, code: .badCategoryID, what: "category id",
                                allowingInnerSpaces: false)
            let name = text(f[1], path + ".name", required: true, maxLength: limits.maxCategoryNameLength).map(Self.composed)
            if let id {
                ids.insert(id)
                let key = id.lowercased()
                if let first = firstByID[key] {
                    report(.duplicateCategory, path + ".id", "category id \"\(id)\" is already used by $.categories[\(first)]")
                } else {
                    firstByID[key] = i
                }
            }
            if let name {
                let key = name.lowercased()
                if let first = firstByName[key] {
                    report(.duplicateCategory, path + ".name", "category name \"\(name)\" is already used by $.categories[\(first)]")
                } else {
                    firstByName[key] = i
                }
            }
            if let id, let name { categories.append(CatalogCategory(id: id, name: name)) }
        }
        return (problemCount == before ? categories : nil, ids)
    }

    // MARK: Products

    func products(_ value: CatalogJSON?, categoryIDs: Set<String>?) -> [Product]? {
        guard let value, !value.isNull else {
            report(.missingField, "$.products", "is required (an array of product objects)")
            return nil
        }
        guard case .array(let items) = value else {
            report(.wrongType, "$.products", "must be an array, got \(value.typeName)")
            return nil
        }
        if items.count > limits.maxProducts {
            report(.tooManyProducts, "$.products", "has \(items.count) products; the limit is \(limits.maxProducts)")
        }
        var lowercasedIDs: [String: String] = [:]
        for id in categoryIDs ?? [] { lowercasedIDs[id.lowercased()] = id }
        var products: [Product] = []
        products.reserveCapacity(items.count)
        var firstBySKU: [String: Int] = [:]
        firstBySKU.reserveCapacity(items.count)
        let before = problemCount
        for (i, item) in items.enumerated() {
            if isFull { break }
            if let product = self.product(item, i, categoryIDs: categoryIDs, lowercasedIDs: lowercasedIDs, firstBySKU: &firstBySKU) {
                products.append(product)
            }
        }
        return problemCount == before ? products : nil
    }

    static let productFields = ["sku", "name", "description", "price", "sale_price", "url", "image_url", "category",
                                "stock", "tags", "attributes"]

    func product(_ item: CatalogJSON, _ i: Int, categoryIDs: Set<String>?, lowercasedIDs: [String: String],
                          firstBySKU: inout [String: Int]) -> Product? {
        let path = "$.products[\(i)]"
        guard case .object(let members) = item else {
            report(.wrongType, path, "must be a product object, got \(item.typeName)")
            return nil
        }
        let before = problemCount
        let f = fields(members, Self.productFields, at: path)
        let sku = identifier(f[0], path + ".sku", maxLength: limits.maxSKULength, code: .badSKU, what: "sku",
                             allowingInnerSpaces: true)
        if let sku {
            let key = sku.lowercased()
            if let first = firstBySKU[key] {
                report(.duplicateSKU, path + ".sku", "sku \"\(sku)\" is already used by $.products[\(first)]")
            } else {
                firstBySKU[key] = i
            }
        }
        let name = text(f[1], path + ".name", required: true, maxLength: limits.maxNameLength).map(Self.composed)
        let description = text(f[2], path + ".description", required: false, maxLength: limits.maxDescriptionLength, multiline: true)
            .map(Self.composed)
        let price = self.price(f[3], path + ".price", required: true)
        let salePrice = self.price(f[4], path + ".sale_price", required: false)
        if let price, let salePrice, salePrice.amount > price.amount {
            report(.salePriceAbovePrice, path + ".sale_price", "sale_price \(salePrice.text) is above price \(price.text)")
        }
        let url = self.url(f[5], path + ".url", required: true)
        let imageURL = self.url(f[6], path + ".image_url", required: false)
        let category = text(f[7], path + ".category", required: true, maxLength: limits.maxCategoryIDLength)
        if let category, let categoryIDs, !categoryIDs.contains(category) {
            if let near = lowercasedIDs[category.lowercased()] {
                report(.unknownCategory, path + ".category", "no category has the id \"\(category)\" (ids are case-sensitive: did you mean \"\(near)\"?)")
            } else {
                report(.unknownCategory, path + ".category", "no category has the id \"\(category)\"")
            }
        }
        let stock = self.stock(f[8], path + ".stock")
        let tags = self.tags(f[9], path + ".tags")
        let attributes = self.attributes(f[10], path + ".attributes")
        guard problemCount == before, let sku, let name, let price, let url, let category, let stock else { return nil }
        return Product(sku: sku, name: name, description: description, price: price, salePrice: salePrice, url: url,
                       imageURL: imageURL, category: category, stock: stock, tags: tags, attributes: attributes)
    }

    func price(_ value: CatalogJSON?, _ path: @autoclosure () -> String, required: Bool) -> ProductPrice? {
        let text: String
        switch value {
        case nil, .null?:
            if required { report(.missingField, path(), "is required (a decimal like \"1299.00\")") }
            return nil
        case .string(let s)?:
            text = Self.trimmed(s)
            if text.isEmpty {
                if required { report(.badPrice, path(), "must be a decimal like \"1299.00\", got an empty string") }
                return nil
            }
        case .number(let s)?:
            text = s
        case let other?:
            report(.wrongType, path(), "must be a decimal string like \"1299.00\" or a number, got \(other.typeName)")
            return nil
        }
        guard let price = ProductPrice(text) else {
            report(.badPrice, path(), Self.priceComplaint(text))
            return nil
        }
        // A currency shown without decimals (JPY, CLP, COP…, see PriceFormatter) would reach shoppers
        // rounded: "1299.50" as 1,300. Its prices must be whole numbers ("1299.00" is fine).
        if limits.publishRules, let currency, ISO4217.fractionDigits(currency) == 0, let point = text.utf8.firstIndex(of: UInt8(ascii: ".")),
           text.utf8[text.utf8.index(after: point)...].contains(where: { $0 != UInt8(ascii: "0") }) {
            report(.badPrice, path(), "\(currency) prices are shown without decimals, so they must be whole numbers; got \(text)")
            return nil
        }
        return price
    }

    /// Says what is wrong with a price text that `ProductPrice` refused.
    static func priceComplaint(_ text: String) -> String {
        let shown = text.count > 40 ? String(text.prefix(40)) + "…" : text
        if text.hasPrefix("-") { return "must be greater than zero, got \(shown)" }
        if text.utf8.contains(where: { $0 == UInt8(ascii: "e") || $0 == UInt8(ascii: "E") }),
           text.utf8.allSatisfy({ "0123456789.eE+-".utf8.contains($0) }) {
            return "must be written without an exponent, like \"1299.00\", got \(shown)"
        }
        if !text.utf8.allSatisfy({ ($0 >= 0x30 && $0 <= 0x39) || $0 == UInt8(ascii: ".") }) {
            return "must be a plain decimal like \"1299.00\" (no currency symbol, sign, spaces or thousands separators), got \"\(shown)\""
        }
        let parts = text.split(separator: ".", omittingEmptySubsequences: false)
        if parts.count > 2 || parts[0].isEmpty || (parts.count == 2 && parts[1].isEmpty) {
            return "must be a plain decimal like \"1299.00\", got \"\(shown)\""
        }
        if parts.count == 2, parts[1].count > 2 { return "has \(parts[1].count) decimals; at most 2 are allowed (got \(shown))" }
        if parts[0].count > 10 { return "is too large (at most 10 digits before the decimal point), got \(shown)" }
        if parts[0].count > 1, parts[0].hasPrefix("0") { return "must not start with a zero, got \"\(shown)\"" }
        return "must be greater than zero, got \(shown)"
    }

    func stock(_ value: CatalogJSON?, _ path: @autoclosure () -> String) -> Int? {
        switch value {
        case nil, .null?:
            report(.missingField, path(), "is required (a whole number of units, 0 when out of stock)")
            return nil
        case .number(let s)?:
            if s.hasPrefix("-") {
                report(.negativeStock, path(), "must be 0 or more, got \(s)")
                return nil
            }
            guard s.utf8.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }) else {
                report(.badStock, path(), "must be a whole number, got \(s)")
                return nil
            }
            guard let n = Int(s), n <= limits.maxStock else {
                report(.badStock, path(), "is too large (the limit is \(limits.maxStock)), got \(s)")
                return nil
            }
            return n
        case let other?:
            report(.wrongType, path(), "must be a whole number, got \(other.typeName)")
            return nil
        }
    }

    func tags(_ value: CatalogJSON?, _ path: String) -> [String] {
        switch value {
        case nil, .null?:
            return []
        case .array(let items)?:
            if items.count > limits.maxTags {
                report(.tooManyItems, path, "has \(items.count) tags; the limit is \(limits.maxTags)")
                return []
            }
            var tags: [String] = []
            for (j, item) in items.enumerated() {
                if let tag = text(item, "\(path)[\(j)]", required: false, maxLength: limits.maxTagLength) { tags.append(tag) }
            }
            return tags
        case let other?:
            report(.wrongType, path, "must be an array of strings, got \(other.typeName)")
            return []
        }
    }

    func attributes(_ value: CatalogJSON?, _ path: String) -> [String: String] {
        switch value {
        case nil, .null?:
            return [:]
        case .object(let members)?:
            if members.count > limits.maxAttributes {
                report(.tooManyItems, path, "has \(members.count) attributes; the limit is \(limits.maxAttributes)")
                return [:]
            }
            var attributes: [String: String] = [:]
            var keys: [String] = []   // a handful per product: a scan beats hashing
            for (rawKey, value) in members {
                let memberPath = Self.memberPath(path, rawKey)
                let key = Self.trimmed(rawKey)
                if key.isEmpty {
                    report(.emptyField, memberPath, "attribute names must not be empty")
                    continue
                }
                if Self.hasControlCharacters(key, allowingLineBreaks: false) {
                    report(.badText, memberPath, "attribute names must be a single line without control characters")
                    continue
                }
                if Self.isLonger(key, than: limits.maxAttributeNameLength) {
                    report(.tooLong, memberPath, "attribute name is \(Self.length(key)) characters long; the limit is \(limits.maxAttributeNameLength)")
                    continue
                }
                guard !keys.contains(key) else {
                    report(.duplicateKey, memberPath, "attribute \"\(key)\" is given more than once")
                    continue
                }
                keys.append(key)
                switch value {
                case .number(let n):
                    attributes[key] = n
                case .string, .null:
                    // Null or empty: absent.
                    if let text = text(value, memberPath, required: false, maxLength: limits.maxAttributeValueLength) {
                        attributes[key] = text
                    }
                default:
                    report(.wrongType, memberPath, "attribute values must be strings or numbers, got \(value.typeName)")
                }
            }
            return attributes
        case let other?:
            report(.wrongType, path, "must be an object of names to strings, got \(other.typeName)")
            return [:]
        }
    }

    func url(_ value: CatalogJSON?, _ path: @autoclosure () -> String, required: Bool) -> String? {
        guard let text = text(value, path(), required: required, maxLength: limits.maxURLLength) else { return nil }
        if let complaint = Self.urlComplaint(text) {
            report(.badURL, path(), complaint)
            return nil
        }
        return text
    }

    /// What is wrong with `url` as a product link, or nil: it must be an absolute `http` or `https`
    /// URL with a host (a DNS name, IPv4 or bracketed IPv6 address, optional port), no whitespace
    /// or control characters, and no `user:password@`.
    static func urlComplaint(_ url: String) -> String? {
        var copy = url
        return copy.withUTF8 { urlComplaint(bytes: $0, url) }
    }

    private static func urlComplaint(bytes: UnsafeBufferPointer<UInt8>, _ url: String) -> String? {
        var shown: String { url.count > 80 ? String(url.prefix(80)) + "…" : url }
        func lower(_ b: UInt8) -> UInt8 { b >= 0x41 && b <= 0x5A ? b + 0x20 : b }
        func hasPrefix(_ p: StaticString) -> Bool {
            let n = p.utf8CodeUnitCount
            guard bytes.count >= n else { return false }
            for k in 0..<n where lower(bytes[k]) != p.utf8Start[k] { return false }
            return true
        }
        let schemeLength = hasPrefix("https://") ? 8 : hasPrefix("http://") ? 7 : 0
        guard schemeLength > 0 else { return "must be an absolute http or https URL, got \"\(shown)\"" }
        if bytes.contains(where: { $0 <= 0x20 || $0 == 0x7F }) {
            return "must not contain spaces or control characters (percent-encode them), got \"\(shown)\""
        }
        var end = schemeLength
        while end < bytes.count, bytes[end] != UInt8(ascii: "/"), bytes[end] != UInt8(ascii: "?"), bytes[end] != UInt8(ascii: "#") { end += 1 }
        var authority = bytes[schemeLength..<end]
        if authority.contains(UInt8(ascii: "@")) { return "must not contain a user name or password, got \"\(shown)\"" }
        if authority.first == UInt8(ascii: "[") {
            guard let close = authority.firstIndex(of: UInt8(ascii: "]")), close > authority.startIndex + 1,
                  authority[authority.index(after: authority.startIndex)..<close].allSatisfy({ Self.isHex($0) || $0 == UInt8(ascii: ":") || $0 == UInt8(ascii: ".") })
            else { return "has a malformed IPv6 host, got \"\(shown)\"" }
            authority = authority[authority.index(after: close)...]
            if let first = authority.first {
                guard first == UInt8(ascii: ":") else { return "has a malformed host, got \"\(shown)\"" }
            }
        } else {
            let colon = authority.firstIndex(of: UInt8(ascii: ":")) ?? authority.endIndex
            let host = authority[..<colon]
            guard !host.isEmpty else { return "must have a host, got \"\(shown)\"" }
            // Labels: 1–63 letters, digits, hyphens (not at either end) or non-ASCII (IDN), split by dots.
            var labelStart = host.startIndex
            for k in host.startIndex...host.endIndex {
                guard k == host.endIndex || host[k] == UInt8(ascii: ".") else {
                    guard Self.isAlphanumeric(host[k]) || host[k] == UInt8(ascii: "-") || host[k] >= 0x80 else {
                        return "has a malformed host name, got \"\(shown)\""
                    }
                    continue
                }
                let length = k - labelStart
                guard length >= 1, length <= 63, host[labelStart] != UInt8(ascii: "-"), host[k - 1] != UInt8(ascii: "-") else {
                    return "has a malformed host name, got \"\(shown)\""
                }
                labelStart = k + 1
            }
            authority = authority[colon...]
        }
        if !authority.isEmpty {   // ":port"
            let port = authority.dropFirst()
            guard !port.isEmpty, port.count <= 5, port.allSatisfy({ $0 >= 0x30 && $0 <= 0x39 }),
                  let number = Int(String(decoding: port, as: UTF8.self)), number <= 65_535
            else { return "has a malformed port, got \"\(shown)\"" }
        }
        return nil
    }

    static func isHex(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x66) }
    static func isAlphanumeric(_ b: UInt8) -> Bool { (b >= 0x30 && b <= 0x39) || (b | 0x20 >= 0x61 && b | 0x20 <= 0x7A) }

    // MARK: Texts

    /// An identifier: a non-empty string without control characters or surrounding whitespace,
    /// and without any whitespace unless `allowingInnerSpaces` (skus like "ZAP 001" exist;
    /// category ids are references and stay single words).
    func identifier(_ value: CatalogJSON?, _ path: @autoclosure () -> String, maxLength: Int,
                    code: CatalogProblem.Code, what: String, allowingInnerSpaces: Bool) -> String? {
        switch value {
        case nil, .null?:
            report(.missingField, path(), "is required")
            return nil
        case .string(let s)?:
            if s.isEmpty {
                report(.emptyField, path(), "must not be empty")
                return nil
            }
            let scalars = s.unicodeScalars
            let isSpace: (Unicode.Scalar) -> Bool = { $0.value == 0x20 || ($0.value >= 0x80 && $0.properties.isWhitespace) }
            if scalars.contains(where: { Self.isControl($0.value) }) {
                report(code, path(), "\(what) \"\(s)\" must not contain control characters (tabs, line breaks, …)")
                return nil
            }
            if isSpace(scalars.first!) || isSpace(scalars.last!) {
                report(code, path(), "\(what) \"\(s)\" must not start or end with a space")
                return nil
            }
            if !allowingInnerSpaces, scalars.contains(where: isSpace) {
                report(code, path(), "\(what) \"\(s)\" must not contain spaces")
                return nil
            }
            if Self.isLonger(s, than: maxLength) {
                report(.tooLong, path(), "\(what) is \(Self.length(s)) characters long; the limit is \(maxLength)")
                return nil
            }
            return s
        case let other?:
            report(.wrongType, path(), "must be a string, got \(other.typeName)")
            return nil
        }
    }

    /// A text field, trimmed. Nil after a problem, or (optional fields only) when null or empty.
    /// Text shown to users in NFC: a letter and its combining accent (text from some systems
    /// comes decomposed, "e" + "◌́") become one code point ("é"). Meta limits titles and rows by
    /// characters; counted by code points a decomposed 24-character row title could be 30 long
    /// and be refused, and the reply with it. Text without combining diacritical marks is left as
    /// it is (a range check per scalar: no Unicode property look-ups, no grapheme breaking).
    static func composed(_ s: String) -> String {
        if s.utf8.allSatisfy({ $0 < 0x80 }) { return s }
        guard s.unicodeScalars.contains(where: isCombiningDiacritic) else { return s }
        return s.precomposedStringWithCanonicalMapping
    }

    /// The combining diacritical mark blocks (U+0300–036F and its supplements, and the ones for
    /// symbols and half marks).
    private static func isCombiningDiacritic(_ u: Unicode.Scalar) -> Bool {
        switch u.value {
        case 0x0300...0x036F, 0x1AB0...0x1AFF, 0x1DC0...0x1DFF, 0x20D0...0x20FF, 0xFE20...0xFE2F: true
        default: false
        }
    }

    func text(_ value: CatalogJSON?, _ path: @autoclosure () -> String, required: Bool, maxLength: Int,
                       multiline: Bool = false) -> String? {
        switch value {
        case nil, .null?:
            if required { report(.missingField, path(), "is required") }
            return nil
        case .string(let raw)?:
            let s = Self.trimmed(raw)
            if s.isEmpty {
                if required { report(.emptyField, path(), "must not be empty") }
                return nil
            }
            if Self.hasControlCharacters(s, allowingLineBreaks: multiline) {
                report(.badText, path(), multiline ? "must not contain control characters other than line breaks and tabs"
                                                   : "must be a single line without control characters")
                return nil
            }
            if Self.isLonger(s, than: maxLength) {
                report(.tooLong, path(), "is \(Self.length(s)) characters long; the limit is \(maxLength)")
                return nil
            }
            return s
        case let other?:
            report(.wrongType, path(), "must be a string, got \(other.typeName)")
            return nil
        }
    }

    /// The values of `names` in `members` (nil when absent), reporting names given twice.
    func fields(_ members: [(key: String, value: CatalogJSON)], _ names: [String], at path: String) -> [CatalogJSON?] {
        var values = [CatalogJSON?](repeating: nil, count: names.count)
        for (key, value) in members {
            guard let k = names.firstIndex(of: key) else { continue }
            if values[k] != nil {
                report(.duplicateKey, Self.memberPath(path, key), "\"\(key)\" is given more than once")
            }
            values[k] = value
        }
        return values
    }

    /// `$.a.b` for plain names, `$.a["x y"]` otherwise.
    static func memberPath(_ base: String, _ key: String) -> String {
        let plain = !key.isEmpty && key.utf8.allSatisfy { isAlphanumeric($0) || $0 == UInt8(ascii: "_") }
            && !(key.utf8.first! >= 0x30 && key.utf8.first! <= 0x39)
        if plain { return base + "." + key }
        var escaped = ""
        for scalar in key.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            default:
                if isControl(scalar.value) { escaped += "\\u" + String(scalar.value, radix: 16).padding(4) }
                else { escaped.unicodeScalars.append(scalar) }
            }
        }
        return base + "[\"" + escaped + "\"]"
    }

    static func isControl(_ v: UInt32) -> Bool { v < 0x20 || (v >= 0x7F && v <= 0x9F) }

    static func hasControlCharacters(_ s: String, allowingLineBreaks: Bool) -> Bool {
        func scan(_ bytes: some Sequence<UInt8>) -> Bool {
            var previousWasC2 = false
            for b in bytes {
                if b < 0x20 {
                    if allowingLineBreaks, b == 0x0A || b == 0x0D || b == 0x09 { continue }
                    return true
                }
                if b == 0x7F || (previousWasC2 && b >= 0x80 && b <= 0x9F) { return true }   // DEL, C1 controls
                previousWasC2 = b == 0xC2
            }
            return false
        }
        return s.utf8.withContiguousStorageIfAvailable { scan($0) } ?? scan(s.utf8)
    }

    /// Whether `s` is longer than `limit` characters (the UTF-8 length bounds it, so short
    /// texts are not counted).
    static func isLonger(_ s: String, than limit: Int) -> Bool {
        s.utf8.count > limit && length(s) > limit
    }

    /// Characters as Unicode scalars (UTF-8 bytes that start a scalar).
    static func length(_ s: String) -> Int {
        var n = 0
        for b in s.utf8 where b & 0xC0 != 0x80 { n += 1 }
        return n
    }

    /// `s` without leading and trailing whitespace (including no-break spaces) and the invisible
    /// characters of pasted text (soft hyphen, zero-width space, word joiner, BOM): a name of
    /// nothing but those is empty.
    static func trimmed(_ s: String) -> String {
        guard let first = s.utf8.first, let last = s.utf8.last else { return s }
        if first > 0x20, first < 0x80, last > 0x20, last < 0x80 { return s }
        // Only the invisible characters pasted text carries; other format characters (a flag's
        // tag characters, bidirectional isolates) are part of the text.
        func blank(_ u: Unicode.Scalar) -> Bool { u.properties.isWhitespace || [0xAD, 0x200B, 0x2060, 0xFEFF].contains(u.value) }
        let scalars = s.unicodeScalars
        guard let start = scalars.firstIndex(where: { !blank($0) }) else { return "" }
        let end = scalars.lastIndex(where: { !blank($0) })!
        return String(scalars[start...end])
    }
}

extension CatalogJSON {
    var isNull: Bool {
        if case .null = self { return true }
        return false
    }
}

extension String {
    /// Left-pads with zeros to `width` (for `\u00XX` in paths).
    fileprivate func padding(_ width: Int) -> String {
        String(repeating: "0", count: max(0, width - count)) + self
    }
}
