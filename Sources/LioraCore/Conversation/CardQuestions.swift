import Foundation

/// Questions about the product card on screen beyond `cardQuestionAnswer`'s one-line facts:
/// whether it is or has something ("¿es impermeable?", "is it leather?"), how another colour of
/// it compares in price ("¿la azul es más barata?"), and which other models there are
/// ("¿tienen otro modelo?"). Each searched the shop for the question's words, or sent the card
/// again (a review, 2026-11-25).
extension ConversationEngine {
    // MARK: - "¿es impermeable?"

    /// What a yes/no question about the card asks it to be or have, as normalised words and as
    /// the user wrote them: the words after "¿es…?", "¿es de…?", "¿viene con…?", "¿tiene…?",
    /// "is it…?", "is it made of…?", "does it have…?" — one to three words of substance. Nil for
    /// any other message, for a price, stock, size or colour-list question (`cardQuestionAnswer`
    /// answers those), and for opinions ("¿es bueno?": the card cannot say).
    static func askedQuality(_ text: String) -> (words: [String], written: String)? {
        var tokens = normalizer.normalize(text).tokens[...]
        guard !tokens.isEmpty, tokens.count <= 8 else { return nil }
        while let first = tokens.first, ["y", "and", "pero", "but", "oye", "oiga", "so", "entonces", "pues"].contains(first) {
            tokens = tokens.dropFirst()
        }
        guard let lead = qualityLeads.first(where: { tokens.starts(with: $0) }) else { return nil }
        let fits = fitLeads.contains(lead)
        let rest = tokens.dropFirst(lead.count).filter { !IntentRouter.functionWords.contains($0) && !politeWords.contains($0)
            && !(fits && $0.allSatisfy(\.isNumber)) }
        // One or two words: more is another question ("¿es bueno tomar agua fría?", "is it healthy
        // to skip breakfast?" after a card got "the listing doesn't say").
        guard (1...2).contains(rest.count) else { return nil }
        for word in rest {
            if cardQuestionWords[word] != nil || CatalogWords.cheapWords.contains(word) || CatalogWords.dearWords.contains(word)
                || CatalogWords.sizes.contains(word) || word.allSatisfy(\.isNumber) || opinionWords.contains(word)
                || ["sale", "agotado", "agotada", "otro", "otra", "otros", "otras", "other", "another", "modelo", "modelos", "model", "models", "color", "colores",
                    "colour", "colours", "colors", "talla", "tallas", "size", "sizes", "cuanto", "cuanta", "cuantos", "cuantas",
                    "how", "much", "many", "que", "what", "which", "cual", "cuales"].contains(word) {
                return nil
            }
        }
        // The words as written (accents kept), for quoting them back.
        let wanted = Set(rest)
        let written = text.split(whereSeparator: \.isWhitespace).filter { wanted.contains(folded($0)) }.joined(separator: " ")
        return (Array(rest), written.isEmpty ? rest.joined(separator: " ") : trimmedQuery(written))
    }

    /// "¿cabe una laptop de 15?", "does it fit a 15-inch laptop?": what it holds (numbers are its size).
    private static let fitLeads: Set<[String]> = [["cabe"], ["caben"], ["le", "cabe"], ["does", "it", "fit"], ["will", "it", "fit"], ["fits"]]

