/// Finds the words of a vocabulary within a small edit distance of a misspelt word, in
/// microseconds, with the symmetric-deletion method (SymSpell): every word is indexed under the
/// hashes of all strings made by deleting up to `maxDistance(word)` of its letters; a query looks
/// up the same deletions of itself, and candidates are confirmed with the real distance. Hash
/// collisions only add candidates that the confirmation drops.
///
/// Distance is optimal string alignment (insert, delete, substitute, swap two neighbours) over
/// UTF-8 bytes: 1 edit for words of 4–7 letters, 2 from 8 letters, none below 4 or above
/// `maxSpelledLength` bytes (a word of n bytes has about n²/2 two-letter deletions: a catalog of
/// long made-up words, or a long message word, would cost memory or CPU quadratically).
package struct SpellingNeighbourhood: Sendable {
    /// Deletion hashes, sorted, and the word each came from.
    private let hashes: [UInt64]
    private let wordIDs: [Int32]

    /// At most this many deletions are indexed (about 100 MB while building): a real catalog of
    /// 10,000 products needs a few million; one made of a million long made-up words would need
    /// hundreds of millions (gigabytes, minutes of sorting), and would take the server down again
    /// each time the index is rebuilt after a restart.
    package static let maxEntries = 6_000_000

    /// Indexes `words` (id, UTF-8 bytes), in order, within `budget` deletions: past half of it the
    /// words are tolerant of one typo instead of two, and past all of it they are matched exactly
    /// (found only as typed, or by their singular and gender forms).
    package init(words: [(id: Int32, bytes: [UInt8])], budget: Int = SpellingNeighbourhood.maxEntries) {
        var pairs: [(UInt64, Int32)] = []
        pairs.reserveCapacity(min(words.count * 12, budget))
        for (id, bytes) in words where Self.maxDistance(forLength: bytes.count) > 0 {
            var distance = Self.maxDistance(forLength: bytes.count)
            if pairs.count >= budget / 2 { distance = 1 }
            if pairs.count + bytes.count + 1 > budget { break }
            Self.forEachDeletion(of: bytes, upTo: distance) { pairs.append(($0, id)) }
        }
        pairs.sort { $0.0 != $1.0 ? $0.0 < $1.0 : $0.1 < $1.1 }
        var hashes: [UInt64] = []
        var ids: [Int32] = []
        hashes.reserveCapacity(pairs.count)
        ids.reserveCapacity(pairs.count)
        for (h, id) in pairs where hashes.last != h || ids.last != id {
            hashes.append(h)
            ids.append(id)
        }
        self.hashes = hashes
        self.wordIDs = ids
    }

    /// How many edits a word of `length` bytes may be away.
    package static func maxDistance(forLength length: Int) -> Int {
        length > maxSpelledLength ? 0 : length >= 8 ? 2 : length >= 4 ? 1 : 0
    }

    /// The longest word (UTF-8 bytes) indexed or corrected; longer ones match only as written.
    package static let maxSpelledLength = 24

    /// How many deletion entries the index holds (its memory is 12 bytes each).
    package var entryCount: Int { hashes.count }

    /// Ids of indexed words that may be within `maxDistance` of `word` (unconfirmed, deduplicated).
    package func candidates(of word: [UInt8], maxDistance: Int) -> [Int32] {
        var found: [Int32] = []
        Self.forEachDeletion(of: word, upTo: maxDistance) { h in
            var lo = 0
            var hi = hashes.count
            while lo < hi {
                let mid = (lo + hi) / 2
                if hashes[mid] < h { lo = mid + 1 } else { hi = mid }
            }
            while lo < hashes.count, hashes[lo] == h {
                found.append(wordIDs[lo])
                lo += 1
            }
        }
        if found.count > 1 {
            found.sort()
            var unique: [Int32] = []
            for id in found where unique.last != id { unique.append(id) }
            return unique
        }
        return found
    }

    /// Calls `body` with the hash of `bytes` and of every string made by deleting 1…`distance` bytes.
    static func forEachDeletion(of bytes: [UInt8], upTo distance: Int, _ body: (UInt64) -> Void) {
        let n = bytes.count
        body(hash(bytes, skipping: -1, -1))
        guard distance >= 1, n > 1 else { return }
        for i in 0..<n { body(hash(bytes, skipping: i, -1)) }
        guard distance >= 2, n > 2 else { return }
        for i in 0..<n {
            for j in (i + 1)..<n { body(hash(bytes, skipping: i, j)) }
        }
    }

    /// FNV-1a of `bytes` without the bytes at `i` and `j`.
    private static func hash(_ bytes: [UInt8], skipping i: Int, _ j: Int) -> UInt64 {
        var h: UInt64 = 0xCBF2_9CE4_8422_2325
        for k in 0..<bytes.count where k != i && k != j {
            h ^= UInt64(bytes[k])
            h &*= 0x0000_0100_0000_01B3
        }
        return h
    }

    /// Optimal-string-alignment distance between `a` and `b`, or `limit + 1` when it is larger.
    static func distance(_ a: [UInt8], _ b: [UInt8], limit: Int) -> Int {
        let n = a.count
        let m = b.count
        if abs(n - m) > limit { return limit + 1 }
        if n == 0 || m == 0 { return max(n, m) }
        var previous2 = [Int](repeating: 0, count: m + 1)
        var previous = Array(0...m)
        var current = [Int](repeating: 0, count: m + 1)
        for i in 1...n {
            current[0] = i
            var rowMin = i
            for j in 1...m {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                var d = min(previous[j] + 1, current[j - 1] + 1, previous[j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d = min(d, previous2[j - 2] + 1) }
                current[j] = d
                rowMin = min(rowMin, d)
            }
            if rowMin > limit { return limit + 1 }
            (previous2, previous, current) = (previous, current, previous2)
        }
        return min(previous[m], limit + 1)
    }
}
