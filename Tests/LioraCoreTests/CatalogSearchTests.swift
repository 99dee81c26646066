import Foundation
import LioraCore
import Testing

@Suite("catalog search")
struct CatalogSearchTests {
    static func product(_ sku: String, _ name: String, _ category: String, price: String = "100.00", sale: String? = nil, stock: Int = 5,
                        tags: [String] = [], attributes: [String: String] = [:], description: String? = nil) -> Product {
        Product(sku: sku, name: name, description: description, price: ProductPrice(price)!, salePrice: sale.flatMap(ProductPrice.init),
                url: "https://shop.example/p/\(sku)",
                category: category, stock: stock, tags: tags, attributes: attributes)
    }

    static let catalog = Catalog(
        currency: "MXN", locale: "es-MX",
        categories: [
            CatalogCategory(id: "calzado", name: "Calzado"), CatalogCategory(id: "ropa", name: "Ropa"),
            CatalogCategory(id: "hogar", name: "Hogar y cocina"), CatalogCategory(id: "electronica", name: "Electrónica"),
            CatalogCategory(id: "accesorios", name: "Accesorios"), CatalogCategory(id: "jardin", name: "Jardín"),
        ],
        products: [
            product("Z1", "Zapatillas Running Aire", "calzado", price: "1299.00", tags: ["running", "tenis"], attributes: ["color": "rojo", "talla": "42"]),
            product("Z2", "Zapatillas Urbanas", "calzado", price: "899.00", tags: ["casual"], attributes: ["color": "azul", "talla": "42"]),
            product("Z3", "Botas de Montaña", "calzado", price: "1899.00", attributes: ["color": "marrón", "talla": "40"]),
            product("P1", "Pantalón de mezclilla", "ropa", price: "599.00", attributes: ["color": "azul", "talla": "M"]),
            product("C1", "Camiseta básica de algodón", "ropa", price: "199.00", attributes: ["color": "rojo", "talla": "M"]),
            product("C2", "Camisa de lino", "ropa", price: "499.00", attributes: ["color": "blanco"]),
            product("R1", "Reloj deportivo digital", "accesorios", price: "799.00", attributes: ["color": "negro"]),
            product("M1", "Mochila urbana", "accesorios", price: "650.00", sale: "520.00", attributes: ["color": "negro"]),
            product("L1", "Lámpara de escritorio LED", "hogar", price: "450.00", description: "Luz cálida regulable."),
            product("L2", "Luces LED para exterior", "jardin", price: "350.00", tags: ["solar"]),
            product("S1", "Sartén antiadherente 28 cm", "hogar", price: "399.00"),
            product("S2", "Silla ergonómica", "hogar", price: "2499.00", description: "Perfecta para tu escritorio en casa."),
            product("A1", "Audífonos inalámbricos Bluetooth", "electronica", price: "999.00", attributes: ["color": "negro"],
                    description: "Con control de volumen."),
            product("W1", "Leather Watch", "accesorios", price: "1500.00"),
            product("B1", "Gift Box Set", "hogar", price: "300.00"),
            product("B2", "AA Battery Pack", "electronica", price: "120.00"),
            product("T1", "Taza Mágica", "hogar", price: "150.00", stock: 0),
            product("T2", "Taza Mágica", "hogar", price: "150.00", stock: 9),
            product("G1", "Gorra plana", "accesorios", price: "250.00", attributes: ["color": "roja"]),
        ])

    static let index = CatalogSearchIndex(catalog: catalog)

    func skus(_ query: String, limit: Int = 10) -> [String] {
        Self.index.search(query, limit: limit).map(\.product.sku)
    }

    func top(_ query: String) -> String? { skus(query, limit: 1).first }

