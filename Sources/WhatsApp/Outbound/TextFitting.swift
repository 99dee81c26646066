/// Shortening and splitting text to Meta's limits. Lengths are measured as `metaLength` (UTF-16
/// code units: an emoji such as 👍 counts 2, a flag 4, a family 11), the most any of the usual
/// ways of counting gives, so a text that fits here fits Meta whichever way its servers count.
/// Texts are cut only between `Character`s (grapheme clusters), so an emoji sequence or a letter
/// with combining accents is never broken.
enum TextFitting {
    /// Ends a shortened text; also stands in for required text that is missing.
    static let ellipsis = "…"

    /// `text` unchanged when it fits `limit`; otherwise trimmed, cut at the last word boundary in
    /// the second half of the room (mid-word only when there is none) and ended with "…", so the
    /// result is at most `limit` long.
    static func truncated(_ text: String, limit: Int) -> String {
        if text.metaLength <= limit { return text }
        let chars = Array(text.trimmingWhitespace())
        let lengths = prefixLengths(chars)
        if lengths[chars.count] <= limit { return String(chars) }
        let room = fitting(lengths, from: 0, limit: max(limit - ellipsis.metaLength, 0))
        var cut = room
        if !chars[room].isWhitespace,
           let space = chars[..<room].lastIndex(where: \.isWhitespace), space >= room / 2 {
            cut = space
        }
        var kept = chars[..<cut]
        while let last = kept.last, last.isWhitespace || danglingPunctuation.contains(last) {
            kept = kept.dropLast()
        }
        if kept.isEmpty { kept = chars[..<room] }
        return String(kept) + ellipsis
    }

    /// For ids: trimmed, and cut to `limit` when longer (no ellipsis: an id is a key, not prose).
    static func clipped(_ text: String, limit: Int) -> String {
        let trimmed = text.trimmingWhitespace()
        if trimmed.metaLength <= limit { return trimmed }
        return prefix(trimmed, limit: limit).trimmingWhitespace()
    }

    /// The longest run of whole characters at the start of `text` that is at most `limit` long.
    static func prefix(_ text: String, limit: Int) -> String {
        let chars = Array(text)
        return String(chars[..<fitting(prefixLengths(chars), from: 0, limit: limit)])
    }

    /// `text` trimmed and cut into parts of at most `limit`, each cut at the best boundary in the
    /// second half of the room: a paragraph break, else a line break, else the end of a sentence,
    /// else a space, else mid-word. Only the whitespace at the cuts is dropped, so the parts hold
    /// every other character in order. Blank text gives no parts.
    static func split(_ text: String, limit: Int) -> [String] {
        let chars = Array(text)
        return partRanges(chars, limit: limit).map { String(chars[$0]) }
    }

    /// `text` as a final part of at most `tailLimit` (cut as `split` cuts) and the text before it
    /// in parts of at most `leadLimit`. The tail is empty only for blank text.
    static func splitKeepingTail(_ text: String, tailLimit: Int, leadLimit: Int) -> (lead: [String], tail: String) {
        let chars = Array(text)
        let ranges = partRanges(chars, limit: tailLimit)
        guard let last = ranges.last else { return ([], "") }
        let lead = split(String(chars[..<last.lowerBound]), limit: leadLimit)
        return (lead, String(chars[last]))
    }

    /// `lengths[i]`: the length of `chars[..<i]` (so `lengths.count == chars.count + 1`).
    private static func prefixLengths(_ chars: [Character]) -> [Int] {
        var lengths = [0]
        lengths.reserveCapacity(chars.count + 1)
        for c in chars { lengths.append(lengths[lengths.count - 1] + c.utf16.count) }
        return lengths
    }

    /// The largest `end >= start` with `chars[start..<end]` at most `limit` long.
    private static func fitting(_ lengths: [Int], from start: Int, limit: Int) -> Int {
        var end = start
        while end + 1 < lengths.count, lengths[end + 1] - lengths[start] <= limit { end += 1 }
        return end
    }

