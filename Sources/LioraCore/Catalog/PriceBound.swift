public import Foundation

/// A price range written in a shopper's message ("tenis de menos de 500", "audífonos hasta
/// $1,000", "entre 300 y 800", "headphones under 1000", "more than 2k"), and the message without
/// it. Catalog search keeps only products whose current price (the sale price when there is one)
/// is in the range, so "hasta 1000" is no longer searched as the words "hasta" and "1000".
///
/// Only a number next to a bound word counts: "zapatillas talla 42" and "2 camisetas" have no
/// range. Numbers may carry a currency sign, thousands separators ("1,000", "1.000"), decimals,
/// "k" for thousands and a currency word after them ("pesos", "mxn", "dólares", "usd", "euros").
public struct PriceBound: Sendable, Equatable {
    /// The lowest price wanted, inclusive.
    public var minimum: Decimal?
    /// The highest price wanted, inclusive.
    public var maximum: Decimal?

    public init(minimum: Decimal? = nil, maximum: Decimal? = nil) {
        self.minimum = minimum
        self.maximum = maximum
    }

    /// Whether `price` is in the range.
    public func contains(_ price: Decimal) -> Bool {
        (minimum.map { price >= $0 } ?? true) && (maximum.map { price <= $0 } ?? true)
    }

    /// The range in `query` and the query without it; nil when it has none (no digit, or no bound
    /// word before a number). Case and accents are ignored.
    public static func parse(_ query: String) -> (bound: PriceBound, rest: String)? {
        guard query.utf8.contains(where: { $0 >= 0x30 && $0 <= 0x39 }) || query.lowercased().contains("mil") else { return nil }
        let text = thousands(query.lowercased().folding(options: [.diacriticInsensitive], locale: nil))
        let range = NSRange(text.startIndex..., in: text)
        if let m = fromTo.firstMatch(in: text, range: range),
           let low = amount(text, m.range(at: 1)), let high = amount(text, m.range(at: 2)), low < high {
            return (PriceBound(minimum: low, maximum: high), removing(m.range, from: text))
        }
        if let m = between.firstMatch(in: text, range: range),
           let low = amount(text, m.range(at: 1)), let high = amount(text, m.range(at: 2)) {
            return (PriceBound(minimum: min(low, high), maximum: max(low, high)), removing(m.range, from: text))
        }
        if let m = below.firstMatch(in: text, range: range), let value = amount(text, m.range(at: 1)) {
            return (PriceBound(maximum: value), removing(m.range, from: text))
        }
        if let m = above.firstMatch(in: text, range: range), let value = amount(text, m.range(at: 1)) {
            return (PriceBound(minimum: value), removing(m.range, from: text))
        }
        return nil
    }

    /// A number as people write prices: "$1,299.50", "1.000", "2k", "500 pesos".
    private static let number = #"\$?\s?([0-9]{1,3}(?:[.,][0-9]{3})+(?:[.,][0-9]{1,2})?|[0-9]+(?:[.,][0-9]{1,2})?\s?k?)(?:\s?(?:pesos|mxn|dolares|usd|euros|eur|€))?\b"#

    private static let between = try! NSRegularExpression(pattern: #"\b(?:de |desde )?(?:entre|between|from)\s+"# + number
        + #"\s+(?:y|a|and|to|-)\s+"# + number)

    /// "de 500 a 800": a range only when it is not a size, a length or an age ("talla de 38 a 42",
    /// "de 3 a 5 años"), and the second number is the larger.
    private static let fromTo = try! NSRegularExpression(pattern: #"(?<!talla )(?<!tallas )(?<!numero )(?<!size )(?<!edad )\bde\s+"# + number
        + #"\s+(?:a|hasta)\s+"# + number + #"(?!\s*(?:cm|mm|m|kg|g|ml|l|litros|pulgadas|anos|meses|dias|semanas|horas|w|mah|gb|tb|personas|piezas)\b)"#)

    /// "mil" as people write it in a price: "dos mil" → 2000, "1 mil" → 1000, "mil" → 1000.
    private static func thousands(_ text: String) -> String {
        guard text.contains("mil") else { return text }
        var out = text
        for (word, value) in [("dos mil", "2000"), ("tres mil", "3000"), ("cuatro mil", "4000"), ("cinco mil", "5000"), ("diez mil", "10000")] {
            out = out.replacingOccurrences(of: word, with: value)
        }
        return out.replacingOccurrences(of: #"\b([0-9]+)\s?mil\b"#, with: "$1000", options: .regularExpression)
            .replacingOccurrences(of: #"\bmil\b"#, with: "1000", options: .regularExpression)
    }

    private static let below = try! NSRegularExpression(pattern: #"\b(?:(?:de |por )?(?:menos de|menos que|menos q|menor(?:es)? (?:a|de|que|q)|hasta|maximo|max|no mas de|por debajo de|debajo de|abajo de|que no pase(?:n)? de|mas barat[oa]s? (?:de|que|q)|mas economic[oa]s? (?:de|que|q))|under|below|less than|up to|at most|max(?:imum)?|no more than|cheaper than)\s+"# + number)

    private static let above = try! NSRegularExpression(pattern: #"\b(?:(?:de )?(?:mas de|mas que|mas q|mayor(?:es)? (?:a|de|que|q)|desde|minimo|arriba de|por encima de|encima de|mas car[oa]s? (?:de|que|q))|over|above|more than|at least)\s+"# + number)

    private static func amount(_ text: String, _ range: NSRange) -> Decimal? {
        guard let r = Range(range, in: text) else { return nil }
        var digits = text[r].filter { !$0.isWhitespace }
        var thousands = false
        if digits.hasSuffix("k") { thousands = true; digits.removeLast() }
        // "1,000" and "1.000" are thousands; "12.50" and "12,50" are decimals.
        let separators = digits.filter { $0 == "," || $0 == "." }.count
        if let last = digits.lastIndex(where: { $0 == "," || $0 == "." }) {
            let after = digits.distance(from: last, to: digits.endIndex) - 1
            if separators == 1 && after <= 2 {
                digits.replaceSubrange(last...last, with: ".")
            } else if after <= 2 {
                let whole = digits[..<last].filter(\.isNumber)
                digits = whole + "." + digits[digits.index(after: last)...]
            } else {
                digits = digits.filter(\.isNumber)
            }
        }
        guard var value = Decimal(string: digits, locale: Locale(identifier: "en_US_POSIX")), value > 0 else { return nil }
        if thousands { value *= 1000 }
        return value
    }

    private static func removing(_ range: NSRange, from text: String) -> String {
        guard let r = Range(range, in: text) else { return text }
        return String(text[..<r.lowerBound]) + " " + String(text[r.upperBound...])
    }
}
