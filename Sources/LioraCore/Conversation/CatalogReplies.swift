import Foundation

/// A product shown as a card: image header (when the product has one), name, price and stock,
/// and a button that opens the product page through a tracked short link.
public struct ProductCard: Sendable, Equatable {
    public var sku: String
    public var body: String
    public var imageURL: String?
    public var buttonTitle: String
    /// The product page (the responder shortens it, with UTM campaign = intent, content = sku).
    public var url: String

    public init(sku: String, body: String, imageURL: String?, buttonTitle: String, url: String) {
        self.sku = sku; self.body = body; self.imageURL = imageURL; self.buttonTitle = buttonTitle; self.url = url
    }
}

/// What the bot remembers of the last catalog search, for "ver más".
public struct CatalogBrowse: Sendable, Equatable, Codable {
    /// The search text, or nil when browsing a category.
    public var query: String?
    public var categoryID: String?
    /// How many results were already shown.
    public var shown: Int
    /// The catalog version the results came from (a new catalog starts afresh).
    public var catalogVersion: Int?
    /// The SKUs of the list on screen, in its order, for "el segundo" (nil in states stored
    /// before it was kept).
    public var onScreen: [String]?
    /// The order of the pages when not by relevance: in stock only, cheapest or dearest first.
    public var order: Order?
    /// A price range the pages keep to, as the user wrote it (`PriceBound.parse` reads it again).
    public var priceText: String?
    /// The colours or sizes the list was narrowed by ("¿y en negro?"), one search per step that
    /// every result must match too (ranking alone kept the others): kept through a price range or
    /// an order asked after it ("en negro" then "de menos de 1000" showed every colour again).
    public var narrowing: [String]?

    public enum Order: String, Sendable, Codable { case cheapest, dearest }

    public init(query: String?, categoryID: String?, shown: Int, catalogVersion: Int?, onScreen: [String]? = nil,
                order: Order? = nil, priceText: String? = nil, narrowing: [String]? = nil) {
        self.query = query; self.categoryID = categoryID; self.shown = shown; self.catalogVersion = catalogVersion
        self.onScreen = onScreen; self.order = order; self.priceText = priceText; self.narrowing = narrowing
    }

    enum CodingKeys: String, CodingKey {
        case query, categoryID = "category_id", shown, catalogVersion = "catalog_version", onScreen = "on_screen", order,
             priceText = "price_text", narrowing
    }
}

/// The active catalog as the engine sees it: the search index and its version.
public struct ActiveCatalogIndex: Sendable {
    public var index: CatalogSearchIndex
    public var version: Int

    public init(index: CatalogSearchIndex, version: Int) {
        self.index = index
        self.version = version
    }
}

/// Reply ids the catalog replies use (list rows and buttons), answered before routing.
public enum CatalogReplyID {
    public static let product = "sku:"
    public static let category = "cat:"
    public static let more = "catalog:more"
}

extension ConversationEngine {
    /// Results per page: Meta's list message holds 10 rows; one is kept for "ver más".
    static let pageSize = 9
    /// The most text a product card carries: Meta's limit for an interactive message's body.
    static let cardBodyLimit = 1024

    /// Answers the catalog intents and reply ids from the active catalog; nil when the
    /// message is not a catalog question this can answer.
    func catalogTurn(text: String, replyID: String?, intentID: String?, language: Language, state: inout ConversationState,
                     catalog: ActiveCatalogIndex, now: Date) -> (replies: [BotReply], intent: String)? {
        let index = catalog.index
        if let replyID {
            if replyID.hasPrefix(CatalogReplyID.product) {
                if let product = index.product(sku: String(replyID.dropFirst(CatalogReplyID.product.count))) {
                    return ([.product(card(product, index: index, language: language))], "catalogo.detalle")
                }
                // A row of an older list, for a product the shop has since taken out of its
                // catalog: say so, and show what its name finds now (or the categories).
                let gone = BotReply.text(language == .es ? "Ese producto ya no está en el catálogo de la tienda."
                                                         : "That product is no longer in the shop's catalog.")
                if index.isConfidentMatch(text), !index.search(text, limit: 1).isEmpty {
                    state.catalogBrowse = CatalogBrowse(query: text, categoryID: nil, shown: 0, catalogVersion: catalog.version)
                    return ([gone] + page(state: &state, catalog: catalog, language: language), "catalogo.buscar")
                }
                return ([gone, categoriesReply(index, language: language)], "catalogo.categorias")
            }
            if replyID.hasPrefix(CatalogReplyID.category) {
                let id = String(replyID.dropFirst(CatalogReplyID.category.count))
                guard index.category(id: id) != nil else { return nil }
                state.catalogBrowse = CatalogBrowse(query: nil, categoryID: id, shown: 0, catalogVersion: catalog.version)
                return (page(state: &state, catalog: catalog, language: language), "catalogo.categorias")
            }
            if replyID == CatalogReplyID.more {
                return (page(state: &state, catalog: catalog, language: language), "catalogo.buscar")
            }
        }
        switch intentID {
        case "catalogo.categorias":
            return ([categoriesReply(index, language: language)], "catalogo.categorias")
        case "catalogo.resumen":
            // A tapped button's title is the bot's own words ("What we sell"), never a product asked for.
            if replyID != nil { return ([summaryReply(index, language: language)], "catalogo.resumen") }
            // "¿venden sandalias?" reads like "what do you sell?" but names a product: show it.
            if index.isConfidentMatch(text), !index.search(text, limit: 1).isEmpty {
                state.catalogBrowse = CatalogBrowse(query: text, categoryID: nil, shown: 0, catalogVersion: catalog.version)
                return (page(state: &state, catalog: catalog, language: language), "catalogo.buscar")
            }
            // "¿venden celulares?" in a shop with none: say so, rather than the summary.
            if Self.asksWhatIsSold(text), !index.queryWords(text).isEmpty {
                state.catalogBrowse = nil
                return ([noResults(text, index: index, language: language)], "catalogo.buscar")
            }
            return ([summaryReply(index, language: language)], "catalogo.resumen")
        case "catalogo.detalle":
            // "How much?" with no product on screen or named: which one (it searched for "how much").
            if Self.asksAboutOne(text) {
                return ([.text(language == .es ? "¿De qué producto? Escríbeme su nombre, por ejemplo «mochila negra»."
                                               : "Which product? Type its name, for example “black backpack”.")], "catalogo.detalle")
            }
            // One clear best match gets its card; several close ones are listed to pick from.
            let hits = index.search(text, limit: 2)
            if hits.isEmpty, let notOnSale = notOnSale(text, state: &state, catalog: catalog, language: language) { return (notOnSale, "catalogo.buscar") }
            guard let top = hits.first else { return ([noResults(text, index: index, language: language)], "catalogo.detalle") }
            if hits.count == 1 || top.score >= 1.5 * hits[1].score {
                return ([.product(card(top.product, index: index, language: language))], "catalogo.detalle")
            }
            state.catalogBrowse = CatalogBrowse(query: text, categoryID: nil, shown: 0, catalogVersion: catalog.version)
            return (page(state: &state, catalog: catalog, language: language), "catalogo.buscar")
        case "catalogo.buscar":
            if let cheapest = cheapestSearch(text, state: &state, catalog: catalog, language: language, now: now) {
                return (cheapest, "catalogo.buscar")
            }
            if let notOnSale = notOnSale(text, state: &state, catalog: catalog, language: language) { return (notOnSale, "catalogo.buscar") }
            state.catalogBrowse = CatalogBrowse(query: text, categoryID: nil, shown: 0, catalogVersion: catalog.version)
            return (page(state: &state, catalog: catalog, language: language), "catalogo.buscar")
        default:
            return nil
        }
    }

    /// "¿está en oferta la cafetera italiana?" when nothing it names is on sale: says so and lists
    /// what it names, with prices (it said no products were found). Nil when the search without
    /// the sale words finds nothing either, or finds something on sale.
    func notOnSale(_ text: String, state: inout ConversationState, catalog: ActiveCatalogIndex, language: Language) -> [BotReply]? {
        let index = catalog.index
        let words = text.split(whereSeparator: \.isWhitespace)
        guard words.contains(where: { CatalogWords.onSaleWords.contains(Self.folded($0)) }), index.search(text, limit: 1).isEmpty else { return nil }
        let rest = words.filter { !CatalogWords.onSaleWords.contains(Self.folded($0)) }.joined(separator: " ")
        guard index.isConfidentMatch(rest) else { return nil }
        let hits = index.search(rest, limit: 2)
        guard let top = hits.first else { return nil }
        // One product clearly named: a line and its card.
        if hits.count == 1 || top.score >= 1.5 * hits[1].score {
            return [.text(Self.notOnSaleLine(top.product, index: index, language: language)),
                    .product(card(top.product, index: index, language: language))]
        }
        state.catalogBrowse = CatalogBrowse(query: rest, categoryID: nil, shown: 0, catalogVersion: catalog.version)
        let note = BotReply.text(language == .es ? "No lo tengo en oferta por ahora; estos son sus precios:"
                                                 : "It isn't on sale right now; here are the prices:")
        return [note] + page(state: &state, catalog: catalog, language: language)
    }

    /// "No, *…* no está en oferta; cuesta $…": a product asked about as on sale that is not.
    static func notOnSaleLine(_ p: Product, index: CatalogSearchIndex, language: Language) -> String {
        let price = index.catalog.formatted(p.price.amount)
        return language == .es ? "No, *\(p.name)* no está en oferta; cuesta \(price)." : "No, *\(p.name)* isn't on sale; it's \(price)."
    }

    /// The id of the shop's category that `text` names on its own ("Electrónica", "ver hogar y
    /// cocina", "la de deportes"), as if its row had been tapped: after the category list people
    /// type the name as often as they tap it, and "electrónica" alone got e-waste recycling.
    static func typedCategory(_ text: String, index: CatalogSearchIndex) -> String? {
        guard text.utf8.count <= 60 else { return nil }
        var tokens = normalizer.normalize(text).tokens[...]
        while tokens.count > 1, let first = tokens.first, categoryLeadWords.contains(first) { tokens = tokens.dropFirst() }
        while tokens.count > 1, let last = tokens.last, ["porfa", "please", "pls", "gracias"].contains(last) { tokens = tokens.dropLast() }
        guard !tokens.isEmpty else { return nil }
        return index.categoryID(typedName: tokens.joined(separator: " "))
    }

    /// Words before a category's name that do not change which one is meant.
    private static let categoryLeadWords: Set<String> = [
        "ver", "veo", "quiero", "muestrame", "mostrar", "categoria", "la", "el", "los", "las", "de", "en", "lo", "del",
        "show", "me", "see", "the", "category", "open",
    ]

