import Foundation

extension CatalogSearchIndex {
    /// Builds the index's tables in two passes over the products: the first turns every field into
    /// term ids and measures field lengths; the second weighs each (term, product) pair by BM25F
    /// and lays the postings out by term.
    struct Builder {
        let catalog: Catalog
        let configuration: Configuration
        private let tokenizer = CatalogTokenizer(maximumCharacters: 20_000)

        var termIDs: [String: Int32] = [:]
        /// Product stop words ("te") that name something in this catalog (a name, tag or category).
        var namingStopWords: Set<String> = []
        var termBytes: [[UInt8]] = []
        /// Per term: the fields it appears in (bit per field).
        var termFields: [UInt8] = []
        var idf: [Float] = []
        var postingStart: [Int32] = []
        var postingDocs: [Int32] = []
        var postingWeights: [Float] = []
        var postingStrong: [Bool] = []
        var singularMap: [String: [Int32]] = [:]
        var genderMap: [String: [Int32]] = [:]
        var spelling = SpellingNeighbourhood(words: [])
        var skuIndex: [String: Int32] = [:]
        /// SKUs with spaces as typed: lowercased with one space between words (search only; an exact
        /// SKU keeps its own key, so "ZAP  001" never hides a product whose SKU is "zap 001").
        var typedSKUIndex: [String: Int32] = [:]
        /// Words in the longest SKU written with spaces (1 when none is).
        var skuMaxWords = 1
        var categoryPositions: [String: Int] = [:]
        var productsByCategory: [[Int32]] = []
        var categoryWords: [[String]] = []

        /// Fields, in the order of `fieldWeights`.
        static let name = 0, category = 1, tags = 2, attributes = 3, description = 4
        static let fieldCount = 5
        /// BM25F length-normalisation strength per field: names are short and telling, the
        /// category is shared by all its products, descriptions vary most.
        static let lengthNormalisation: [Float] = [0.5, 0, 0.3, 0.3, 0.75]

        init(catalog: Catalog, configuration: Configuration) {
            self.catalog = catalog
            self.configuration = configuration
        }

