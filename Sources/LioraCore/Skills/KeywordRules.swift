package import Foundation

/// The exact rules of a catalog: each intent's keywords, normalised, matched as whole words or
/// whole phrases of a normalised message.
struct KeywordRules: Sendable {
    private struct Rule: Sendable {
        var phrase: [String]
        var intent: Int
    }

    /// Rules by the phrase's first word.
    private let byFirstWord: [String: [Rule]]

    /// `intents[i]`'s keywords become rules for intent index `i`.
    init(intents: [Intent], normalizer: TextNormalizer) {
        var byFirstWord: [String: [Rule]] = [:]
        for (i, intent) in intents.enumerated() {
            var seen = Set<[String]>()
            for keyword in intent.keywords.all {
                let phrase = normalizer.normalize(keyword).tokens
                guard let first = phrase.first, seen.insert(phrase).inserted else { continue }
                byFirstWord[first, default: []].append(Rule(phrase: phrase, intent: i))
            }
        }
        self.byFirstWord = byFirstWord
    }

    /// The intents whose keyword matches, restricted by `allowed`, as (intent index, words of the
    /// longest matching keyword), longest first then in catalog order.
    func matches(_ tokens: [String], allowed: (Int) -> Bool) -> [(intent: Int, length: Int)] {
        var best: [Int: Int] = [:]
        for start in tokens.indices {
            guard let rules = byFirstWord[tokens[start]] else { continue }
            for rule in rules where allowed(rule.intent) {
                let end = start + rule.phrase.count
                guard end <= tokens.count, tokens[start..<end].elementsEqual(rule.phrase) else { continue }
                best[rule.intent] = max(best[rule.intent] ?? 0, rule.phrase.count)
            }
        }
        return best.map { (intent: $0.key, length: $0.value) }
            .sorted { $0.length != $1.length ? $0.length > $1.length : $0.intent < $1.intent }
    }
}

