/// Product search over one catalog snapshot, built once when the snapshot is activated and then
/// shared by every conversation of the tenant (immutable, so safe from any thread).
///
/// A query is normalised like skill phrases (`TextNormalizer` rules: lowercase, no accents), chat and
/// function words are dropped (`CatalogWords.stopWords`, so a whole message works), and each
/// remaining word matches a product's words in its name, category name, tags, attribute values
/// and description, as:
/// - the same word, or another number of it (singular/plural: zapatillas → zapatilla,
///   pantalones → pantalón, relojes → reloj, luces → luz, shoes → shoe, batteries → battery);
/// - the other gender of a known adjective (rojas → rojo), at 0.85 of the weight;
/// - the Spanish words for an English shopping word (dress → vestido, jackets → chaqueta,
///   `CatalogWords.spanishFor`), at 0.9, so English speakers find a Spanish catalog's products;
/// - only when the word matches nothing that way, a word one edit away (two from 8 letters),
///   at 0.7 (0.5) of the weight — words under 4 letters and numbers are never corrected.
///
/// Scores are BM25F: per-field weights (name 3, category and tags 2, attributes 1.5,
/// description 0.5) with length normalisation, saturated with k1 = 1.2 and multiplied by the
/// word's IDF, summed over the query's words and scaled by the share of them the product matches
/// (colours, sizes, numbers and adjectives count half a word there).
/// Products scoring below 20 % of the best are dropped (they match only a minor word); out-of-stock
/// products score 0.7 of their value, so they follow in-stock ones of comparable relevance. Ties keep
/// catalog order. A SKU typed as a word of the message (or a run of up to 6 words, for a SKU with
/// spaces) puts that product first.
///
/// Three rules keep weak matches out: when the query names a product (a word that is not a colour,
/// size, number, audience or listed adjective), hits must match such a word — "zapatillas rojas"
/// lists zapatillas, red ones first, not every red product — and outside their description when
/// any product does ("tenis" does not list a dress whose description mentions tenis); and when a
/// query word matches nothing in the catalog, hits found only in descriptions are dropped. Products on sale (a sale price below
/// the price) are also found by "oferta", "descuento", "promoción", "rebajas", "sale"…. A price
/// range in the message ("de menos de 500", "under 1000", `PriceBound`) keeps only products whose
/// current price is in it; a size asked for ("en el 42", "talla M", "xl") keeps only products
/// whose size attribute lists it (or that list none).
public final class CatalogSearchIndex: Sendable {
    /// Ranking knobs (for experiments; the defaults are tuned on `Tests/catalog/search-queries.tsv`).
    public struct Configuration: Sendable, Equatable {
        public var nameWeight = 3.0
        public var categoryWeight = 2.0
        public var tagWeight = 2.0
        public var attributeWeight = 1.5
        public var descriptionWeight = 0.5
        /// BM25 term-frequency saturation.
        public var k1 = 1.2
        /// What an out-of-stock product's score is multiplied by.
        public var outOfStockFactor = 0.7
        /// Hits scoring below this share of the best hit are dropped.
        public var relativeCutoff = 0.2

        public init() {}
        public static let `default` = Configuration()
    }

    public let catalog: Catalog
    public let configuration: Configuration
    /// Counts, categories and price range, for a "what do you sell?" answer.
    public let summary: CatalogSummary