    /// The openings of a yes/no question about the product on screen, longest first.
    private static let qualityLeads: [[String]] = [
        ["le", "cabe"], ["does", "it", "fit"], ["will", "it", "fit"], ["cabe"], ["caben"], ["fits"],
        ["esta", "hecho", "de"], ["esta", "hecha", "de"], ["estan", "hechos", "de"], ["estan", "hechas", "de"],
        ["is", "it", "made", "of"], ["is", "it", "made", "from"], ["are", "they", "made", "of"], ["are", "they", "made", "from"],
        ["is", "this", "made", "of"], ["does", "it", "come", "with"], ["do", "they", "come", "with"],
        ["does", "it", "come", "in"], ["do", "they", "come", "in"],
        ["es", "de"], ["son", "de"], ["viene", "con"], ["vienen", "con"], ["viene", "en"], ["vienen", "en"], ["comes", "in"], ["trae"], ["traen"], ["incluye"], ["incluyen"],
        ["tiene"], ["es"], ["son"], ["esta"], ["estan"],
        // "¿mide el sueño?", "¿aguanta el sudor?", "¿se puede lavar?", "can it track sleep?"
        ["se", "puede"], ["se", "pueden"], ["mide"], ["miden"], ["aguanta"], ["aguantan"], ["resiste"], ["resisten"], ["sirve", "para"],
        ["sirven", "para"],
        ["is", "it"], ["is", "this"], ["is", "that"], ["are", "they"], ["are", "these"], ["does", "it", "have"],
        ["does", "it", "include"], ["do", "they", "have"], ["can", "it"], ["can", "they"], ["does", "it"], ["do", "they"],
    ]

    private static let politeWords: Set<String> = ["porfa", "porfavor", "favor", "please", "pls", "plis", "gracias", "thanks"]

    /// Opinions a product's card cannot settle ("¿es bueno?", "is it worth it?").
    private static let opinionWords: Set<String> = [
        "bueno", "buena", "buenos", "buenas", "malo", "mala", "good", "bad", "recomendable", "recomendado", "worth", "nice", "bonito",
        "bonita", "lindo", "linda", "mejor", "peor", "better", "best", "tuyo", "tuya", "verdad", "cierto", "true", "real",
        "healthy", "unhealthy", "saludable", "sano", "sana", "normal", "necesario", "necessary", "okay", "safe", "seguro", "segura",
        "posible", "possible", "sentido",
    ]

    /// Materials that are one another ("piel" is "cuero"; "leather" both).
    private static let sameMaterial: [String: [String]] = [
        "piel": ["cuero"], "cuero": ["piel"], "leather": ["piel", "cuero"], "denim": ["mezclilla"], "jean": ["mezclilla"],
        "mezclilla": ["denim"], "steel": ["acero"], "acero": ["steel"],
    ]

    /// Words that make a material an imitation ("piel sintética" is no leather).
    private static let imitationWords: Set<String> = ["sintetico", "sintetica", "sinteticos", "sinteticas", "ecologica", "ecologico", "vegana",
                                                      "vegano", "imitacion", "synthetic", "faux", "vegan"]

    /// Qualities a listing says in other words ("IPX7" and "resistente al agua" say waterproof).
    private static let sameQuality: [String: [String]] = [
        "impermeable": ["resistente al agua", "a prueba de agua", "ipx4", "ipx5", "ipx6", "ipx7", "ipx8", "ip67", "ip68", "waterproof"],
        "waterproof": ["impermeable", "resistente al agua", "a prueba de agua", "ipx4", "ipx5", "ipx6", "ipx7", "ipx8", "ip67", "ip68"],
        "inalambrico": ["bluetooth", "wireless", "true wireless"], "inalambricos": ["bluetooth", "wireless", "true wireless"],
        "wireless": ["inalambrico", "inalambricos", "bluetooth"],
        // "is it polarized?" of "micas polarizadas"; "¿cabe en el avión?" of a suitcase "aceptada en cabina".
        "polarized": polarised, "polarizado": polarised, "polarizados": polarised, "polarizada": polarised, "polarizadas": polarised,
        "avion": carryOn, "aviones": carryOn, "plane": carryOn, "airplane": carryOn, "cabina": carryOn, "cabin": carryOn,
    ]
    /// English words of what a listing in Spanish states ("does it have a warranty?" of "1 año de
    /// garantía", "is it adjustable?" of "ajuste trasero", "UV protection" of "protección UV400").
    private static let qualityInSpanish: [String: [String]] = [
        "warranty": ["garantia"], "guarantee": ["garantia"], "programmable": ["programable"], "adjustable": ["ajustable", "ajuste"],
        "lock": ["candado", "cerradura"], "locks": ["candado", "cerradura"], "protection": ["proteccion"], "uv": ["uv400", "uv"],
        "noise": ["ruido"], "cancelling": ["cancelacion"], "canceling": ["cancelacion"], "cancellation": ["cancelacion"],
        "wheels": ["ruedas"], "wheel": ["ruedas", "rueda"], "hood": ["capucha"], "pockets": ["bolsillos"], "pocket": ["bolsillo", "bolsillos"],
        "rechargeable": ["recargable", "recargables"], "foldable": ["plegable"], "nonstick": ["antiadherente"], "washable": ["lavable"],
        "dishwasher": ["lavavajillas", "lavaplatos"], "microphone": ["microfono"], "mic": ["microfono"], "waterproof": ["impermeable"],
    ]
    private static let polarised = ["polarizado", "polarizados", "polarizada", "polarizadas", "polarized", "polarizing"]
    private static let carryOn = ["cabina", "aerolinea", "aerolineas", "equipaje de mano", "carry on", "cabin", "airline", "airlines"]