    @Test("a short all-digit SKU counts only alone; 'té' is found though 'te' is a stop word; invisible characters join words")
    func catalogEdgeCases() throws {
        let catalog = Catalog(currency: "MXN", locale: "es-MX",
                              categories: [CatalogCategory(id: "c", name: "Cosas")],
                              products: [
                                  Self.product("42", "Licuadora potente", "c"),
                                  Self.product("Z1", "Zapatillas rojas", "c", attributes: ["talla": "42"]),
                                  Self.product("T1", "Té verde matcha", "c"),
                                  Self.product("V1", "Gorra verde", "c", description: "Te encantará su color."),
                                  Self.product("F1", "Camiseta Escocia 🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}", "c"),
                                  Self.product("S1", "Zapa\u{00AD}tillas de\u{200B}porti\u{200B}vas", "c"),
                              ])
        let index = CatalogSearchIndex(catalog: catalog)
        func skus(_ q: String) -> [String] { index.search(q, limit: 10).map(\.product.sku) }
        // A size, not the blender whose SKU is "42"; "42" alone is the SKU.
        #expect(skus("¿tienen zapatillas rojas talla 42?").first == "Z1")
        #expect(skus("42").first == "42")
        // Tea is found; "té verde" is tea first, not every green thing.
        #expect(skus("té") == ["T1"])
        #expect(skus("¿tienen té verde?").first == "T1")
        // "te" the pronoun is not a product word, even where a description says "te encantará".
        #expect(!index.searchResults("te quiero mucho", limit: 1).words.contains("te"))
        #expect(index.searchResults("te busco una gorra", limit: 1).words == ["gorra"])
        // A soft hyphen or a zero-width space inside a word does not split it.
        #expect(skus("deportivas").contains("S1"))
        // A flag's tag characters stay part of a stored name.
        let scotland = "Camiseta Escocia 🏴\u{E0067}\u{E0062}\u{E0073}\u{E0063}\u{E0074}\u{E007F}"
        let flagJSON = #"{"currency":"MXN","locale":"es-MX","categories":[{"id":"c","name":"C"}],"products":[{"sku":"F1","name":"\#(scotland)","price":"1.00","url":"https://s.example/f","category":"c","stock":1}]}"#
        let flagResult = CatalogValidator.validate(Array(flagJSON.utf8))
        guard case .success(let flagCatalog) = flagResult else { Issue.record("refused a flag: \(flagResult)"); return }
        #expect(flagCatalog.products.first?.name == scotland)
        // A name of nothing but invisible characters is refused.
        let json = #"{"currency":"MXN","locale":"es-MX","categories":[{"id":"c","name":"C"}],"products":[{"sku":"X1","name":"\u200b","price":"1.00","url":"https://s.example/x","category":"c"}]}"#
        guard case .failure(let failure) = CatalogValidator.validate(Array(json.utf8)) else { Issue.record("accepted an invisible name"); return }
        let problems = failure.problems
        #expect(problems.contains { $0.path.contains("name") }, "\(problems)")
    }

    @Test("stop words that name products in this catalog are searchable: colores, Modelo, sobre, ante")
    func productWordsAmongStopWords() {
        let catalog = Catalog(currency: "MXN", locale: "es-MX",
                              categories: [CatalogCategory(id: "c", name: "Cosas")],
                              products: [
                                  Self.product("P1", "Caja de colores Prismacolor 24 piezas", "c"),
                                  Self.product("B1", "Cerveza Corona 355 ml", "c"),
                                  Self.product("B2", "Cerveza Modelo Especial 355 ml", "c"),
                                  Self.product("S1", "Sobre manila tamaño carta", "c"),
                                  Self.product("Z1", "Botines de ante café", "c"),
                                  Self.product("Z2", "Botines de piel negros", "c"),
                              ])
        let index = CatalogSearchIndex(catalog: catalog)
        func skus(_ q: String) -> [String] { index.search(q, limit: 10).map(\.product.sku) }
        #expect(skus("colores") == ["P1"])
        #expect(skus("cerveza modelo").first == "B2")
        #expect(skus("sobres").first == "S1")
        #expect(skus("botines de ante").first == "Z1")
        // In a catalog that does not name them, they are still chat words.
        let plain = CatalogSearchIndex(catalog: Catalog(currency: "MXN", locale: "es-MX", categories: [CatalogCategory(id: "c", name: "Cosas")],
                                                        products: [Self.product("Z2", "Botines de piel negros", "c")]))
        #expect(plain.searchResults("info sobre botines de otro modelo", limit: 1).words == ["info", "botines"])
    }

    @Test("accents and case do not matter", arguments: [
        ("lampara", "L1"), ("LÁMPARA", "L1"), ("audifonos inalambricos", "A1"), ("SARTEN", "S1"), ("ReLoJ", "R1"),
    ])
    func accentsAndCase(query: String, expected: String) {
        #expect(top(query) == expected, "\(skus(query))")
    }