    private let tokenizer = CatalogTokenizer()
    private let termIDs: [String: Int32]
    /// Product stop words that name something in this catalog (see `CatalogWords.productStopWords`
    /// and `productWordsAmongStopWords`).
    private let namingStopWords: Set<String>
    private let termBytes: [[UInt8]]
    private let idf: [Float]
    private let postingStart: [Int32]
    private let postingDocs: [Int32]
    private let postingWeights: [Float]
    /// Whether the posting's product has the term outside its description.
    private let postingStrong: [Bool]
    /// Per term: whether some product has it outside its description.
    private let termStrong: [Bool]
    /// The terms that say what kind of thing a product is: the first word of its name
    /// ("Zapatillas", "Botella", "Mochila"), and "ropa" or "calzado" in a category's name.
    private let kindTerms: Set<Int32>
    /// Per product: whether its name, category or tags say it is for children.
    private let forChildren: [Bool]
    /// Who each product is for by its name, category and tags: `CatalogWords.Gender` bits
    /// (none: anybody; both: unisex).
    private let genders: [UInt8]
    /// Singular form → the terms that have it.
    private let singularMap: [String: [Int32]]
    /// Gender-free adjective key → the terms that have it.
    private let genderMap: [String: [Int32]]
    private let spelling: SpellingNeighbourhood
    private let skuIndex: [String: Int32]
    /// SKUs with spaces, as typed (see `Builder.typedSKUIndex`).
    private let typedSKUIndex: [String: Int32]
    /// Words in the longest SKU with spaces that a message is matched against (at most `maxSKUWords`).
    private let skuMaxWords: Int
    /// SKUs of more words than this are only found by reply ids, not typed.
    static let maxSKUWords = 6
    private let categoryPositions: [String: Int]
    /// Per category (catalog order): its products, in stock first, then catalog order.
    private let productsByCategory: [[Int32]]
    /// Per category: the normalised words of its name.
    private let categoryWords: [[String]]
    /// Each category's id by its name as typed (normalised) and by its id with spaces for dashes.
    private let categoryIDsByTypedName: [String: String]
    /// Each category's id with its name's words in every number (for `categoryID(typedName:)`).
    private let categoryStems: [(id: String, stems: Set<String>)]

    /// Indexes `catalog` (about 1 s for 50,000 products in a release build).
    public init(catalog: Catalog, configuration: Configuration = .default) {
        self.catalog = catalog
        self.configuration = configuration
        self.summary = CatalogSummary(catalog)
        var builder = Builder(catalog: catalog, configuration: configuration)
        builder.build()
        termIDs = builder.termIDs
        namingStopWords = builder.namingStopWords
        termBytes = builder.termBytes
        idf = builder.idf
        postingStart = builder.postingStart
        postingDocs = builder.postingDocs
        postingWeights = builder.postingWeights
        postingStrong = builder.postingStrong
        let normalizer = TextNormalizer()
        let categoryNames = Dictionary(catalog.categories.map { ($0.id, $0.name) }, uniquingKeysWith: { a, _ in a })
        forChildren = catalog.products.map { p in
            let words = normalizer.normalize(([p.name, categoryNames[p.category] ?? ""] + p.tags).joined(separator: " ")).tokens
            return words.contains { CatalogWords.childWords.contains($0) }
        }
        genders = catalog.products.map { p in
            CatalogWords.genders(of: normalizer.normalize(([p.name, categoryNames[p.category] ?? ""] + p.tags).joined(separator: " ")).tokens)
        }
        termStrong = (0..<max(builder.postingStart.count - 1, 0)).map { t in
            (Int(builder.postingStart[t])..<Int(builder.postingStart[t + 1])).contains { builder.postingStrong[$0] }
        }
        kindTerms = Set(catalog.products.compactMap { normalizer.normalize($0.name).tokens.first.flatMap { builder.termIDs[$0] } }
            + builder.categoryWords.joined().filter { ["ropa", "calzado"].contains($0) }.compactMap { builder.termIDs[$0] })
        singularMap = builder.singularMap
        genderMap = builder.genderMap
        spelling = builder.spelling
        skuIndex = builder.skuIndex
        typedSKUIndex = builder.typedSKUIndex
        skuMaxWords = builder.skuMaxWords
        categoryPositions = builder.categoryPositions
        productsByCategory = builder.productsByCategory
        categoryWords = builder.categoryWords
        categoryIDsByTypedName = Dictionary(catalog.categories.flatMap {
            [(normalizer.normalize($0.name).text, $0.id), (String($0.id.map { $0 == "-" ? " " : $0 }), $0.id)]
        }, uniquingKeysWith: { first, _ in first })
        categoryStems = catalog.categories.map { category in
            (category.id, Set(normalizer.normalize(category.name).tokens.filter { !Self.categoryGlue.contains($0) }.flatMap(CatalogWords.singularForms)))
        }
    }

    // MARK: Look-ups

