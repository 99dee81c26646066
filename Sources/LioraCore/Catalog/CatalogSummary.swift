public import Foundation

/// What a catalog holds, for a "what do you sell?" answer.
public struct CatalogSummary: Sendable, Equatable {
    /// A category and how many products it has.
    public struct CategoryCount: Sendable, Equatable {
        public var category: CatalogCategory
        public var productCount: Int
    }

    public var productCount: Int
    public var inStockCount: Int
    /// Categories with at least one product, in catalog order.
    public var categories: [CategoryCount]
    /// The lowest and highest price a customer pays (sale price when there is one); nil when empty.
    public var lowestPrice: Decimal?
    public var highestPrice: Decimal?
    public var currency: String
    public var locale: String

    public init(_ catalog: Catalog) {
        productCount = catalog.products.count
        inStockCount = catalog.products.count(where: \.isInStock)
        var counts: [String: Int] = [:]
        for product in catalog.products { counts[product.category, default: 0] += 1 }
        var seen = Set<String>()
        categories = catalog.categories.compactMap { category in
            guard let count = counts[category.id], seen.insert(category.id).inserted else { return nil }
            return CategoryCount(category: category, productCount: count)
        }
        lowestPrice = catalog.products.lazy.map(\.currentPrice).min()
        highestPrice = catalog.products.lazy.map(\.currentPrice).max()
        currency = catalog.currency
        locale = catalog.locale
    }

    /// "$99.00 – $1,299.00" (one price when all are equal); nil for an empty catalog.
    public var priceRange: String? {
        guard let lowestPrice, let highestPrice else { return nil }
        let low = PriceFormatter.format(lowestPrice, currency: currency, locale: locale)
        if lowestPrice == highestPrice { return low }
        return low + " – " + PriceFormatter.format(highestPrice, currency: currency, locale: locale)
    }

    /// One line per category, "• Calzado (12)", biggest first when `byCount`.
    public func categoryLines(byCount: Bool = false) -> String {
        let list = byCount ? categories.sorted { $0.productCount > $1.productCount } : categories
        return list.map { "• \($0.category.name) (\($0.productCount))" }.joined(separator: "\n")
    }
}