    /// A short follow-up to the list on screen: a row picked by its position ("el segundo", "la
    /// 3", "the first one", "el último"), the same search narrowed by a colour or size ("¿y en
    /// negro?", "¿la tienen en talla M?", "and in blue?"), or the cheapest of it ("¿más baratos?",
    /// "cheaper ones?"). Nil when `text` is none of these, or no list was shown.
    func listFollowUp(_ text: String, state: inout ConversationState, catalog: ActiveCatalogIndex,
                      language: Language) -> (replies: [BotReply], intent: String)? {
        guard let browse = state.catalogBrowse, browse.catalogVersion == catalog.version, browse.shown > 0,
              text.utf8.count <= 60 else { return nil }
        let index = catalog.index
        var tokens = Self.normalizer.normalize(text).tokens[...]
        while tokens.count > 1, let first = tokens.first, Self.followUpLeadWords.contains(first) { tokens = tokens.dropFirst() }
        while tokens.count > 1, let last = tokens.last, ["porfa", "please", "pls", "one", "ones", "uno", "una", "then", "entonces", "pues", "mejor", "instead"].contains(last) {
            tokens = tokens.dropLast()
        }
        guard !tokens.isEmpty else { return nil }
        // "-1", "1.5", "+2": no row has that number (normalising drops the sign and the point:
        // "-1" opened row 1, "1.5" searched "1 5").
        if Self.isSignedOrFractionalNumber(text), let rows = browse.onScreen, !rows.isEmpty {
            return Self.outOfList(rows.count, language: language)
        }
        // "do you have it in size 8?" asks a size, not the eighth row.
        let written = Self.normalizer.normalize(text).tokens
        let asksSize = written.contains { ["talla", "talle", "size", "numero"].contains($0) }
            && !written.contains { ["el", "la", "opcion", "option"].contains($0) }
        if tokens.count == 1, !asksSize, let position = Self.ordinals[tokens[tokens.startIndex]] {
            let rows = (browse.onScreen ?? []).compactMap { index.product(sku: $0) }
            guard !rows.isEmpty else { return nil }
            guard position < 0 ? -position <= rows.count : position <= rows.count else { return Self.outOfList(rows.count, language: language) }
            let pick = position < 0 ? rows[rows.count + position] : rows[position - 1]
            return ([.product(card(pick, index: index, language: language))], "catalogo.detalle")
        }
        // What the list on screen came from: the search's results or the category's products.
        let subject = browse.categoryID.flatMap { index.category(id: $0)?.name } ?? browse.query.map { "“\(Self.trimmedQuery($0))”" } ?? ""
        func base(_ query: String?, narrowing: [String]? = browse.narrowing) -> [Product] {
            if let categoryID = browse.categoryID { return narrowed(index.products(inCategory: categoryID, limit: 500), by: narrowing, index: index) }
            return narrowed(index.search(query ?? browse.query ?? "", limit: 500).map(\.product), by: narrowing, index: index)
        }
        // Shows `hits` as the list on screen (kept for "el segundo" and "¿más baratos?"; no
        // further pages: "ver más" says that was all).
        func show(_ hits: [Product], titled body: (es: String, en: String), query: String? = nil,
                  narrowing: [String]? = nil, priceText: String? = nil, order: CatalogBrowse.Order? = nil) -> (replies: [BotReply], intent: String) {
            if hits.count == 1 { return ([.product(card(hits[0], index: index, language: language))], "catalogo.detalle") }
            let shown = Array(hits.prefix(Self.pageSize))
            state.catalogBrowse = CatalogBrowse(query: query ?? browse.query, categoryID: browse.categoryID, shown: 1000, catalogVersion: catalog.version,
                                                onScreen: shown.map(\.sku), order: order, priceText: priceText, narrowing: narrowing)
            return ([productList(shown, body: language == .es ? body.es : body.en, more: false, index: index, language: language)],
                    "catalogo.buscar")
        }
        // A price range alone ("¿de menos de 500?", "under 1000"): the same list within it.
        if let (bound, rest) = PriceBound.parse(text), index.queryWords(rest).isEmpty {
            guard base(nil).contains(where: { bound.contains($0.currentPrice) }) else {
                return ([.text(language == .es ? "No encontré \(subject) en ese rango de precio. ¿Busco en otro rango o algo distinto?"
                                               : "I couldn't find \(subject) in that price range. Shall I look in another range, or for something else?")],
                        "catalogo.buscar")
            }
            // Pages of it, "Ver más" included (it stopped at nine: the $299 ones were left out).
            state.catalogBrowse = CatalogBrowse(query: browse.query, categoryID: browse.categoryID, shown: 0, catalogVersion: catalog.version,
                                                order: browse.order, priceText: text, narrowing: browse.narrowing)
            return (page(state: &state, catalog: catalog, language: language), "catalogo.buscar")
        }
        let words = Array(tokens)
        // "¿y deportivas baratas?": narrowed, then cheapest first.
        let cheap = words.contains(where: CatalogWords.cheapWords.contains)
        // "¿y los negros cuánto valen?": the black ones, whose rows give their prices.
        let modifiers = words.filter { !CatalogWords.cheapWords.contains($0) && $0 != "mas" && !Self.priceAskWords.contains($0)
            && !["one", "ones", "in", "en", "talla", "size", "de", "of", "para", "for"].contains($0) }
        // "the blue one", "la gris en L": the one row on screen of that colour (and size), when
        // exactly one is (it searched the shop for "blue").
        if !modifiers.isEmpty, modifiers.count <= 3, Self.pointsAtOne(written), let rows = browse.onScreen, rows.count > 1 {
            let colours = Self.askedColours(modifiers.joined(separator: " "))
            let sizes = modifiers.filter { CatalogWords.sizes.contains($0) || ($0.count <= 3 && $0.allSatisfy(\.isNumber)) }
            if !colours.isEmpty, colours.count + sizes.count == modifiers.count {
                let fitting = rows.compactMap { index.product(sku: $0) }.filter { p in
                    colours.allSatisfy { Self.hasColour(p, $0) } && sizes.allSatisfy { CatalogSearchIndex.sizes(of: p)?.contains($0) ?? false }
                }
                if fitting.count == 1 { return ([.product(card(fitting[0], index: index, language: language))], "catalogo.detalle") }
            }
        }
        // (Or who it is for: "¿y para niños?" after pyjamas.)
        if !modifiers.isEmpty, modifiers.count <= 3, modifiers.allSatisfy({ CatalogWords.isModifier($0) || CatalogWords.audiences.contains($0) }) {
            // Only the results that have the colour or size too (ranking alone put the black
            // hoodie first but kept the yellow one), and the earlier ones ("en negro" then "en
            // talla 42"), within the price range and in the order asked before ("de menos de 700"
            // then "¿y en negro?" listed the dearer black pairs too).
            let extra = modifiers.joined(separator: " ")
            // Another colour or size replaces the one before ("en talla 37" then "¿y en 41?" looked
            // for both); the other steps stay.
            func isSize(_ word: String) -> Bool { CatalogWords.sizes.contains(word) || (word.count <= 3 && word.allSatisfy(\.isNumber)) }
            let (newColour, newSize) = (!Self.askedColours(extra).isEmpty, modifiers.contains(where: isSize))
            var query = browse.query
            let kept = (browse.narrowing ?? []).filter { step in
                let words = step.split(separator: " ").map(String.init)
                guard (newColour && !Self.askedColours(step).isEmpty) || (newSize && words.contains(where: isSize)) else { return true }
                query = query.map { $0.replacingOccurrences(of: " talla " + step, with: "").replacingOccurrences(of: " " + step, with: "") }
                return false
            }
            let steps = kept + [extra]
            var hits = narrowed(base(query.map { $0 + " " + extra }, narrowing: kept), by: [extra], index: index)
            let order: CatalogBrowse.Order? = cheap ? .cheapest : browse.order
            switch order {
            case .cheapest?: hits = hits.filter(\.isInStock).sorted { $0.currentPrice < $1.currentPrice }
            case .dearest?: hits = hits.filter(\.isInStock).sorted { $0.currentPrice > $1.currentPrice }
            case nil: break
            }
            // Outside the range only: those, saying so (the range goes).
            var priceText = browse.priceText
            var outOfRange = false
            if let bound = priceText.flatMap({ PriceBound.parse($0)?.bound }) {
                let inRange = hits.filter { bound.contains($0.currentPrice) }
                if inRange.isEmpty, !hits.isEmpty { priceText = nil; outOfRange = true } else { hits = inRange }
            }
            // "¿la tienen en talla M?" after dresses: “vestidos” en talla M (it said “ver vestidos m”).
            let sized = asksSize || (modifiers.count == 1 && CatalogWords.sizes.contains(extra))
            let narrowed = sized
                ? (query.map { "“\(Self.trimmedQuery($0))”" } ?? subject) + (language == .es ? " en talla " : " in size ") + extra.uppercased()
                : query.map { "“\(Self.trimmedQuery($0 + " " + extra))”" } ?? "\(subject) (\(extra))"
            guard !hits.isEmpty else {
                // None of the list has it, the shop may ("¿tienen algo en rosa?" after speakers):
                // what the colour or size finds on its own.
                let elsewhere = index.search(extra, limit: 2)
                if !elsewhere.isEmpty, !extra.allSatisfy(\.isNumber) {
                    state.catalogBrowse = CatalogBrowse(query: extra, categoryID: nil, shown: 0, catalogVersion: catalog.version)
                    let note = BotReply.text(language == .es ? "No encontré \(narrowed), pero esto es lo que tenemos en \(extra):"
                                                             : "I couldn't find \(narrowed), but here's what we have in \(extra):")
                    return ([note] + page(state: &state, catalog: catalog, language: language), "catalogo.buscar")
                }
                // A number alone that is no size here and no row ("99" after seven shoes): a row
                // out of the list, not a search for "tenis 99".
                if words.count == 1, !asksSize, extra.allSatisfy(\.isNumber), let rows = browse.onScreen, !rows.isEmpty {
                    return Self.outOfList(rows.count, language: language)
                }
                state.catalogBrowse = nil
                return ([browse.query.map { noResults($0 + " " + extra, index: index, language: language) }
                         ?? .text(language == .es ? "No encontré \(narrowed). ¿Busco otra cosa?" : "I couldn't find \(narrowed). Shall I look for something else?")],
                        "catalogo.buscar")
            }
            // What a later "¿más barato?" sorts: the search narrowed ("tenis" then "¿y en blanco?"
            // then "más barato" listed every pair again).
            let narrowedQuery = query.map { $0 + (sized ? " talla " : " ") + extra }
            func titled(_ body: (es: String, en: String)) -> (replies: [BotReply], intent: String) {
                var shown = show(hits, titled: body, query: narrowedQuery, narrowing: steps, priceText: priceText, order: order)
                if outOfRange {
                    shown.replies.insert(.text(language == .es ? "No encontré \(narrowed) en ese rango de precio; estos son los que hay:"
                                                               : "I couldn't find \(narrowed) in that price range; these are the ones we have:"), at: 0)
                }
                return shown
            }
            switch order {
            case .cheapest?:
                return titled(("Los más económicos de \(narrowed), del más barato al más caro:", "The most affordable for \(narrowed), cheapest first:"))
            case .dearest?:
                return titled(("Los de mayor precio de \(narrowed), del más caro al más barato:", "The highest-priced for \(narrowed), most expensive first:"))
            case nil where priceText != nil:
                return titled(("Esto encontré de \(narrowed) en ese precio. Elige uno para ver el detalle:",
                               "Here's \(narrowed) in that price range. Pick one to see the details:"))
            case nil:
                return titled(("Esto encontré para \(narrowed). Elige uno para ver el detalle:",
                               "Here's what I found for \(narrowed). Pick one to see the details:"))
            }
        }
        let said = words.joined(separator: " ")
        if Self.dearerPhrases.contains(said) || Self.cheaperPhrases.contains(said) {
            guard base(nil).contains(where: \.isInStock) else { return nil }
            let order: CatalogBrowse.Order = Self.dearerPhrases.contains(said) ? .dearest : .cheapest
            // "¿y más caro?" after "¿algo más barato?" below a card: not the dearest of the cheaper
            // ones (it listed the same $699 pairs as "the highest-priced"); the bound goes.
            let flipped = browse.order != nil && browse.order != order && browse.priceText.map(Self.isCardBound) == true
            state.catalogBrowse = CatalogBrowse(query: browse.query, categoryID: browse.categoryID, shown: 0, catalogVersion: catalog.version,
                                                order: order, priceText: flipped ? nil : browse.priceText, narrowing: browse.narrowing)
            return (page(state: &state, catalog: catalog, language: language), "catalogo.buscar")
        }
        return nil
    }

