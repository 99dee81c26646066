import Foundation
import LioraCore
import Testing

@Suite("catalog price formatting")
struct CatalogPriceFormatterTests {
    @Test("prices look as shoppers of each locale expect, whatever the machine's locale", arguments: [
        ("1299", "MXN", "es-MX", "$1,299.00"),
        ("1299", "EUR", "es-ES", "1.299,00 €"),
        ("1299", "USD", "en-US", "$1,299.00"),
        ("129900", "COP", "es-CO", "$ 129.900"),
        ("1299.5", "ARS", "es-AR", "$ 1.299,50"),
        ("12990", "CLP", "es-CL", "$12.990"),
        ("1299.9", "PEN", "es-PE", "S/ 1,299.90"),
        ("1299", "BRL", "pt-BR", "R$ 1.299,00"),
        ("1299", "USD", "es-MX", "USD 1,299.00"),
        ("1299", "EUR", "en-US", "€1,299.00"),
        ("1299", "MXN", "es", "$1,299.00"),
        ("1299", "EUR", "es", "1.299,00 €"),
        ("1299", "eur", "es_es", "1.299,00 €"),
        ("1299", "EUR", "fr-FR", "1 299,00 €"),
        ("1299", "JPY", "ja-JP", "¥1,299"),
        ("1299", "XCD", "en-AG", "XCD 1,299.00"),
        ("1299", "KWD", "ar-KW", "KWD 1,299.000"),
        ("0.5", "MXN", "es-MX", "$0.50"),
        ("999", "MXN", "es-MX", "$999.00"),
        ("1234567.891", "MXN", "es-MX", "$1,234,567.89"),
        ("1299.995", "MXN", "es-MX", "$1,300.00"),
        ("129900.5", "COP", "es-CO", "$ 129.901"),
        ("-25", "MXN", "es-MX", "-$25.00"),
        ("0", "EUR", "es-ES", "0,00 €"),
    ])
    func format(amount: String, currency: String, locale: String, expected: String) {
        #expect(PriceFormatter.format(Decimal(string: amount)!, currency: currency, locale: locale) == expected)
    }

    @Test("decimals per currency")
    func decimals() {
        #expect(PriceFormatter.fractionDigits(for: "MXN") == 2)
        #expect(PriceFormatter.fractionDigits(for: "cop") == 0)
        #expect(PriceFormatter.fractionDigits(for: "KWD") == 3)
    }

    @Test("a catalog formats in its own currency and locale")
    func catalogFormatting() {
        let catalog = Catalog(currency: "EUR", locale: "es-ES", categories: [], products: [])
        #expect(catalog.formatted(Decimal(string: "49.9")!) == "49,90 €")
    }
}