    @Test("query words: normalised like skill phrases (TextNormalizer), stop words dropped, each once", arguments: [
        ("¡Hola! ¿Tienen ZAPATILLAS rojas?", ["zapatillas", "rojas"]),
        ("Ñandú y pingüino", ["nandu", "pinguino"]),
        ("naïve café, crème brûlée", ["naive", "cafe", "creme", "brulee"]),
        ("zapatillaaas rojaaas rojas", ["zapatillas", "rojas"]),
        ("what's up, don’t worry", ["up", "dont", "worry"]),
        ("a\u{301}rbol", ["arbol"]),
        ("Ωμέγα", ["ωμεγα"]),
        ("100% algodón", ["100", "algodon"]),
        ("reciclaje👍🏽bien", ["reciclaje", "bien"]),
        ("«descuentos» — 2×1…", ["oferta", "2", "1"]),
        ("talla\u{00A0}42", ["42"]),
        ("  espacios\t\tcon\nlíneas  ", ["espacios", "lineas"]),
    ] as [(String, [String])])
    func queryWords(text: String, expected: [String]) {
        #expect(Self.index.searchResults(text, limit: 1).words == expected)
        // The same words TextNormalizer finds, before stop words and synonyms.
        let normalized = TextNormalizer().normalize(text).tokens
        #expect(expected.allSatisfy { $0 == "oferta" || normalized.contains($0) })
    }

    @Test("one typo in a word of 4+ letters, two from 8 letters", arguments: [
        ("zapatilas running", "Z1"), ("lampraa", "L1"), ("audifonso", "A1"), ("pantalnes", "P1"), ("relok", "R1"),
        ("mochlia", "M1"), ("camizeta", "C1"), ("sarten antiaderente", "S1"),
    ])
    func typos(query: String, expected: String) {
        #expect(top(query) == expected, "\(skus(query))")
    }

    @Test("short words and numbers are not corrected")
    func noShortCorrection() {
        #expect(skus("luk").isEmpty)
        #expect(skus("43").isEmpty)    // a size the catalog lacks is not "42"
    }

    @Test("Spanish and English singular and plural forms match", arguments: [
        ("zapatilla", ["Z1", "Z2"]), ("pantalones", ["P1"]), ("camisetas", ["C1"]), ("relojes", ["R1"]),
        ("luz", ["L2"]), ("mochilas", ["M1"]), ("watches", ["W1"]), ("boxes", ["B1"]), ("batteries", ["B2"]),
        ("sartenes", ["S1"]), ("camisas", ["C2"]),
    ] as [(String, Set<String>)])
    func plurals(query: String, expected: Set<String>) {
        #expect(Set(skus(query).prefix(expected.count)) == expected, "\(skus(query))")
    }

    @Test("attribute values match in both genders and numbers")
    func attributes() {
        let red = Set(["Z1", "C1", "G1"])
        for query in ["rojo", "roja", "rojas", "rojos"] {
            #expect(Set(skus(query)) == red, "\(query): \(skus(query))")
        }
        #expect(Set(skus("negro")) == ["R1", "M1", "A1"])
        #expect(Set(skus("negras")) == ["R1", "M1", "A1"])
    }

    @Test("a whole chat message searches its product words")
    func chatMessages() {
        #expect(top("¿tienen zapatillas rojas talla 42?") == "Z1")
        #expect(top("Hola! busco unas zapatillas azules por favor") == "Z2")
        #expect(top("me muestras la mochila?") == "M1")
        #expect(top("do you have any watches?") == "W1")
        #expect(top("quiero una camisa blanca") == "C2")
    }

    @Test("a message of stop words only, or nothing, finds nothing")
    func stopWordsOnly() {
        for query in ["", "   ", "¿?!", "hola, ¿qué tienen?", "busco algo para mi", "do you have any?", "👍"] {
            #expect(skus(query).isEmpty, "\(query)")
        }
        #expect(Self.index.searchResults("hola quiero ver", limit: 5).total == 0)
    }

    @Test("what matches the name ranks above what matches a category, attribute or the description")
    func fieldWeights() {
        #expect(skus("escritorio") == ["L1"])                    // S2 has it in its description only: left out
        #expect(skus("regulable") == ["L1"])                     // descriptions are searched
        #expect(skus("zapatillas rojas") == ["Z1", "Z2"])        // red ones first, then other zapatillas, not red shirts
        #expect(skus("calzado").count == 3)                      // a category name lists its products
    }