    /// Whether every asked word is a material or a colour ("¿es de vidrio?" after a blender's card
    /// is about it, though "vidrio" is a recycling keyword).
    static func asksOnlyMaterialOrColour(_ words: [String]) -> Bool {
        words.allSatisfy { materialWords.contains($0) || !askedColours($0).isEmpty }
    }

    /// Materials: asked for and not found, the card's material answers the question ("¿es de
    /// piel?" → "No: es de malla transpirable").
    private static let materialWords: Set<String> = [
        "piel", "cuero", "algodon", "lona", "malla", "metal", "madera", "plastico", "vidrio", "acero", "ceramica", "silicon",
        "silicona", "sintetico", "sintetica", "lana", "seda", "mezclilla", "poliester", "nylon", "nailon", "lino", "gamuza", "bambu",
        "aluminio", "leather", "cotton", "canvas", "wood", "wooden", "steel", "glass", "plastic", "wool", "silk", "denim",
        "polyester", "linen", "suede", "bamboo", "aluminium", "aluminum",
    ]

    /// The answer to `askedQuality`'s question about `p`, from its card: yes, quoting where the
    /// catalog says so (its name, an attribute, a sentence of its description — without "yes"
    /// when the sentence denies it: "no es impermeable"); no, when a material or colour was asked
    /// and the card names another; else that the card does not say, with where to ask.
    func qualityAnswer(_ asked: (words: [String], written: String), product p: Product, index: CatalogSearchIndex,
                       language: Language) -> String {
        qualityVerdict(asked, product: p, index: index, language: language).line
    }

