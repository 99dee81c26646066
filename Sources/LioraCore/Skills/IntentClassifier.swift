import Foundation

/// Ranks the intents of a catalog by how close a message is to their example phrases.
///
/// Trained once, at start-up, from every example of every intent (both languages): each
/// example becomes a TF-IDF vector over word unigrams, word bigrams and character 3-grams of
/// its normalised words (character n-grams give tolerance to typos and inflections). A message
/// is scored against each intent as a blend of the cosine similarity to the intent's nearest
/// examples and to the intent's centroid. Deterministic: the same catalog and message always
/// give the same ranking (ties go to catalog order).
public struct IntentClassifier: Sendable {
    /// Feature weights and the scoring blend.
    public struct Configuration: Sendable, Equatable {
        /// Weight of whole-word features.
        public var wordWeight: Double
        /// Weight of two-word features.
        public var bigramWeight: Double
        /// Weight of character n-gram features.
        public var charWeight: Double
        /// Character n-gram sizes.
        public var charGramSizes: [Int]
        /// How many of an intent's closest examples are averaged into its nearest-example score.
        public var neighbours: Int
        /// Share of the nearest-example score in the blend (the rest is the centroid score), 0…1.
        public var nearestShare: Double

        public init(wordWeight: Double = 1.0, bigramWeight: Double = 0.5, charWeight: Double = 1.0,
                    charGramSizes: [Int] = [3], neighbours: Int = 2, nearestShare: Double = 0.5) {
            self.wordWeight = wordWeight; self.bigramWeight = bigramWeight; self.charWeight = charWeight
            self.charGramSizes = charGramSizes; self.neighbours = max(1, neighbours); self.nearestShare = nearestShare
        }

        /// The defaults, tuned with the router's on skills/ and Tests/nlu/labelled.tsv (see `IntentRouter.Configuration`).
        public static let `default` = Configuration()
    }

    /// One ranked intent.
    public struct Prediction: Sendable, Equatable {
        public var intentID: String
        /// Similarity in 0…1 (1: the message equals an example).
        public var score: Double

        public init(intentID: String, score: Double) {
            self.intentID = intentID
            self.score = score
        }
    }

    public let configuration: Configuration
    let normalizer: TextNormalizer
    private let features: TextFeatures
    /// Intents in catalog order, their skill index, and their examples' range in the example arrays.
    private let intentIDs: [String]
    private let intentSkill: [Int]
    private let intentExamples: [Range<Int>]
    private let skillIDs: [String]
    /// Feature hash → feature index; inverse document frequencies; the idf given to unseen features.
    private let featureIndex: [UInt64: Int32]
    private let idf: [Float]
    private let unseenIDF: Float
    /// Inverted indexes (feature → postings) over example vectors and intent centroids.
    private let examplePostings: Postings
    private let centroidPostings: Postings

    /// Trains on every example phrase of `catalog`.
    public init(catalog: SkillCatalog, configuration: Configuration = .default, normalizer: TextNormalizer = TextNormalizer()) {
        self.configuration = configuration
        self.normalizer = normalizer
        let features = TextFeatures(wordWeight: Float(configuration.wordWeight), bigramWeight: Float(configuration.bigramWeight),
                                    charWeight: Float(configuration.charWeight), charGramSizes: configuration.charGramSizes)
        self.features = features
        self.skillIDs = catalog.skills.map(\.id)

        var intentIDs: [String] = []
        var intentSkill: [Int] = []
        var intentExamples: [Range<Int>] = []
        var exampleFeatures: [[(hash: UInt64, weight: Float)]] = []
        for (s, skill) in catalog.skills.enumerated() {
            for intent in skill.intents where !intent.rulesOnly {
                let start = exampleFeatures.count
                var seen = Set<[String]>()
                for example in intent.examples.all {
                    let tokens = normalizer.normalize(example).tokens
                    guard !tokens.isEmpty, seen.insert(tokens).inserted else { continue }
                    exampleFeatures.append(features.extract(tokens))
                }
                intentIDs.append(intent.id)
                intentSkill.append(s)
                intentExamples.append(start..<exampleFeatures.count)
            }
        }

        // Document frequencies over examples.
        var featureIndex: [UInt64: Int32] = [:]
        var df: [Int] = []
        for example in exampleFeatures {
            for f in example {
                if let i = featureIndex[f.hash] {
                    df[Int(i)] += 1
                } else {
                    featureIndex[f.hash] = Int32(df.count)
                    df.append(1)
                }
            }
        }
        let n = Float(exampleFeatures.count)
        let idf = df.map { Float(log(Double((1 + n) / Float(1 + $0)))) + 1 }
        self.unseenIDF = Float(log(Double(1 + n))) + 1

        // Example vectors (L2-normalised) and intent centroids (mean of examples, L2-normalised).
        var exampleRows: [[(Int32, Float)]] = []
        var centroidRows: [[(Int32, Float)]] = []
        for range in intentExamples {
            var centroid: [Int32: Float] = [:]
            for e in range {
                var row = exampleFeatures[e].map { f -> (Int32, Float) in
                    let i = featureIndex[f.hash]!
                    return (i, f.weight * idf[Int(i)])
                }
                let norm = row.reduce(0) { $0 + $1.1 * $1.1 }.squareRoot()
                if norm > 0 { row = row.map { ($0.0, $0.1 / norm) } }
                for (i, w) in row { centroid[i, default: 0] += w }
                exampleRows.append(row)
            }
            var crow = centroid.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
            let cnorm = crow.reduce(0) { $0 + $1.1 * $1.1 }.squareRoot()
            if cnorm > 0 { crow = crow.map { ($0.0, $0.1 / cnorm) } }
            centroidRows.append(crow)
        }

        self.intentIDs = intentIDs
        self.intentSkill = intentSkill
        self.intentExamples = intentExamples
        self.featureIndex = featureIndex
        self.idf = idf
        self.examplePostings = Postings(rows: exampleRows, featureCount: df.count)
        self.centroidPostings = Postings(rows: centroidRows, featureCount: df.count)
    }

