import Foundation

/// Text reduced to what intent matching compares: lowercase words without accents or punctuation.
public struct NormalizedText: Sendable, Equatable {
    /// The words, in order.
    public var tokens: [String]

    public init(tokens: [String]) {
        self.tokens = tokens
    }

    /// The words joined by single spaces.
    public var text: String { tokens.joined(separator: " ") }

    /// Whether nothing matchable is left (empty text, only punctuation or emoji).
    public var isEmpty: Bool { tokens.isEmpty }
}

/// Normalises user text and skill phrases the same way, so both sides compare equal:
///
/// 1. lowercase;
/// 2. accents and other diacritics are removed (`á`→`a`, `ü`→`u`, `ñ`→`n`, `ç`→`c`);
/// 3. apostrophes inside words are dropped, joining the word (`what's`→`whats`, `don’t`→`dont`);
/// 4. every other character that is not a letter or a digit (punctuation, symbols, emoji,
///    whitespace) separates words and is dropped;
/// 5. a run of three or more of the same letter becomes one letter (`holaaaa`→`hola`,
///    `siiii`→`si`, `pleeease`→`please`), while pairs are kept (`llamar`, `carro`, `good`,
///    `cc`): pairs are normal spelling in both languages, runs of three almost never are.
///    Digits are never collapsed (`1000`).
///
/// Only the first `maximumCharacters` characters of a text are read, which bounds the cost of
/// very long messages (4 KB of text still normalises in microseconds).
public struct TextNormalizer: Sendable {
    /// How much of a text is read.
    public var maximumCharacters: Int

    public init(maximumCharacters: Int = 1_000) {
        self.maximumCharacters = maximumCharacters
    }

    /// The normalised words of `text`.
    public func normalize(_ text: String) -> NormalizedText {
        var tokens: [String] = []
        var current: [Unicode.Scalar] = []
        var read = 0

        func flush() {
            guard !current.isEmpty else { return }
            tokens.append(Self.collapsed(current))
            current.removeAll(keepingCapacity: true)
        }

        for scalar in text.unicodeScalars {
            read += 1
            if read > maximumCharacters { break }
            let v = scalar.value
            if v < 0x80 {
                switch v {
                case 0x41...0x5A: current.append(Unicode.Scalar(v + 0x20)!)   // A-Z
                case 0x61...0x7A, 0x30...0x39: current.append(scalar)          // a-z, 0-9
                case 0x27: continue                                              // '
                default: flush()
                }
                continue
            }
            if v == 0x2019 || v == 0x2018 || v == 0xB4 { continue }             // ’ ‘ ´ as apostrophes
            if let folded = Self.latin(v) {
                current.append(folded)
                continue
            }
            let properties = scalar.properties
            switch properties.generalCategory {
            case .nonspacingMark, .spacingMark, .enclosingMark:
                continue                                                         // a combining accent: drop
            case .format:
                continue                                                         // soft hyphen, zero-width space: invisible, joins
            case .decimalNumber:
                current.append(scalar)
            default:
                guard properties.isAlphabetic else { flush(); continue }
                for base in String(scalar).decomposedStringWithCanonicalMapping.unicodeScalars
                where !base.properties.isDiacriticLike {
                    current.append(contentsOf: base.properties.lowercaseMapping.unicodeScalars)
                }
            }
        }
        flush()
        return NormalizedText(tokens: tokens)
    }

    /// Runs of three or more of the same letter become one.
    private static func collapsed(_ scalars: [Unicode.Scalar]) -> String {
        // Nearly every word is ASCII once folded: built from bytes, a short word is a small string,
        // which appending scalars one at a time does not give.
        if scalars.allSatisfy(\.isASCII) { return collapsed(ascii: scalars.map { UInt8($0.value) }) }
        var out = String.UnicodeScalarView()
        var i = 0
        while i < scalars.count {
            let s = scalars[i]
            var j = i + 1
            while j < scalars.count, scalars[j] == s { j += 1 }
            let run = j - i
            let isDigit = s.value >= 0x30 && s.value <= 0x39
            if run >= 3, !isDigit {
                out.append(s)
            } else {
                out.append(contentsOf: scalars[i..<j])
            }
            i = j
        }
        return String(out)
    }

    /// `collapsed` for a word of lowercase ASCII letters and digits (digits are kept); also the
    /// catalog tokenizer's.
    static func collapsed(ascii word: [UInt8]) -> String {
        var hasRun = false
        if word.count >= 3 {
            for k in 2..<word.count where word[k] == word[k - 1] && word[k] == word[k - 2] && word[k] >= 0x61 {
                hasRun = true
                break
            }
        }
        guard hasRun else { return String(decoding: word, as: UTF8.self) }
        var out: [UInt8] = []
        var k = 0
        while k < word.count {
            var j = k + 1
            while j < word.count, word[j] == word[k] { j += 1 }
            if j - k >= 3, word[k] >= 0x61 { out.append(word[k]) } else { out.append(contentsOf: word[k..<j]) }
            k = j
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// Fast path for the Latin-1 letters of Spanish and English text: the lowercase base letter.
    private static func latin(_ v: UInt32) -> Unicode.Scalar? {
        switch v {
        case 0xC0...0xC5, 0xE0...0xE5: "a"
        case 0xC7, 0xE7: "c"
        case 0xC8...0xCB, 0xE8...0xEB: "e"
        case 0xCC...0xCF, 0xEC...0xEF: "i"
        case 0xD1, 0xF1: "n"
        case 0xD2...0xD6, 0xF2...0xF6: "o"
        case 0xD9...0xDC, 0xF9...0xFC: "u"
        case 0xDD, 0xFD, 0xFF: "y"
        default: nil
        }
    }
}

extension Unicode.Scalar.Properties {
    /// Combining marks (accents) left over after canonical decomposition.
    fileprivate var isDiacriticLike: Bool {
        switch generalCategory {
        case .nonspacingMark, .spacingMark, .enclosingMark: true
        default: false
        }
    }
}