    /// `qualityAnswer`'s line and what it says: yes (true), no (false) or that the listing does
    /// not say (nil).
    func qualityVerdict(_ asked: (words: [String], written: String), product p: Product, index: CatalogSearchIndex,
                        language: Language) -> (yes: Bool?, line: String) {
        let es = language == .es
        let translating = Self.translates(index, to: language)
        // A colour: the card's colour says yes or no.
        let colours = Self.askedColours(asked.written)
        if colours.count == 1, asked.words.count == 1, let colour = p.attributes["color"] ?? p.attributes["colour"] {
            let shown = translating ? Self.inEnglish(key: "color", value: colour).value : colour
            if Self.hasColour(p, colours[0]) {
                return (true, es ? "Sí, *\(p.name)* es \(shown)." : "Yes, *\(p.name)* is \(shown).")
            }
            var line = es ? "No: *\(p.name)* es \(shown)." : "No: *\(p.name)* is \(shown)."
            if case .other(let sibling) = colourSibling(of: p, asked: asked.written, index: index) {
                line += es ? " En \(asked.written) tenemos *\(sibling.name)*." : " In \(asked.written) we have *\(sibling.name)*."
            }
            return (false, line)
        }
        // A material: the card's material decides ("la piel" in "aleja el sudor de la piel" is skin).
        let material = p.attributes.first(where: { ["material", "materiales", "tela", "fabric"].contains($0.key.lowercased()) && !$0.value.isEmpty })
        if asked.words.contains(where: Self.materialWords.contains), let material {
            let asEnglish = translating ? Self.inEnglish(key: material.key, value: material.value) : (material.key, material.value)
            let tokens = Self.normalizer.normalize(material.value).tokens
            // "¿es de piel?" of "piel sintética": no, it is an imitation.
            let imitation = tokens.contains(where: Self.imitationWords.contains) && !asked.words.contains(where: Self.imitationWords.contains)
            let has = !imitation && asked.words.filter(Self.materialWords.contains).allSatisfy { word in
                ([word] + (CatalogWords.spanishFor[word] ?? []) + (Self.sameMaterial[word] ?? [])).contains { option in
                    tokens.contains { Self.sameWord(option, $0) }
                }
            }
            if has { return (true, es ? "Sí — \(Self.capitalised(asEnglish.0)): \(asEnglish.1)." : "Yes — \(Self.capitalised(asEnglish.0)): \(asEnglish.1).") }
            return (false, es ? "No: *\(p.name)* es de \(material.value)." : "No: *\(p.name)* is made of \(material.value).")
        }
        // Each asked word, or one of its Spanish words for a Spanish catalog ("waterproof" → "impermeable").
        let alternatives = asked.words.map { word in [word] + (CatalogWords.spanishFor[word] ?? []) + (Self.qualityInSpanish[word] ?? []) }
        let phrases = asked.words.count == 1 ? (Self.sameQuality[asked.words[0]] ?? []) : []
        func says(_ passage: String) -> (found: Bool, denied: Bool) {
            let tokens = Self.normalizer.normalize(passage).tokens
            // "IPX7", "resistente al agua" for "¿es impermeable?".
            if !phrases.isEmpty, case let joined = " " + tokens.joined(separator: " ") + " ",
               let phrase = phrases.first(where: { joined.contains(" " + $0 + " ") }) {
                let before = joined.components(separatedBy: " " + phrase + " ")[0].split(separator: " ").suffix(2)
                return (true, before.contains { ["no", "sin", "not", "without", "non", "ni"].contains($0) })
            }
            var first: Int?
            for options in alternatives {
                guard let at = tokens.firstIndex(where: { token in options.contains { Self.sameWord($0, token) } }) else { return (false, false) }
                first = min(first ?? at, at)
            }
            guard let first else { return (false, false) }
            let denied = tokens[max(0, first - 2)..<first].contains { ["no", "sin", "not", "without", "non", "ni"].contains($0) }
            return (true, denied)
        }
        if says(p.name).found, !says(p.name).denied {
            return (true, es ? "Sí: *\(p.name)*." : "Yes: *\(p.name)*.")
        }
        // Who it is for: "¿son para mujer?" of a man's boots is no, not "the listing doesn't say".
        let audiences = asked.words.filter { CatalogWords.audiences.contains($0) }
        if !audiences.isEmpty, audiences.count == asked.words.count {
            let forWhom = Self.audience(of: p)
            if !forWhom.isEmpty {
                let fits = audiences.allSatisfy { word in forWhom.contains { Self.sameWord(word, $0) || Self.sameWord($0, word) } }
                return fits ? (true, es ? "Sí: *\(p.name)*." : "Yes: *\(p.name)*.") : (false, es ? "No: *\(p.name)*." : "No: *\(p.name)*.")
            }
        }
        for (key, value) in p.attributes.sorted(by: { $0.key < $1.key }) where !value.isEmpty {
            let (key, value) = translating ? Self.inEnglish(key: key, value: value) : (key, value)
            let said = says(key + " " + value)
            guard said.found else { continue }
            let line = "\(Self.capitalised(key)): \(Self.shortened(value, 200))"
            return said.denied ? (false, line) : (true, es ? "Sí — \(line)." : "Yes — \(line).")
        }
        if let description = p.description {
            for sentence in Self.sentences(of: description) {
                let said = says(sentence)
                guard said.found else { continue }
                let quoted = "“\(Self.shortened(sentence, 300))”"
                if said.denied { return (false, es ? "Según su descripción: \(quoted)" : "According to its description: \(quoted)") }
                return (true, es ? "Sí, según su descripción: \(quoted)" : "Yes, according to its description: \(quoted)")
            }
        }
        // Else a tag the shop gave it ("impermeables" on the rain boots, whose description says "keep your feet dry").
        if let tag = p.tags.first(where: { says($0).found && !says($0).denied }) {
            return (true, es ? "Sí: *\(p.name)* (\(tag))." : "Yes: *\(p.name)* (\(tag)).")
        }
        return (nil, es
            ? "La ficha de *\(p.name)* no dice nada de “\(asked.written)”. Toca *Ver producto* para ver todos sus detalles, o escribe *asesor* y una persona te lo confirma."
            : "The listing of *\(p.name)* doesn't say anything about “\(asked.written)”. Tap *View product* for all its details, or type *human* and a person will confirm it for you.")
    }