    /// Words asking a price, beside a colour or size narrowing the list ("¿y los negros cuánto valen?").
    static let priceAskWords: Set<String> = ["cuanto", "cuesta", "cuestan", "valen", "vale", "precio", "precios", "how", "much", "cost", "costs",
                                             "price", "prices", "are", "they", "the"]

    /// A search asking for cheap things ("tenis baratos", "cheap headphones", "¿qué tienen
    /// barato?"): what the rest of it finds, in stock, cheapest first (the whole shop when nothing
    /// is left). Ranking alone kept the pricier pairs first. Nil when no such word is in `text`.
    func cheapestSearch(_ text: String, state: inout ConversationState, catalog: ActiveCatalogIndex,
                        language: Language, now: Date) -> [BotReply]? {
        let tokens = Self.normalizer.normalize(text).tokens
        let tooDear = tokens.contains(where: CatalogWords.dearWords.contains)
        guard tokens.contains(where: CatalogWords.cheapWords.contains) || tooDear else { return nil }
        let index = catalog.index
        // The message without those words, as written (a price range stays: "baratos de menos de 500").
        let rest = text.split(whereSeparator: \.isWhitespace).filter { word in
            let w = Self.folded(word)
            return !CatalogWords.cheapWords.contains(w) && !CatalogWords.dearWords.contains(w) && !["mas", "most", "lo", "the"].contains(w)
        }.joined(separator: " ")
        let searching = index.isConfidentMatch(rest)  // "lo más barato que tengan" names nothing
        // "¿Algo más barato?", "está muy cara" just after a card: its category's cheaper products
        // (it listed the shop's cheapest: a jump rope and a shampoo for a speaker).
        if !searching, let shown = state.shownProduct, shown.catalogVersion == catalog.version,
           now.timeIntervalSince(shown.at) <= configuration.slotTimeout, now >= shown.at, let product = index.product(sku: shown.sku) {
            // "¿Hay algo más caro?" asks for pricier ones; "está muy cara" for cheaper ones.
            let dearer = Self.asksDearer(tokens)
            let price = NSDecimalNumber(decimal: product.currentPrice).intValue
            // "¿hay algo más barato que 300?": that price, for the card's kind (it listed the
            // whole shop under 300 after a cap). Kept in the card's form ("hasta 300"), so "¿y más
            // caro?" after it drops it as it drops the card's (it listed the cheaper ones as the
            // highest-priced).
            let asked = PriceBound.parse(text)?.bound
            let bound: String = switch (asked?.minimum, asked?.maximum) {
            case (nil, let maximum?): "hasta \(NSDecimalNumber(decimal: maximum).intValue)"
            case (let minimum?, nil): "desde \(NSDecimalNumber(decimal: minimum).intValue)"
            case (.some, .some): text
            default: dearer ? "desde \(price + 1)" : "hasta \(price - 1)"
            }
            func wanted(_ p: Product) -> Bool {
                if let asked { return asked.contains(p.currentPrice) }
                return dearer ? p.currentPrice > product.currentPrice : p.currentPrice < product.currentPrice
            }
            let sameCategory = index.products(inCategory: product.category, limit: 1000)
            let others = sameCategory.filter { $0.sku != product.sku && $0.isInStock && wanted($0) }
            let categoryName = index.category(id: product.category)?.name
            // Ones of its kind first (after a dress, dresses: it listed the category's T-shirts
            // and trousers); in another category too (the leather mini backpack "was the most
            // affordable backpack" while the school one cost less).
            // (The only backpack or watch of its category is still one among the shop's: its
            // first word, when other products are that, beats a word its category shares.)
            let shopKind = Self.kindWord(of: product, among: index.catalog.products, index: index)
            let categoryKind = Self.kindWord(of: product, among: sameCategory, index: index)
            let kind = shopKind.flatMap { word in sameCategory.contains { $0.sku != product.sku && index.queryWords($0.name).contains(word) } ? word : nil }
                ?? categoryKind
            let anyKind = shopKind ?? kind
            let alike = anyKind.map { Set(index.search($0, limit: 1000).map(\.product.sku)) } ?? []
            let order: CatalogBrowse.Order = dearer ? .dearest : .cheapest
            // (Not one for someone else: a girl's dress is no cheaper choice than a woman's.)
            let audience = Self.audience(of: product)
            if let kind = anyKind, !others.contains(where: { alike.contains($0.sku) }),
               index.catalog.products.contains(where: { $0.sku != product.sku && $0.isInStock && alike.contains($0.sku)
                   && Self.audience(of: $0).isSubset(of: audience) && wanted($0) }) {
                state.catalogBrowse = CatalogBrowse(query: kind, categoryID: nil, shown: 0, catalogVersion: catalog.version,
                                                    order: order, priceText: bound)
                return page(state: &state, catalog: catalog, language: language)
            }
            guard !others.isEmpty else {
                if asked != nil {
                    // The most affordable of its kind instead, as a card ("¿Busco en otro rango?"
                    // asked a question the bot did not understand the answer to).
                    let kindName = anyKind.map { "“\($0)”" } ?? (language == .es ? "eso" : "that")
                    let cheapest = index.catalog.products.filter { $0.sku != product.sku && $0.isInStock && alike.contains($0.sku)
                        && Self.audience(of: $0).isSubset(of: audience) }.min { $0.currentPrice < $1.currentPrice }
                    guard let cheapest, cheapest.currentPrice < product.currentPrice else {
                        return [.text(language == .es ? "No encontré \(kindName) en ese precio; *\(product.name)* es de lo más económico que tenemos."
                                                      : "I couldn't find \(kindName) in that price range; *\(product.name)* is among the most affordable we have.")]
                    }
                    return [.text(language == .es ? "No encontré \(kindName) en ese precio. Lo más económico que tenemos:"
                                                  : "I couldn't find \(kindName) in that price range. The most affordable we have:"),
                            .product(card(cheapest, index: index, language: language))]
                }
                let line: String = switch (dearer, language) {
                case (false, .es): "Es de lo más económico que tenemos en \(categoryName ?? "esa categoría")."
                case (false, _): "It's among the most affordable we have in \(categoryName ?? "that category")."
                case (true, .es): "Es de lo de mayor precio que tenemos en \(categoryName ?? "esa categoría")."
                case (true, _): "It's among the highest-priced we have in \(categoryName ?? "that category")."
                }
                return [.text(line)]
            }
            // With none of its kind anywhere, the category's, saying so.
            if let kind, others.contains(where: { alike.contains($0.sku) }) {
                state.catalogBrowse = CatalogBrowse(query: kind, categoryID: product.category, shown: 0, catalogVersion: catalog.version,
                                                    order: order, priceText: bound)
                return page(state: &state, catalog: catalog, language: language)
            }
            state.catalogBrowse = CatalogBrowse(query: nil, categoryID: product.category, shown: 0, catalogVersion: catalog.version,
                                                order: order, priceText: bound)
            let note: [BotReply] = (kind ?? anyKind).map { kind in
                let line: String = switch (dearer, language) {
                case (false, .es): "Es lo más económico que tenemos de “\(kind)” en \(categoryName ?? "su categoría"); estos de la misma categoría cuestan menos:"
                case (false, _): "It's the most affordable of its kind in \(categoryName ?? "its category"); these from the same category cost less:"
                case (true, .es): "Es lo de mayor precio que tenemos de “\(kind)” en \(categoryName ?? "su categoría"); estos de la misma categoría cuestan más:"
                case (true, _): "It's the highest-priced of its kind in \(categoryName ?? "its category"); these from the same category cost more:"
                }
                return [.text(line)]
            } ?? {
                // No kind to name (the dumbbells): still said, so the hiking backpack after "¿más
                // caras?" is not taken for an answer about dumbbells.
                let category = categoryName ?? (language == .es ? "su categoría" : "its category")
                let line: String = switch (dearer, language) {
                case (false, .es): "No tengo nada parecido más económico; en \(category) esto cuesta menos:"
                case (false, _): "I have nothing like it for less; in \(category) these cost less:"
                case (true, .es): "No tengo nada parecido de mayor precio; en \(category) esto cuesta más:"
                case (true, _): "I have nothing like it that costs more; in \(category) these cost more:"
                }
                return [.text(line)]
            }()
            return note + page(state: &state, catalog: catalog, language: language)
        }
        // "Caro" alone is no search (only after a card, above); "lo más caro" asks for the dearest.
        let dearest = Self.asksDearer(tokens) && !tokens.contains(where: CatalogWords.cheapWords.contains)
        guard !tooDear || searching || dearest else { return nil }
        let found = searching ? index.search(rest, limit: 500).map(\.product) : index.catalog.products
        guard found.contains(where: \.isInStock) else {
            state.catalogBrowse = nil
            return [noResults(rest, index: index, language: language)]
        }
        state.catalogBrowse = CatalogBrowse(query: searching ? rest : nil, categoryID: nil, shown: 0, catalogVersion: catalog.version,
                                            order: dearest ? .dearest : .cheapest, priceText: PriceBound.parse(rest) == nil ? nil : rest)
        return page(state: &state, catalog: catalog, language: language)
    }

