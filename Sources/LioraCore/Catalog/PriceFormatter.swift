public import Foundation

/// Formats prices the way shoppers in a locale expect, from a fixed table instead of the
/// machine's ICU data, so the output is identical everywhere (ICU on this toolchain prints
/// `1299,50 €` for es-ES — no grouping below 10,000 — and puts no-break spaces in many locales):
///
/// | locale | currency | output |
/// |---|---|---|
/// | es-MX | MXN | `$1,299.00` |
/// | en-US | USD | `$1,299.00` |
/// | es-ES | EUR | `1.299,00 €` |
/// | es-CO | COP | `$ 129.900` (no decimals) |
/// | es-AR | ARS | `$ 1.299,00` |
/// | es-CL | CLP | `$1.299` |
/// | es-PE | PEN | `S/ 1,299.00` |
/// | pt-BR | BRL | `R$ 1.299,00` |
/// | es-MX | USD | `USD 1,299.00` (a foreign `$` is spelled out) |
///
/// Amounts are rounded half away from zero to the currency's usual decimals (0 for COP, CLP, PYG,
/// JPY…, 3 for the dinars, else 2). A locale without a region takes the region of the currency
/// (`es` with MXN formats like es-MX); an unknown locale formats like en-US. Spaces are plain
/// U+0020. Currencies without a known symbol show their ISO code.
public enum PriceFormatter {
    /// `amount` in `currency` (ISO 4217) for `locale` (BCP 47, e.g. `es-MX`).
    public static func format(_ amount: Decimal, currency: String, locale: String) -> String {
        let currency = currency.uppercased()
        let (language, explicitRegion) = Self.languageAndRegion(locale)
        let region = explicitRegion ?? homeRegion[currency] ?? defaultRegion[language] ?? "US"
        let style = styles[region] ?? languageStyles[language] ?? .dotFirst
        let digits = ISO4217.fractionDigits(currency)
        let number = digitsText(amount, fractionDigits: digits, style: style)
        let symbol: String
        var spaced = style.spaced
        if let local = localSymbols[currency], homeCurrency[region] == currency || universalSymbols.contains(currency) {
            symbol = local
        } else {
            symbol = currency
            spaced = true
        }
        let sign = amount < 0 ? "-" : ""
        if style.symbolFirst { return sign + symbol + (spaced ? " " : "") + number }
        return sign + number + " " + symbol
    }

    /// The decimals shown for `currency` (COP 0, EUR 2, KWD 3).
    public static func fractionDigits(for currency: String) -> Int {
        ISO4217.fractionDigits(currency.uppercased())
    }

    struct Style {
        var decimal: String
        var group: String
        var symbolFirst: Bool
        var spaced: Bool

        static let dotFirst = Style(decimal: ".", group: ",", symbolFirst: true, spaced: false)
        static let dotFirstSpaced = Style(decimal: ".", group: ",", symbolFirst: true, spaced: true)
        static let commaFirst = Style(decimal: ",", group: ".", symbolFirst: true, spaced: false)
        static let commaFirstSpaced = Style(decimal: ",", group: ".", symbolFirst: true, spaced: true)
        static let commaLast = Style(decimal: ",", group: ".", symbolFirst: false, spaced: true)
        static let spaceLast = Style(decimal: ",", group: " ", symbolFirst: false, spaced: true)
    }

    /// Conventions per region (CLDR, with grouping always on, as shops print prices).
    static let styles: [String: Style] = [
        "MX": .dotFirst, "US": .dotFirst, "PR": .dotFirst, "DO": .dotFirst, "SV": .dotFirst, "PA": .dotFirst,
        "HN": .dotFirstSpaced, "NI": .dotFirstSpaced, "GT": .dotFirstSpaced, "PE": .dotFirstSpaced,
        "419": .dotFirst,
        "CO": .commaFirstSpaced, "AR": .commaFirstSpaced, "UY": .commaFirstSpaced, "PY": .commaFirstSpaced,
        "BO": .commaFirstSpaced, "VE": .commaFirstSpaced, "BR": .commaFirstSpaced,
        "CL": .commaFirst, "EC": .commaFirst, "CR": .commaFirst,
        "ES": .commaLast, "DE": .commaLast, "AT": .commaLast, "IT": .commaLast, "PT": .commaLast, "NL": .commaFirstSpaced,
        "FR": .spaceLast, "BE": .spaceLast,
        "GB": .dotFirst, "IE": .dotFirst, "CA": .dotFirst, "AU": .dotFirst, "NZ": .dotFirst, "IN": .dotFirst, "JP": .dotFirst,
    ]