/// The pattern rules of a catalog: each intent's regular expressions, matched against the
/// normalised message (`NormalizedText.text`: lowercase, no accents, words of letters and digits
/// separated by one space). Checked after the keywords; compiled once, at start-up.
package struct PatternRules: @unchecked Sendable {  // NSRegularExpression is immutable and thread-safe once built
    /// Each rule's regular expression and intent, in intent order.
    private let regexes: [NSRegularExpression]
    private let intents: [Int]
    /// Text every match of rule `r` contains (`requiredText`): the sets `requirements[r]`, each
    /// a bitmap over `needles` (`words` words from `sets[set * words]`), every one of which must
    /// have a string in the message. A message without it is not given to the regular
    /// expression, whose every call costs about a microsecond on Linux.
    private let requirements: [Range<Int>]
    private let sets: [UInt64]
    private let words: Int
    /// Every rule's required strings, once each (many rules share "quiero" or " me"): each is
    /// looked for once per message.
    private let needles: [[UInt8]]
    /// The needles of two or more ASCII bytes, by their first two bytes: those starting with the
    /// pair `a << 7 | b` are `needlesByPair[pairStarts[pair]..<pairStarts[pair + 1]]`.
    private let needlesByPair: [Int]
    private let pairStarts: [Int32]
    /// The other needles (one byte long, or not ASCII): looked for in every message.
    private let otherNeedles: [Int]

    /// The longest pattern a skill file may hold (patterns are for short, precise rules).
    static let maximumLength = 200

    /// `intents[i]`'s patterns become rules for intent index `i`; the catalog has validated them.
    package init(intents: [Intent]) {
        var rules: [(regex: NSRegularExpression, intent: Int, required: [[Int]])] = []
        var needles: [[UInt8]] = []
        var needleIndex: [String: Int] = [:]
        func index(_ needle: String) -> Int {
            if let i = needleIndex[needle] { return i }
            needles.append(Array(needle.utf8))
            needleIndex[needle] = needles.count - 1
            return needles.count - 1
        }
        for (i, intent) in intents.enumerated() {
            for source in Set(intent.patterns.all).sorted() {
                if let regex = try? Self.compile(source) {
                    rules.append((regex, i, Self.requiredText(source).map { $0.map(index) }))
                }
            }
        }
        let words = max(1, (needles.count + 63) / 64)
        var sets: [UInt64] = []
        var requirements: [Range<Int>] = []
        for rule in rules {
            let first = sets.count / words
            for anyOf in rule.required {
                var bitmap = [UInt64](repeating: 0, count: words)
                for n in anyOf { bitmap[n / 64] |= 1 << UInt64(n % 64) }
                sets += bitmap
            }
            requirements.append(first..<(sets.count / words))
        }
        self.regexes = rules.map(\.regex)
        self.intents = rules.map(\.intent)
        self.requirements = requirements
        self.sets = sets
        self.words = words
        self.needles = needles
        func pair(_ n: Int) -> Int? {
            let needle = needles[n]
            guard needle.count >= 2, needle.allSatisfy({ $0 < 0x80 }) else { return nil }
            return Int(needle[0]) << 7 | Int(needle[1])
        }
        needlesByPair = needles.indices.filter { pair($0) != nil }.sorted { pair($0)! < pair($1)! }
        var pairStarts = [Int32](repeating: 0, count: NeedleSearch.pairCount + 1)
        for n in needlesByPair { pairStarts[pair(n)! + 1] += 1 }
        for p in 0..<NeedleSearch.pairCount { pairStarts[p + 1] += pairStarts[p] }
        self.pairStarts = pairStarts
        otherNeedles = needles.indices.filter { pair($0) == nil }
    }

    var isEmpty: Bool { regexes.isEmpty }

    /// Text every match of `source` must contain, as a list of sets: every set must have one of
    /// its strings in the text (lowercased: patterns are case-insensitive and the text they see is
    /// lowercase). Empty when that cannot be told simply. Runs of plain characters outside every
    /// group, class and escape count, and so does a group that must match (no `?`, `*` or `{`
    /// after it, not a look-around) when each of its alternatives has such a run; a character made
    /// optional by the quantifier after it does not. A pattern with a top-level `|` needs one of
    /// its branches' requirements (one set: for each branch, its set whose shortest string is
    /// longest), and none when a branch has none.
    /// `\b(me )?(quiero|kiero) morir(me)?\b` needs [" morir"] and ["quiero", "kiero"];
    /// `\bkms\b|\bquitarse la vida\b` needs ["kms", "quitarse la vida"].
    package static func requiredText(_ source: String) -> [[String]] {
        let chars = Array(source)
        // Escapes that stand for more than the character after the backslash (`\x41`, `\p{L}`,
        // back-references, quoting), and free-spacing mode, where a space is not a space: no
        // requirement is worth the risk.
        for (i, c) in chars.enumerated() where c == "\\" && i + 1 < chars.count && "xuUpPNkcQE0123456789".contains(chars[i + 1]) {
            return []
        }
        if source.contains("(?"), source.range(of: #"\(\?[a-zA-Z-]*x"#, options: .regularExpression) != nil { return [] }
        // `a|b|c` at the top level: one of the branches matches, so the text holds one of each
        // branch's most telling requirement (the set whose shortest string is longest).
        guard let branches = topLevelBranches(chars[...]), branches.count > 1 else { return requirements(chars[...]) ?? [] }
        var anyOf: [String] = []
        for branch in branches {
            guard let best = requirements(branch)?.max(by: { ($0.map(\.count).min() ?? 0) < ($1.map(\.count).min() ?? 0) }) else { return [] }
            anyOf += best
        }
        return [Array(Set(anyOf)).sorted()]
    }

    /// The end of the class opening at `from` (just past its `]`), or nil for a nested class. A
    /// `]` first in the class (after a `^`) is one of its characters, not its end.
    private static func classEnd(_ chars: ArraySlice<Character>, _ from: Int) -> Int? {
        var j = from + 1
        if j < chars.endIndex, chars[j] == "^" { j += 1 }
        if j < chars.endIndex, chars[j] == "]" { j += 1 }
        while j < chars.endIndex && chars[j] != "]" {
            if chars[j] == "[" { return nil }
            j += chars[j] == "\\" ? 2 : 1
        }
        return j + 1
    }

    /// The top-level alternatives of a pattern (one when it has no top-level `|`), or nil when it
    /// cannot be followed (a nested class).
    private static func topLevelBranches(_ chars: ArraySlice<Character>) -> [ArraySlice<Character>]? {
        var branches: [ArraySlice<Character>] = []
        var depth = 0, start = chars.startIndex, j = chars.startIndex
        while j < chars.endIndex {
            switch chars[j] {
            case "\\":
                j += 2
                continue
            case "[":
                guard let end = classEnd(chars, j) else { return nil }
                j = end
                continue
            case "(": depth += 1
            case ")": depth -= 1
            case "|" where depth == 0:
                branches.append(chars[start..<j])
                start = j + 1
            default: break
            }
            j += 1
        }
        branches.append(chars[start..<chars.endIndex])
        return branches
    }

    /// The requirements of a sequence (no top-level `|`), or nil when it has a top-level `|` or
    /// cannot be followed (a nested class).
    private static func requirements(_ chars: ArraySlice<Character>) -> [[String]]? {
        var found: [[String]] = []
        var run = ""
        var i = chars.startIndex
        func endRun() {
            if !run.isEmpty { found.append([run]) }
            run = ""
        }
        /// Steps over a quantifier at `i` (`?`, `*`, `+`, `{m,n}`, and a lazy or possessive mark);
        /// returns whether it may match nothing.
        @discardableResult
        func skipQuantifier() -> Bool {
            guard i < chars.endIndex else { return false }
            var optional = false
            if chars[i] == "{" {
                optional = true  // conservatively: {0,n} is optional
                while i < chars.endIndex && chars[i] != "}" { i += 1 }
                i += 1
            } else if "?*+".contains(chars[i]) {
                optional = chars[i] != "+"
                i += 1
            } else {
                return false
            }
            if i < chars.endIndex, "?+".contains(chars[i]) { i += 1 }
            return optional
        }
        func classEnd(_ from: Int) -> Int? { Self.classEnd(chars, from) }
        /// The end of the group opening at `i` (just past its `)`), or nil.
        func groupEnd(_ from: Int) -> Int? {
            var depth = 0, j = from
            while j < chars.endIndex {
                switch chars[j] {
                case "\\": j += 2; continue
                case "[": guard let e = classEnd(j) else { return nil }; j = e; continue
                case "(": depth += 1
                case ")": depth -= 1; if depth == 0 { return j + 1 }
                default: break
                }
                j += 1
            }
            return nil
        }
        while i < chars.endIndex {
            let c = chars[i]
            switch c {
            case "|":
                return nil  // either side may match alone
            case "(":
                endRun()
                guard let end = groupEnd(i) else { return nil }
                var inner = chars[(i + 1)..<(end - 1)]
                let lookaround = inner.starts(with: "?=") || inner.starts(with: "?!") || inner.starts(with: "?<=") || inner.starts(with: "?<!")
                let nonCapturing = inner.starts(with: "?:")
                let other = inner.first == "?" && !nonCapturing && !lookaround  // named, atomic, flags…: not followed
                if nonCapturing { inner = inner.dropFirst(2) }
                i = end
                let optional = skipQuantifier()
                if lookaround || optional || other { continue }
                // Each alternative's longest plain run: the text has one of them.
                var alternatives: [String] = []
                guard let branches = topLevelBranches(inner) else { return nil }
                for branch in branches {
                    guard let longest = requirements(branch)?.filter({ $0.count == 1 }).map({ $0[0] }).max(by: { $0.count < $1.count })
                    else { alternatives = []; break }
                    alternatives.append(longest)
                }
                if !alternatives.isEmpty { found.append(alternatives) }
            case "[":
                endRun()
                guard let end = classEnd(i) else { return nil }
                i = end
                skipQuantifier()
            case "\\", ".", "^", "$":
                endRun()
                i += c == "\\" ? 2 : 1
                skipQuantifier()
            case "?", "*", "+", "{":
                // A quantifier makes the character before it optional or repeated: `?`, `*` and
                // `{m,n}` take it out of the run; after `+` it is still there once, but what
                // follows need not come right after it.
                if c != "+", !run.isEmpty { run.removeLast() }
                endRun()
                skipQuantifier()
            case "}", ")", "]":
                endRun()
                i += 1
            default:
                run += c.lowercased()
                i += 1
            }
        }
        endRun()
        return found
    }

    package static func compile(_ source: String) throws -> NSRegularExpression {
        try NSRegularExpression(pattern: source, options: [.caseInsensitive])
    }

    /// The intents (indexes, in catalog order, once each) with a pattern found in `text`,
    /// restricted by `allowed`.
    package func matches(_ text: String, allowed: (Int) -> Bool) -> [Int] {
        guard !text.isEmpty else { return [] }
        var found: [Int] = []
        var utf8 = text
        utf8.withUTF8 { bytes in
            // Case-insensitive matching folds more than ASCII ("ß" matches "ss"): a text with
            // other letters goes to every regular expression.
            let ascii = bytes.allSatisfy { $0 < 0x80 }
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: words) { present in
                present.initialize(repeating: ascii ? 0 : ~0)
                if ascii {
                    NeedleSearch.withIndex(of: bytes) { search in
                        // Only the needles that start with one of the text's bytes or byte pairs.
                        func mark(_ candidates: ArraySlice<Int>) {
                            for n in candidates where search.contains(needles[n]) { present[n / 64] |= 1 << UInt64(n % 64) }
                        }
                        mark(otherNeedles[...])
                        for pair in search.distinctPairs {
                            mark(needlesByPair[Int(pairStarts[pair])..<Int(pairStarts[pair + 1])])
                        }
                    }
                }
                sets.withUnsafeBufferPointer { sets in
                    var range: NSRange?
                    for r in regexes.indices {  // rules are in intent order
                        let intent = intents[r]
                        guard found.last != intent, allowed(intent) else { continue }
                        var possible = true
                        for set in requirements[r] where possible {
                            var any = false
                            for w in 0..<words where sets[set * words + w] & present[w] != 0 { any = true; break }
                            possible = any
                        }
                        guard possible else { continue }
                        let whole = range ?? NSRange(text.startIndex..., in: text)
                        range = whole
                        if regexes[r].firstMatch(in: text, options: [], range: whole) != nil { found.append(intent) }
                    }
                }
            }
        }
        return found
    }
}

