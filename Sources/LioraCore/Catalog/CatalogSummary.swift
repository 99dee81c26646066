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
        let products = catalog.products
        productCount = products.count
        var inStock = 0
        var counts: [String: Int] = [:]
        var lowest: Decimal?
        var highest: Decimal?
        for i in products.indices {
            if products[i].stock > 0 { inStock += 1 }
            counts[products[i].category, default: 0] += 1
            let price = products[i].salePrice?.amount ?? products[i].price.amount
            if lowest.map({ price < $0 }) ?? true { lowest = price }
            if highest.map({ price > $0 }) ?? true { highest = price }
        }
        inStockCount = inStock
        lowestPrice = lowest
        highestPrice = highest
        var seen = Set<String>()
        categories = catalog.categories.compactMap { category in
            guard let count = counts[category.id], seen.insert(category.id).inserted else { return nil }
            return CategoryCount(category: category, productCount: count)
        }
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
