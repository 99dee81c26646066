import Foundation
import LioraCore
import Testing

/// What a black-box review of the demo found in a shopper's follow-ups (2026-11-25).
@Suite("Conversation engine: a shopper's follow-ups keep what was asked")
struct ConversationShopperReviewTests {
    static let shop = ConversationCatalogTests.shop
    static let engine = ConversationEngineTests.engine
    static let all = ConversationEngineTests.all
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    func say(_ text: String, replyID: String? = nil, language: Language = .es, state: ConversationState = .init()) -> ConversationEngine.Turn {
        Self.engine.respond(to: text, replyID: replyID, language: language, state: state, enabledSkills: Self.all, catalog: Self.shop, now: now)
    }

    func listed(_ turn: ConversationEngine.Turn) -> (body: String, skus: [String])? {
        for reply in turn.replies {
            if case .list(let body, _, let rows) = reply {
                return (body, rows.map(\.id).filter { $0.hasPrefix("sku:") }.map { String($0.dropFirst(4)) })
            }
        }
        return nil
    }

    @Test("“cheaper” after a search lists the close matches by price, not the ranking's weak ones")
    func cheaperKeepsTheSearch() throws {
        let white = say("más barato", state: say("busco tenis blancos").state)
        let whiteList = try #require(listed(white), "\(white.replies.map(\.summary))")
        #expect(whiteList.skus == ["ZAP-004", "ZAP-006"])  // the white pairs, cheapest first; no blue children's pair
        let running = say("cheaper", language: .en, state: say("do you have running shoes?", language: .en).state)
        let runningList = try #require(listed(running), "\(running.replies.map(\.summary))")
        #expect(runningList.skus.first == "ZAP-001")
        #expect(runningList.skus.allSatisfy { ["ZAP-001", "ZAP-002", "ZAP-003"].contains($0) }, "\(runningList.skus)")
        let wireless = try #require(listed(say("más barato", state: say("busco audifonos inalambricos").state)))
        #expect(!wireless.skus.contains("AUD-003"))  // the wired pair is no wireless one
        #expect(wireless.skus.first == "AUD-004")
    }

    @Test("“something cheaper?” after a card: cheaper ones of its kind, else its category's, saying there is none of its kind")
    func cheaperThanTheCard() throws {
        let sneakers = say("¿hay algo más barato?", state: say("", replyID: "sku:ZAP-003").state)  // Running Aire Azul Marino, $1,299
        let list = try #require(listed(sneakers), "\(sneakers.replies.map(\.summary))")
        #expect(list.skus.first == "ZAP-004" || list.skus.first == "ZAP-005")  // $699 sneakers
        #expect(list.skus.contains("ZAP-001"))
        #expect(!list.skus.contains("ZAP-008") && !list.skus.contains("ZAP-012"))  // no heels, no sandals
        let dress = say("¿hay algo más barato?", state: say("", replyID: "sku:VES-003").state)  // the cheapest dress
        guard case .text(let note)? = dress.replies.first else { Issue.record("no note: \(dress.replies.map(\.summary))"); return }
        #expect(note.hasPrefix("Es lo más económico que tenemos de “vestido” en Ropa de mujer"), "\(note)")
        #expect(listed(dress) != nil)
        // The kind is what the name says first, not its material or size ("piel", "pulgadas").
        let leather = say("¿hay algo más barato?", state: say("", replyID: "sku:ZAP-006").state)  // Tenis de Piel Blancos, $1,590
        let cheaperSneakers = try #require(listed(leather), "\(leather.replies.map(\.summary))")
        #expect(Set(cheaperSneakers.skus).isSubset(of: ["ZAP-001", "ZAP-002", "ZAP-003", "ZAP-004", "ZAP-005"]), "\(cheaperSneakers.skus)")
        #expect(cheaperSneakers.skus.first == "ZAP-004" || cheaperSneakers.skus.first == "ZAP-005")
        let laptopBag = say("¿hay algo más barato?", state: say("", replyID: "sku:MOC-001").state)
        let bags = laptopBag.replies.map(\.summary).joined(separator: " | ")
        #expect(!bags.contains("pulgadas"), "\(bags)")
        // "Más caro" asks for pricier ones, of its kind.
        let dearer = say("¿hay algo más caro?", state: say("", replyID: "sku:ZAP-004").state)  // $699
        let pricier = try #require(listed(dearer), "\(dearer.replies.map(\.summary))")
        #expect(pricier.skus.first == "ZAP-006", "\(pricier.skus)")  // the dearest sneakers first
        #expect(!pricier.skus.contains("ZAP-012") && !pricier.skus.contains("ZAP-004"), "\(pricier.skus)")
        // A short "cheaper" with a card on screen after a list is about the card, not the list.
        let whiteSneakers = say("white sneakers", language: .en)
        let card = say("", replyID: "sku:ZAP-006", language: .en, state: whiteSneakers.state)  // $1,590
        guard case .product(let shown)? = card.replies.first else { Issue.record("no card"); return }
        let cheaper = say("anything cheaper?", language: .en, state: card.state)
        let skus = try #require(listed(cheaper), "\(cheaper.replies.map(\.summary))").skus
        #expect(!skus.contains(shown.sku) && !skus.isEmpty, "\(skus)")
    }