    @Test("who a product is for narrows, leaving out the other's; another country's word finds the product; a product word in a description alone does not list it when others have it")
    func audiencesSynonymsAndDescriptions() {
        let catalog = Catalog(currency: "MXN", locale: "es-MX", categories: [CatalogCategory(id: "c", name: "Cosas")], products: [
            Self.product("CH", "Camiseta negra para hombre", "c"),
            Self.product("BH", "Botines negros para hombre", "c"),
            Self.product("CM", "Camiseta blanca para mujer", "c"),
            Self.product("TB", "Tenis blancos", "c"),
            Self.product("VN", "Vestido corto negro", "c", description: "Combínalo con tenis blancos para el día."),
            Self.product("FC", "Funda para celular", "c"),
            Self.product("LP", "Lámpara regulable", "c", description: "Ideal para leer de noche."),
        ])
        let index = CatalogSearchIndex(catalog: catalog)
        func skus(_ q: String) -> [String] { index.search(q).map(\.product.sku) }
        // "hombre" narrows "camiseta" like a colour: the men's boots are not a camiseta.
        // …and a women's camiseta is not one for a man (it came second).
        #expect(skus("camiseta para hombre") == ["CH"])
        #expect(skus("camiseta") == ["CH", "CM"])
        #expect(skus("camiseta negra de hombre").first == "CH")
        #expect(skus("algo para hombre") == ["CH", "BH"])                // alone it still finds what is for men
        // The dress only suggests wearing tenis.
        #expect(skus("tenis") == ["TB"])
        #expect(skus("leer") == ["LP"])                                   // no product has it elsewhere: descriptions count
        // Spain's and Mexico's words for the same things.
        #expect(skus("deportivas blancas") == ["TB"])
        #expect(skus("funda para el movil") == ["FC"])
    }

    @Test("weak matches are left out: description-only hits when a word matched nothing")
    func weakMatches() {
        #expect(skus("control") == ["A1"])
        #expect(skus("busco un helicóptero a control remoto").isEmpty)
    }

    @Test("products on sale are found by \"oferta\" and its synonyms")
    func onSale() {
        for query in ["oferta", "¿tienen algo en oferta?", "descuentos", "promociones", "rebajas"] {
            #expect(skus(query) == ["M1"], "\(query)")
        }
        #expect(skus("mochila en oferta") == ["M1"])
    }

    @Test("in-stock products come before out-of-stock ones of comparable relevance")
    func inStockFirst() {
        #expect(skus("taza magica") == ["T2", "T1"])
        #expect(skus("taza") == ["T2", "T1"])
    }