    /// The categories, in catalog order.
    public var categories: [CatalogCategory] { catalog.categories }

    public func category(id: String) -> CatalogCategory? {
        categoryPositions[id].map { catalog.categories[$0] }
    }

    /// The id of the category whose name (normalised, as `TextNormalizer` does) or id is `typed`;
    /// else, for English words ("electronics", "home and kitchen", "sports"), the one category whose
    /// name has the Spanish words they translate to (`CatalogWords.spanishFor`), ignoring number
    /// and the joining words.
    public func categoryID(typedName typed: String) -> String? {
        if let id = categoryIDsByTypedName[typed] { return id }
        let words = typed.split(separator: " ").map(String.init).filter { !Self.categoryGlue.contains($0) }
        guard !words.isEmpty, words.count <= 4 else { return nil }
        let choices = words.map { word -> [String] in
            let forms = CatalogWords.singularForms(word)
            let spanish = forms.flatMap { CatalogWords.spanishFor[$0] ?? [] }
            return spanish.flatMap(CatalogWords.singularForms)
        }
        guard choices.allSatisfy({ !$0.isEmpty }) else { return nil }  // only translated words
        let matching = categoryStems.filter { _, stems in choices.allSatisfy { !stems.isDisjoint(with: $0) } }
        return matching.count == 1 ? matching[0].id : nil
    }

    private static let categoryGlue: Set<String> = ["y", "e", "de", "del", "and", "of", "the", "for", "para", "s"]

    /// How many products `category` has.
    public func productCount(inCategory id: String) -> Int {
        categoryPositions[id].map { productsByCategory[$0].count } ?? 0
    }

    /// Up to `limit` products of a category: in stock first, then in catalog order.
    public func products(inCategory id: String, limit: Int = 10) -> [Product] {
        guard let position = categoryPositions[id] else { return [] }
        return productsByCategory[position].prefix(max(0, limit)).map { catalog.products[Int($0)] }
    }

    /// The product with this SKU (ignoring case).
    public func product(sku: String) -> Product? {
        skuIndex[sku.lowercased()].map { catalog.products[Int($0)] }
    }

    // MARK: Search

    /// The best `limit` products for a user's message, best first; empty when the message has no
    /// searchable word or nothing matches.
    public func search(_ query: String, limit: Int = 10) -> [CatalogSearchHit] {
        searchResults(query, limit: limit).hits
    }

