import Foundation
import LioraCore
import Testing

@Suite("price ranges in a shopper's message")
struct PriceBoundTests {
    @Test("bounds in Spanish and English, with currency signs, separators, k and currency words", arguments: [
        ("tenis de menos de 500", nil, "500"), ("audífonos hasta $1,000", nil, "1000"), ("hasta 1000 pesos", nil, "1000"),
        ("zapatillas entre 900 y 1200", "900", "1200"), ("entre 1.200 y 800 mxn", "800", "1200"), ("mochilas de más de 500 pesos", "500", nil),
        ("headphones under 1000", nil, "1000"), ("a watch below 2k", nil, "2000"), ("bags between $300 and $800", "300", "800"),
        ("jackets over 1,500.50", "1500.5", nil), ("algo que no pase de 350", nil, "350"), ("at most 99.90", nil, "99.9"),
        ("más baratos que 700", nil, "700"), ("shoes for at least 12,50", "12.5", nil),
        ("tenis de 500 a 800", "500", "800"), ("tenis de $500 a $800", "500", "800"), ("audífonos de 200 a 1000 pesos", "200", "1000"),
        ("tenis de menos de mil", nil, "1000"), ("audífonos de más de mil pesos", "1000", nil), ("reloj hasta dos mil", nil, "2000"),
    ] as [(String, String?, String?)])
    func parses(text: String, minimum: String?, maximum: String?) throws {
        let parsed = try #require(PriceBound.parse(text), "\(text)")
        #expect(parsed.bound.minimum == minimum.flatMap { Decimal(string: $0) }, "\(text)")
        #expect(parsed.bound.maximum == maximum.flatMap { Decimal(string: $0) }, "\(text)")
        #expect(!parsed.rest.contains { $0.isNumber }, "\(text) → \(parsed.rest)")
    }

    @Test("a number with no bound word is not a price: sizes, quantities, models", arguments: [
        "zapatillas talla 42", "quiero 2 camisetas", "mochila de 30 L", "iphone 15", "tenis", "made from 100% cotton",
        "tenis talla de 38 a 42", "juguetes de 3 a 5 años", "camisetas de 2 a 4 piezas", "milanesa", "familia",
    ])
    func noBound(text: String) {
        #expect(PriceBound.parse(text) == nil, "\(text)")
    }

    static let index: CatalogSearchIndex = ConversationCatalogTests.shop.index

    @Test("search keeps only the products in the range, by their current (sale) price, and still finds them by the other words")
    func search() {
        let all = Self.index.search("audífonos", limit: 20)
        let cheap = Self.index.search("audífonos de menos de 500", limit: 20)
        #expect(!cheap.isEmpty && cheap.count < all.count)
        #expect(cheap.allSatisfy { $0.product.currentPrice <= 500 && $0.product.name.lowercased().contains("aud") })
        #expect(Set(cheap.map(\.product.sku)) == Set(all.filter { $0.product.currentPrice <= 500 }.map(\.product.sku)))
        let range = Self.index.search("zapatillas entre 900 y 1200", limit: 20)
        #expect(!range.isEmpty && range.allSatisfy { (900...1200).contains($0.product.currentPrice) })
        // A product on sale counts at its sale price (1,099 instead of 1,299).
        #expect(range.contains { $0.product.salePrice != nil })
        let above = Self.index.search("mochilas de más de 1000 pesos", limit: 20)
        #expect(!above.isEmpty && above.allSatisfy { $0.product.currentPrice >= 1000 && $0.product.name.contains("Mochila") })
        #expect(Self.index.search("headphones under 1000", limit: 20).allSatisfy { $0.product.currentPrice <= 1000 })
        // Nothing in the range: nothing, not the products outside it.
        #expect(Self.index.search("audífonos de menos de 10", limit: 20).isEmpty)
    }
}
