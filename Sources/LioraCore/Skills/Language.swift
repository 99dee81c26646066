/// A language the bot speaks. Spanish is the default: new users, and messages that give no
/// clue, are answered in Spanish unless the user's previous language says otherwise.
public enum Language: String, Sendable, Codable, CaseIterable, Hashable {
    case es, en

    /// The language used when nothing else is known.
    public static let `default` = Language.es

    /// Parses a language code or tag (`"es"`, `"en-GB"`, `"ES_mx"`); `nil` for other languages.
    public init?(code: String) {
        let primary = code.lowercased().split(whereSeparator: { $0 == "-" || $0 == "_" }).first.map(String.init) ?? ""
        self.init(rawValue: primary)
    }
}

/// A value in each language the bot speaks (decoded from a YAML mapping `{es: …, en: …}`).
public struct Localized<Value: Sendable & Equatable>: Sendable, Equatable {
    public var es: Value
    public var en: Value

    public init(es: Value, en: Value) {
        self.es = es
        self.en = en
    }

    /// The value in `language`.
    public subscript(_ language: Language) -> Value {
        get { language == .es ? es : en }
        set { if language == .es { es = newValue } else { en = newValue } }
    }
}

/// A text in each language: names, titles, questions.
public typealias LocalizedText = Localized<String>

/// A list of texts in each language: example phrases, keywords, response variants.
public typealias LocalizedList = Localized<[String]>

extension Localized where Value == [String] {
    /// The lists of both languages, Spanish first.
    public var all: [String] { es + en }

    /// Empty lists in both languages.
    public static var empty: LocalizedList { LocalizedList(es: [], en: []) }
}