    /// `search` plus how many products matched in all (for "I found 23 results").
    public func searchResults(_ query: String, limit: Int = 10) -> CatalogSearchResults {
        let bound = PriceBound.parse(query)?.bound
        let size = askedSize(query)
        let words = queryWords(query)
        let skuHits = skuMatches(query)
        guard !words.isEmpty || !skuHits.isEmpty, limit > 0 else { return CatalogSearchResults(hits: [], total: 0, words: words) }
        let n = catalog.products.count
        var total = [Float](repeating: 0, count: n)
        var coverage = [Float](repeating: 0, count: n)
        var flags = [UInt8](repeating: 0, count: n)
        var best = [Float](repeating: 0, count: n)
        var touched: [Int32] = []
        var wordTouched: [Int32] = []
        var activeCoverage: Float = 0
        var activeHeads = 0
        var unmatchedWords = 0
        // "descuentos en relojes": only the watches on sale (it listed every watch); and "oferta"
        // then only filters, so "ofertas en calzado" keeps to shoes (it added every item on sale).
        let onSaleOnly = words.count > 1 && words.contains(CatalogWords.onSale)
        let heads = CatalogWords.headWords(onSaleOnly ? words.filter { $0 != CatalogWords.onSale } : words)
        for word in words {
            wordTouched.removeAll(keepingCapacity: true)
            let isHead = heads.contains(word)
            for (term, weight) in expansions(of: word) {
                let base = idf[Int(term)] * weight
                for p in Int(postingStart[Int(term)])..<Int(postingStart[Int(term) + 1]) {
                    let doc = Int(postingDocs[p])
                    let contribution = base * postingWeights[p]
                    if best[doc] == 0 { wordTouched.append(Int32(doc)) }
                    if contribution > best[doc] { best[doc] = contribution }
                    if postingStrong[p] { flags[doc] |= isHead ? Self.strongMatch | Self.strongHeadMatch : Self.strongMatch }
                }
            }
            guard !wordTouched.isEmpty else {
                unmatchedWords += 1
                continue
            }
            let share: Float = isHead ? 1 : Self.modifierShare
            activeCoverage += share
            if isHead { activeHeads += 1 }
            for doc32 in wordTouched {
                let doc = Int(doc32)
                if coverage[doc] == 0 { touched.append(doc32) }
                total[doc] += best[doc]
                coverage[doc] += share
                if isHead { flags[doc] |= Self.headMatch }
                best[doc] = 0
            }
        }
        // A product word that matched nothing ("libros para niños" in a shop without books): no
        // results, rather than whatever else the message matched (it listed building blocks).
        if activeHeads == 0, words.contains(where: { heads.contains($0) && !CatalogWords.genericProductWords.contains($0)
                                                         && !CatalogWords.audiences.contains($0) }), skuHits.isEmpty {
            return CatalogSearchResults(hits: [], total: 0, words: words)
        }
        // Who qualifies: with a product word (not only colours, sizes, adjectives) in the query,
        // a hit must match one; when a word matched nothing, description-only hits are too weak.
        // And when some product has a product word of the query outside its description, a hit
        // must too: "tenis" listed a dress whose description suggests wearing it with tenis.
        let strongHeads = activeHeads > 0 && touched.contains { flags[Int($0)] & Self.strongHeadMatch != 0 }
        let requiredFlags = (activeHeads > 0 ? Self.headMatch : 0) | (unmatchedWords > 0 ? Self.strongMatch : 0)
            | (strongHeads ? Self.strongHeadMatch : 0)
        // Relevance: sum of word scores times the share of the query matched.
        // Asked for men's things, women's ones are not them (and the other way round): "zapatos
        // para hombre" listed the women's heels second. Unisex products and unmarked ones stay.
        let askedGenders = CatalogWords.genders(of: words)
        let otherGender: UInt8 = askedGenders == CatalogWords.Gender.men ? CatalogWords.Gender.women
            : askedGenders == CatalogWords.Gender.women ? CatalogWords.Gender.men : 0
        var bestRaw: Float = 0
        var eligible: [Int32] = []
        eligible.reserveCapacity(touched.count)
        for doc32 in touched {
            let doc = Int(doc32)
            guard flags[doc] & requiredFlags == requiredFlags else { continue }
            if let bound, !bound.contains(catalog.products[doc].currentPrice) { continue }
            if let size, let sizes = Self.sizes(of: catalog.products[doc]), !sizes.contains(size) { continue }
            if onSaleOnly, !((catalog.products[doc].salePrice?.amount).map { $0 < catalog.products[doc].price.amount } ?? false) { continue }
            if otherGender != 0, genders[doc] == otherGender { continue }
            total[doc] *= coverage[doc] / activeCoverage
            bestRaw = max(bestRaw, total[doc])
            eligible.append(doc32)
        }
        let cutoff = bestRaw * Float(configuration.relativeCutoff)
        let outOfStock = Float(configuration.outOfStockFactor)
        // Asked for no child, a shopper means grown-ups' things: children's ones follow those of
        // comparable relevance ("busco tenis" and "tenis para mujer" listed the children's pair first).
        let adultsFirst = !words.contains(where: CatalogWords.childWords.contains)
        // A gift for a grown-up ("para mi mamá", "for my dad") is no toy: children's things are left out.
        let adultsOnly = adultsFirst && words.contains(where: CatalogWords.adultRecipients.contains)
        var top = TopHits(limit: limit)
        var count = 0
        for doc32 in eligible where total[Int(doc32)] >= cutoff && total[Int(doc32)] > 0 && !skuHits.contains(doc32) {
            let doc = Int(doc32)
            if adultsOnly && forChildren[doc] { continue }
            count += 1
            let score = catalog.products[doc].isInStock ? total[doc] : total[doc] * outOfStock
            top.insert(doc: doc32, score: adultsFirst && forChildren[doc] ? score * Self.childrenFactor : score)
        }
        // A SKU written in the message goes first.
        let skuScore = max(bestRaw, 1) * 2
        let ranked = skuHits.map { (doc: $0, score: skuScore) } + top.sorted
        let hits = ranked.prefix(limit).map {
            CatalogSearchHit(index: Int($0.doc), product: catalog.products[Int($0.doc)], score: Double($0.score))
        }
        return CatalogSearchResults(hits: Array(hits), total: count + skuHits.count, words: words)
    }