    /// Who a product is for, as its name and tags say ("niña", "hombre"); empty for anyone.
    static func audience(of p: Product) -> Set<String> {
        Set(normalizer.normalize(([p.name] + p.tags).joined(separator: " ")).tokens.filter(CatalogWords.audiences.contains))
    }

    /// Whether a browse's price range is one `cheapestSearch` made from a card's price ("hasta
    /// 1098", "desde 1300"), not one the user wrote.
    static func isCardBound(_ text: String) -> Bool {
        let parts = text.split(separator: " ")
        return parts.count == 2 && (parts[0] == "hasta" || parts[0] == "desde") && parts[1].allSatisfy(\.isNumber)
    }

    /// Whether `text` asks which other colours the product on screen comes in ("¿la tienen en
    /// otro color?", "¿qué colores hay?", "other colours?").
    static func asksOtherColours(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        guard tokens.count <= 10, tokens.contains(where: { ["color", "colores", "colors", "colour", "colours"].contains($0) }) else { return false }
        let other = tokens.contains { ["otro", "otros", "otra", "otras", "other", "another", "different", "distinto", "diferente", "mas", "more"].contains($0) }
        // "what color is it?", "¿de qué color es?" ask its colour; "¿qué colores hay?" which there are.
        let plural = tokens.contains { ["colores", "colors", "colours"].contains($0) }
        return other || (plural && tokens.contains { ["que", "what", "which", "cuales"].contains($0) })
    }

    /// The other colours of the product on screen: the same model in other colours, else its
    /// kind's other colours in its category, saying the model comes in one colour (the card
    /// was shown again, unchanged).
    func otherColours(of product: Product, state: inout ConversationState, catalog: ActiveCatalogIndex, language: Language) -> [BotReply] {
        let index = catalog.index
        let category = index.products(inCategory: product.category, limit: 1000)
        func model(_ p: Product) -> [String] { index.queryWords(p.name).filter { !CatalogWords.isModifier($0) } }
        let colour = product.attributes["color"]
        let differs = { (p: Product) in p.sku != product.sku && (colour == nil || p.attributes["color"] != colour) }
        let own = model(product)
        var others = category.filter { differs($0) && model($0) == own }
        let sameModel = !others.isEmpty
        let kind = Self.kindWord(of: product, among: category, index: index)
        if !sameModel, let kind { others = category.filter { differs($0) && index.queryWords($0.name).contains(kind) } }
        let translating = Self.translates(index, to: language)
        let onlyIn = colour.map { language == .es ? "Este modelo solo lo tenemos en \($0)."
                                                  : "This model only comes in \(translating ? Self.inEnglish(key: "color", value: $0).value : $0)." }
            ?? (language == .es ? "Este modelo solo lo tenemos así." : "This model only comes as shown.")
        guard !others.isEmpty else { return [.text(onlyIn)] }
        let shown = Array(others.prefix(Self.pageSize))
        state.catalogBrowse = CatalogBrowse(query: kind ?? own.joined(separator: " "), categoryID: nil, shown: 1000,
                                            catalogVersion: catalog.version, onScreen: shown.map(\.sku))
        let body = sameModel
            ? (language == .es ? "También lo tenemos en otros colores. Elige uno para ver el detalle:" : "It also comes in other colours. Pick one to see the details:")
            : (language == .es ? "\(onlyIn) Estos son parecidos, en otros colores:" : "\(onlyIn) These are alike, in other colours:")
        return [productList(shown, body: body, more: false, index: index, language: language)]
    }

    /// The colours `text` names, as stems that ignore gender and number ("negra", "negros" →
    /// "negr"; "azul" → "azul"; "black" → "negr").
    static func askedColours(_ text: String) -> [String] {
        var found: [String] = []
        for token in normalizer.normalize(text).tokens {
            let spanish = CatalogWords.spanishFor[token].flatMap { words in
                CatalogWords.colours.contains(token) || genderedColourStems.contains(colourStem(words[0])) ? words[0] : nil
            } ?? token
            let stem = colourStem(spanish)
            if CatalogWords.colours.contains(spanish) || genderedColourStems.contains(stem), !found.contains(stem) { found.append(stem) }
        }
        return found
    }

    /// "negra", "negros" → "negr"; words that do not change with gender stay as they are.
    private static func colourStem(_ word: String) -> String {
        for ending in ["as", "os", "a", "o"] where word.hasSuffix(ending) && word.count > ending.count + 2 {
            let stem = String(word.dropLast(ending.count))
            if genderedColourStems.contains(stem) { return stem }
        }
        return word
    }

    private static let genderedColourStems: Set<String> = ["negr", "blanc", "roj", "amarill", "morad", "dorad", "platead", "rosad"]

    /// Whether `product`'s colour attribute has the colour `stem` (`askedColours`).
    static func hasColour(_ product: Product, _ stem: String) -> Bool {
        guard let colour = product.attributes["color"] ?? product.attributes["colour"] else { return false }
        return normalizer.normalize(colour).tokens.contains { colourStem($0) == stem }
    }

    /// The product a question about the card on screen is about when it names another colour:
    /// the same model in it ("¿la negra tiene stock?" after the red running shoes), else the
    /// first of its kind in it ("¿y la blanca?" after the black cap: the white trucker cap).
    /// `.same` when the text names no colour or the card's own; `.none(colour)` when nothing
    /// of its kind comes in the colour asked.
    enum ColourSibling { case same, other(Product), none(String) }

    func colourSibling(of product: Product, asked text: String, index: CatalogSearchIndex) -> ColourSibling {
        let asked = Self.askedColours(text)
        guard let stem = asked.first, asked.count == 1, !Self.hasColour(product, stem) else { return .same }
        let category = index.products(inCategory: product.category, limit: 1000)
        func model(_ p: Product) -> [String] { index.queryWords(p.name).filter { !CatalogWords.isModifier($0) } }
        let own = model(product)
        if let twin = category.first(where: { $0.sku != product.sku && model($0) == own && Self.hasColour($0, stem) }) { return .other(twin) }
        if let kind = Self.kindWord(of: product, among: category, index: index),
           let alike = category.first(where: { $0.sku != product.sku && index.queryWords($0.name).contains(kind) && Self.hasColour($0, stem) }) {
            return .other(alike)
        }
        let typed = Self.normalizer.normalize(text).tokens.first { Self.colourStem(CatalogWords.spanishFor[$0]?.first ?? $0) == stem
            || Self.colourStem($0) == stem } ?? stem
        return .none(typed)
    }