    /// Whether two normalised words are the same word in another number or gender
    /// ("impermeables" and "impermeable", "negra" and "negro").
    static func sameWord(_ a: String, _ b: String) -> Bool {
        a == b || (a.count >= 4 && b.count >= 4 && wordStem(a) == wordStem(b))
    }

    private static func wordStem(_ word: String) -> Substring {
        var w = Substring(word)
        if w.hasSuffix("es"), w.count > 5 { w = w.dropLast(2) } else if w.hasSuffix("s") { w = w.dropLast() }
        if w.count > 4, w.hasSuffix("a") || w.hasSuffix("o") || w.hasSuffix("e") { w = w.dropLast() }
        return w
    }

    /// A description's sentences (split at ". ", "; ", "! ", "? " and line breaks).
    /// Whether `text` asks how long the battery of the product on screen lasts ("how long does the
    /// battery last?", "¿cuánto dura la batería?", "battery life?"), not how to get rid of one.
    static func asksBatteryLife(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        guard tokens.count <= 10, tokens.contains(where: { ["bateria", "baterias", "battery", "pila", "carga", "autonomia"].contains($0) }),
              !tokens.contains(where: ConversationEngine.disposalWords.contains) else { return false }
        return tokens.contains { ["dura", "duran", "durar", "cuanto", "cuantas", "last", "lasts", "long", "hours", "horas", "life", "duracion",
                                  "aguanta", "autonomia", "mah"].contains($0) }
    }

    /// What the listing of `p` says of its battery: the description's sentence or the attribute
    /// naming it, quoted; else that it says nothing.
    func batteryAnswer(_ p: Product, language: Language) -> String {
        let es = language == .es
        let words: Set<String> = ["bateria", "baterias", "pila", "pilas", "autonomia", "mah", "carga"]
        for (key, value) in p.attributes.sorted(by: { $0.key < $1.key })
        where Self.normalizer.normalize(key + " " + value).tokens.contains(where: words.contains) {
            return "\(Self.capitalised(key)): \(Self.shortened(value, 200))."
        }
        if let description = p.description,
           let sentence = Self.sentences(of: description).first(where: { Self.normalizer.normalize($0).tokens.contains(where: words.contains) }) {
            let quoted = "“\(Self.shortened(sentence, 300))”"
            return es ? "Según su descripción: \(quoted)" : "According to its description: \(quoted)"
        }
        return es
            ? "La ficha de *\(p.name)* no dice cuánto dura la batería. Toca *Ver producto* para ver todos sus detalles, o escribe *asesor* y una persona te lo confirma."
            : "The listing of *\(p.name)* doesn't say how long the battery lasts. Tap *View product* for all its details, or type *human* and a person will confirm it for you."
    }

    static func sentences(of text: String) -> [String] {
        var out: [String] = []
        var current = ""
        var previous: Character = " "
        for ch in text {
            if ch.isNewline || ((ch == " ") && [".", ";", "!", "?"].contains(previous)) {
                let s = current.trimmingCharacters(in: .whitespaces)
                if !s.isEmpty { out.append(s) }
                current = ""
            } else {
                current.append(ch)
            }
            previous = ch
        }
        let s = current.trimmingCharacters(in: .whitespaces)
        if !s.isEmpty { out.append(s) }
        return out
    }

    private static func capitalised(_ text: String) -> String {
        let line = text.split(whereSeparator: \.isWhitespace).joined(separator: " ")
        return line.prefix(1).uppercased() + line.dropFirst()
    }