    private static let strongMatch: UInt8 = 1
    private static let headMatch: UInt8 = 2
    /// What a children's product's score is multiplied by when the query names no one it is for.
    private static let childrenFactor: Float = 0.9
    /// A product word of the query matched outside the description.
    private static let strongHeadMatch: UInt8 = 4
    /// How much a modifier (colour, size, adjective) counts towards a product's share of the query.
    private static let modifierShare: Float = 0.5

    /// The searchable words of a message: normalised, without stop words and a price range
    /// (`PriceBound`), each once (at most 16).
    func queryWords(_ query: String) -> [String] {
        let query = PriceBound.parse(query)?.rest ?? query
        var seen = Set<String>()
        var words: [String] = []
        let lowered = query.lowercased()
        func keeps(_ token: String) -> Bool {
            guard CatalogWords.stopWords.contains(token) else { return true }
            guard namingStopWords.contains(token) else { return false }
            guard let accented = CatalogWords.productStopWords[token] else { return true }  // "cerveza modelo"
            return lowered.contains(accented)  // "té verde" is tea; "te quiero" is not
        }
        for token in tokenizer.tokens(query) where keeps(token) {
            let word = CatalogWords.onSaleWords.contains(token) ? CatalogWords.onSale : token
            if seen.insert(word).inserted { words.append(word) }
            if words.count == 16 { break }
        }
        // "running shoes", "zapatos deportivos": sneakers, not every shoe (Oxfords and heels came
        // before the canvas sneakers).
        if words.contains(where: CatalogWords.athleticWords.contains) {
            words = words.map { ["shoe", "shoes"].contains($0) ? "sneakers" : ["zapato", "zapatos"].contains($0) ? "tenis" : $0 }
        }
        // "deportivas baratas": with no product word, an adjective that names one alone does.
        if !words.contains(where: { !CatalogWords.isModifier($0) }) {
            words = words.map { CatalogWords.nounsWhenAlone[$0] ?? $0 }
        }
        return words
    }

    /// Whether `text` is one product's name, or most of it: two or more searchable words
    /// (`queryWords`), every one a word of the name of the product the search ranks first
    /// ("cuerda para saltar" is the skipping rope, not exercise tips).
    func namesOneProduct(_ text: String) -> Bool {
        let words = queryWords(text)
        guard words.count >= 2, words.count <= 8, let top = search(text, limit: 1).first else { return false }
        let name = Set(tokenizer.tokens(top.product.name))
        return words.allSatisfy(name.contains)
    }

    /// Whether `text` names a product of its own (`isConfidentMatch`) with a word that is more
    /// than a colour, size or who it is for: "¿cuánto cuesta la mochila?" does, "¿la azul?" and
    /// "¿en talla XL?" do not (they ask about the product on screen).
    /// Words of `product`'s own name do not count ("¿de qué material es la gorra?" on the cap's card).
    func namesAnotherProduct(_ text: String, besides product: Product) -> Bool {
        guard isConfidentMatch(text) else { return false }
        let own = Set(tokenizer.tokens(product.name))
        return !queryWords(text).allSatisfy { CatalogWords.isModifier($0) || CatalogWords.cheapWords.contains($0) || own.contains($0)
            || $0 == CatalogWords.onSale }
    }