    @Test("“how much?” with a list on screen asks which one; after the other colours of a card, it is about the card")
    func whichOne() throws {
        let list = say("busco tenis")
        guard case .text(let which)? = say("¿cuánto cuesta?", state: list.state).replies.first else { Issue.record("no text"); return }
        #expect(which.hasPrefix("¿De cuál? Elige uno de la lista"), "\(which)")
        #expect(say("how much water should I drink?", language: .en, state: list.state).intentID == "vida_sana.hidratacion")
        let colours = say("what other colours?", language: .en, state: say("", replyID: "sku:SUD-003", language: .en).state)
        #expect(say("how much?", language: .en, state: colours.state).replies.map(\.summary)
                == ["*Sudadera con Capucha Negra para Hombre* is $799.00."])
    }

    @Test("a lone Spanish shopping word after an English greeting is answered in Spanish")
    func spanishWordAfterEnglishHi() throws {
        let hi = say("hi", language: .es)
        #expect(hi.language == .en)
        let shoes = say("zapatos", language: hi.language, state: hi.state)
        #expect(shoes.language == .es)
        let next = say("siguiente", language: .en, state: shoes.state)
        #expect(next.language == .es)
        // A product name copied from the (Spanish) catalog does not switch an English chat.
        #expect(say("Zapatillas Running", language: .en, state: hi.state).language == .en)
        #expect(say("Zapatillas Running Aire Roja", language: .en, state: hi.state).language == .en)
        // A new user's "zapatillas running" is Spanish ("running" alone weighs as English then).
        for text in ["zapatillas running", "gorra baseball", "lentes polarized"] {
            let first = Self.engine.respond(to: text, replyID: nil, language: .es, languageEstablished: false, state: .init(),
                                            enabledSkills: Self.all, catalog: Self.shop, now: now)
            #expect(first.language == .es, "\(text)")
        }
    }

    @Test("a number beyond the list is a row out of it, not a search for “tenis 99”; a size in the list still narrows")
    func numberBeyondTheList() throws {
        let shoes = say("busco tenis")
        let rows = try #require(listed(shoes)).skus.count
        guard case .text(let text)? = say("99", state: shoes.state).replies.first else { Issue.record("no text"); return }
        #expect(text == "En la lista hay \(rows). Elige uno del 1 al \(rows), o escríbeme qué buscas.")
        let size = try #require(listed(say("¿y en talla 42?", state: shoes.state)))
        #expect(!size.skus.isEmpty && size.skus.count < rows)
    }

    @Test("“next page” and “página 2” page on; “página 2” shows the second page whatever was shown")
    func pagesByName() throws {
        let clothes = say("ropa")
        let first = try #require(listed(clothes)).skus
        let next = try #require(listed(say("next page", state: clothes.state))).skus
        #expect(!next.isEmpty && Set(next).isDisjoint(with: first))
        let second = try #require(listed(say("página 2", state: clothes.state))).skus
        #expect(second == next)
        let third = say("página 3", state: clothes.state)
        let again = try #require(listed(say("página 2", state: third.state))).skus
        #expect(again == next)
    }

    @Test("“in another colour?” after a card: the same model in its other colours, else that it comes in one, with alike ones")
    func otherColours() throws {
        let laptopBag = say("¿la tienen en otro color?", state: say("", replyID: "sku:MOC-001").state)  // the black one
        let list = try #require(listed(laptopBag), "\(laptopBag.replies.map(\.summary))")
        #expect(list.skus == ["MOC-002"])
        #expect(list.body.hasPrefix("También lo tenemos en otros colores"))
        // The list is the one on screen: "la primera" opens it.
        guard case .product(let grey)? = say("la primera", state: laptopBag.state).replies.first else { Issue.record("no card"); return }
        #expect(grey.sku == "MOC-002")
        // One colour only, nothing alike in its category: said so, no card again.
        let hiking = say("what other colours?", language: .en, state: say("", replyID: "sku:DEP-005", language: .en).state)
        #expect(hiking.replies.map(\.summary) == ["This model only comes in red."])
        // A hoodie in one colour: the category's other hoodies.
        let hoodie = say("¿qué colores hay?", state: say("", replyID: "sku:SUD-003").state)
        let hoodies = try #require(listed(hoodie), "\(hoodie.replies.map(\.summary))")
        #expect(hoodies.skus.contains("SUD-002"))
        #expect(hoodies.body.hasPrefix("Este modelo solo lo tenemos en negro."))
    }

    @Test("asked for men's things, women's ones are left out, and the other way round; unisex and unmarked ones stay")
    func genders() throws {
        let index = Self.shop.index
        let mens = index.search("zapatos para hombre", limit: 20).map(\.product.sku)
        #expect(mens.contains("ZAP-007") && !mens.contains("ZAP-008"), "\(mens)")  // no women's heels
        let hoodies = index.search("sudadera para mujer", limit: 20).map(\.product.sku)
        #expect(hoodies.first == "SUD-001" && !hoodies.contains("SUD-002") && !hoodies.contains("SUD-003"), "\(hoodies)")
        let gift = index.search("reloj para mi esposo", limit: 20).map(\.product)
        #expect(!gift.isEmpty && gift.allSatisfy { !$0.name.lowercased().contains("mujer") }, "\(gift.map(\.name))")
        // No one named: both.
        let all = index.search("sudadera", limit: 20).map(\.product.sku)
        #expect(["SUD-001", "SUD-002", "SUD-003"].allSatisfy(all.contains))
    }

    @Test("a size asked for after a list is said as a size, and “ver” is not quoted back as a search word")
    func sizeHeader() throws {
        let dresses = say("quiero ver vestidos")
        let first = try #require(listed(dresses), "\(dresses.replies.map(\.summary))")
        #expect(first.body.contains("“vestidos”"), "\(first.body)")
        let sized = say("¿tienen en talla M?", state: dresses.state)
        let reply = sized.replies.map(\.summary).joined(separator: " | ")
        #expect(reply.contains("“vestidos” en talla M"), "\(reply)")
        #expect(!reply.contains("ver vestidos"))
    }

    @Test("the English help menu's “What we sell” button shows what the shop sells, as the Spanish one does")
    func englishHelpButton() throws {
        let help = say("help", language: .en)
        let buttons = help.replies.flatMap { reply -> [(id: String, title: String)] in
            if case .buttons(_, let b) = reply { return b } else { return [] }
        }
        let sell = try #require(buttons.first, "\(help.replies.map(\.summary))")
        let turn = say(sell.title, replyID: sell.id, language: .en, state: help.state)
        #expect(turn.intentID == "catalogo.resumen", "\(turn.replies.map(\.summary))")
        #expect(turn.replies.first?.summary.hasPrefix("We have 110 products") == true, "\(turn.replies.map(\.summary))")
    }

    @Test("“el más caro” or “most expensive” alone lists the shop's dearest, as “lo más barato” lists its cheapest")
    func dearestAlone() throws {
        let dearestPrice = Self.shop.index.catalog.products.filter(\.isInStock).map(\.currentPrice).max()
        for (text, language) in [("¿qué es lo más caro que tienen?", Language.es), ("el más caro", .es), ("most expensive", .en)] {
            let turn = say(text, language: language)
            let list = try #require(listed(turn), "\(text): \(turn.replies.map(\.summary))")
            #expect(list.body.hasPrefix(language == .es ? "Lo de mayor precio de la tienda" : "The highest-priced in the shop"), "\(list.body)")
            let first = try #require(list.skus.first.flatMap { Self.shop.index.product(sku: $0) })
            #expect(first.currentPrice == dearestPrice, "\(text)")
        }
    }

    @Test("“cheaper” after narrowing a list by colour or size sorts the narrowed list, not the first search")
    func cheaperKeepsTheNarrowing() throws {
        let white = say("¿y en blanco?", state: say("busco tenis").state)
        let whiteSkus = try #require(listed(white)).skus
        let cheaper = try #require(listed(say("más barato", state: white.state)), "cheaper").skus
        #expect(Set(cheaper) == Set(whiteSkus), "\(cheaper) vs \(whiteSkus)")
        let sized = say("¿tienen en talla M?", state: say("quiero ver vestidos").state)
        let sizedSkus = try #require(listed(sized)).skus
        let sizedCheaper = try #require(listed(say("más barato", state: sized.state)), "sized cheaper").skus
        #expect(Set(sizedCheaper).isSubset(of: Set(sizedSkus)) && !sizedCheaper.contains("NIN-004"), "\(sizedCheaper)")
    }

    @Test("“how much?” with nothing on screen asks which product (it got hydration tips), and health questions stay health questions")
    func howMuchAlone() throws {
        for (text, language) in [("how much?", Language.en), ("how much is it?", .en), ("¿cuánto cuesta?", .es)] {
            let turn = say(text, language: language)
            #expect(turn.intentID == "catalogo.detalle", "\(text): \(turn.intentID ?? "-")")
            #expect(turn.replies.map(\.summary) == [language == .es ? "¿De qué producto? Escríbeme su nombre, por ejemplo «mochila negra»."
                                                                   : "Which product? Type its name, for example “black backpack”."], "\(text)")
        }
        #expect(say("how much water should I drink a day?", language: .en).intentID == "vida_sana.hidratacion")
        // Naming the product still shows it (first), quoted without the asking.
        let named = try #require(listed(say("¿cuánto cuesta la mochila de senderismo?")))
        #expect(named.skus.first == "DEP-005")
        #expect(named.body.contains("“mochila de senderismo”"), "\(named.body)")
    }

    @Test("“-1”, “+2”, “1.5” with a list on screen are no row (“-1” opened row 1, “1.5” searched “1 5”)")
    func signedOrFractionalNumbers() throws {
        let caps = say("busco gorras")
        let rows = try #require(listed(caps)).skus.count
        let card = say("1", state: caps.state)
        for (text, state) in [("-1", caps.state), (" +2 ", caps.state), ("1.5", caps.state), ("2,5", card.state), ("−1", card.state)] {
            let turn = say(text, state: state)
            #expect(turn.replies.map(\.summary) == ["En la lista hay \(rows). Elige uno del 1 al \(rows), o escríbeme qué buscas."], "\(text)")
        }
        // Still a row, and still a product with a decimal in its name.
        guard case .product(let second)? = say("2", state: caps.state).replies.first else { Issue.record("no card"); return }
        #expect(second.sku == (try #require(listed(caps)).skus[1]))
        #expect(ConversationEngine.isSignedOrFractionalNumber("licuadora 1.5") == false)
        #expect(ConversationEngine.isSignedOrFractionalNumber("1.") == false && ConversationEngine.isSignedOrFractionalNumber("12") == false)
    }

    @Test("a product's name typed as it is shows the product, though its words suit another skill")
    func productNameBeatsASkill() throws {
        let rope = say("cuerda para saltar")
        guard case .product(let card)? = rope.replies.first else { Issue.record("\(rope.replies.map(\.summary))"); return }
        #expect(card.sku == "DEP-008")
        // Without a shop (or with a word the name lacks), the skill answers as before.
        let noShop = Self.engine.respond(to: "cuerda para saltar", replyID: nil, language: .es, state: .init(), enabledSkills: Self.all,
                                         catalog: nil, now: now)
        #expect(noShop.intentID?.hasPrefix("vida_sana") == true, "\(noShop.intentID ?? "-")")
        #expect(say("saltar la cuerda es buen ejercicio?").intentID?.hasPrefix("vida_sana") == true)
        #expect(say("¿cómo reciclo pilas?").intentID == "reciclaje.baterias")
    }

    @Test("English shoppers' words for what the Spanish catalog names: “baseball cap”, “gift for my girlfriend”, “jump rope”")
    func englishWordsFindSpanishProducts() throws {
        let caps = try #require(listed(say("baseball cap", language: .en)), "baseball cap")
        #expect(Set(caps.skus.prefix(2)) == ["GOR-001", "GOR-002"], "\(caps.skus)")
        let gift = try #require(listed(say("gift for my girlfriend", language: .en)), "gift")
        #expect(gift.skus.first == "PER-004", "\(gift.skus)")
        #expect(!gift.skus.contains("PER-002"), "\(gift.skus)")  // the men's perfume
        let rope = say("jump rope", language: .en)
        let ropeSkus = listed(rope)?.skus ?? rope.replies.compactMap { if case .product(let card) = $0 { card.sku } else { nil } }
        #expect(ropeSkus.first == "DEP-008", "\(rope.replies.map(\.summary))")
    }

    @Test("an English card of a Spanish catalog names its attributes and colours in English; other values stay the shop's words")
    func englishCardAttributes() throws {
        let card = say("", replyID: "sku:ZAP-001", language: .en)  // color rojo, talla 38–42, material malla transpirable, marca Zancada
        guard case .product(let english)? = card.replies.first else { Issue.record("no card"); return }
        #expect(english.body.contains("\nColour: red\n") && english.body.contains("\nSize: 38, 39, 40, 41, 42\n"), "\(english.body)")
        #expect(english.body.contains("\nBrand: Zancada") && english.body.contains("\nMaterial: malla transpirable"), "\(english.body)")
        guard case .product(let spanish)? = say("", replyID: "sku:ZAP-001").replies.first else { Issue.record("no card"); return }
        #expect(spanish.body.contains("\nColor: rojo\n") && spanish.body.contains("\nTalla: 38, 39, 40, 41, 42\n"), "\(spanish.body)")
        #expect(say("what brand is it?", language: .en, state: card.state).replies.map(\.summary)
                == ["*Zapatillas Running Aire Roja* — Brand: Zancada"])
        for (value, english) in [("azul marino", "navy blue"), ("negro y café", "black and brown"), ("Gris Oxford", "oxford grey"),
                                 ("madera natural", "madera natural"), ("miel", "miel")] {
            let translated = ConversationEngine.inEnglish(key: "color", value: value)
            #expect(translated.key == "colour" && translated.value == english, "\(value): \(translated)")
        }
        let brand = ConversationEngine.inEnglish(key: "Marca", value: "Ollín")
        #expect(brand.key == "brand" && brand.value == "Ollín")
    }

    @Test("a question naming another colour than the card's is about that colour's model (“¿la negra tiene stock?” said the red pair was in stock)")
    func otherColourOfTheCard() throws {
        let red = say("", replyID: "sku:ZAP-001")  // Running Aire Roja; ZAP-002 is the black pair (sold out), ZAP-003 navy
        let black = say("¿la negra tiene stock?", state: red.state)
        #expect(black.replies.map(\.summary) == ["*Zapatillas Running Aire Negra* está agotado por ahora."])
        #expect(black.state.shownProduct?.sku == "ZAP-002")
        #expect(say("how much is the blue one?", language: .en, state: red.state).replies.map(\.summary)
                == ["*Zapatillas Running Aire Azul Marino* is $1,299.00."])
        // Its own colour is this card; no model in the colour: its kind in it, else says so and shows the others.
        #expect(say("¿la roja tiene stock?", state: red.state).replies.map(\.summary) == ["Sí, *Zapatillas Running Aire Roja* está disponible."])
        let cap = say("", replyID: "sku:GOR-001")  // Gorra de Béisbol Negra; the white cap is the trucker GOR-003
        #expect(say("¿y la blanca cuánto cuesta?", state: cap.state).replies.map(\.summary) == ["*Gorra Trucker de Malla Blanca* cuesta $299.00."])
        let pink = say("¿la tienen en rosa?", state: cap.state)
        #expect(pink.replies.first?.summary == "*Gorra de Béisbol Negra* no viene en rosa.", "\(pink.replies.map(\.summary))")
        #expect(pink.state.shownProduct?.sku == "GOR-001")
    }

    @Test("after a card: shipping and payment are a person's questions, a size alone is the card's, and “in M” is a size")
    func cardQuestionsThatAreNotTheCards() throws {
        let cap = say("", replyID: "sku:GOR-001")
        for text in ["¿cuánto cuesta el envío?", "¿tiene garantía?", "how much is shipping?"] {
            let turn = say(text, language: text.hasPrefix("how") ? .en : .es, state: cap.state)
            #expect(turn.intentID == "core.pedidos", "\(text): \(turn.intentID ?? "-") \(turn.replies.map(\.summary))")
        }
        let dress = say("", replyID: "sku:VES-003")  // XS, S, M, L
        #expect(say("¿en talla XL?", state: dress.state).replies.map(\.summary)
                == ["*Vestido Corto Negro de Punto* no viene en talla XL; viene en: XS, S, M, L."])
        #expect(say("do you have it in M?", language: .en, state: dress.state).replies.map(\.summary)
                == ["Yes, *Vestido Corto Negro de Punto* comes in size M."])
    }

    @Test("looking to buy what the shop does not sell says so (“busco pilas” got battery recycling); a product's name in two skills' words is the product")
    func shoppingForWhatIsNotSold() throws {
        let batteries = say("busco pilas")
        #expect(batteries.replies.first?.summary.hasPrefix("No encontré productos para “pilas”") == true, "\(batteries.replies.map(\.summary))")
        #expect(say("busco dónde reciclar pilas").intentID == "reciclaje.baterias")
        #expect(say("busco consejos para dormir mejor").intentID?.hasPrefix("vida_sana") == true)
        guard case .product(let bottle)? = say("botella térmica").replies.first else { Issue.record("no card"); return }
        #expect(bottle.sku == "DEP-004")
        #expect(say("¿saltar la cuerda quema calorías?").intentID == "vida_sana.actividad")
    }

    @Test("card questions: measures written in the name, who makes it; an English first message of shopping words is English")
    func measuresMakerAndFirstEnglishMessage() throws {
        let cushion = try #require(Self.shop.index.catalog.products.first { $0.name.contains("45 × 45 cm") })
        let card = say("", replyID: "sku:\(cushion.sku)")
        #expect(say("¿cuánto mide?", state: card.state).replies.map(\.summary) == ["*\(cushion.name)* mide 45 × 45 cm."])
        let rope = say("", replyID: "sku:DEP-008", language: .en)
        #expect(say("who makes it?", language: .en, state: rope.state).replies.map(\.summary) == ["*Cuerda para Saltar con Contador* — Brand: Vértice"])
        for text in ["soccer ball", "baseball cap", "jump rope"] {
            let first = Self.engine.respond(to: text, replyID: nil, language: .es, languageEstablished: false, state: .init(),
                                            enabledSkills: Self.all, catalog: Self.shop, now: now)
            #expect(first.language == .en, "\(text)")
        }
        // A Spanish chat stays Spanish on one such word.
        #expect(say("una gorra baseball", language: .es).language == .es)
    }

    @Test("after a card, a question about something else is that question (“how much water…?” got the rope's price); “¿cuánto sale?” is its price")
    func otherQuestionsAfterACard() throws {
        let rope = say("", replyID: "sku:DEP-008", language: .en)
        #expect(say("how much water should I drink a day?", language: .en, state: rope.state).intentID == "vida_sana.hidratacion")
        #expect(say("how much sleep do I need?", language: .en, state: rope.state).intentID == "vida_sana.sueno")
        let cap = say("", replyID: "sku:GOR-001")
        #expect(say("¿qué material no se recicla?", state: cap.state).intentID?.hasPrefix("reciclaje") == true)
        #expect(say("¿de qué color es el contenedor de vidrio?", state: cap.state).intentID == "reciclaje.vidrio")
        #expect(say("cuanto sale", state: cap.state).replies.map(\.summary) == ["*Gorra de Béisbol Negra* cuesta $349.00."])
        // The product's own name in the question is still about it.
        #expect(say("¿de qué material es la gorra?", state: cap.state).replies.map(\.summary) == ["*Gorra de Béisbol Negra* — Material: algodón"])
        for text in ["¿cómo puedo pagar?", "¿puedo devolverla?"] {
            #expect(say(text, state: cap.state).intentID == "core.pedidos", "\(text)")
        }
        #expect(say("how can I pay?", language: .en).intentID == "core.pedidos")
    }

    @Test("“how much … do I need / is too much” is a health question, not a search (“¿cuánto necesito dormir?” listed pyjamas)")
    func howMuchIsHealthy() throws {
        for (text, intent) in [("¿cuánto necesito dormir?", "vida_sana.sueno"), ("¿cuánto ejercicio necesito?", "vida_sana.actividad"),
                               ("how much sleep do I need?", "vida_sana.sueno")] {
            let turn = say(text, language: text.hasPrefix("how") ? .en : .es)
            #expect(turn.intentID == intent, "\(text): \(turn.intentID ?? "-") \(turn.replies.map(\.summary).first ?? "")")
        }
        // Prices are still prices.
        #expect(listed(say("¿cuánto cuestan los tenis?")) != nil)
        #expect(listed(say("necesito tenis para correr")) != nil)
    }
}