    /// `values` with repeats made unique by a numeric suffix (`id`, `id-2`, `id-3`…), each kept
    /// within `limit` characters.
    static func uniqued(_ values: [String], limit: Int, separator: String) -> [String] {
        var seen = Set<String>()
        return values.map { value in
            var candidate = value
            var number = 2
            while seen.contains(candidate) {
                let suffix = "\(separator)\(number)"
                candidate = prefix(value, limit: max(limit - suffix.metaLength, 0)).trimmingWhitespace() + suffix
                number += 1
            }
            seen.insert(candidate)
            return candidate
        }
    }

    /// Non-blank pieces joined as paragraphs.
    static func paragraphs(_ pieces: String?...) -> String {
        pieces.compactMap { $0 }.filter { !$0.isBlank }.joined(separator: "\n\n")
    }

    /// Punctuation that reads badly right before "…".
    private static let danglingPunctuation: Set<Character> = [",", ";", ":", "-", "–", "—", "(", "[", "/", "&"]
    private static let sentenceEnds: Set<Character> = [".", "!", "?", "…"]
    /// Sentence ends that need no space after them (CJK).
    private static let fullWidthSentenceEnds: Set<Character> = ["。", "！", "？"]

    /// The ranges of `chars` each part covers (whitespace at the cuts left out).
    private static func partRanges(_ chars: [Character], limit: Int) -> [Range<Int>] {
        precondition(limit > 0)
        let lengths = prefixLengths(chars)
        var start = 0
        var end = chars.count
        while start < end, chars[start].isWhitespace { start += 1 }
        while end > start, chars[end - 1].isWhitespace { end -= 1 }
        var ranges: [Range<Int>] = []
        while lengths[end] - lengths[start] > limit {
            let window = fitting(lengths, from: start, limit: limit)
            guard window > start else {
                // One character longer than the limit on its own (a family emoji is 11 long; no
                // text limit of Meta's is that short): a part of its own, never a crash.
                ranges.append(start..<(start + 1))
                start += 1
                while start < end, chars[start].isWhitespace { start += 1 }
                continue
            }
            let cut = bestCut(chars, from: start, windowEnd: window)
            var partEnd = cut
            while partEnd > start, chars[partEnd - 1].isWhitespace { partEnd -= 1 }
            ranges.append(start..<partEnd)
            start = cut
            while start < end, chars[start].isWhitespace { start += 1 }
        }
        if start < end { ranges.append(start..<end) }
        return ranges
    }

    /// Where to end the part that starts at `start`: an index in `start + 1...windowEnd`
    /// (`chars[windowEnd]` exists: the text goes on past the window). The text before the index is
    /// no longer than the window.
    private static func bestCut(_ chars: [Character], from start: Int, windowEnd: Int) -> Int {
        let floor = start + max((windowEnd - start) / 2, 1)
        let candidates = stride(from: windowEnd, through: floor, by: -1)
        // A blank line: cut at its second newline.
        if let i = candidates.first(where: { chars[$0].isNewline && chars[$0 - 1].isNewline }) { return i }
        if let i = candidates.first(where: { chars[$0].isNewline }) { return i }
        if let i = candidates.first(where: {
            (chars[$0].isWhitespace && sentenceEnds.contains(chars[$0 - 1])) || fullWidthSentenceEnds.contains(chars[$0 - 1])
        }) { return i }
        if let i = candidates.first(where: { chars[$0].isWhitespace }) { return i }
        return windowEnd
    }
}

extension StringProtocol {
    /// Without leading and trailing whitespace and newlines.
    func trimmingWhitespace() -> String {
        guard let first = firstIndex(where: { !$0.isWhitespace }),
              let last = lastIndex(where: { !$0.isWhitespace })
        else { return "" }
        return String(self[first...last])
    }
}

extension StringProtocol {
    /// The length Meta's limits are checked against: UTF-16 code units (see `TextFitting`).
    package var metaLength: Int { utf16.count }
}