    /// Whether `text` is only a number with a sign or a fractional part ("-1", "+2", "1.5",
    /// "2,5"), spaces around it allowed: never a row's position.
    package static func isSignedOrFractionalNumber(_ text: String) -> Bool {
        var bytes = Substring(text).utf8.drop(while: { $0 == 0x20 || $0 == 0x0A || $0 == 0x09 })
        while let last = bytes.last, last == 0x20 || last == 0x0A || last == 0x09 { bytes = bytes.dropLast() }
        var signed = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            signed = true
            bytes = bytes.dropFirst()
        } else if bytes.starts(with: "−".utf8) {  // U+2212, the minus sign some keyboards type
            signed = true
            bytes = bytes.dropFirst(3)
        }
        let isDigit = { (b: UInt8) in b >= 0x30 && b <= 0x39 }
        let whole = bytes.prefix(while: isDigit)
        guard !whole.isEmpty else { return false }
        let rest = bytes.dropFirst(whole.count)
        if rest.isEmpty { return signed }
        guard let mark = rest.first, mark == UInt8(ascii: ".") || mark == UInt8(ascii: ","),
              case let fraction = rest.dropFirst(), !fraction.isEmpty, fraction.allSatisfy(isDigit) else { return false }
        return true
    }

    /// A row asked for beyond the `count` rows on screen.
    static func outOfList(_ count: Int, language: Language) -> (replies: [BotReply], intent: String) {
        let text = switch (count, language) {
        case (1, .es): "En la lista solo hay uno: escribe 1 para verlo, o escríbeme qué buscas."
        case (1, _): "There's only one in the list: type 1 to see it, or tell me what you're looking for."
        case (_, .es): "En la lista hay \(count). Elige uno del 1 al \(count), o escríbeme qué buscas."
        case (_, _): "There are \(count) in the list. Pick one from 1 to \(count), or tell me what you're looking for."
        }
        return ([.text(text)], "catalogo.buscar")
    }

    /// Whether `tokens` ask for something pricier ("¿hay algo más caro?", "anything more
    /// expensive?", "pricier"), not say it costs too much ("está muy cara", "too expensive").
    static func asksDearer(_ tokens: [String]) -> Bool {
        if tokens.contains("pricier") { return true }
        for (i, t) in tokens.enumerated().dropFirst() where CatalogWords.dearWords.contains(t) {
            if ["mas", "more", "most"].contains(tokens[i - 1]) { return true }
        }
        return false
    }

    /// Sorted by price, a search keeps the hits scoring at least this share of the best one.
    static let orderedRelevanceFloor = 0.5

    /// The word of `product`'s name that says what kind of product it is: the one most of its
    /// category's products share ("vestido" for "Vestido Corto Negro de Punto" among dresses,
    /// blouses and trousers). Nil when no word of it names another product of the category.
    static func kindWord(of product: Product, among category: [Product], index: CatalogSearchIndex) -> String? {
        // Words that say what it is made of or how big it is are no kind ("piel", "pulgadas", "ml").
        // Nor its brand ("Voltio" in "Reloj Inteligente Voltio Fit": the brand's chargers are no watches).
        let brand = Set(normalizer.normalize(product.attributes["marca"] ?? product.attributes["brand"] ?? "").tokens)
        let own = index.queryWords(product.name).filter { !CatalogWords.isModifier($0) && !Self.notKinds.contains($0) && !$0.allSatisfy(\.isNumber)
            && !brand.contains($0) && !CatalogWords.audiences.contains($0) }
        guard let first = own.first else { return nil }
        let others = category.filter { $0.sku != product.sku }
        func sharedBy(_ word: String) -> Int {
            let having = Set(index.search(word, limit: 1000).map(\.product.sku))
            return others.reduce(0) { $0 + (having.contains($1.sku) ? 1 : 0) }
        }
        // A name says what it is first ("Tenis de Piel Blancos", "Mochila para Laptop…"): that
        // word when another product of the category is one too; else the word most share.
        if sharedBy(first) > 0 { return first }
        var best: (word: String, count: Int)?
        for word in own.dropFirst() {
            let count = sharedBy(word)
            if count > 0, count > (best?.count ?? 0) { best = (word, count) }
        }
        return best?.word
    }

    /// Materials, measures and qualities: words of a name that never say what kind of product it is.
    static let notKinds: Set<String> = [
        "piel", "cuero", "algodon", "lona", "malla", "metal", "madera", "plastico", "vidrio", "acero", "ceramica", "silicon", "silicona",
        "sintetico", "sintetica", "lana", "seda", "mezclilla", "leather", "cotton", "canvas", "wood", "steel", "glass", "plastic",
        "satin", "saten", "lino", "punto", "poliester", "nylon", "denim", "terciopelo", "gamuza", "aluminio", "bambu",
        "pulgadas", "pulgada", "cm", "mm", "ml", "l", "litros", "litro", "kg", "g", "gb", "tb", "inch", "inches", "oz",
        "para", "con", "de", "sin", "mini", "grande", "pequeno", "chico", "classic", "clasico", "clasicos", "clasica", "nuevo", "nueva",
    ]

    /// Words before a follow-up that do not change it ("¿y en negro?", "¿la tienen en talla M?").
    private static let followUpLeadWords: Set<String> = [
        "y", "en", "de", "color", "talla", "lo", "la", "los", "las", "el", "tienen", "tienes", "hay", "quiero", "dame", "muestrame",
        "ver", "numero", "opcion", "and", "in", "do", "you", "have", "it", "them", "the", "size", "colour", "color", "number",
        "option", "show", "me", "i", "want", "what", "about", "how", "algo", "something", "unos", "unas", "some", "any", "uno", "una",
        "one", "ones", "a", "an", "are", "there", "anything", "vale", "ok", "okay", "sale", "bueno", "va", "dale", "tenes", "teneis",
        "talle",
        // Picking one to buy: "me llevo la gris", "ok I'll take the grey one" (they got the fallback).
        "llevo", "llevare", "compro", "prefiero", "take", "ill", "will", "get", "prefer", "pick",
        // "mejor en blanco", "better in white", "del 42"
        "mejor", "better", "instead", "rather", "del",
    ]

    /// Positions in a list, as typed: "el segundo", "la 3", "the first one", "el último".
    private static let ordinals: [String: Int] = [
        "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7, "8": 8, "9": 9,
        "primero": 1, "primera": 1, "segundo": 2, "segunda": 2, "tercero": 3, "tercera": 3, "tercer": 3, "cuarto": 4, "cuarta": 4,
        "quinto": 5, "quinta": 5, "sexto": 6, "sexta": 6, "septimo": 7, "septima": 7, "octavo": 8, "octava": 8, "noveno": 9, "novena": 9,
        "ultimo": -1, "ultima": -1, "first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7,
        "eighth": 8, "ninth": 9, "last": -1, "1st": 1, "2nd": 2, "3rd": 3, "4th": 4, "5th": 5,
        "10": 10, "11": 11, "12": 12, "penultimo": -2, "penultima": -2, "decimo": 10, "decima": 10,
    ]

    /// "¿Más baratos?" and its kin, after the lead words are taken off.
    private static let cheaperPhrases: Set<String> = [
        "mas baratos", "mas baratas", "mas barato", "mas barata", "mas economicos", "mas economicas", "mas economico", "mas economica",
        "baratos", "baratas", "economicos", "economicas", "cheaper", "less expensive", "cheapest", "the cheapest", "mas baratos que tengan",
        "cheap", "cual es mas barata", "cual es mas barato", "cual es la mas barata", "cual es el mas barato", "which is cheaper",
        "which is cheapest", "which one is cheaper", "which one is cheapest", "which one is the cheapest", "which is the cheapest",
        "cual es el mas economico", "cual es la mas economica", "el mas barato", "la mas barata",
    ]

    /// "¿El más caro?" and its kin, after the lead words are taken off.
    private static let dearerPhrases: Set<String> = [
        "mas caro", "mas cara", "mas caros", "mas caras", "cual es mas caro", "cual es mas cara", "cual es el mas caro",
        "cual es la mas cara", "most expensive", "the most expensive", "which is most expensive", "pricier", "more expensive",
        "which one is the most expensive", "which is the most expensive", "el mas caro", "la mas cara",
    ]

    /// What asks for the next page of the last results, folded and trimmed ("ver más", "more").
    private static let morePhrases: Set<String> = [
        "ver mas", "mas", "mas resultados", "mostrar mas", "siguiente", "more", "see more", "show more", "next", "ver otros",
        "mostrame otros", "muestrame otros", "ensename otros", "otros", "otras", "otras opciones", "mas opciones", "more options",
        "other options", "others", "show me others", "show me more", "any others", "next page", "the next page",
        "siguiente pagina", "pagina siguiente", "la siguiente pagina", "la pagina siguiente", "otra pagina", "more results",
        "los siguientes", "las siguientes",
    ]
    /// Longer than any of `morePhrases` or a page request, with room for punctuation and accents:
    /// a message past it is not folded at all (this runs on most messages with a list on screen).
    private static let longestMoreRequest = 40

    /// Whether `text` asks for the next page of the last results ("ver más", "more").
    static func asksForMore(_ text: String) -> Bool {
        guard text.utf8.count <= longestMoreRequest else { return false }
        // (The normalizer folds accents and case in a microsecond; Foundation's `folding` took ten.)
        let tokens = normalizer.normalize(text).tokens
        return morePhrases.contains(tokens.joined(separator: " ")) || askedPage(tokens) != nil
    }

    /// The page number in "página 2", "page 3", "la página 2" (2 to 99); nil for anything else.
    static func askedPage(_ text: String) -> Int? {
        guard text.utf8.count <= longestMoreRequest else { return nil }
        return askedPage(normalizer.normalize(text).tokens)
    }

    private static func askedPage(_ words: [String]) -> Int? {
        guard words.count == 2 || (words.count == 3 && ["la", "the"].contains(words[0])),
              ["pagina", "page", "pag"].contains(words[words.count - 2]), let n = Int(words[words.count - 1]), (2...99).contains(n)
        else { return nil }
        return n
    }

    /// Whether the words point at one thing ("the blue one", "la gris", "el negro en 42"), not at
    /// a narrowing of the list ("¿y en negro?", "in blue?").
    static func pointsAtOne(_ tokens: [String]) -> Bool {
        var words = tokens[...]
        while let first = words.first, ["ok", "okay", "vale", "bueno", "y", "and", "pues", "entonces", "so", "then", "me", "llevo", "quiero",
                                        "dame", "ill", "take", "i", "want", "prefiero", "prefer", "give"].contains(first) {
            words = words.dropFirst()
        }
        return words.contains("one") || (["el", "la", "the"].contains(words.first ?? "") && !words.dropFirst().starts(with: ["en"]))
    }

    /// `products` without those some narrowing step (a colour or size the list was narrowed by)
    /// does not find.
    func narrowed(_ products: [Product], by steps: [String]?, index: CatalogSearchIndex) -> [Product] {
        guard let steps, !steps.isEmpty else { return products }
        let having = steps.map { Set(index.search($0, limit: 1000).map(\.product.sku)) }
        return products.filter { p in having.allSatisfy { $0.contains(p.sku) } }
    }

    /// The next page of the remembered search or category.
    func page(state: inout ConversationState, catalog: ActiveCatalogIndex, language: Language) -> [BotReply] {
        let index = catalog.index
        guard var browse = state.catalogBrowse, browse.catalogVersion == catalog.version else {
            state.catalogBrowse = nil
            return [.text(language == .es ? "No tengo más resultados que mostrarte. ¿Qué estás buscando?"
                                          : "I have no more results to show. What are you looking for?")]
        }
        var all: [Product]
        let bound = browse.priceText.flatMap { PriceBound.parse($0)?.bound }
        let wanted = bound == nil && browse.order == nil && browse.narrowing == nil ? browse.shown + Self.pageSize + 1 : 1000
        if let categoryID = browse.categoryID {
            all = index.products(inCategory: categoryID, limit: wanted)
            // "¿algo más barato?" after a dress: the category's products of that kind.
            if let query = browse.query {
                let kind = Set(index.search(query, limit: 1000).map(\.product.sku))
                all = all.filter { kind.contains($0.sku) }
            }
        } else if let query = browse.query {
            let hits = index.search(query, limit: wanted)
            // Sorted by price, the ranking's weak matches came first ("tenis blancos", cheapest
            // first, began with the blue children's pair): by price, only the close matches.
            let floor = browse.order == nil ? 0 : (hits.first?.score ?? 0) * Self.orderedRelevanceFloor
            all = hits.lazy.filter { $0.score >= floor }.map(\.product)
        } else if browse.order != nil {
            all = index.catalog.products  // "¿qué tienen barato?": the whole shop
        } else {
            all = []
        }
        all = narrowed(all, by: browse.narrowing, index: index)
        if let bound { all = all.filter { bound.contains($0.currentPrice) } }
        switch browse.order {
        case .cheapest?: all = all.filter(\.isInStock).sorted { $0.currentPrice < $1.currentPrice }
        case .dearest?: all = all.filter(\.isInStock).sorted { $0.currentPrice > $1.currentPrice }
        case nil: break
        }
        if all.isEmpty {
            state.catalogBrowse = nil
            return [noResults(browse.query ?? "", index: index, language: language)]
        }
        let pageItems = Array(all.dropFirst(browse.shown).prefix(Self.pageSize))
        if pageItems.isEmpty {
            // The list stays the one on screen: "el más caro" or "el segundo" after this still work.
            return [.text(language == .es ? "Esos son todos los resultados. ¿Busco otra cosa?" : "That's all the results. Shall I look for something else?")]
        }
        let hasMore = all.count > browse.shown + pageItems.count
        let first = browse.shown == 0
        browse.shown += pageItems.count
        browse.onScreen = pageItems.map(\.sku)
        // Kept when this was the last page too: a "ver más" after it is told that was all, not
        // routed as words ("more" got exercise tips: "move more").
        state.catalogBrowse = browse
        if first, pageItems.count == 1, !hasMore {
            return [.product(card(pageItems[0], index: index, language: language))]
        }
        let subject: String
        if let categoryID = browse.categoryID, browse.query == nil, let category = index.category(id: categoryID) {
            subject = category.name
        } else {
            subject = browse.query.map { "“\(Self.trimmedQuery($0))”" } ?? ""
        }
        let body: String
        switch (browse.order, first, language) {
        case (.cheapest?, true, .es): body = subject.isEmpty ? "Lo más económico de la tienda, del más barato al más caro:"
                                                              : "Los más económicos de \(subject), del más barato al más caro:"
        case (.cheapest?, true, _): body = subject.isEmpty ? "The most affordable in the shop, cheapest first:"
                                                            : "The most affordable for \(subject), cheapest first:"
        case (.dearest?, true, .es): body = subject.isEmpty ? "Lo de mayor precio de la tienda, del más caro al más barato:"
                                                             : "Los de mayor precio de \(subject), del más caro al más barato:"
        case (.dearest?, true, _): body = subject.isEmpty ? "The highest-priced in the shop, most expensive first:"
                                                           : "The highest-priced for \(subject), most expensive first:"
        case (nil, true, .es) where bound != nil: body = "Esto encontré de \(subject) en ese precio. Elige uno para ver el detalle:"
        case (nil, true, _) where bound != nil: body = "Here's \(subject) in that price range. Pick one to see the details:"
        case (_, true, .es): body = "Esto encontré para \(subject). Elige uno para ver el detalle:"
        case (_, true, _): body = "Here's what I found for \(subject). Pick one to see the details:"
        case (_, false, .es): body = subject.isEmpty ? "Más resultados:" : "Más resultados para \(subject):"
        case (_, false, _): body = subject.isEmpty ? "More results:" : "More results for \(subject):"
        }
        return [productList(pageItems, body: body, more: hasMore, index: index, language: language)]
    }

    /// A list of products to pick from (rows told apart by `distinguished`), with a "Ver más" row
    /// when `more`.
    func productList(_ products: [Product], body: String, more: Bool, index: CatalogSearchIndex, language: Language) -> BotReply {
        var rows = Self.distinguished(products.map { row($0, index: index, language: language) }, names: products.map(\.name))
        if more { rows.append(.init(id: CatalogReplyID.more, title: language == .es ? "Ver más" : "See more", description: nil)) }
        return .list(body: body, button: language == .es ? "Ver productos" : "See products", rows: rows)
    }

    /// A list row for a product within Meta's limits (24-character title, 72-character
    /// description): a long name is shortened on a word in the title and given whole, with the
    /// price, in the description, so two similar products stay distinguishable.
    func row(_ p: Product, index: CatalogSearchIndex, language: Language) -> BotReply.ListRow {
        let price = priceLine(p, index: index, language: language) + (p.stock == 0 ? (language == .es ? " · agotado" : " · sold out") : "")
        return Self.row(id: CatalogReplyID.product + p.sku, name: p.name, detail: price)
    }

    /// A list row for a product or category: a name longer than a row title (24) is shortened at
    /// a word, and shown whole (or as much as fits) in the description before `detail`, so two
    /// long names that begin alike can still be told apart.
    static func row(id: String, name: String, detail: String) -> BotReply.ListRow {
        guard name.utf16.count > 24 else { return BotReply.ListRow(id: id, title: name, description: detail) }
        var title = ""
        for word in name.split(separator: " ") {
            let next = title.isEmpty ? String(word) : title + " " + word
            if next.utf16.count > 23 { break }
            title = next
        }
        if title.isEmpty { title = head(name, 23) }
        let room = 72 - detail.utf16.count - 3
        let shown = name.utf16.count <= room ? name : head(name, max(0, room - 1)) + "…"
        return BotReply.ListRow(id: id, title: title + "…", description: shown + " · " + detail)
    }

    /// Rows whose shortened titles came out alike ("Zapatillas Running Aire…" twice) are titled by
    /// the end of their names instead ("…Aire Roja", "…Aire Negra"), when that tells them apart:
    /// the title is what a phone shows largest. `names[i]` is `rows[i]`'s full name.
    static func distinguished(_ rows: [BotReply.ListRow], names: [String]) -> [BotReply.ListRow] {
        var out = rows
        let groups = Dictionary(grouping: rows.indices, by: { rows[$0].title })
        for (_, members) in groups where members.count > 1 {
            let tails = members.map { i -> String in
                var tail = ""
                for word in names[i].split(separator: " ").reversed() {
                    let next = tail.isEmpty ? String(word) : word + " " + tail
                    if next.utf16.count > 23 { break }
                    tail = next
                }
                return tail.isEmpty ? rows[i].title : "…" + tail
            }
            guard Set(tails).count == tails.count else { continue }
            for (k, i) in members.enumerated() { out[i].title = tails[k] }
        }
        return out
    }

    /// The start of `text` that fits `limit` as Meta's limits count length (UTF-16 units: "❤️" is
    /// 2, a flag 4), cut between characters.
    static func head(_ text: String, _ limit: Int) -> String {
        var kept = ""
        for c in text {
            if kept.utf16.count + c.utf16.count > limit { break }
            kept.append(c)
        }
        return kept
    }

    /// `text` cut at a word to fit `limit` (UTF-16 units), with "…" when cut.
    static func shortened(_ text: String, _ limit: Int) -> String {
        guard text.utf16.count > limit else { return text }
        let kept = head(text, limit - 1)
        let atWord = kept.lastIndex(where: \.isWhitespace).map { String(kept[..<$0]) } ?? kept
        return (atWord.utf16.count >= limit / 2 ? atWord : kept).trimmingCharacters(in: .whitespacesAndNewlines) + "…"
    }

    static func trimmedQuery(_ q: String) -> String {
        // The user's words are quoted back: without control characters (a NUL would go to Meta
        // as is) or bidirectional overrides (an unclosed one turns the rest of the reply around).
        let clean = String(String.UnicodeScalarView(q.unicodeScalars.compactMap { s -> Unicode.Scalar? in
            if s.properties.isWhitespace { return " " }  // a line break or tab between words stays a space
            return s.properties.generalCategory != .control && !(0x202A...0x202E).contains(s.value)
                && !(0x2066...0x2069).contains(s.value) ? s : nil
        }))
        let t = withoutAsking(clean.trimmingCharacters(in: .whitespacesAndNewlines))
        return t.count > 40 ? String(t.prefix(39)) + "…" : t
    }

    /// `text` without the asking around it, as the user wrote the rest: "¿Tienen tenis blancos?"
    /// → "tenis blancos", "busco una camiseta negra" → "camiseta negra", "I'm looking for a
    /// backpack" → "backpack". Unchanged when nothing would be left.
    static func withoutAsking(_ text: String) -> String {
        var words = text.split(whereSeparator: \.isWhitespace)[...]
        var changed = true
        while changed, words.count > 1 {
            changed = false
            for lead in askingLeads where lead.count < words.count
                && zip(words.prefix(lead.count), lead).allSatisfy({ folded($0.0) == $0.1 }) {
                words = words.dropFirst(lead.count)
                changed = true
                break
            }
        }
        while words.count > 1, let last = words.last, ["porfa", "porfavor", "please", "pls", "gracias", "thanks"].contains(folded(last)) {
            words = words.dropLast()
        }
        guard var kept = words.isEmpty ? nil : words.joined(separator: " ") else { return text }
        kept = kept.trimmingCharacters(in: CharacterSet(charactersIn: "¿?¡!.,;: "))
        return kept.isEmpty ? text : kept
    }

    /// A written word lowercased, without accents and the punctuation around it ("¿Tienen" → "tienen").
    static func folded(_ word: Substring) -> String {
        word.lowercased().folding(options: [.diacriticInsensitive], locale: nil)
            .trimmingCharacters(in: .punctuationCharacters.union(.symbols))
    }

    /// Words that open a request without naming what is asked for, longest first (`withoutAsking`).
    private static let askingLeads: [[String]] = [
        ["me", "gustaria", "ver"], ["estoy", "buscando"], ["ando", "buscando"], ["me", "interesa"], ["me", "interesan"],
        ["i'm", "looking", "for"], ["im", "looking", "for"], ["i", "am", "looking", "for"], ["do", "you", "have"],
        ["do", "you", "sell"], ["have", "you", "got"], ["looking", "for"], ["i", "want"], ["i", "need"], ["show", "me"],
        ["what", "about"], ["how", "about"], ["y"], ["and"], ["ok"], ["okay"], ["now"], ["ahora"], ["esta", "en"], ["estan", "en"],
        ["hola"], ["buenas"], ["hello"], ["hi"], ["busco"], ["busko"], ["buzco"], ["kiero"], ["qiero"], ["nesesito"], ["buscaba"], ["quiero"], ["quisiera"], ["queria"], ["necesito"],
        ["tienen"], ["tienes"], ["tendran"], ["tendras"], ["hay"], ["venden"], ["vendes"], ["manejan"], ["muestrame"],
        ["ensename"], ["dame"], ["un"], ["una"], ["unos"], ["unas"], ["algun"], ["alguna"], ["algunos"], ["algunas"], ["a"], ["an"],
        ["some"], ["any"], ["ver"], ["see"], ["mostrar"], ["mostrame"], ["muestrenme"],
        ["cuanto", "cuesta"], ["cuanto", "cuestan"], ["cuanto", "vale"], ["cuanto", "valen"], ["how", "much", "is"], ["how", "much", "are"],
        ["la"], ["el"], ["los"], ["las"], ["the"],
    ]

    func card(_ p: Product, index: CatalogSearchIndex, language: Language) -> ProductCard {
        var lines = ["*\(p.name)*", priceLine(p, index: index, language: language)]
        if p.stock == 0 {
            lines.append(language == .es ? "Agotado por ahora." : "Out of stock for now.")
        } else if p.stock <= 5 {
            lines.append(language == .es ? "¡Quedan solo \(p.stock)!" : "Only \(p.stock) left!")
        } else {
            lines.append(language == .es ? "Disponible." : "In stock.")
        }
        // Sizes, colours and the like: what a shopper asks next ("¿la tienen en talla M?").
        let translating = Self.translates(index, to: language)
        for (key, value) in Self.shownAttributes(p) {
            let (key, value) = translating ? Self.inEnglish(key: key, value: value) : (key, value)
            lines.append("\(key.prefix(1).uppercased() + key.dropFirst()): \(Self.shortened(value, 80))")
        }
        if let d = p.description, !d.isEmpty {
            // The card is one message (photo, text, button) whose text Meta caps at 1024: a long
            // description is shortened rather than split, which would send the name and price
            // apart from the photo and the button (the product page has the rest).
            let room = Self.cardBodyLimit - lines.joined(separator: "\n").utf16.count - 2
            if room >= 40 { lines.append(""); lines.append(Self.shortened(d, room)) }
        }
        return ProductCard(sku: p.sku, body: lines.joined(separator: "\n"), imageURL: p.imageURL,
                           buttonTitle: language == .es ? "Ver producto" : "View product", url: p.url)
    }

    /// What a short question about the card on screen asks, answered in a line or two instead of
    /// the whole card again ("¿de qué material es?" resent the photo, the price and the
    /// description): its price, whether there is any, a size ("¿la tienen en talla M?"), or an
    /// attribute (material, brand, colour, sizes, measures). Nil when it asks none of these: the
    /// card is shown again.
    func cardQuestionAnswer(_ text: String, product p: Product, index: CatalogSearchIndex, language: Language) -> String? {
        let tokens = Self.normalizer.normalize(text).tokens
        let es = language == .es
        var lines: [String] = []
        var asked = Set(tokens.compactMap { Self.cardQuestionWords[$0] })
        if Self.asksPrice(text) || zip(tokens, tokens.dropFirst()).contains(where: { $0 == "on" && $1 == "sale" }) { asked.insert(.price) }
        if let size = index.askedSize(text) ?? Self.bareSize(text) { asked.remove(Self.sizesQuestion); asked.insert(.size(size)) }
        // "¿y en rojo?" about the red one: yes, it is (it sent the card again).
        let colours = Self.askedColours(text)
        if asked.isEmpty, colours.count == 1, Self.hasColour(p, colours[0]), let colour = p.attributes["color"] ?? p.attributes["colour"] {
            let shown = Self.translates(index, to: language) ? Self.inEnglish(key: "color", value: colour).value : colour
            return es ? "Sí, *\(p.name)* es \(shown)." : "Yes, *\(p.name)* is \(shown)."
        }
        guard !asked.isEmpty else { return nil }
        for question in asked.sorted(by: { $0.rank < $1.rank }) {
            switch question {
            case .price:
                // ("¿cuánto sale?" is its price: "sale" is a sale only in "on sale".)
                let saleAsked = tokens.contains { $0 != "sale" && CatalogWords.onSaleWords.contains($0) }
                    || zip(tokens, tokens.dropFirst()).contains { $0 == "on" && $1 == "sale" }
                if saleAsked, !(p.salePrice.map { $0.amount < p.price.amount } ?? false) {
                    // "¿está en oferta?" of one that is not: no, and its price.
                    lines.append(Self.notOnSaleLine(p, index: index, language: language))
                } else if let sale = p.salePrice, sale.amount < p.price.amount {
                    let (now, was) = (index.catalog.formatted(sale.amount), index.catalog.formatted(p.price.amount))
                    lines.append(es ? "*\(p.name)* está en oferta: \(now) (antes \(was))." : "*\(p.name)* is on sale: \(now) (was \(was)).")
                } else {
                    lines.append(es ? "*\(p.name)* cuesta \(priceLine(p, index: index, language: language))."
                                    : "*\(p.name)* is \(priceLine(p, index: index, language: language)).")
                }
            case .stock:
                // "¿está agotada?" asks the other way round: "no" when there are some.
                let soldOutAsked = tokens.contains { ["agotado", "agotada", "agotados", "agotadas", "sold"].contains($0) }
                // "¿cuántas quedan?", "how many are left?", "¿quedan pocas?": how many.
                let fewAsked = tokens.contains { ["pocas", "pocos", "few"].contains($0) }
                let countAsked = fewAsked || tokens.contains { ["cuantos", "cuantas", "cuanto", "cuanta", "many"].contains($0) }
                let line: String = switch (p.stock, es) {
                case (0, true): soldOutAsked ? "Sí, *\(p.name)* está agotado por ahora." : "*\(p.name)* está agotado por ahora."
                case (0, false): soldOutAsked ? "Yes, *\(p.name)* is out of stock for now." : "*\(p.name)* is out of stock for now."
                case (1...5, true): (soldOutAsked ? "No, pero quedan solo" : fewAsked ? "Sí, quedan solo" : countAsked ? "Quedan solo" : "Sí, pero quedan solo")
                    + " \(p.stock) de *\(p.name)*."
                case (1...5, false): (soldOutAsked ? "No, but only" : fewAsked ? "Yes, only" : countAsked ? "Only" : "Yes, but only") + " \(p.stock) of *\(p.name)* left."
                case (_, true) where countAsked: (fewAsked ? "No, quedan " : "Quedan ") + "\(p.stock) de *\(p.name)*."
                case (_, false) where countAsked: (fewAsked ? "No, there are " : "There are ") + "\(p.stock) of *\(p.name)* left."
                case (_, true): soldOutAsked ? "No, *\(p.name)* está disponible." : "Sí, *\(p.name)* está disponible."
                case (_, false): soldOutAsked ? "No, *\(p.name)* is in stock." : "Yes, *\(p.name)* is in stock."
                }
                lines.append(line)
            case .size(let size):
                let shown = size.uppercased()
                guard let sizes = CatalogSearchIndex.sizes(of: p) else {
                    lines.append(es ? "No tengo las tallas de *\(p.name)* en el catálogo. Toca *Ver producto* para verlas, o escribe *asesor* y te ayuda una persona."
                                    : "I don't have the sizes of *\(p.name)* in the catalog. Tap *View product* to see them, or type *human* and a person will help you.")
                    continue
                }
                let all = Self.attribute(of: p, in: Self.sizeKeys).map { Self.oneLine($0.value) } ?? sizes.sorted().joined(separator: ", ")
                lines.append(sizes.contains(size)
                    ? (es ? "Sí, *\(p.name)* viene en talla \(shown)." : "Yes, *\(p.name)* comes in size \(shown).")
                    : (es ? "*\(p.name)* no viene en talla \(shown); viene en: \(all)." : "*\(p.name)* doesn't come in size \(shown); it comes in: \(all)."))
            case .attribute(let keys, let esName, let enName):
                if keys == Self.measuresKeys, Self.attribute(of: p, in: keys) == nil, let measures = Self.measuresWritten(in: p) {
                    // "¿cuánto mide?" with the measures only in the name or description ("45 × 45 cm").
                    lines.append(es ? "*\(p.name)* mide \(measures)." : "*\(p.name)* measures \(measures).")
                } else if keys == Self.capacityKeys, Self.attribute(of: p, in: keys) == nil, let capacity = Self.capacityWritten(in: p, language: language) {
                    // "¿cuántos litros tiene?" with the capacity only in the name or description ("1.5 L", "750 ml").
                    lines.append(es ? "*\(p.name)* tiene una capacidad de \(capacity)." : "*\(p.name)* holds \(capacity).")
                } else if let (key, value) = Self.attribute(of: p, in: keys).map({ found in
                    Self.translates(index, to: language) ? Self.inEnglish(key: found.key, value: found.value) : found
                }) {
                    lines.append("*\(p.name)* — \(Self.oneLine(key).prefix(1).uppercased() + Self.oneLine(key).dropFirst()): \(Self.shortened(Self.oneLine(value), 300))")
                } else {
                    lines.append(es ? "No tengo \(esName) de *\(p.name)* en el catálogo. Toca *Ver producto* para ver todos sus detalles, o escribe *asesor* y te ayuda una persona."
                                    : "I don't have the \(enName) of *\(p.name)* in the catalog. Tap *View product* for all its details, or type *human* and a person will help you.")
                }
            }
        }
        return lines.joined(separator: "\n")
    }

    /// What a question about a card asks (`cardQuestionAnswer`), in the order answers are given.
    enum CardQuestion: Hashable {
        case price, stock, size(String)
        case attribute(keys: [String], es: String, en: String)

        var rank: (Int, String) {
            switch self {
            case .price: (0, "")
            case .stock: (1, "")
            case .size: (2, "")
            case .attribute(_, let es, _): (3, es)
            }
        }
    }

    private static let sizeKeys = ["talla", "tallas", "talle", "talles", "size", "sizes", "numero", "número"]
    private static let sizesQuestion = CardQuestion.attribute(keys: sizeKeys, es: "las tallas", en: "sizes")
    private static let materialQuestion = CardQuestion.attribute(keys: ["material", "materiales", "tela", "fabric"], es: "el material", en: "material")
    private static let brandQuestion = CardQuestion.attribute(keys: ["marca", "brand"], es: "la marca", en: "brand")
    private static let colourQuestion = CardQuestion.attribute(keys: ["color", "colores", "colour", "colours", "colors"], es: "el color", en: "colour")
    private static let measuresKeys = ["medidas", "dimensiones", "tamaño", "tamano", "dimensions", "measures"]
    private static let capacityKeys = ["capacidad", "capacity", "contenido", "volumen", "volume"]
    private static let capacityQuestion = CardQuestion.attribute(keys: capacityKeys, es: "la capacidad", en: "capacity")
    private static let measuresQuestion = CardQuestion.attribute(keys: measuresKeys, es: "las medidas", en: "measurements")

    /// Measures written in a product's name or description: two or three numbers joined by "×"
    /// or "x" and a unit ("45 × 45 cm", "55 x 35 x 23 cm").
    static func measuresWritten(in p: Product) -> String? {
        for text in [p.name, p.description ?? ""] {
            if let match = text.firstMatch(of: measuresPattern) { return String(match.output) }
        }
        return nil
    }

    /// A capacity written in a product's name or description: a number and litres, millilitres
    /// or cups ("1.5 L", "750 ml", "6 Tazas"), its unit as a sentence says it in `language`: "6
    /// tazas" in Spanish, "6 cups" in English ("holds 6 Tazas" before); "1.5 L" stays.
    static func capacityWritten(in p: Product, language: Language) -> String? {
        for text in [p.name, p.description ?? ""] {
            guard let match = text.firstMatch(of: capacityPattern) else { continue }
            let written = String(match.output)
            guard let unitStart = written.firstIndex(where: \.isLetter) else { return written }
            let number = written[..<unitStart]
            let unit = written[unitStart...]
            let word = unit.lowercased()
            if language != .es, let translated = Self.capacityUnitsInEnglish[word] { return number + translated }
            return unit.count > 2 ? number + word : written
        }
        return nil
    }

    private static let capacityUnitsInEnglish = ["tazas": "cups", "litros": "liters", "litro": "liter"]

    nonisolated(unsafe) private static let capacityPattern = #/\d+(?:[.,]\d+)?\s?(?:ml|mL|ML|L|l|litros|litro|liters|litres|[Tt]azas|cups)\b/#

    nonisolated(unsafe) private static let measuresPattern = #/\d+(?:[.,]\d+)?\s?(?:×|x|X)\s?\d+(?:[.,]\d+)?(?:\s?(?:×|x|X)\s?\d+(?:[.,]\d+)?)?\s?(?:cm|mm|m|pulgadas|in)\b/#

    /// Words of a question about a card, and what each asks.
    static let cardQuestionWords: [String: CardQuestion] = [
        "cuesta": .price, "cuestan": .price, "precio": .price, "cobran": .price, "price": .price, "cost": .price, "costs": .price,
        "much": .price, "descuento": .price, "descuentos": .price, "oferta": .price, "rebaja": .price, "discount": .price,
        "disponible": .stock, "disponibles": .stock, "stock": .stock, "existencias": .stock, "quedan": .stock, "queda": .stock,
        "available": .stock, "left": .stock, "agotado": .stock, "agotada": .stock, "agotados": .stock, "agotadas": .stock,
        "sold": .stock, "pocas": .stock, "pocos": .stock,
        "litros": capacityQuestion, "capacidad": capacityQuestion, "capacity": capacityQuestion, "liters": capacityQuestion,
        "litres": capacityQuestion, "cabe": capacityQuestion, "caben": capacityQuestion, "holds": capacityQuestion,
        "tazas": capacityQuestion, "cups": capacityQuestion,
        "talla": sizesQuestion, "tallas": sizesQuestion, "talle": sizesQuestion, "talles": sizesQuestion, "size": sizesQuestion,
        "sizes": sizesQuestion,
        "material": materialQuestion, "materiales": materialQuestion, "tela": materialQuestion, "hecho": materialQuestion,
        "hecha": materialQuestion, "made": materialQuestion, "fabric": materialQuestion,
        "marca": brandQuestion, "brand": brandQuestion, "fabricante": brandQuestion, "fabrica": brandQuestion, "makes": brandQuestion,
        "maker": brandQuestion,
        "color": colourQuestion, "colores": colourQuestion, "colour": colourQuestion, "colours": colourQuestion, "colors": colourQuestion,
        "medidas": measuresQuestion, "mide": measuresQuestion, "miden": measuresQuestion, "dimensiones": measuresQuestion,
        "dimensions": measuresQuestion, "tamano": measuresQuestion, "tamanos": measuresQuestion, "big": measuresQuestion,
    ]

    /// The first of `keys` (ignoring case) among a product's attributes with a value.
    private static func attribute(of p: Product, in keys: [String]) -> (key: String, value: String)? {
        for key in keys {
            if let found = p.attributes.first(where: { $0.key.lowercased() == key && !$0.value.isEmpty }) { return (found.key, found.value) }
        }
        return nil
    }

    /// Whether a Spanish catalog's attributes are shown in English (`inEnglish`): an English chat.
    static func translates(_ index: CatalogSearchIndex, to language: Language) -> Bool {
        language == .en && index.catalog.locale.lowercased().hasPrefix("es")
    }

    /// A Spanish catalog's attribute for an English card: the usual attribute names ("talla" →
    /// "size", "marca" → "brand"), and a colour when every word of it is a known colour word
    /// ("azul marino" → "navy blue", "negro y café" → "black and brown"); any other value is the
    /// shop's own words, left as they are.
    package static func inEnglish(key: String, value: String) -> (key: String, value: String) {
        let folded = key.lowercased().folding(options: [.diacriticInsensitive], locale: nil)
        let englishKey = englishAttributeNames[folded] ?? key
        guard ["color", "colores", "colour", "colours"].contains(folded) else { return (englishKey, value) }
        let words = value.lowercased().folding(options: [.diacriticInsensitive], locale: nil).split(separator: " ").map(String.init)
        var out: [String] = []
        var i = 0
        while i < words.count {
            let word = words[i]
            if word == "y" { out.append("and"); i += 1; continue }
            guard let colour = englishColours[word] else { return (englishKey, value) }
            // Spanish puts the shade after the colour: "azul marino" is navy blue.
            if i + 1 < words.count, let shade = englishShades[words[i + 1]] {
                out.append(shade + " " + colour)
                i += 2
            } else {
                out.append(colour)
                i += 1
            }
        }
        return out.isEmpty ? (englishKey, value) : (englishKey, out.joined(separator: " "))
    }

    private static let englishAttributeNames: [String: String] = [
        "talla": "size", "tallas": "sizes", "talle": "size", "talles": "sizes", "numero": "size", "color": "colour",
        "colores": "colours", "material": "material", "materiales": "materials", "marca": "brand", "contenido": "contents",
        "medidas": "measurements", "dimensiones": "dimensions", "capacidad": "capacity", "peso": "weight",
    ]
    private static let englishColours: [String: String] = [
        "negro": "black", "negra": "black", "blanco": "white", "blanca": "white", "azul": "blue", "rojo": "red", "roja": "red",
        "cafe": "brown", "marron": "brown", "gris": "grey", "verde": "green", "amarillo": "yellow", "amarilla": "yellow",
        "rosa": "pink", "rosado": "pink", "morado": "purple", "morada": "purple", "naranja": "orange", "plateado": "silver",
        "dorado": "gold", "beige": "beige", "lila": "lilac", "caqui": "khaki", "camel": "camel", "multicolor": "multicoloured",
        "turquesa": "turquoise", "vino": "burgundy",
    ]
    private static let englishShades: [String: String] = [
        "claro": "light", "oscuro": "dark", "marino": "navy", "celeste": "sky", "palo": "pale", "jaspeado": "heather",
        "olivo": "olive", "bosque": "forest", "militar": "army", "oxford": "oxford", "indigo": "indigo", "petroleo": "petrol",
    ]

    /// At most four of a product's attributes for its card: sizes, colours, material and brand
    /// first (in the catalog's words, Spanish or English), then the others by name.
    package static func shownAttributes(_ p: Product) -> [(String, String)] {
        let first = ["talla", "tallas", "size", "sizes", "color", "colores", "colour", "colours", "material", "marca", "brand"]
        return p.attributes.filter { !$0.key.isEmpty && !$0.value.isEmpty }
            .sorted { a, b in
                let (i, j) = (first.firstIndex(of: a.key.lowercased()) ?? first.count, first.firstIndex(of: b.key.lowercased()) ?? first.count)
                return i != j ? i < j : a.key < b.key
            }
            .prefix(4).map { (oneLine($0.key), oneLine($0.value)) }
    }

    /// `text` on one line: runs of whitespace (line breaks included) as one space.
    private static func oneLine(_ text: String) -> String {
        text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
    }

    func priceLine(_ p: Product, index: CatalogSearchIndex, language: Language) -> String {
        let catalog = index.catalog
        if let sale = p.salePrice, sale.amount < p.price.amount {
            return (language == .es ? "Oferta: " : "Sale: ") + catalog.formatted(sale.amount)
                + (language == .es ? " (antes " : " (was ") + catalog.formatted(p.price.amount) + ")"
        }
        return catalog.formatted(p.price.amount)
    }

    func categoriesReply(_ index: CatalogSearchIndex, language: Language) -> BotReply {
        // Every category with products, up to three lists' worth (the composer sends a list of
        // more than 10 rows as several messages).
        let categories = index.catalog.categories.filter { index.productCount(inCategory: $0.id) > 0 }
        let shown = Array(categories.prefix(30))
        let rows = Self.distinguished(shown.map { c in
            Self.row(id: CatalogReplyID.category + c.id, name: c.name,
                     detail: language == .es ? "\(index.productCount(inCategory: c.id)) productos"
                                             : "\(index.productCount(inCategory: c.id)) products")
        }, names: shown.map(\.name))
        let body = language == .es ? "Estas son nuestras categorías. Elige una, o escríbeme lo que buscas:"
                                   : "These are our categories. Pick one, or type what you're looking for:"
        return .list(body: body, button: language == .es ? "Ver categorías" : "See categories", rows: Array(rows))
    }

    func summaryReply(_ index: CatalogSearchIndex, language: Language) -> BotReply {
        let catalog = index.catalog
        // Up to nine names; beyond, eight and how many more ("and 1 more" hid a ninth name that fits).
        let listed = catalog.categories.count <= 9 ? 9 : 8
        var names = catalog.categories.prefix(listed).map(\.name).joined(separator: ", ")
        if catalog.categories.count > listed {
            let more = catalog.categories.count - listed
            names += language == .es ? " y \(more) más" : " and \(more) more"
        }
        let prices = catalog.products.map(\.currentPrice)
        var text = language == .es
            ? "Tenemos \(catalog.products.count) productos en \(catalog.categories.count) categorías: \(names)."
            : "We have \(catalog.products.count) products in \(catalog.categories.count) categories: \(names)."
        if let low = prices.min(), let high = prices.max() {
            text += language == .es ? " Precios desde \(catalog.formatted(low)) hasta \(catalog.formatted(high))."
                                    : " Prices from \(catalog.formatted(low)) to \(catalog.formatted(high))."
        }
        text += language == .es ? "\n\nEscríbeme lo que buscas, por ejemplo «mochila negra»." : "\n\nTell me what you're looking for, e.g. “black backpack”."
        return .buttons(body: text, buttons: [(IntentRouter.replyIDPrefix + "catalogo.categorias", language == .es ? "Categorías" : "Categories")])
    }

    func noResults(_ query: String, index: CatalogSearchIndex, language: Language) -> BotReply {
        let matches = index.categoryMatches(query, limit: 3)
        if !matches.isEmpty, matches.allSatisfy({ $0.similarity == 0 }) {
            // No category is like what was asked for ("sofá" in a shop of clothes and gadgets):
            // all of them, rather than three that have nothing to do with it.
            guard case .list(_, let button, let rows) = categoriesReply(index, language: language) else { return categoriesReply(index, language: language) }
            return .list(body: language == .es
                            ? "No encontré productos para “\(Self.trimmedQuery(query))”. Estas son nuestras categorías; elige una, o escríbeme otra cosa:"
                            : "I couldn't find products for “\(Self.trimmedQuery(query))”. These are our categories; pick one, or type something else:",
                         button: button, rows: rows)
        }
        let categories = matches.map(\.category)
        let body = language == .es
            ? "No encontré productos para “\(Self.trimmedQuery(query))”. ¿Te interesa alguna de estas categorías?"
            : "I couldn't find products for “\(Self.trimmedQuery(query))”. Are any of these categories of interest?"
        guard !categories.isEmpty else { return .text(body) }
        // Buttons when every name fits a button title (20); else a list, whose rows show long names whole.
        guard categories.allSatisfy({ $0.name.utf16.count <= 20 }) else {
            return .list(body: body, button: language == .es ? "Ver categorías" : "See categories",
                         rows: categories.map { Self.row(id: CatalogReplyID.category + $0.id, name: $0.name,
                                                         detail: language == .es ? "Categoría" : "Category") })
        }
        return .buttons(body: body, buttons: categories.map { (CatalogReplyID.category + $0.id, $0.name) })
    }
}