/// Looks for many short strings in one short ASCII text: the text's byte pairs are put in a
/// bitmap first, so most strings that are not in it are ruled out by a lookup or two, without a
/// scan.
struct NeedleSearch {
    /// Pairs of ASCII bytes, `a << 7 | b`.
    static let pairCount = 1 << 14
    private let text: UnsafeBufferPointer<UInt8>
    /// One bit per byte pair of the text (`pairCount` bits), and one per byte.
    private let pairs: UnsafeMutableBufferPointer<UInt64>
    private var bytes: (UInt64, UInt64) = (0, 0)
    /// The text's byte pairs, once each, in the order they first occur.
    private(set) var distinctPairs: [Int] = []

    /// Runs `body` with a search over `text` (ASCII; a bitmap of 2 KiB on the stack).
    static func withIndex<R>(of text: UnsafeBufferPointer<UInt8>, _ body: (NeedleSearch) throws -> R) rethrows -> R {
        try withUnsafeTemporaryAllocation(of: UInt64.self, capacity: pairCount / 64) { pairs in
            pairs.initialize(repeating: 0)
            return try body(NeedleSearch(text: text, pairs: pairs))
        }
    }

    private init(text: UnsafeBufferPointer<UInt8>, pairs: UnsafeMutableBufferPointer<UInt64>) {
        self.text = text
        self.pairs = pairs
        distinctPairs.reserveCapacity(text.count)
        var previous: Int?
        for b in text {
            let byte = Int(b & 0x7F)
            if byte < 64 { bytes.0 |= 1 << UInt64(byte) } else { bytes.1 |= 1 << UInt64(byte - 64) }
            if let p = previous {
                let pair = p << 7 | byte
                let bit = UInt64(1) << UInt64(pair & 63)
                if pairs[pair >> 6] & bit == 0 {
                    pairs[pair >> 6] |= bit
                    distinctPairs.append(pair)
                }
            }
            previous = byte
        }
    }

    private func hasPair(_ a: UInt8, _ b: UInt8) -> Bool {
        guard a < 0x80, b < 0x80 else { return false }
        let pair = Int(a) << 7 | Int(b)
        return pairs[pair >> 6] & (1 << UInt64(pair & 63)) != 0
    }

    /// Whether `needle` occurs in the text (an empty needle does).
    func contains(_ needle: [UInt8]) -> Bool {
        guard let first = needle.first else { return true }
        guard needle.count <= text.count else { return false }
        if needle.count == 1 {
            guard first < 0x80 else { return false }
            return (first < 64 ? bytes.0 >> UInt64(first) : bytes.1 >> UInt64(first - 64)) & 1 != 0
        }
        // Every pair of the needle must be in the text; most absent needles fail the first check.
        var i = 1
        while i < needle.count {
            if !hasPair(needle[i - 1], needle[i]) { return false }
            i += 1
        }
        return needle.withUnsafeBytes { n in ByteSearch.firstIndex(of: n, in: UnsafeRawBufferPointer(text)) != nil }
    }
}