    /// How many distinct example phrases it was trained on.
    public var exampleCount: Int { intentExamples.last?.upperBound ?? 0 }

    /// The intents ranked best first, at most `limit`, only of `enabledSkills` (all when `nil`).
    /// Empty when the text has no words.
    public func classify(_ text: String, enabledSkills: Set<String>? = nil, limit: Int = 3) -> [Prediction] {
        classify(normalizer.normalize(text), enabledSkills: enabledSkills, limit: limit)
    }

    /// As `classify(_:enabledSkills:limit:)`, for text already normalised.
    public func classify(_ text: NormalizedText, enabledSkills: Set<String>? = nil, limit: Int = 3) -> [Prediction] {
        guard !text.isEmpty, limit > 0 else { return [] }
        let enabled = skillIDs.map { enabledSkills?.contains($0) ?? true }
        guard enabled.contains(true) else { return [] }

        // The query vector: known features with their idf; unseen features only lower its norm.
        var query: [(Int32, Float)] = []
        var norm2: Float = 0
        for f in features.extract(text.tokens) {
            if let i = featureIndex[f.hash] {
                let w = f.weight * idf[Int(i)]
                query.append((i, w))
                norm2 += w * w
            } else {
                let w = f.weight * unseenIDF
                norm2 += w * w
            }
        }
        guard norm2 > 0, !query.isEmpty else { return [] }
        let inverseNorm = 1 / norm2.squareRoot()

        let exampleScores = examplePostings.dot(query)
        let centroidScores = centroidPostings.dot(query)
        let share = Float(configuration.nearestShare)
        let k = configuration.neighbours

        var ranked: [(index: Int, score: Float)] = []
        ranked.reserveCapacity(intentIDs.count)
        var best = [Float](repeating: 0, count: k)      // the k highest example scores, descending
        for i in intentIDs.indices where enabled[intentSkill[i]] {
            let range = intentExamples[i]
            for j in 0..<k { best[j] = -1 }
            for e in range {
                var v = exampleScores[e]
                guard v > best[k - 1] else { continue }
                for j in 0..<k where v > best[j] { swap(&v, &best[j]) }
            }
            let m = min(k, range.count)
            let nearest = m == 0 ? 0 : best[0..<m].reduce(0, +) / Float(m)
            let score = (share * nearest + (1 - share) * centroidScores[i]) * inverseNorm
            ranked.append((i, score))
        }
        ranked.sort { $0.score != $1.score ? $0.score > $1.score : $0.index < $1.index }
        return ranked.prefix(limit).map { Prediction(intentID: intentIDs[$0.index], score: Double(min(1, max(0, $0.score)))) }
    }
}

/// A compressed inverted index: for each feature, the rows holding it and their weights.
private struct Postings: Sendable {
    let start: [Int32]
    let row: [Int32]
    let weight: [Float]
    let rowCount: Int

    init(rows: [[(Int32, Float)]], featureCount: Int) {
        var counts = [Int32](repeating: 0, count: featureCount + 1)
        for r in rows { for (f, _) in r { counts[Int(f) + 1] += 1 } }
        for f in 0..<featureCount { counts[f + 1] += counts[f] }
        var next = counts
        var row = [Int32](repeating: 0, count: Int(counts[featureCount]))
        var weight = [Float](repeating: 0, count: Int(counts[featureCount]))
        for (r, entries) in rows.enumerated() {
            for (f, w) in entries {
                let at = Int(next[Int(f)])
                row[at] = Int32(r)
                weight[at] = w
                next[Int(f)] += 1
            }
        }
        self.start = counts
        self.row = row
        self.weight = weight
        self.rowCount = rows.count
    }

    /// Dot product of the (unnormalised) query with every row.
    func dot(_ query: [(Int32, Float)]) -> [Float] {
        var scores = [Float](repeating: 0, count: rowCount)
        scores.withUnsafeMutableBufferPointer { out in
            row.withUnsafeBufferPointer { rows in
                weight.withUnsafeBufferPointer { weights in
                    for (f, qw) in query {
                        for p in Int(start[Int(f)])..<Int(start[Int(f) + 1]) {
                            out[Int(rows[p])] += qw * weights[p]
                        }
                    }
                }
            }
        }
        return scores
    }
}