        mutating func build() {
            let products = catalog.products
            let n = products.count

            for (i, category) in catalog.categories.enumerated() where categoryPositions[category.id] == nil {
                categoryPositions[category.id] = i
            }
            var byCategory = [[Int32]](repeating: [], count: catalog.categories.count)
            // Products are read in place (`products[i].field`): copying a whole `Product` per
            // loop costs a dozen retains and releases.
            for i in products.indices {
                if let position = categoryPositions[products[i].category] { byCategory[position].append(Int32(i)) }
                let key = products[i].sku.lowercased()
                if skuIndex[key] == nil { skuIndex[key] = Int32(i) }
                // A SKU with inner spaces ("ZAP 001") is also found as its words typed with one space each.
                if key.contains(where: \.isWhitespace) {
                    let words = key.split(whereSeparator: \.isWhitespace)
                    skuMaxWords = max(skuMaxWords, min(words.count, CatalogSearchIndex.maxSKUWords))
                }
            }
            // Typed forms: an exact SKU first, then the spaced ones' one-space forms.
            for (key, doc) in skuIndex where key.contains(" ") { typedSKUIndex[key] = doc }
            for i in products.indices {
                let key = products[i].sku.lowercased()
                guard key.contains(where: \.isWhitespace) else { continue }
                let typed = key.split(whereSeparator: \.isWhitespace).joined(separator: " ")
                if typedSKUIndex[typed] == nil { typedSKUIndex[typed] = Int32(i) }
            }
            productsByCategory = byCategory.map { docs in
                docs.filter { products[Int($0)].stock > 0 } + docs.filter { products[Int($0)].stock <= 0 }
            }

            // Category names: tokenised once, shared by their products.
            categoryWords = catalog.categories.map { words($0.name) }
            let categoryTerms = categoryWords.map { $0.map { term($0, field: Self.category) } }

            // Pass 1: term ids per product and field.
            var entryTerms: [Int32] = []
            var entryFields: [UInt8] = []
            entryTerms.reserveCapacity(n * 24)
            entryFields.reserveCapacity(n * 24)
            var entryStart = [Int](repeating: 0, count: n + 1)
            var lengths = [Float](repeating: 0, count: n * Self.fieldCount)
            for i in products.indices {
                func add(_ terms: [Int32], _ field: Int) {
                    entryTerms.append(contentsOf: terms)
                    entryFields.append(contentsOf: repeatElement(UInt8(field), count: terms.count))
                    lengths[i * Self.fieldCount + field] += Float(terms.count)
                }
                add(words(products[i].name).map { term($0, field: Self.name) }, Self.name)
                if let position = categoryPositions[products[i].category] { add(categoryTerms[position], Self.category) }
                for tag in products[i].tags { add(words(tag).map { term($0, field: Self.tags) }, Self.tags) }
                if let sale = products[i].salePrice, sale.amount < products[i].price.amount {
                    add([term(CatalogWords.onSale, field: Self.tags)], Self.tags)
                }
                // By name, so floating-point sums (and so ties) are the same in every process.
                for (_, value) in products[i].attributes.sorted(by: { $0.key < $1.key }) {
                    add(words(value, naming: false).map { term($0, field: Self.attributes) }, Self.attributes)
                }
                if let description = products[i].description {
                    add(words(description, naming: false).map { term($0, field: Self.description) }, Self.description)
                }
                entryStart[i + 1] = entryTerms.count
            }

            // Average field lengths (over products that have the field).
            var averages = [Float](repeating: 1, count: Self.fieldCount)
            for f in 0..<Self.fieldCount {
                var sum: Float = 0
                var count: Float = 0
                for i in 0..<n where lengths[i * Self.fieldCount + f] > 0 {
                    sum += lengths[i * Self.fieldCount + f]
                    count += 1
                }
                if count > 0 { averages[f] = sum / count }
            }

            // Pass 2: BM25F weight per (term, product).
            let weights: [Float] = [configuration.nameWeight, configuration.categoryWeight, configuration.tagWeight,
                                    configuration.attributeWeight, configuration.descriptionWeight].map { Float($0) }
            let k1 = Float(configuration.k1)
            let termCount = termBytes.count
            var accumulated = [Float](repeating: 0, count: termCount)
            var strong = [Bool](repeating: false, count: termCount)
            var productTerms: [Int32] = []
            var pairTerms: [Int32] = []
            var pairDocs: [Int32] = []
            var pairWeights: [Float] = []
            var pairStrong: [Bool] = []
            var documentFrequency = [Int32](repeating: 0, count: termCount)
            for i in 0..<n {
                var fieldFactor = [Float](repeating: 0, count: Self.fieldCount)
                for f in 0..<Self.fieldCount {
                    let b = Self.lengthNormalisation[f]
                    let length = lengths[i * Self.fieldCount + f]
                    fieldFactor[f] = weights[f] / (1 - b + b * length / averages[f])
                }
                productTerms.removeAll(keepingCapacity: true)
                for e in entryStart[i]..<entryStart[i + 1] {
                    let t = Int(entryTerms[e])
                    if accumulated[t] == 0 { productTerms.append(Int32(t)) }
                    accumulated[t] += fieldFactor[Int(entryFields[e])]
                    if entryFields[e] != UInt8(Self.description) { strong[t] = true }
                }
                for t32 in productTerms {
                    let t = Int(t32)
                    let tf = accumulated[t]
                    let isStrong = strong[t]
                    accumulated[t] = 0
                    strong[t] = false
                    guard tf > 0 else { continue }
                    pairTerms.append(t32)
                    pairDocs.append(Int32(i))
                    pairWeights.append(tf * (k1 + 1) / (tf + k1))
                    pairStrong.append(isStrong)
                    documentFrequency[t] += 1
                }
            }

            // Postings by term (counting sort keeps products in order within a term).
            var start = [Int32](repeating: 0, count: termCount + 1)
            for t in 0..<termCount { start[t + 1] = start[t] + documentFrequency[t] }
            var fill = start
            var docs = [Int32](repeating: 0, count: pairDocs.count)
            var postingWeights = [Float](repeating: 0, count: pairDocs.count)
            var postingStrong = [Bool](repeating: false, count: pairDocs.count)
            for k in 0..<pairTerms.count {
                let t = Int(pairTerms[k])
                let slot = Int(fill[t])
                docs[slot] = pairDocs[k]
                postingWeights[slot] = pairWeights[k]
                postingStrong[slot] = pairStrong[k]
                fill[t] += 1
            }
            postingStart = start
            postingDocs = docs
            self.postingWeights = postingWeights
            self.postingStrong = postingStrong
            let total = Float(n)
            idf = documentFrequency.map { df in
                let d = Float(df)
                return logf(1 + (total - d + 0.5) / (d + 0.5))
            }

            // Word families and the spelling neighbourhood (words of names, categories, tags and
            // attributes; description-only words are matched exactly or by number only).
            var spellable: [(id: Int32, bytes: [UInt8])] = []
            let descriptionOnly = UInt8(1 << Self.description)
            for (t, bytes) in termBytes.enumerated() {
                let id = Int32(t)
                let word = String(decoding: bytes, as: UTF8.self)
                for form in CatalogWords.singularForms(word) {
                    singularMap[form, default: []].append(id)
                    if let key = CatalogWords.genderKey(form), genderMap[key]?.last != id { genderMap[key, default: []].append(id) }
                }
                if termFields[t] != descriptionOnly, bytes.count >= 4, !bytes.contains(where: CatalogWords.isDigit) {
                    spellable.append((id, bytes))
                }
            }
            spelling = SpellingNeighbourhood(words: spellable)
        }

        /// The searchable words of a text (normalised, without stop words; a naming field — name,
        /// tag, category — keeps the product stop words, a description's "te encantará" does not).
        private mutating func words(_ text: String, naming: Bool = true) -> [String] {
            tokenizer.tokens(text).filter { token in
                guard CatalogWords.stopWords.contains(token) else { return true }
                guard naming, CatalogWords.productStopWords[token] != nil || CatalogWords.productWordsAmongStopWords.contains(token)
                else { return false }
                namingStopWords.insert(token)
                return true
            }
        }

        /// The id of `word`, added to the vocabulary if new.
        private mutating func term(_ word: String, field: Int) -> Int32 {
            if let id = termIDs[word] {
                termFields[Int(id)] |= UInt8(1 << field)
                return id
            }
            let id = Int32(termBytes.count)
            termIDs[word] = id
            termBytes.append(Array(word.utf8))
            termFields.append(UInt8(1 << field))
            return id
        }
    }
}
