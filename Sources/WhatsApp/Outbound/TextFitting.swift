/// Shortening and splitting text to Meta's limits. Everything counts and cuts `Character`s
/// (grapheme clusters), so an emoji sequence or a letter with combining accents is never broken.
enum TextFitting {
    /// Ends a shortened text; also stands in for required text that is missing.
    static let ellipsis = "…"

    /// `text` unchanged when it fits `limit`; otherwise trimmed, cut at the last word boundary in
    /// the second half of the room (mid-word only when there is none) and ended with "…", so the
    /// result is at most `limit` characters.
    static func truncated(_ text: String, limit: Int) -> String {
        if text.count <= limit { return text }
        let chars = Array(text.trimmingWhitespace())
        if chars.count <= limit { return String(chars) }
        let room = max(limit - ellipsis.count, 0)
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

    /// For ids: trimmed, and cut to `limit` characters when longer (no ellipsis: an id is a key, not
    /// prose).
    static func clipped(_ text: String, limit: Int) -> String {
        let trimmed = text.trimmingWhitespace()
        if trimmed.count <= limit { return trimmed }
        return String(trimmed.prefix(limit)).trimmingWhitespace()
    }

    /// `text` trimmed and cut into parts of at most `limit` characters, each cut at the best
    /// boundary in the second half of the room: a paragraph break, else a line break, else the end
    /// of a sentence, else a space, else mid-word. Only the whitespace at the cuts is dropped, so the
    /// parts hold every other character in order. Blank text gives no parts.
    static func split(_ text: String, limit: Int) -> [String] {
        let chars = Array(text)
        return partRanges(chars, limit: limit).map { String(chars[$0]) }
    }

    /// `text` as a final part of at most `tailLimit` characters (cut as `split` cuts) and the text
    /// before it in parts of at most `leadLimit` characters. The tail is empty only for blank text.
    static func splitKeepingTail(_ text: String, tailLimit: Int, leadLimit: Int) -> (lead: [String], tail: String) {
        let chars = Array(text)
        let ranges = partRanges(chars, limit: tailLimit)
        guard let last = ranges.last else { return ([], "") }
        let lead = split(String(chars[..<last.lowerBound]), limit: leadLimit)
        return (lead, String(chars[last]))
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
                candidate = String(value.prefix(max(limit - suffix.count, 0))).trimmingWhitespace() + suffix
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
        var start = 0
        var end = chars.count
        while start < end, chars[start].isWhitespace { start += 1 }
        while end > start, chars[end - 1].isWhitespace { end -= 1 }
        var ranges: [Range<Int>] = []
        while end - start > limit {
            let cut = bestCut(chars, from: start, windowEnd: start + limit)
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
    /// at most `windowEnd - start` characters.
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
