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
    private struct Rule {
        var regex: NSRegularExpression
        var intent: Int
        /// Text every match contains (`requiredText`: one string of each set): a message without
        /// it is not given to the regular expression, whose every call costs about a microsecond
        /// on Linux.
        var required: [[[UInt8]]]
    }

    private let rules: [Rule]

    /// The longest pattern a skill file may hold (patterns are for short, precise rules).
    static let maximumLength = 200

    /// `intents[i]`'s patterns become rules for intent index `i`; the catalog has validated them.
    package init(intents: [Intent]) {
        var rules: [Rule] = []
        for (i, intent) in intents.enumerated() {
            for source in Set(intent.patterns.all).sorted() {
                if let regex = try? Self.compile(source) {
                    rules.append(Rule(regex: regex, intent: i, required: Self.requiredText(source).map { $0.map { Array($0.utf8) } }))
                }
            }
        }
        self.rules = rules
    }

    var isEmpty: Bool { rules.isEmpty }

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
        let range = NSRange(text.startIndex..., in: text)
        var found: [Int] = []
        var utf8 = text
        utf8.withUTF8 { bytes in
            let ascii = bytes.allSatisfy { $0 < 0x80 }
            for rule in rules where !found.contains(rule.intent) && allowed(rule.intent) {  // rules are in intent order
                let haystack = UnsafeRawBufferPointer(bytes)
                // Case-insensitive matching folds more than ASCII ("ß" matches "ss"): a text with
                // other letters goes to every regular expression.
                let possible = !ascii || rule.required.allSatisfy { anyOf in
                    anyOf.contains { needle in needle.withUnsafeBytes { ByteSearch.firstIndex(of: $0, in: haystack) } != nil }
                }
                if !possible { continue }
                if rule.regex.firstMatch(in: text, options: [], range: range) != nil { found.append(rule.intent) }
            }
        }
        return found
    }
}
