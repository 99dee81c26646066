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
    /// Each rule's regular expression, in intent order.
    private let regexes: [NSRegularExpression]
    /// The rules by intent, in intent order: rules `groupStarts[g]..<groupStarts[g + 1]` are
    /// intent `groupIntents[g]`'s, so `allowed` is asked once per intent, not once per rule.
    private let groupIntents: [Int]
    private let groupStarts: [Int]
    /// Text every match of rule `r` contains (`requiredText`): the sets
    /// `setStarts[ruleSets[r]..<ruleSets[r + 1]]`, each the needles
    /// `setNeedles[setStarts[s]..<setStarts[s + 1]]`, one of which must be in the message. A
    /// message without it is not given to the regular expression, whose every call costs about a
    /// microsecond on Linux.
    private let ruleSets: [Int32]
    private let setStarts: [Int32]
    private let setNeedles: [Int32]
    /// Each rule's most telling set (the one whose shortest string is longest) is its anchor: the
    /// rules anchored on needle `n` are `anchorRules[anchorStarts[n]..<anchorStarts[n + 1]]`.
    /// Only the rules anchored on a needle the message has (and those with no requirement,
    /// `unanchored`, a bitmap over the rules) are looked at: most messages hold few needles, and
    /// walking every rule's requirements for every message cost more than the regular expressions.
    private let anchorStarts: [Int32]
    private let anchorRules: [Int32]
    private let unanchored: [UInt64]
    /// Words of a bitmap over the rules, and over the needles.
    private let ruleWords: Int
    private let needleWords: Int
    /// Every rule's required strings (needles), once each (many rules share "quiero" or " me"),
    /// all looked for in one pass over the message.
    private let needles: NeedleAutomaton

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
                    rules.append((regex, i, Self.requiredText(source).map { Array(Set($0.map(index))).sorted() }))
                }
            }
        }
        var groupIntents: [Int] = [], groupStarts: [Int] = []
        for (r, rule) in rules.enumerated() where groupIntents.last != rule.intent {
            groupIntents.append(rule.intent)
            groupStarts.append(r)
        }
        groupStarts.append(rules.count)
        let ruleWords = max(1, (rules.count + 63) / 64)
        var ruleSets: [Int32] = [0], setStarts: [Int32] = [0], setNeedles: [Int32] = []
        var anchored = [[Int32]](repeating: [], count: needles.count)
        var unanchored = [UInt64](repeating: 0, count: ruleWords)
        for (r, rule) in rules.enumerated() {
            // The anchor first: the set whose shortest needle is longest (then the smallest set).
            let sets = rule.required.sorted { a, b in
                let (la, lb) = (a.map { needles[$0].count }.min() ?? 0, b.map { needles[$0].count }.min() ?? 0)
                return la != lb ? la > lb : a.count < b.count
            }
            for set in sets {
                setNeedles += set.map(Int32.init)
                setStarts.append(Int32(setNeedles.count))
            }
            ruleSets.append(Int32(setStarts.count - 1))
            if let anchor = sets.first {
                for n in anchor { anchored[n].append(Int32(r)) }
            } else {
                unanchored[r / 64] |= 1 << UInt64(r % 64)
            }
        }
        var anchorStarts: [Int32] = [0], anchorRules: [Int32] = []
        for list in anchored {
            anchorRules += list
            anchorStarts.append(Int32(anchorRules.count))
        }
        self.regexes = rules.map(\.regex)
        self.groupIntents = groupIntents
        self.groupStarts = groupStarts
        self.ruleSets = ruleSets
        self.setStarts = setStarts
        self.setNeedles = setNeedles
        self.anchorStarts = anchorStarts
        self.anchorRules = anchorRules
        self.unanchored = unanchored
        self.ruleWords = ruleWords
        self.needleWords = max(1, (needles.count + 63) / 64)
        self.needles = NeedleAutomaton(needles)
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

    /// Whether `source` describes a whole message: it begins with `^`, ends with `$` and has no
    /// alternative outside parentheses (`^a$|b` is not one).
    package static func isWholeMessage(_ source: String) -> Bool {
        let bytes = Array(source.utf8)
        guard bytes.first == UInt8(ascii: "^"), bytes.last == UInt8(ascii: "$") else { return false }
        var depth = 0, inClass = false, i = 0
        while i < bytes.count {
            switch bytes[i] {
            case UInt8(ascii: "\\"): i += 1  // the next byte is escaped ("\\$" ends no message)
                if i == bytes.count - 1 { return false }
            case UInt8(ascii: "]") where inClass: inClass = false
            case _ where inClass: break
            case UInt8(ascii: "["): inClass = true
            case UInt8(ascii: "("): depth += 1
            case UInt8(ascii: ")"): depth -= 1
            case UInt8(ascii: "|") where depth == 0: return false
            default: break
            }
            i += 1
        }
        return true
    }

    package static func compile(_ source: String) throws -> NSRegularExpression {
        try NSRegularExpression(pattern: source, options: [.caseInsensitive])
    }

    /// The intents (indexes, in catalog order, once each) with a pattern found in `text`,
    /// restricted by `allowed`.
    package func matches(_ text: String, allowed: (Int) -> Bool) -> [Int] {
        guard !text.isEmpty, !regexes.isEmpty else { return [] }
        var found: [Int] = []
        var utf8 = text
        utf8.withUTF8 { bytes in
            // Case-insensitive matching folds more than ASCII ("ß" matches "ss"): a text with
            // other letters goes to every regular expression.
            let ascii = bytes.allSatisfy { $0 < 0x80 }
            withUnsafeTemporaryAllocation(of: UInt64.self, capacity: needleWords + ruleWords) { bits in
                let present = UnsafeMutableBufferPointer(rebasing: bits[0..<needleWords])
                let candidates = UnsafeMutableBufferPointer(rebasing: bits[needleWords...])
                if ascii {
                    present.initialize(repeating: 0)
                    needles.mark(in: bytes, present: present)
                    // The rules anchored on a needle the text has, and those with no requirement.
                    _ = candidates.initialize(from: unanchored)
                    anchorStarts.withUnsafeBufferPointer { starts in
                        anchorRules.withUnsafeBufferPointer { rules in
                            for w in 0..<needleWords {
                                var word = present[w]
                                while word != 0 {
                                    let n = w * 64 + word.trailingZeroBitCount
                                    word &= word - 1
                                    for k in Int(starts[n])..<Int(starts[n + 1]) {
                                        let r = Int(rules[k])
                                        candidates[r / 64] |= 1 << UInt64(r % 64)
                                    }
                                }
                            }
                        }
                    }
                } else {
                    bits.initialize(repeating: ~0)
                }
                var range: NSRange?
                for g in groupIntents.indices {  // groups, and rules within them, are in intent order
                    let intent = groupIntents[g]
                    guard allowed(intent) else { continue }
                    for r in groupStarts[g]..<groupStarts[g + 1] where candidates[r / 64] & (1 << UInt64(r % 64)) != 0 {
                        guard holdsRequirements(r, present: present) else { continue }
                        let whole = range ?? NSRange(text.startIndex..., in: text)
                        range = whole
                        if regexes[r].firstMatch(in: text, options: [], range: whole) != nil {
                            found.append(intent)
                            break
                        }
                    }
                }
            }
        }
        return found
    }

    /// Whether every required set of rule `r` has a needle in `present` (a bitmap over `needles`).
    private func holdsRequirements(_ r: Int, present: UnsafeMutableBufferPointer<UInt64>) -> Bool {
        for s in Int(ruleSets[r])..<Int(ruleSets[r + 1]) {
            var any = false
            for k in Int(setStarts[s])..<Int(setStarts[s + 1]) {
                let n = Int(setNeedles[k])
                if present[n / 64] & (1 << UInt64(n % 64)) != 0 { any = true; break }
            }
            if !any { return false }
        }
        return true
    }
}