    @Test("a SKU in the message goes first; limit and total")
    func skuAndLimits() {
        #expect(top("¿precio de R1?") == "R1")
        #expect(skus("zapatillas", limit: 1).count == 1)
        let results = Self.index.searchResults("zapatillas", limit: 1)
        #expect(results.total == 2)
        #expect(results.words == ["zapatillas"])
        #expect(skus("zapatillas", limit: 0).isEmpty)
        for hit in Self.index.search("zapatillas") { #expect(Self.catalog.products[hit.index] == hit.product) }
    }

    @Test("a SKU written with spaces is found as typed, with one space or more, first in the results")
    func skuWithSpaces() {
        let catalog = Catalog(currency: "MXN", locale: "es-MX", categories: [CatalogCategory(id: "calzado", name: "Calzado")], products: [
            Self.product("ZAP 001", "Zapatillas Running", "calzado"),
            Self.product("ZAP 002", "Zapatillas Running", "calzado"),
            Self.product("BOT-8  X", "Botas de Lluvia", "calzado"),
            Self.product("BOT-7  X", "Botas de Montaña", "calzado"),
        ])
        let index = CatalogSearchIndex(catalog: catalog)
        func top(_ q: String) -> String? { index.search(q, limit: 3).first?.product.sku }
        // The names cannot tell these apart (and catalog order would pick the other one).
        #expect(top("quiero las zap 002 por favor") == "ZAP 002")
        #expect(top("¿tienen ZAP   002?") == "ZAP 002")
        #expect(top("precio de bot-7 x") == "BOT-7  X")
        #expect(top("BOT-7  X") == "BOT-7  X")
        #expect(index.product(sku: "zap 001")?.name == "Zapatillas Running")
        // A SKU written with two spaces does not hide a later product whose SKU has one.
        let both = CatalogSearchIndex(catalog: Catalog(currency: "MXN", locale: "es-MX", categories: [CatalogCategory(id: "c", name: "C")], products: [
            Self.product("ZAP  009", "Sandalias", "c"), Self.product("zap 009", "Chanclas", "c"),
        ]))
        #expect(both.product(sku: "ZAP 009")?.name == "Chanclas")
        #expect(both.product(sku: "zap  009")?.name == "Sandalias")
        #expect(both.search("¿tienen zap 009?", limit: 1).first?.product.name == "Chanclas")
    }

    @Test("look-ups by sku and category")
    func lookups() {
        #expect(Self.index.product(sku: "z1")?.name == "Zapatillas Running Aire")
        #expect(Self.index.product(sku: "nope") == nil)
        #expect(Self.index.category(id: "hogar")?.name == "Hogar y cocina")
        #expect(Self.index.categories.count == 6)
        // In stock first, then catalog order.
        #expect(Self.index.products(inCategory: "hogar").map(\.sku) == ["L1", "S1", "S2", "B1", "T2", "T1"])
        #expect(Self.index.products(inCategory: "hogar", limit: 2).map(\.sku) == ["L1", "S1"])
        #expect(Self.index.products(inCategory: "nope").isEmpty)
        #expect(Self.index.productCount(inCategory: "calzado") == 3)
    }

    @Test("category suggestions: closest names first, else the biggest categories")
    func categoryMatches() {
        #expect(Self.index.categoryMatches("calsado").first?.category.id == "calzado")
        #expect(Self.index.categoryMatches("accesorio").first?.category.id == "accesorios")
        #expect(Self.index.categoryMatches("busco cosas de cocina").first?.category.id == "hogar")
        #expect(Self.index.categoryMatches("electronicos").first?.category.id == "electronica")
        let fallback = Self.index.categoryMatches("helicóptero", limit: 3)
        #expect(fallback.map(\.category.id) == ["hogar", "accesorios", "calzado"])
        #expect(fallback.allSatisfy { $0.isFallback })
        #expect(Self.index.categoryMatches("", limit: 2).count == 2)
    }

    @Test("summary: counts, categories and price range")
    func summary() {
        let s = Self.index.summary
        #expect(s.productCount == 19)
        #expect(s.inStockCount == 18)
        #expect(s.categories.map(\.category.id) == ["calzado", "ropa", "hogar", "electronica", "accesorios", "jardin"])
        #expect(s.categories.map(\.productCount) == [3, 3, 6, 2, 4, 1])
        #expect(s.priceRange == "$120.00 – $2,499.00")
        #expect(s.categoryLines().hasPrefix("• Calzado (3)\n• Ropa (3)"))
        let empty = CatalogSearchIndex(catalog: Catalog(currency: "EUR", locale: "es-ES", categories: [], products: []))
        #expect(empty.summary.priceRange == nil)
        #expect(empty.search("zapatillas").isEmpty)
        #expect(empty.categoryMatches("zapatillas").isEmpty)
    }
}

@Suite("catalog search: spelling correction is bounded")
struct SpellingBoundsTests {
    @Test("the spelling index stays within its budget: later words get one typo, then none")
    func budget() {
        let words: [(id: Int32, bytes: [UInt8])] = [(0, Array("zapatillas".utf8)), (1, Array("sandalias".utf8)), (2, Array("mochilas".utf8))]
        // Room for the first word with two typos, the second with one, and no more.
        let index = SpellingNeighbourhood(words: words, budget: 70)
        #expect(index.entryCount <= 70)
        #expect(index.candidates(of: Array("zapatilas".utf8), maxDistance: 2) == [0])  // two typos still found for the first
        #expect(index.candidates(of: Array("sandalas".utf8), maxDistance: 2) == [1])   // one typo for the second
        #expect(index.candidates(of: Array("snadalas".utf8), maxDistance: 2).isEmpty)  // but not two
        #expect(index.candidates(of: Array("mochila".utf8), maxDistance: 2).isEmpty)   // the third: exact only
        #expect(SpellingNeighbourhood.maxEntries >= 1_000_000)
    }

    @Test("a word longer than 24 bytes is neither indexed for spelling nor corrected; shorter ones are, up to two edits")
    func longWords() {
        let long = Array(String(repeating: "abcdefghij", count: 20).utf8)  // 200 letters: ~20,000 deletions if indexed
        let word = Array("zapatillas".utf8)
        let index = SpellingNeighbourhood(words: [(0, long), (1, word)])
        // Only the short word's own deletions: itself, 10 one-letter and 45 two-letter ones (fewer where letters repeat).
        #expect(index.entryCount > 1 && index.entryCount <= 56)
        #expect(index.candidates(of: Array("zapatilas".utf8), maxDistance: 2) == [1])
        #expect(SpellingNeighbourhood.maxDistance(forLength: 24) == 2)
        #expect(SpellingNeighbourhood.maxDistance(forLength: 25) == 0)
        // A product named with a long word is still found by that word.
        let catalog = Catalog(currency: "MXN", locale: "es-MX", categories: [CatalogCategory(id: "x", name: "Cosas")],
                              products: [CatalogSearchTests.product("L1", "supercalifragilisticoespialidosos", "x")])
        let search = CatalogSearchIndex(catalog: catalog)
        #expect(!search.search("supercalifragilisticoespialidosos").isEmpty)
    }
}