    /// Products whose SKU is written as a word of `query`, or as a run of words for a SKU with spaces
    /// (ignoring case, surrounding punctuation and how many spaces). A short SKU of digits only
    /// ("42", "2") counts only when it is the whole message: inside a sentence it is far more
    /// likely a size or a quantity ("zapatillas talla 42", "quiero 2 camisetas").
    private func skuMatches(_ query: String) -> [Int32] {
        var found: [Int32] = []
        let words = Array(query.split(whereSeparator: { $0.isWhitespace }).prefix(32))
        for (i, raw) in words.enumerated() {
            let word = raw.trimmingPunctuation().lowercased()
            let plainNumber = word.count < 4 && word.allSatisfy(\.isNumber)
            if let doc = skuIndex[word], !found.contains(doc), !plainNumber || words.count == 1 { found.append(doc) }
            // Runs of words, for SKUs with spaces (only when the catalog has some).
            guard skuMaxWords > 1 else { continue }
            for n in 2...skuMaxWords where i + n <= words.count {
                let run = words[i..<(i + n)].joined(separator: " ")
                if let doc = typedSKUIndex[Substring(run).trimmingPunctuation().lowercased()], !found.contains(doc) { found.append(doc) }
            }
        }
        return found
    }

    /// The size a query asks for: a number or letter after "talla", "talle", "size", "número" or
    /// Spain's "en el" ("zapatillas en el 42", "camiseta talla M"), or an unmistakable letter size
    /// anywhere ("xl", "xxl", "xs"). Nil when it names none.
    func askedSize(_ query: String) -> String? {
        let tokens = tokenizer.tokens(query)
        for (i, token) in tokens.enumerated() {
            let labelled = i > 0 && (["talla", "talle", "size", "numero", "number"].contains(tokens[i - 1])
                || (i > 1 && tokens[i - 1] == "el" && tokens[i - 2] == "en"))
            let isNumber = !token.isEmpty && token.count <= 3 && token.allSatisfy(\.isNumber)
            if labelled && (isNumber || CatalogWords.sizes.contains(token)) { return token }
            // "¿la tienen en M?", "do you have it in L?": a letter size after "en"/"in".
            if i > 0, ["en", "in"].contains(tokens[i - 1]), ["s", "m", "l"].contains(token) { return token }
            // "do you have it in 45?", "¿las tienen en 38?": a shoe size after "en"/"in".
            if i > 0, ["en", "in"].contains(tokens[i - 1]), isNumber, token.count >= 2 { return token }
            if ["xs", "xxs", "xl", "xxl", "xxxl"].contains(token) { return token }
        }
        return nil
    }

    /// The sizes a product comes in, from an attribute named for them ("talla": "38, 39, 40"),
    /// lowercased; nil when it lists none.
    public static func sizes(of product: Product) -> Set<String>? {
        guard let value = product.attributes.first(where: {
            ["talla", "tallas", "talle", "talles", "size", "sizes", "numero", "número"].contains($0.key.lowercased())
        })?.value else { return nil }
        let sizes = Set(value.lowercased().split(whereSeparator: { $0 == "," || $0 == "/" || $0 == " " || $0 == ";" }).map(String.init))
        return sizes.isEmpty ? nil : sizes
    }

    /// Whether `word` (a query word) says what kind of thing some products are (`kindTerms`):
    /// "tenis", "ropa", "shoes" in a shop that sells them; not "agua" for a speaker "resistente al agua".
    func namesProductKind(_ word: String) -> Bool {
        guard word.count >= 3, !CatalogWords.isModifier(word), !CatalogWords.stopWords.contains(word) else { return false }
        return expansions(of: word).contains { $0.1 >= 0.85 && kindTerms.contains($0.0) }
    }

    /// Whether some product has `term` outside its description (its name, category, tags or attributes).
    func namesProducts(_ term: Int32) -> Bool { termStrong[Int(term)] }