    // MARK: - "¿la azul es más barata?"

    /// A price comparison between colours of the card's model (`colourPriceComparison`).
    enum PriceComparison {
        /// Whether `subject` costs less (or more) than `against`.
        case pair(subject: Product, against: Product)
        /// Nothing of its kind comes in this colour (as the user wrote it).
        case missing(String)
    }

    /// Whether another colour of the card's product costs less (or more, when asked "¿más
    /// cara?") than it, or than a second colour named ("¿la blanca es más barata que la
    /// negra?"). Nil when `text` asks no such comparison (no price word, no other colour, or
    /// "¿algo más barato en azul?": other products).
    func colourPriceComparison(_ text: String, product p: Product, index: CatalogSearchIndex, language: Language) -> PriceComparison? {
        let tokens = Self.normalizer.normalize(text).tokens
        guard tokens.count <= 10 else { return nil }
        let cheaper = tokens.contains(where: CatalogWords.cheapWords.contains)
            || (tokens.contains("menos") && tokens.contains(where: { ["cuesta", "cuestan", "sale", "salen", "vale", "valen"].contains($0) }))
        let dearer = tokens.contains(where: CatalogWords.dearWords.contains) || tokens.contains("pricier")
        guard cheaper || dearer || Self.asksSamePrice(tokens),
              !tokens.contains(where: { ["algo", "something", "anything", "otro", "otra", "otros", "otras", "other", "another", "hay",
                                         "tienen", "have"].contains($0) }) else { return nil }
        // The colours as written, in order ("blanca", "negra").
        let named = tokens.filter { !Self.askedColours($0).isEmpty }
        guard (1...2).contains(named.count) else { return nil }
        var models: [Product] = []
        for word in named {
            if Self.hasColour(p, Self.askedColours(word)[0]) { models.append(p); continue }
            switch colourSibling(of: p, asked: word, index: index) {
            case .same: models.append(p)
            case .other(let sibling): models.append(sibling)
            case .none(let colour): return .missing(colour)
            }
        }
        if models.count == 1 { models.append(p) }
        guard models[0].sku != models[1].sku else { return nil }
        return .pair(subject: models[0], against: models[1])
    }

    /// "¿la negra y la verde cuestan lo mismo?", "same price?": whether two prices are equal.
    static func asksSamePrice(_ tokens: [String]) -> Bool {
        let priceWords: Set<String> = ["cuesta", "cuestan", "precio", "vale", "valen", "salen", "sale", "price", "cost", "costs"]
        return tokens.contains(where: priceWords.contains) && tokens.contains { ["mismo", "misma", "igual", "same"].contains($0) }
    }

    /// The line comparing `sibling`'s price with `p`'s (`colourPriceComparison`); a question whether
    /// they cost the same (`askedSame`) is answered yes or no.
    func priceComparisonLine(_ sibling: Product, against p: Product, askedDearer: Bool, askedSame: Bool = false, index: CatalogSearchIndex,
                             language: Language) -> String {
        let es = language == .es
        func price(_ q: Product) -> String {
            let amount = index.catalog.formatted(q.currentPrice)
            guard q.salePrice.map({ $0.amount < q.price.amount }) == true else { return amount }
            return es ? "\(amount) en oferta" : "\(amount) on sale"
        }
        var line: String
        if sibling.currentPrice == p.currentPrice {
            line = es ? "\(askedSame ? "Sí, cuestan" : "Cuestan") lo mismo: \(price(p))."
                      : "\(askedSame ? "Yes, they cost" : "They cost") the same: \(price(p))."
        } else {
            let yes = !askedSame && (askedDearer ? sibling.currentPrice > p.currentPrice : sibling.currentPrice < p.currentPrice)
            line = es ? "\(yes ? "Sí" : "No"): *\(sibling.name)* cuesta \(price(sibling)); *\(p.name)*, \(price(p))."
                      : "\(yes ? "Yes" : "No"): *\(sibling.name)* is \(price(sibling)); *\(p.name)* is \(price(p))."
        }
        if sibling.stock == 0 {
            line += es ? " *\(sibling.name)* está agotado por ahora." : " *\(sibling.name)* is out of stock for now."
        }
        return line
    }