    /// Conventions when the region is unknown.
    static let languageStyles: [String: Style] = [
        "es": .commaLast, "en": .dotFirst, "pt": .commaFirstSpaced, "fr": .spaceLast, "de": .commaLast, "it": .commaLast,
    ]

    /// The region a language-only locale means when the currency does not say.
    static let defaultRegion: [String: String] = ["es": "ES", "en": "US", "pt": "BR", "fr": "FR", "de": "DE", "it": "IT"]

    static let homeCurrency: [String: String] = [
        "MX": "MXN", "US": "USD", "PR": "USD", "EC": "USD", "SV": "USD", "PA": "USD", "CO": "COP", "AR": "ARS",
        "CL": "CLP", "PE": "PEN", "UY": "UYU", "PY": "PYG", "BO": "BOB", "VE": "VES", "CR": "CRC", "GT": "GTQ",
        "HN": "HNL", "NI": "NIO", "DO": "DOP", "CU": "CUP", "BR": "BRL", "GB": "GBP", "CA": "CAD", "AU": "AUD",
        "NZ": "NZD", "JP": "JPY", "IN": "INR",
        "ES": "EUR", "DE": "EUR", "FR": "EUR", "IT": "EUR", "PT": "EUR", "NL": "EUR", "AT": "EUR", "BE": "EUR", "IE": "EUR",
    ]

    /// The region whose conventions a currency implies (for locales without a region).
    static let homeRegion: [String: String] = [
        "MXN": "MX", "USD": "US", "COP": "CO", "ARS": "AR", "CLP": "CL", "PEN": "PE", "UYU": "UY", "PYG": "PY",
        "BOB": "BO", "VES": "VE", "CRC": "CR", "GTQ": "GT", "HNL": "HN", "NIO": "NI", "DOP": "DO", "BRL": "BR",
        "GBP": "GB", "CAD": "CA", "AUD": "AU", "NZD": "NZ", "JPY": "JP", "INR": "IN",
    ]

    /// Symbols used where the currency is the local one.
    static let localSymbols: [String: String] = [
        "USD": "$", "MXN": "$", "COP": "$", "ARS": "$", "CLP": "$", "UYU": "$", "CUP": "$", "CAD": "$", "AUD": "$",
        "NZD": "$", "EUR": "€", "GBP": "£", "BRL": "R$", "PEN": "S/", "PYG": "Gs.", "BOB": "Bs", "VES": "Bs.",
        "CRC": "₡", "GTQ": "Q", "HNL": "L", "NIO": "C$", "DOP": "RD$", "JPY": "¥", "INR": "₹",
    ]

    /// Symbols nobody mistakes for another currency, used in any locale.
    static let universalSymbols: Set<String> = ["EUR", "GBP", "BRL", "PEN", "CRC", "INR"]

    /// `es-MX` → ("es", "MX"); `es` → ("es", nil); `zh-Hant-TW` → ("zh", "TW"); `es_419` → ("es", "419").
    static func languageAndRegion(_ locale: String) -> (String, String?) {
        let parts = locale.split(whereSeparator: { $0 == "-" || $0 == "_" })
        let language = parts.first.map { $0.lowercased() } ?? ""
        let region = parts.dropFirst().first { ($0.count == 2 && $0.allSatisfy(\.isLetter)) || ($0.count == 3 && $0.allSatisfy(\.isNumber)) }
        return (language, region.map { $0.uppercased() })
    }

    /// The absolute value rounded to `fractionDigits`, grouped by thousands.
    static func digitsText(_ amount: Decimal, fractionDigits: Int, style: Style) -> String {
        var value = amount < 0 ? -amount : amount
        var rounded = Decimal()
        NSDecimalRound(&rounded, &value, fractionDigits, .plain)
        let text = rounded.description
        let parts = text.split(separator: ".", maxSplits: 1)
        let integer = parts.first.map(String.init) ?? "0"
        var fraction = parts.count > 1 ? String(parts[1]) : ""
        fraction = String(fraction.prefix(fractionDigits)) + String(repeating: "0", count: max(0, fractionDigits - fraction.count))
        var grouped = ""
        for (i, digit) in integer.enumerated() {
            if i > 0, (integer.count - i) % 3 == 0 { grouped += style.group }
            grouped.append(digit)
        }
        return fractionDigits > 0 ? grouped + style.decimal + fraction : grouped
    }
}