    /// The vocabulary terms a query word stands for, with how much a match counts (0…1).
    func expansions(of word: String) -> [(Int32, Float)] {
        var weights: [Int32: Float] = [:]
        func add(_ term: Int32, _ weight: Float) {
            if weight > weights[term, default: 0] { weights[term] = weight }
        }
        let forms = CatalogWords.singularForms(word)
        if let exact = termIDs[word] { add(exact, 1) }
        for form in forms {
            for term in singularMap[form] ?? [] { add(term, 0.95) }
        }
        for form in forms {
            guard let key = CatalogWords.genderKey(form) else { continue }
            for term in genderMap[key] ?? [] { add(term, 0.85) }
        }
        // An English word for what a Spanish catalog names in Spanish ("dress" → vestido), or
        // another country's word for it ("deportivas" → tenis).
        for form in forms {
            for spanish in (CatalogWords.spanishFor[form] ?? []) + (CatalogWords.regionalSynonyms[form] ?? []) {
                if let term = termIDs[spanish] { add(term, 0.9) }
                for f in CatalogWords.singularForms(spanish) {
                    for term in singularMap[f] ?? [] { add(term, 0.9) }
                }
                if let key = CatalogWords.genderKey(spanish) {
                    for term in genderMap[key] ?? [] { add(term, 0.85) }
                }
            }
        }
        if weights.isEmpty, !word.utf8.contains(where: CatalogWords.isDigit) {
            for form in forms {
                let bytes = Array(form.utf8)
                let limit = SpellingNeighbourhood.maxDistance(forLength: bytes.count)
                guard limit > 0 else { continue }
                for term in spelling.candidates(of: bytes, maxDistance: limit) {
                    let d = SpellingNeighbourhood.distance(bytes, termBytes[Int(term)], limit: limit)
                    guard d <= limit else { continue }
                    let weight: Float = d == 1 ? 0.7 : 0.5
                    add(term, weight)
                    // The corrected word's other forms too ("camizas" → camisa → camisas).
                    let corrected = String(decoding: termBytes[Int(term)], as: UTF8.self)
                    for other in CatalogWords.singularForms(corrected) {
                        for t in singularMap[other] ?? [] { add(t, weight) }
                    }
                }
            }
        }
        return weights.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
    }

    // MARK: Categories

    /// The categories closest to `query`, for "did you mean…?" buttons when a search found nothing:
    /// categories whose name shares a word with it (same, other number or gender, misspelt, or a
    /// prefix of at least 4 letters, or similar letter trigrams), best first. With no such
    /// category, the categories with the most products (`similarity` 0).
    public func categoryMatches(_ query: String, limit: Int = 3) -> [CatalogCategoryMatch] {
        guard limit > 0, !catalog.categories.isEmpty else { return [] }
        let words = queryWords(query)
        var scored: [(position: Int, similarity: Double)] = []
        if !words.isEmpty {
            for (position, names) in categoryWords.enumerated() where !names.isEmpty {
                var sum = 0.0
                for word in words { sum += names.map { Self.similarity(word, $0) }.max() ?? 0 }
                if sum >= 0.45 { scored.append((position, sum)) }
            }
        }
        if scored.isEmpty {
            let popular = catalog.categories.indices
                .sorted { productsByCategory[$0].count != productsByCategory[$1].count ? productsByCategory[$0].count > productsByCategory[$1].count : $0 < $1 }
                .filter { !productsByCategory[$0].isEmpty }
            return popular.prefix(limit).map {
                CatalogCategoryMatch(category: catalog.categories[$0], productCount: productsByCategory[$0].count, similarity: 0)
            }
        }
        scored.sort {
            if $0.similarity != $1.similarity { return $0.similarity > $1.similarity }
            let a = productsByCategory[$0.position].count, b = productsByCategory[$1.position].count
            return a != b ? a > b : $0.position < $1.position
        }
        return scored.prefix(limit).map {
            CatalogCategoryMatch(category: catalog.categories[$0.position], productCount: productsByCategory[$0.position].count,
                                 similarity: $0.similarity)
        }
    }

    /// How alike two normalised words are (0…1).
    static func similarity(_ a: String, _ b: String) -> Double {
        if a == b { return 1 }
        let formsA = CatalogWords.singularForms(a)
        let formsB = CatalogWords.singularForms(b)
        if formsA.contains(where: formsB.contains) { return 1 }
        let gendersA = formsA.compactMap(CatalogWords.genderKey)
        if !gendersA.isEmpty, formsB.compactMap(CatalogWords.genderKey).contains(where: gendersA.contains) { return 0.9 }
        let x = Array(a.utf8), y = Array(b.utf8)
        let limit = SpellingNeighbourhood.maxDistance(forLength: min(x.count, y.count))
        if limit > 0 {
            let d = SpellingNeighbourhood.distance(x, y, limit: limit)
            if d <= limit { return d == 1 ? 0.8 : 0.6 }
        }
        if min(x.count, y.count) >= 4, x.starts(with: y) || y.starts(with: x) { return 0.7 }
        return 0.8 * trigramDice(x, y)
    }