    // MARK: - "¿tienen otro modelo?"

    /// Whether `text` asks for other models like the product on screen ("¿tienen otro modelo?",
    /// "¿algo parecido?", "other models?", "anything similar?"), not other colours of it.
    static func asksOtherModels(_ text: String) -> Bool {
        let tokens = normalizer.normalize(text).tokens
        guard !tokens.isEmpty, tokens.count <= 8,
              !tokens.contains(where: { ["color", "colores", "colour", "colours", "colors"].contains($0) }) else { return false }
        let alike = tokens.contains { ["parecido", "parecidos", "parecida", "parecidas", "similar", "similares", "alike"].contains($0) }
        let models = tokens.contains { ["modelo", "modelos", "model", "models", "opciones", "options", "estilos", "styles", "versiones"].contains($0) }
            && tokens.contains { ["otro", "otros", "otra", "otras", "other", "another", "mas", "more", "diferente", "diferentes", "distinto",
                                  "distintos", "different", "que", "what", "which", "cuales"].contains($0) }
        return alike || models
    }

    /// Other models like `product`: its kind's other products (not the same model in another
    /// colour: that is "¿otro color?"), else its category's, saying it is the only one of its kind.
    func otherModels(of product: Product, state: inout ConversationState, catalog: ActiveCatalogIndex, language: Language) -> [BotReply] {
        let index = catalog.index
        let category = index.products(inCategory: product.category, limit: 1000)
        func model(_ p: Product) -> [String] { index.queryWords(p.name).filter { !CatalogWords.isModifier($0) } }
        let own = model(product)
        let candidates = category.filter { $0.sku != product.sku && model($0) != own }
        let kind = Self.kindWord(of: product, among: category, index: index)
        var others = kind.map { kind in candidates.filter { index.queryWords($0.name).contains(kind) } } ?? []
        let ofItsKind = !others.isEmpty
        if !ofItsKind { others = candidates }
        guard !others.isEmpty else {
            return [.text(language == .es ? "Por ahora es el único de ese tipo que tenemos. ¿Te ayudo a buscar otra cosa?"
                                          : "For now it's the only one of its kind we have. Shall I look for something else?")]
        }
        // In stock first, in the catalog's order.
        let shown = Array((others.filter(\.isInStock) + others.filter { !$0.isInStock }).prefix(Self.pageSize))
        state.catalogBrowse = CatalogBrowse(query: ofItsKind ? kind : nil, categoryID: ofItsKind ? nil : product.category, shown: 1000,
                                            catalogVersion: catalog.version, onScreen: shown.map(\.sku))
        let categoryName = index.category(id: product.category)?.name
        let body = switch (ofItsKind, language) {
        case (true, .es): "Estos son otros modelos parecidos. Elige uno para ver el detalle:"
        case (true, _): "Here are other models like it. Pick one to see the details:"
        case (false, .es): "Es el único de ese tipo que tenemos; estos son de \(categoryName ?? "la misma categoría"):"
        case (false, _): "It's the only one of its kind we have; these are from \(categoryName ?? "the same category"):"
        }
        return [productList(shown, body: body, more: false, index: index, language: language)]
    }

    // MARK: - "me la llevo"

    /// Whether `text` only says the user wants it ("me la llevo", "ok lo quiero", "I'll take
    /// it"): with no card on screen it names nothing to buy (it got electronics recycling, the
    /// classifier's guess for "llevo").
    static func onlyWantsIt(_ text: String) -> Bool {
        var tokens = normalizer.normalize(text).tokens[...]
        while let first = tokens.first, ["si", "ok", "okey", "bueno", "va", "dale", "pues", "entonces", "ya", "yes", "ok", "then",
                                         "listo", "perfecto", "sale"].contains(first) {
            tokens = tokens.dropFirst()
        }
        return wantingPhrases.contains(tokens.joined(separator: " "))
    }
}