extension CatalogSearchIndex {
    /// Whether a message no intent matched reads as a product search: most of its words are
    /// catalog words (as written, another number or gender, or one typo away), so gibberish and
    /// off-topic chat still get the no-match handling.
    func isConfidentMatch(_ text: String) -> Bool {
        // Bare numbers and single letters say nothing about a product ("1" typed after a list
        // found a 1 m cable and a 1 L coffee maker; "ñ" repeated found a keyboard).
        // "Baratos" only says which end of the prices: it counts neither way.
        let words = queryWords(text).filter { $0.count >= 2 && !$0.allSatisfy(\.isNumber) && !CatalogWords.cheapWords.contains($0) }
        guard !words.isEmpty, words.count <= 8 else { return false }
        // A typo-corrected word counts only when it is long enough for the correction to be safe.
        var namesProduct = false
        let known = words.filter { word in
            let found = expansions(of: word).filter { $0.1 >= 0.85 || ($0.1 >= 0.7 && word.count >= 6) }
            if found.contains(where: { namesProducts($0.0) }) { namesProduct = true }
            return !found.isEmpty
        }.count
        // And one of them names products outside their descriptions ("listo" is only in a coffee
        // maker's description: "listo, muchas gracias" opened its card).
        return known > 0 && known * 2 > words.count && namesProduct
    }
}