/// Finds which of many short strings (needles) occur in an ASCII text, in one pass over it (an
/// Aho–Corasick automaton): each byte of the text is one step, and every needle ending there is
/// marked. Built once, with the rules.
struct NeedleAutomaton: Sendable {
    /// How many needles there are (the bits of a `present` bitmap).
    let count: Int
    /// Each ASCII byte's symbol: 0 for a byte no needle has (it leads back to the start).
    private let symbolOf: [UInt8]
    private let symbols: Int
    /// The next state, `next[state * symbols + symbol]`; state 0 is the start.
    private let next: [Int32]
    /// The needles ending at each state (its own and its suffixes'):
    /// `outputs[outputStarts[state]..<outputStarts[state + 1]]`.
    private let outputStarts: [Int32]
    private let outputs: [Int32]
    /// Needles found in every text (empty ones).
    private let always: [Int]

    /// Needle `n` is `needles[n]` (bytes; one with a byte beyond ASCII is never in an ASCII text).
    init(_ needles: [[UInt8]]) {
        count = needles.count
        var symbolOf = [UInt8](repeating: 0, count: 128)
        var symbols = 1
        for needle in needles where needle.allSatisfy({ $0 < 0x80 }) {
            for b in needle where symbolOf[Int(b)] == 0 {
                symbolOf[Int(b)] = UInt8(symbols)
                symbols += 1
            }
        }
        // The trie of the needles.
        var children: [[Int32]] = [[Int32](repeating: -1, count: symbols)]
        var own: [[Int32]] = [[]]
        var always: [Int] = []
        for (n, needle) in needles.enumerated() where needle.allSatisfy({ $0 < 0x80 }) {
            guard !needle.isEmpty else { always.append(n); continue }
            var state = 0
            for b in needle {
                let c = Int(symbolOf[Int(b)])
                if children[state][c] < 0 {
                    children[state][c] = Int32(children.count)
                    children.append([Int32](repeating: -1, count: symbols))
                    own.append([])
                }
                state = Int(children[state][c])
            }
            own[state].append(Int32(n))
        }
        // Breadth first: each state's longest proper suffix that is a state (`fail`), its moves
        // and its outputs from those of the shorter states already done.
        let states = children.count
        var next = [Int32](repeating: 0, count: states * symbols)
        var fail = [Int](repeating: 0, count: states)
        var out = [[Int32]](repeating: [], count: states)
        out[0] = own[0]
        var queue: [Int] = []
        for c in 1..<symbols where children[0][c] >= 0 {
            let child = Int(children[0][c])
            next[c] = Int32(child)
            queue.append(child)
        }
        var head = 0
        while head < queue.count {
            let state = queue[head]
            head += 1
            out[state] = own[state] + out[fail[state]]
            for c in 1..<symbols {
                let child = children[state][c]
                if child >= 0 {
                    fail[Int(child)] = Int(next[fail[state] * symbols + c])
                    next[state * symbols + c] = child
                    queue.append(Int(child))
                } else {
                    next[state * symbols + c] = next[fail[state] * symbols + c]
                }
            }
        }
        var outputStarts: [Int32] = [0], outputs: [Int32] = []
        for list in out {
            outputs += list
            outputStarts.append(Int32(outputs.count))
        }
        self.symbolOf = symbolOf
        self.symbols = symbols
        self.next = next
        self.outputStarts = outputStarts
        self.outputs = outputs
        self.always = always
    }

    /// Sets the bit of every needle found in `text` (ASCII bytes) in `present`.
    func mark(in text: UnsafeBufferPointer<UInt8>, present: UnsafeMutableBufferPointer<UInt64>) {
        for n in always { present[n / 64] |= 1 << UInt64(n % 64) }
        symbolOf.withUnsafeBufferPointer { symbolOf in
            next.withUnsafeBufferPointer { next in
                outputStarts.withUnsafeBufferPointer { outputStarts in
                    outputs.withUnsafeBufferPointer { outputs in
                        var state = 0
                        for b in text {
                            state = Int(next[state &* symbols &+ Int(symbolOf[Int(b & 0x7F)])])
                            for k in Int(outputStarts[state])..<Int(outputStarts[state + 1]) {
                                let n = Int(outputs[k])
                                present[n / 64] |= 1 << UInt64(n % 64)
                            }
                        }
                    }
                }
            }
        }
    }
}