    /// Dice coefficient of the letter trigrams of two words (padded with spaces).
    static func trigramDice(_ a: [UInt8], _ b: [UInt8]) -> Double {
        func grams(_ w: [UInt8]) -> [UInt32] {
            let p = [0x20, 0x20] + w + [0x20]
            guard p.count >= 3 else { return [] }
            return (0..<(p.count - 2)).map { UInt32(p[$0]) << 16 | UInt32(p[$0 + 1]) << 8 | UInt32(p[$0 + 2]) }.sorted()
        }
        let x = grams(a), y = grams(b)
        guard !x.isEmpty, !y.isEmpty else { return 0 }
        var i = 0, j = 0, common = 0
        while i < x.count, j < y.count {
            if x[i] == y[j] { common += 1; i += 1; j += 1 } else if x[i] < y[j] { i += 1 } else { j += 1 }
        }
        return 2 * Double(common) / Double(x.count + y.count)
    }
}

/// One product found by `CatalogSearchIndex.search`.
public struct CatalogSearchHit: Sendable, Equatable {
    /// The product's position in `Catalog.products`.
    public var index: Int
    public var product: Product
    /// Relevance (only comparable within one search).
    public var score: Double

    public init(index: Int, product: Product, score: Double) {
        self.index = index
        self.product = product
        self.score = score
    }
}

/// The best hits of a search and how many products matched in all.
public struct CatalogSearchResults: Sendable, Equatable {
    public var hits: [CatalogSearchHit]
    /// Every product that matched well enough, beyond `hits`.
    public var total: Int
    /// The words searched for (the message without stop words), normalised.
    public var words: [String]

    public init(hits: [CatalogSearchHit], total: Int, words: [String]) {
        self.hits = hits
        self.total = total
        self.words = words
    }
}

/// A category suggested for a query.
public struct CatalogCategoryMatch: Sendable, Equatable {
    public var category: CatalogCategory
    public var productCount: Int
    /// How well its name matches the query (0 when it is only a popular category).
    public var similarity: Double

    public init(category: CatalogCategory, productCount: Int, similarity: Double) {
        self.category = category
        self.productCount = productCount
        self.similarity = similarity
    }

    /// Whether this is a fallback (one of the biggest categories) rather than a match.
    public var isFallback: Bool { similarity == 0 }
}

/// Keeps the `limit` best (score, then lowest doc) of a stream.
private struct TopHits {
    let limit: Int
    /// Ascending by rank: the worst kept hit first.
    private var kept: [(doc: Int32, score: Float)] = []

    init(limit: Int) {
        self.limit = limit
        kept.reserveCapacity(limit + 1)
    }

    private static func better(_ a: (doc: Int32, score: Float), than b: (doc: Int32, score: Float)) -> Bool {
        a.score != b.score ? a.score > b.score : a.doc < b.doc
    }

    mutating func insert(doc: Int32, score: Float) {
        let hit = (doc: doc, score: score)
        if kept.count == limit, let worst = kept.first, !Self.better(hit, than: worst) { return }
        var lo = 0, hi = kept.count
        while lo < hi {
            let mid = (lo + hi) / 2
            if Self.better(kept[mid], than: hit) { hi = mid } else { lo = mid + 1 }
        }
        kept.insert(hit, at: lo)
        if kept.count > limit { kept.removeFirst() }
    }

    /// Best first.
    var sorted: [(doc: Int32, score: Float)] { kept.reversed() }
}

extension Substring {
    /// Without leading and trailing punctuation ("¿ZAP-001?" → "ZAP-001").
    fileprivate func trimmingPunctuation() -> Substring {
        let isEdge: (Character) -> Bool = { $0.isPunctuation || $0.isSymbol }
        guard let start = firstIndex(where: { !isEdge($0) }), let end = lastIndex(where: { !isEdge($0) }) else { return "" }
        return self[start...end]
    }
}
