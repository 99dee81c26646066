import Foundation

/// Turns normalised words into the hashed, weighted features the classifier compares: word
/// unigrams, word bigrams and character n-grams of each word padded with boundary marks (so
/// `reciclar` and the typo `reciclr` still share most of their 3-grams).
struct TextFeatures: Sendable {
    var wordWeight: Float
    var bigramWeight: Float
    var charWeight: Float
    /// Character n-gram sizes, e.g. `[3]` or `[3, 4]`.
    var charGramSizes: [Int]

    /// The features of `tokens`: (hash, weighted log-scaled count), sorted by hash, one entry per hash.
    func extract(_ tokens: [String]) -> [(hash: UInt64, weight: Float)] {
        var raw: [(hash: UInt64, block: Float)] = []
        raw.reserveCapacity(tokens.count * 12)
        var scalars: [UInt32] = []
        var previous: UInt64?
        for token in tokens {
            scalars.removeAll(keepingCapacity: true)
            scalars.append(2)                                   // start-of-word mark
            for s in token.unicodeScalars { scalars.append(s.value) }
            scalars.append(3)                                   // end-of-word mark
            let word = Self.hash(scalars[...], seed: 0x77)
            if wordWeight > 0 { raw.append((word, wordWeight)) }
            if bigramWeight > 0, let previous { raw.append((Self.mix(previous, word), bigramWeight)) }
            previous = word
            if charWeight > 0 {
                for n in charGramSizes where scalars.count >= n {
                    for start in 0...(scalars.count - n) {
                        raw.append((Self.hash(scalars[start..<(start + n)], seed: UInt64(0x60 + n)), charWeight))
                    }
                }
            }
        }
        raw.sort { $0.hash < $1.hash }
        var out: [(hash: UInt64, weight: Float)] = []
        out.reserveCapacity(raw.count)
        var i = 0
        while i < raw.count {
            var j = i + 1
            while j < raw.count, raw[j].hash == raw[i].hash { j += 1 }
            // Sublinear term frequency: 1 + ln(count).
            out.append((raw[i].hash, raw[i].block * (1 + Float(log(Double(j - i))))))
            i = j
        }
        return out
    }

    /// FNV-1a over 32-bit code points, seeded per feature kind.
    static func hash(_ values: ArraySlice<UInt32>, seed: UInt64) -> UInt64 {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325 ^ seed
        for v in values {
            h = (h ^ UInt64(v)) &* 0x0000_0100_0000_01B3
        }
        return h
    }

    /// Combines two word hashes into a bigram hash (order matters).
    static func mix(_ a: UInt64, _ b: UInt64) -> UInt64 {
        var h = a &* 0x9E37_79B9_7F4A_7C15
        h ^= b &+ 0x6A09_E667_F3BC_C909 &+ (h << 6) &+ (h >> 2)
        return h
    }
}
