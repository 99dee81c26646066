import Foundation
import LioraCore
import Testing

/// Questions about the card on screen that searched the shop or sent the card again (a review, 2026-11-25).
@Suite("Conversation engine: yes/no, comparison and other-model questions about the card on screen")
struct ConversationCardQuestionsTests {
    static let shop = ConversationCatalogTests.shop
    /// The shopper review's engine, catalog and clock.
    let shopper = ConversationShopperReviewTests()

    func say(_ text: String, replyID: String? = nil, language: Language = .es, state: ConversationState = .init()) -> ConversationEngine.Turn {
        shopper.say(text, replyID: replyID, language: language, state: state)
    }

    func card(_ sku: String, language: Language = .es) -> ConversationState { say("", replyID: "sku:\(sku)", language: language).state }

    func answer(_ text: String, after sku: String, language: Language = .es) -> [String] {
        say(text, language: language, state: card(sku, language: language)).replies.map(\.summary)
    }

    @Test("“¿es impermeable?”, “¿es de piel?”, “is it waterproof?”: what the card says, yes or no, in a line")
    func yesNoQuestions() {
        // The red running shoes: mesh, nothing about water.
        let shoes = answer("¿es impermeable?", after: "ZAP-001")
        #expect(shoes.count == 1 && shoes[0].hasPrefix("La ficha de *Zapatillas Running Aire Roja* no dice nada de “impermeable”"), "\(shoes)")
        #expect(answer("¿es de piel?", after: "ZAP-001") == ["No: *Zapatillas Running Aire Roja* es de malla transpirable."])
        #expect(answer("¿son de piel?", after: "ZAP-006") == ["Sí — Material: piel."])
        // The jacket says so in its name; the English chat asks in English.
        #expect(answer("¿es impermeable?", after: "CHA-002") == ["Sí: *Chaqueta Impermeable Cumbre Negra para Mujer*."])
        #expect(answer("is it waterproof?", after: "CHA-002", language: .en) == ["Yes: *Chaqueta Impermeable Cumbre Negra para Mujer*."])
        // From the description, quoted.
        let hood = answer("¿tiene capucha?", after: "CHA-002")
        #expect(hood.count == 1 && hood[0].hasPrefix("Sí, según su descripción: “Chaqueta ligera e impermeable con capucha"), "\(hood)")
        // The T-shirt "aleja el sudor de la piel": the skin, not its material.
        #expect(answer("¿es de piel?", after: "DEP-007") == ["No: *Playera Deportiva Dry-Fit Azul para Hombre* es de poliéster reciclado."])
        // A colour asked as yes/no.
        #expect(answer("¿es negra?", after: "GOR-001") == ["Sí, *Gorra de Béisbol Negra* es negro."])
        let green = answer("¿es verde?", after: "GOR-003")
        #expect(green.first?.hasPrefix("No: *Gorra Trucker de Malla Blanca* es blanco.") == true, "\(green)")
    }

    @Test("yes/no questions that are not about the card keep their own answers")
    func notAboutTheCard() {
        let cap = card("GOR-001")
        #expect(say("¿es reciclable el vidrio?", state: cap).intentID?.hasPrefix("reciclaje") == true)
        #expect(say("¿tiene garantía?", state: cap).intentID == "core.pedidos")
        #expect(say("¿tiene descuento?", state: card("ZAP-001")).replies.map(\.summary)
                == ["*Zapatillas Running Aire Roja* está en oferta: $1,099.00 (antes $1,299.00)."])
        #expect(say("¿tiene talla 40?", state: card("ZAP-001")).replies.map(\.summary) == ["Sí, *Zapatillas Running Aire Roja* viene en talla 40."])
    }

    @Test("“¿la azul es más barata?”: that colour's model against the card, in a line; “¿cuántas quedan?” is its stock")
    func comparisons() {
        #expect(answer("¿la azul es más barata?", after: "ZAP-001")
                == ["No: *Zapatillas Running Aire Azul Marino* cuesta $1,299.00; *Zapatillas Running Aire Roja*, $1,099.00 en oferta."])
        #expect(answer("¿y la roja cuesta menos?", after: "ZAP-003")
                == ["Sí: *Zapatillas Running Aire Roja* cuesta $1,099.00 en oferta; *Zapatillas Running Aire Azul Marino*, $1,299.00."])
        #expect(answer("is the white one cheaper?", after: "GOR-001", language: .en)
                == ["Yes: *Gorra Trucker de Malla Blanca* is $299.00; *Gorra de Béisbol Negra* is $349.00."])
        #expect(answer("¿la verde es más cara?", after: "GOR-001") == ["Cuestan lo mismo: $349.00."])
        let black = answer("¿la negra es más barata?", after: "ZAP-003")
        #expect(black.first?.hasSuffix("*Zapatillas Running Aire Negra* está agotado por ahora.") == true, "\(black)")
        // The card stays the subject.
        let compared = say("¿la azul es más barata?", state: card("ZAP-001"))
        #expect(compared.state.shownProduct?.sku == "ZAP-001")
        #expect(say("¿cuántas quedan?", state: card("GOR-002")).replies.map(\.summary) == ["Quedan solo 3 de *Gorra de Béisbol Verde*."])
        // Cheaper things in a colour are still a list.
        let list = say("¿tienen algo más barato en azul?", state: card("ZAP-003")).replies
        #expect(list.contains { if case .list = $0 { true } else { false } }, "\(list.map(\.summary))")
    }

    @Test("“¿tienen otro modelo?”: other models of its kind, not the card again nor its colours")
    func otherModels() throws {
        // The Aire running shoes are the only "zapatillas": other shoes, saying so.
        let turn = say("¿tienen otro modelo?", state: card("ZAP-001"))
        guard case .list(let body, _, let rows)? = turn.replies.first else { Issue.record("no list: \(turn.replies.map(\.summary))"); return }
        #expect(body == "Es el único de ese tipo que tenemos; estos son de Calzado:")
        let skus = rows.map(\.id).filter { $0.hasPrefix("sku:") }.map { $0.dropFirst(4) }
        #expect(!skus.isEmpty && !skus.contains("ZAP-001") && !skus.contains("ZAP-002") && !skus.contains("ZAP-003"), "\(skus)")
        #expect(turn.state.shownProduct?.sku == "ZAP-001")
        let similar = say("something similar?", language: .en, state: card("GOR-001", language: .en))
        guard case .list(let enBody, _, let capRows)? = similar.replies.first else { Issue.record("no list: \(similar.replies.map(\.summary))"); return }
        #expect(enBody.hasPrefix("Here are other models like it"))
        #expect(capRows.map(\.id).contains("sku:GOR-003") && !capRows.map(\.id).contains("sku:GOR-002"))
    }

    @Test("“me la llevo” twice says how to buy once with the card, then without; with no card it asks which one")
    func takingIt() {
        let first = say("me la llevo", state: card("ZAP-001"))
        #expect(first.replies.count == 2)
        let second = say("me la llevo", state: first.state)
        #expect(second.replies.map(\.summary) == ["Para comprarlo, toca *Ver producto* en la tarjeta de arriba. Si prefieres que te atienda una persona, escribe *asesor*."])
        #expect(second.state.shownProduct?.sku == "ZAP-001")
        let none = say("me la llevo")
        #expect(none.replies.map(\.summary) == ["¿Qué producto te quieres llevar? Escríbeme su nombre o lo que buscas, y te digo cómo comprarlo."])
        let list = say("busco gorras")
        #expect(say("ok me lo llevo", state: list.state).replies.first?.summary.hasPrefix("¿Cuál? Elige uno de la lista") == true)
        #expect(say("lo quiero reciclar").intentID?.hasPrefix("reciclaje") == true || say("lo quiero reciclar").intentID == nil)
    }

    @Test("typed buying verbs and a follow-up's “y” are no product words: “busko gorra”, “y audifonos?”")
    func typosAndFollowUps() {
        let caps = say("busko gorra").replies.map(\.summary)
        #expect(caps.first?.contains("gorra") == true && !(caps.first?.contains("busko") ?? true), "\(caps)")
        let headphones = say("y audifonos?").replies.map(\.summary)
        #expect(headphones.first?.hasPrefix("Esto encontré para “audifonos”") == true, "\(headphones)")
    }
}

/// More of the same review: short follow-ups about the card that searched the shop or sent the card again.
@Suite("Conversation engine: short follow-ups about the card on screen")
struct ConversationCardFollowUpTests {
    let t = ConversationCardQuestionsTests()

    @Test("“¿y en 42?”, “is it on sale?”, “¿y en rojo?”, “what color is it?”, “¿cuántos litros tiene?”, “¿está agotada?”")
    func shortFollowUps() {
        #expect(t.answer("¿y en 42?", after: "ZAP-001") == ["Sí, *Zapatillas Running Aire Roja* viene en talla 42."])
        #expect(t.answer("in 45?", after: "ZAP-003", language: .en)
                == ["*Zapatillas Running Aire Azul Marino* doesn't come in size 45; it comes in: 40, 41, 42, 43, 44."])
        #expect(t.answer("is it on sale?", after: "ZAP-001", language: .en) == ["*Zapatillas Running Aire Roja* is on sale: $1,099.00 (was $1,299.00)."])
        #expect(t.answer("¿está en oferta?", after: "ZAP-001") == ["*Zapatillas Running Aire Roja* está en oferta: $1,099.00 (antes $1,299.00)."])
        #expect(t.answer("¿y en rojo?", after: "ZAP-001") == ["Sí, *Zapatillas Running Aire Roja* es rojo."])
        #expect(t.answer("what color is it?", after: "ZAP-003", language: .en) == ["*Zapatillas Running Aire Azul Marino* — Colour: navy blue"])
        #expect(t.answer("¿cuántos litros tiene?", after: "DEP-005") == ["*Mochila de Senderismo 30 L Roja* tiene una capacidad de 30 L."])
        #expect(t.answer("¿está agotada?", after: "ZAP-002") == ["Sí, *Zapatillas Running Aire Negra* está agotado por ahora."])
        #expect(t.answer("¿quedan pocas?", after: "GOR-002") == ["Sí, quedan solo 3 de *Gorra de Béisbol Verde*."])
        #expect(t.answer("¿quedan pocas?", after: "DEP-005") == ["No, quedan 10 de *Mochila de Senderismo 30 L Roja*."])
        // "¿es de vidrio?" is about the card even though "vidrio" is a recycling word.
        #expect(t.answer("¿es de vidrio?", after: "DEP-004") == ["No: *Botella Térmica de Acero 750 ml* es de acero inoxidable."])
        #expect(t.answer("¿es de acero?", after: "DEP-004") == ["Sí — Material: acero inoxidable."])
    }

    @Test("“¿y más caro?” after “¿algo más barato?” below a card lists pricier ones, not the dearest of the cheaper")
    func dearerAfterCheaper() throws {
        let cheaper = t.say("¿hay algo más barato?", state: t.card("ZAP-001"))  // $1,099
        let dearer = t.say("¿y más caro?", state: cheaper.state)
        guard case .list(_, _, let rows)? = dearer.replies.last else { Issue.record("no list: \(dearer.replies.map(\.summary))"); return }
        let skus = rows.map(\.id).filter { $0.hasPrefix("sku:") }.map { String($0.dropFirst(4)) }
        let prices = skus.compactMap { sku in ConversationCardQuestionsTests.shop.index.product(sku: sku)?.currentPrice }
        #expect(prices.first.map { $0 > 1099 } == true, "\(skus)")
    }
}

/// The rest of that review's findings in the engine: comparisons of two colours, a question's
/// options, links, paging with nothing to page, and claims about the cheapest of a kind.
@Suite("Conversation engine: review findings beyond the card")
struct ConversationReviewFindingsTests {
    let t = ConversationCardQuestionsTests()

    @Test("“¿la blanca es más barata que la negra?” compares the two colours of the card's kind")
    func twoColours() {
        #expect(t.answer("¿la blanca es más barata que la negra?", after: "GOR-001")
                == ["Sí: *Gorra Trucker de Malla Blanca* cuesta $299.00; *Gorra de Béisbol Negra*, $349.00."])
        #expect(t.answer("¿la morada es más barata?", after: "GOR-001").first == "*Gorra de Béisbol Negra* no viene en morada.")
    }

    @Test("“no sé” to “which material?” lists the options and asks again; a pick from them answers")
    func slotOptions() throws {
        let asked = t.say("quiero reciclar")
        #expect(asked.state.pendingSlot != nil, "\(asked.replies.map(\.summary))")
        let options = t.say("no sé", state: asked.state)
        guard case .list(let body, _, let rows)? = options.replies.first else { Issue.record("no list: \(options.replies.map(\.summary))"); return }
        #expect(body.hasSuffix("¿Qué material quieres reciclar?"))
        #expect(rows.count >= 6 && rows.contains { $0.id == "intent:reciclaje.vidrio" }, "\(rows.map(\.id))")
        #expect(options.state.pendingSlot != nil)
        #expect(t.say("vidrio", state: options.state).intentID == "reciclaje.vidrio")
    }

    @Test("a link gets “I can't open links”; “ver más” with no list offers the categories; “ok now show me sneakers” searches")
    func linksPagingAndPrefixes() {
        let link = t.say("hola vi este producto en instagram https://instagram.com/p/abc123 cuanto sale?")
        #expect(link.replies.map(\.summary) == ["No puedo abrir enlaces. Escríbeme el nombre del producto o lo que buscas, y te lo busco en la tienda."])
        let more = t.say("ver más")
        #expect(more.intentID == "catalogo.categorias", "\(more.replies.map(\.summary))")
        let sneakers = t.say("ok, now show me sneakers", language: .en)
        #expect(sneakers.replies.first?.summary.hasPrefix("Here's what I found") == true, "\(sneakers.replies.map(\.summary))")
        #expect(t.answer("do you have it in 45?", after: "ZAP-003", language: .en)
                == ["*Zapatillas Running Aire Azul Marino* doesn't come in size 45; it comes in: 40, 41, 42, 43, 44."])
    }

    @Test("“too expensive”: cheaper ones of its kind for the same people in any category; else a claim only about its category")
    func cheaperOfItsKindElsewhere() {
        // The children's school backpack is cheaper, but for someone else: the claim says "in Accessories".
        let turn = t.say("too expensive", language: .en, state: t.card("MOC-003", language: .en))
        let summary = turn.replies.map(\.summary).joined(separator: " | ")
        #expect(summary.hasPrefix("It's the most affordable of its kind in Accesorios; these from the same category cost less:"), "\(summary)")
        #expect(!summary.contains("Mochila Escolar") && !summary.contains("“mochila”"), "\(summary)")
        // The hiking backpack (sports, for anyone): the laptop and mini backpacks cost less, in Accessories.
        let hiking = t.say("¿algo más barato?", state: t.card("DEP-005"))
        let rows = hiking.replies.map(\.summary).joined(separator: " | ")
        #expect(rows.contains("Mochila para Laptop") || rows.contains("Mochila Mini"), "\(rows)")
    }
}

@Suite("Conversation engine: asking whether something not on sale is on sale")
struct ConversationNotOnSaleTests {
    let t = ConversationCardQuestionsTests()

    @Test("“¿está en oferta la cafetera italiana?” says it is not, with its price (it found no products)")
    func notOnSale() {
        let turn = t.say("¿está en oferta la cafetera italiana?")
        let replies = turn.replies.map(\.summary)
        #expect(replies.first == "No, *Cafetera Italiana de Aluminio 6 Tazas* no está en oferta; cuesta $499.00.", "\(replies)")
        #expect(replies.count == 2)
        // Several named: the note and the list.
        let coffee = t.say("¿tienen cafeteras en oferta?").replies.map(\.summary)
        #expect(coffee.first == "No lo tengo en oferta por ahora; estos son sus precios:", "\(coffee)")
        // What is on sale is still found by it.
        let watches = t.say("¿tienen zapatillas en oferta?").replies.map(\.summary).joined()
        #expect(watches.contains("Zapatillas Running Aire Roja") && !watches.contains("No lo tengo en oferta"), "\(watches)")
    }
}

@Suite("Conversation engine: the previous page of a list")
struct ConversationPreviousPageTests {
    let t = ConversationCardQuestionsTests()

    func rows(_ turn: ConversationEngine.Turn) -> [String] {
        for reply in turn.replies { if case .list(_, _, let rows) = reply { return rows.map(\.id).filter { $0.hasPrefix("sku:") } } }
        return []
    }

    @Test("“anterior” after “ver más” shows the first page again; on the first page it says so")
    func previousPage() {
        let first = t.say("ver calzado")
        let firstRows = rows(first)
        #expect(firstRows.count == 9, "\(first.replies.map(\.summary))")
        let second = t.say("ver más", state: first.state)
        #expect(!rows(second).isEmpty && rows(second) != firstRows)
        let back = t.say("anterior", state: second.state)
        #expect(rows(back) == firstRows, "\(back.replies.map(\.summary))")
        #expect(t.say("página anterior", state: first.state).replies.map(\.summary)
                == ["Ya estás en la primera página de la lista. Escribe *ver más* para la siguiente."])
    }
}

@Suite("Catalog search: more countries' words")
struct RegionalWordsTests {
    @Test("“ojotas” (Argentina) and “hawaianas” find the flip-flops; “jockey” (Chile) the caps")
    func regionalWords() {
        let index = ConversationCatalogTests.shop.index
        for query in ["ojotas", "hawaianas"] {
            let top = index.search(query, limit: 1).first?.product.name ?? "-"
            #expect(top.contains("Sandalias") || top.contains("Chanclas"), "\(query): \(top)")
        }
        #expect(index.search("jockey", limit: 1).first?.product.name.hasPrefix("Gorra") == true)
    }
}

@Suite("Conversation engine: a visit to the shop is no product")
struct ConversationVisitTests {
    @Test("“mañana paso” and “paso el sábado” do not open the smartwatch (its tags say “pasos”)")
    func visit() {
        let t = ConversationCardQuestionsTests()
        for text in ["mañana paso", "paso el sábado", "mañana paso a la tienda"] {
            let summary = t.say(text).replies.map(\.summary).joined()
            #expect(!summary.contains("Reloj"), "\(text): \(summary)")
        }
        #expect(ConversationCatalogTests.shop.index.search("reloj que cuente pasos", limit: 3).contains { $0.product.sku == "SMW-001" })
        #expect(ConversationCatalogTests.shop.index.search("pasos", limit: 3).contains { $0.product.sku == "SMW-001" })
    }
}

@Suite("Catalog search: presents for grown-ups")
struct GiftSearchTests {
    @Test("“algo para regalarle a mi mamá” lists presents, not one lamp; a gift for dad or a girlfriend has no toys")
    func gifts() {
        let t = ConversationCardQuestionsTests()
        let mum = t.say("algo para regalarle a mi mamá")
        let listed: [String] = mum.replies.flatMap { reply -> [String] in
            if case .list(_, _, let rows) = reply { return rows.map(\.title) } else { return [] }
        }
        #expect(listed.count >= 3, "\(mum.replies.map(\.summary))")
        let index = ConversationCatalogTests.shop.index
        for query in ["gift for my dad", "un regalo para mi novia", "regalo para mi mamá"] {
            let names = index.search(query, limit: 20).map(\.product.name)
            #expect(!names.isEmpty && !names.contains { $0.contains("Peluche") || $0.contains("Bloques") }, "\(query): \(names)")
        }
        // A present for a child still finds the toys.
        #expect(index.search("regalo para niño", limit: 20).contains { $0.product.name.contains("Bloques") })
    }
}

@Suite("Conversation engine: a language asked for with a request")
struct LanguageWithRequestTests {
    @Test("“ahora en inglés: show me jackets” switches to English and lists the jackets (it only switched)")
    func switchAndSearch() {
        let t = ConversationCardQuestionsTests()
        let turn = t.say("ahora en ingles: show me jackets")
        #expect(turn.language == .en)
        #expect(turn.replies.first?.summary == "Sure, I'll write in English.", "\(turn.replies.map(\.summary))")
        #expect(turn.replies.dropFirst().first?.summary.contains("Chaqueta") == true, "\(turn.replies.map(\.summary))")
        // Alone, it only switches.
        #expect(t.say("ahora en inglés").language == .en)
    }
}

@Suite("Conversation engine: a request and a question for a person in one message")
struct ProductAndPersonTests {
    @Test("“busco zapatillas rojas para correr talla 41. ¿hacen envíos a Monterrey?” shows the shoes, then hands off")
    func both() {
        let t = ConversationCardQuestionsTests()
        let turn = t.say("Hola, busco unas zapatillas rojas para correr talla 41. ¿Hacen envíos a Monterrey?")
        let summaries = turn.replies.map(\.summary)
        #expect(summaries.first?.contains("Running Aire Roja") == true, "\(summaries)")
        #expect(turn.intentID == "core.pedidos" && turn.handedOff, "\(turn.intentID ?? "-")")
        #expect(turn.state.handedOffAt != nil)
        // The shipping question alone only hands off.
        #expect(t.say("¿hacen envíos a Monterrey?").replies.count == 1)
    }
}

/// The regression review of these answers (2026-11-26).
@Suite("Conversation engine: the regression review of the card answers")
struct ConversationCardRegressionTests {
    let t = ConversationCardQuestionsTests()

    @Test("health and recycling questions after a card are those questions, not “the listing doesn't say”")
    func otherSubjectsAfterACard() {
        for (text, sku, language) in [("¿es bueno tomar agua fría?", "DEP-004", Language.es), ("is it healthy to skip breakfast?", "AUD-001", .en),
                                      ("¿es reciclable el café molido?", "CAF-003", .es), ("¿es bueno correr todos los días?", "CHA-003", .es),
                                      ("¿tiene sentido tomar vitaminas?", "PRO-001", .es)] {
            let summary = t.say(text, language: language, state: t.card(sku, language: language)).replies.map(\.summary).joined()
            #expect(!summary.contains("no dice nada") && !summary.contains("doesn't say"), "\(text): \(summary)")
        }
    }

    @Test("“¿está agotada?” says no when there are some; “¿cuántas quedan?” gives the number; buying a sold-out one says so")
    func stock() {
        #expect(t.answer("¿está agotada?", after: "DEP-005") == ["No, *Mochila de Senderismo 30 L Roja* está disponible."])
        #expect(t.answer("is it sold out?", after: "DEP-005", language: .en) == ["No, *Mochila de Senderismo 30 L Roja* is in stock."])
        #expect(t.answer("¿está agotada?", after: "GOR-002") == ["No, pero quedan solo 3 de *Gorra de Béisbol Verde*."])
        #expect(t.answer("¿cuántas quedan?", after: "DEP-005") == ["Quedan 10 de *Mochila de Senderismo 30 L Roja*."])
        #expect(t.answer("how many are left?", after: "DEP-005", language: .en) == ["There are 10 of *Mochila de Senderismo 30 L Roja* left."])
        #expect(t.answer("¿está agotado?", after: "AUD-002") == ["Sí, *Audífonos Inalámbricos Bluetooth Blancos* está agotado por ahora."])
        let buy = t.say("me lo llevo", state: t.card("AUD-002"))
        #expect(buy.replies.first?.summary.hasPrefix("*Audífonos Inalámbricos Bluetooth Blancos* está agotado por ahora") == true, "\(buy.replies.map(\.summary))")
        #expect(buy.replies.count == 2)
    }

    @Test("imitation leather is no leather; “piel” is “cuero”; “IPX7” and “resistente al agua” say waterproof")
    func materialsAndQualities() {
        #expect(t.answer("¿es de piel?", after: "ZAP-008") == ["No: *Zapatos de Tacón Bajo Negros para Mujer* es de piel sintética."])
        #expect(t.answer("¿es de cuero?", after: "DEP-003") == ["No: *Balón de Fútbol Número 5* es de cuero sintético."])
        #expect(t.answer("¿es de cuero?", after: "ZAP-006") == ["Sí — Material: piel."])
        #expect(t.answer("¿es impermeable?", after: "BOC-001").first?.hasPrefix("Sí") == true)
        #expect(t.answer("¿es impermeable?", after: "MOC-001").first?.hasPrefix("Sí") == true)
        // "¿cabe una laptop de 15?" after the laptop backpack is about it, not e-waste.
        #expect(t.answer("¿cabe una laptop de 15?", after: "MOC-001").first?.hasPrefix("Sí") == true)
    }

    @Test("not on sale says no; “¿viene en 40?” is a size; “¿y en rojo?” after a list behind the red card is yes")
    func saleSizeColour() {
        #expect(t.answer("¿está en oferta?", after: "ZAP-008") == ["No, *Zapatos de Tacón Bajo Negros para Mujer* no está en oferta; cuesta $1,190.00."])
        #expect(t.answer("is it on sale?", after: "BOC-001", language: .en) == ["No, *Bocina Bluetooth Portátil Resistente al Agua* isn't on sale; it's $799.00."])
        #expect(t.answer("¿viene en 40?", after: "ZAP-008") == ["*Zapatos de Tacón Bajo Negros para Mujer* no viene en talla 40; viene en: 35, 36, 37, 38, 39."])
        let list = t.say("zapatillas running roja")
        let card = t.say("", replyID: "sku:ZAP-001", state: list.state)
        #expect(t.say("¿y en rojo?", state: card.state).replies.map(\.summary) == ["Sí, *Zapatillas Running Aire Roja* es rojo."])
        let coffee = t.say("¿está en oferta la cafetera italiana?").replies.map(\.summary)
        #expect(coffee.first == "No, *Cafetera Italiana de Aluminio 6 Tazas* no está en oferta; cuesta $499.00.", "\(coffee)")
    }

    @Test("“too expensive” after the smartwatch lists cheaper watches, not the brand's chargers")
    func cheaperWatches() {
        let turn = t.say("too expensive", language: .en, state: t.card("SMW-001", language: .en))
        let summary = turn.replies.map(\.summary).joined()
        #expect(summary.contains("Reloj Deportivo Digital") && !summary.contains("Cargador") && !summary.contains("Cable"), "\(summary)")
    }
}

@Suite("Conversation engine: a product's name answering “which material?”")
struct SlotProductWordTests {
    @Test("“zapatillas” to “¿Qué material quieres reciclar?” is the textiles answer; “busco zapatillas” still shops")
    func shoesToRecycle() {
        let t = ConversationCardQuestionsTests()
        let asked = t.say("quiero reciclar")
        let shoes = t.say("zapatillas", state: asked.state)
        #expect(shoes.intentID?.hasPrefix("reciclaje") == true, "\(shoes.intentID ?? "-"): \(shoes.replies.map(\.summary))")
        let buying = t.say("busco zapatillas para correr", state: asked.state)
        #expect(buying.intentID?.hasPrefix("catalogo") == true, "\(buying.intentID ?? "-")")
    }
}

/// "¿cuándo vuelven?" on a sold-out card got the fallback (a review, 2026-11-25).
@Suite("Conversation engine: when a product on screen is stocked again")
struct ConversationRestockTests {
    let questions = ConversationCardQuestionsTests()

    @Test("“¿cuándo vuelven?” of a sold-out product: no date, a person can say, and other colours or models")
    func soldOut() {
        for text in ["¿cuándo vuelven?", "¿cuándo llegan?", "¿las van a reponer?", "¿cuándo hay de nuevo?"] {
            let turn = questions.say(text, state: questions.card("ZAP-002"))
            #expect(turn.intentID == "catalogo.detalle", "\(text)")
            #expect(turn.replies.first?.summary == "No tengo fecha de reposición de *Zapatillas Running Aire Negra*. Si quieres, escribe *asesor* y una persona te dice cuándo vuelve.", "\(text): \(turn.replies.map(\.summary))")
            // Other colours of the model to pick from, and the card stays the subject.
            #expect(turn.replies.contains { if case .list = $0 { true } else { false } }, "\(text)")
            #expect(turn.state.shownProduct?.sku == "ZAP-002")
        }
        for text in ["when will it be back in stock?", "are they coming back?", "will you get more?"] {
            let english = questions.say(text, language: .en, state: questions.card("AUD-002", language: .en))
            #expect(english.replies.first?.summary.hasPrefix("I don't have a restock date for *") == true, "\(text): \(english.replies.map(\.summary))")
        }
        for text in ["avísame cuando lleguen", "¿ya no las van a traer?"] {
            #expect(questions.say(text, state: questions.card("ZAP-002")).replies.first?.summary.hasPrefix("No tengo fecha de reposición") == true, "\(text)")
        }
    }

    @Test("of a product in stock: it is there now; “¿cuándo llega?” of one in stock is shipping, not stock")
    func inStock() {
        #expect(questions.answer("¿lo van a reponer?", after: "GOR-001") == ["*Gorra de Béisbol Negra* está disponible ahora: no hace falta esperar."])
        #expect(questions.answer("¿cuándo la reponen?", after: "GOR-002") == ["*Gorra de Béisbol Verde* está disponible ahora, pero quedan solo 3."])
        #expect(questions.say("¿cuándo llega?", state: questions.card("GOR-001")).replies.first?.summary.contains("reposición") != true)
        #expect(questions.answer("¿cuándo vuelven?", after: "GOR-001") == ["*Gorra de Béisbol Negra* está disponible ahora: no hace falta esperar."])
        // A customer's own order, or when a purchase arrives, is a person's question, whatever is on screen.
        #expect(questions.say("¿cuándo llega mi pedido?", state: questions.card("ZAP-002")).intentID == "core.pedidos")
        #expect(questions.say("si lo compro hoy, ¿cuándo me llega?", state: questions.card("GOR-001")).intentID == "core.pedidos")
        // Health questions with the same words are not about stock or shipping (a regression review).
        for text in ["cuando me llega el sueño es tarde", "¿cuándo vuelve el dolor de rodilla?", "cuando me llega la ansiedad que hago"] {
            let turn = questions.say(text, state: questions.card("ZAP-002"))
            #expect(turn.replies.first?.summary.hasPrefix("No tengo fecha") != true && turn.intentID != "core.pedidos", "\(text): \(turn.replies.map(\.summary))")
        }
    }
}

/// A product's name pasted into an English chat came back as a Spanish card (a review, 2026-11-24).
@Suite("Conversation engine: a product's name keeps the chat's language")
struct ConversationProductNameLanguageTests {
    let shopper = ConversationShopperReviewTests()

    @Test("the catalog's Spanish name in an English chat: the card in English, the chat still English")
    func productNameInEnglishChat() {
        let turn = shopper.say("Gorra Trucker de Malla Blanca", language: .en)
        #expect(turn.language == .en)
        let card = turn.replies.compactMap { if case .product(let c) = $0 { c } else { nil } }.first
        #expect(card?.sku == "GOR-003")
        #expect(card?.buttonTitle == "View product", "\(turn.replies.map(\.summary))")
        // A Spanish sentence is still the user switching.
        #expect(shopper.say("hola, quiero una mochila", language: .en).language == .es)
    }
}

/// "tenis para correr" in a shop that sells them got exercise tips (a review, 2026-11-25).
@Suite("Conversation engine: a product for an activity is a search, the activity alone is advice")
struct ConversationProductForActivityTests {
    let shopper = ConversationShopperReviewTests()

    @Test("“tenis para correr”, “ropa para el gym”, “gym shoes”: the shop's products")
    func products() {
        for (text, language, sku) in [("tenis para correr", Language.es, "ZAP-001"), ("quiero unos tenis para correr", .es, "ZAP-001"),
                                      ("tenis pa correr", .es, "ZAP-001"), ("zapatos para correr", .es, "ZAP-001"),
                                      ("ropa para el gym", .es, "DEP-007"), ("gym shoes", .en, "ZAP-001"),
                                      ("botella para hacer ejercicio", .es, "DEP-004")] {
            let turn = shopper.say(text, language: language)
            #expect(turn.intentID == "catalogo.buscar", "\(text): \(turn.intentID ?? "nil")")
            #expect(shopper.listed(turn)?.skus.contains(sku) == true, "\(text): \(turn.replies.map(\.summary))")
        }
    }

    @Test("the activity itself, water, or a kind the shop does not sell: still advice")
    func advice() {
        for text in ["correr en la mañana", "agua para correr", "deporte para bajar de peso", "running tips",
                     "almohada para dormir", "necesito dormir", "quiero ir al gym", "busco tips para correr", "looking for a gym routine",
                     "consejos para el gym"] {
            let intent = shopper.say(text).intentID ?? ""
            #expect(intent.hasPrefix("vida_sana."), "\(text): \(intent)")
        }
        // Two close topics are offered, not healthy living's menu beside them ("consejos para
        // correr" was one; running tips are activity's keyword phrase now).
        #expect(shopper.say("consejos para correr").intentID == "vida_sana.actividad")
        guard case .buttons(_, let offered)? = shopper.say("consejos para caminar").replies.first else { Issue.record("no buttons"); return }
        #expect(offered.first?.id.hasSuffix("vida_sana.actividad") == true && !offered.contains { $0.id.hasSuffix(".menu") }, "\(offered)")
    }
}

/// "bueno, me voy a dormir" in a shop that sells pyjamas listed them (a review, 2026-11-25).
@Suite("Conversation engine: a goodbye with a pleasantry around it is a goodbye")
struct ConversationPleasantGoodbyeTests {
    let shopper = ConversationShopperReviewTests()

    @Test(arguments: ["bueno me voy a dormir", "buenas noches, me voy a dormir", "me voy a dormir, gracias"])
    func goodbye(_ text: String) {
        #expect(shopper.say(text).intentID == "core.despedida")
    }

    @Test("“me voy al gym, gracias”: the thanks, not a search of the gym")
    func thanksOnTheWayOut() {
        let intent = shopper.say("me voy al gym, gracias!").intentID ?? ""
        #expect(!intent.hasPrefix("catalogo."), "\(intent)")
    }
}

/// "back" opened the power bank; "¿cuántas tazas hace?" on the coffee maker got the fallback (a review, 2026-11-25).
@Suite("Conversation engine: going back, and a coffee maker's cups")
struct ConversationGoBackTests {
    let shopper = ConversationShopperReviewTests()

    @Test("“back” after a card from a list: the list again; with no list: the menu")
    func back() {
        let list = shopper.say("gorras")
        let card = shopper.say("", replyID: "sku:GOR-001", state: list.state)
        let again = shopper.say("back", language: .en, state: card.state)
        #expect(shopper.listed(again)?.skus.contains("GOR-001") == true, "\(again.replies.map(\.summary))")
        for text in ["volver a la lista", "back to the list"] {
            let again = shopper.say(text, language: text.hasPrefix("back") ? .en : .es, state: card.state)
            #expect(shopper.listed(again)?.skus.contains("GOR-001") == true, "\(text): \(again.replies.map(\.summary))")
        }
        // A size with the card open from a list is a size, not a row ("En la lista hay 3").
        let shoes = shopper.say("", replyID: "sku:ZAP-001", state: shopper.say("tenis para correr").state)
        let size = shopper.say("¿lo tenéis en la 40?", state: shoes.state)
        #expect(size.replies.first?.summary.contains("talla 40") == true, "\(size.replies.map(\.summary))")
        for text in ["back", "atrás", "regresar"] {
            #expect(shopper.say(text).intentID == "core.ayuda", "\(text)")
        }
    }

    @Test("“¿cuántas tazas hace?”: the cups in its name")
    func cups() {
        let state = shopper.say("", replyID: "sku:CAF-003").state
        #expect(shopper.say("¿cuántas tazas hace?", state: state).replies.map(\.summary) == ["*Cafetera Italiana de Aluminio 6 Tazas* tiene una capacidad de 6 tazas."])
        #expect(shopper.say("how many cups does it make?", language: .en, state: state).replies.map(\.summary) == ["*Cafetera Italiana de Aluminio 6 Tazas* holds 6 cups."])
    }
}

/// "me llevo la gris" with a list on screen got the fallback, "ok I'll take the grey one" a goodbye (a review, 2026-11-25).
@Suite("Conversation engine: picking one of the list to buy by its colour")
struct ConversationPickToBuyTests {
    let shopper = ConversationShopperReviewTests()

    @Test(arguments: [("me llevo la gris", Language.es), ("ok I will take the grey one", .en), ("I'll take the grey one", .en)])
    func pickByColour(_ text: String, _ language: Language) {
        let list = shopper.say("mochila para laptop", language: language)
        let turn = shopper.say(text, language: language, state: list.state)
        let card = turn.replies.compactMap { if case .product(let c) = $0 { c } else { nil } }.first
        #expect(card?.body.hasPrefix("*Mochila para Laptop de 15.6 Pulgadas Gris*") == true, "\(turn.replies.map(\.summary))")
    }
}

/// "¿la negra y la verde cuestan lo mismo?" searched for a jacket and headphones (a review, 2026-11-25).
@Suite("Conversation engine: whether two colours of the card cost the same")
struct ConversationSamePriceTests {
    let questions = ConversationCardQuestionsTests()

    @Test func samePrice() {
        #expect(questions.answer("¿la negra y la verde cuestan lo mismo?", after: "GOR-001") == ["Sí, cuestan lo mismo: $349.00."])
        #expect(questions.answer("¿la azul cuesta lo mismo?", after: "ZAP-001")
                == ["No: *Zapatillas Running Aire Azul Marino* cuesta $1,299.00; *Zapatillas Running Aire Roja*, $1,099.00 en oferta."])
        #expect(questions.answer("is the green one the same price?", after: "GOR-001", language: .en) == ["Yes, they cost the same: $349.00."])
    }
}

/// "¿hay algo más barato que 300?" after a cap's card listed the whole shop under 300 (a review, 2026-11-25).
@Suite("Conversation engine: cheaper than a price, about the card on screen")
struct ConversationCheaperThanTests {
    let shopper = ConversationShopperReviewTests()

    @Test("“¿hay algo más barato que 300?” after the $349 cap: the $299 cap, not a jump rope")
    func cheaperThanAPrice() {
        let card = shopper.say("", replyID: "sku:GOR-001").state
        for (text, language) in [("¿hay algo más barato que 300?", Language.es), ("¿tienes algo más barato que 300 pesos?", .es),
                                 ("anything cheaper than 300?", .en)] {
            let turn = shopper.say(text, language: language, state: card)
            let shown = turn.replies.compactMap { if case .product(let c) = $0 { c } else { nil } }.first
            #expect(shown?.body.hasPrefix("*Gorra Trucker de Malla Blanca*") == true, "\(text): \(turn.replies.map(\.summary))")
        }
        // "q" for "que" keeps the price (it listed a $299 cap for "más barato q 200").
        let shorthand = shopper.say("algo mas barato q 300?", state: card)
        #expect(shorthand.replies.compactMap { if case .product(let c) = $0 { c.sku } else { nil } } == ["GOR-003"], "\(shorthand.replies.map(\.summary))")
        // Nothing of its kind in that range: said so, and the most affordable of its kind shown
        // (it asked "¿Busco en otro rango?" and did not understand "sí").
        let none = shopper.say("¿hay algo más barato que 250?", state: card)
        #expect(none.replies.first?.summary == "No encontré “gorra” en ese precio. Lo más económico que tenemos:", "\(none.replies.map(\.summary))")
        #expect(none.replies.compactMap { if case .product(let c) = $0 { c.sku } else { nil } } == ["GOR-003"])
        #expect(none.state.shownProduct?.sku == "GOR-003")
        // "¿y más caro?" next: dearer than the card shown, the bound written before gone.
        let cheaper = shopper.say("¿hay algo más barato que 300?", state: card)
        let dearer = shopper.say("¿y más caro?", state: cheaper.state)
        #expect(shopper.listed(dearer)?.skus == ["GOR-001", "GOR-002"], "\(dearer.replies.map(\.summary))")
        // "¿y más caro?" after them: no longer the cheaper ones re-sorted as "the highest-priced"
        // (the written bound is dropped, as the card's is).
        let sneakers = shopper.say("", replyID: "sku:ZAP-003").state  // $1,299
        let under = shopper.say("¿algo más barato que 1000?", state: sneakers)
        #expect(shopper.listed(under)?.skus.sorted() == ["ZAP-004", "ZAP-005"], "\(under.replies.map(\.summary))")
        let over = shopper.say("¿y más caro?", state: under.state)
        #expect(shopper.listed(over)?.skus.contains("ZAP-006") == true, "\(over.replies.map(\.summary))")
        // A material is no kind: the satin pyjamas are the cheapest pyjamas for women (not "of satin").
        let pyjamas = shopper.say("¿algo más barato?", state: shopper.say("", replyID: "sku:PIJ-003").state)
        #expect(pyjamas.replies.first?.summary.hasPrefix("Es lo más económico que tenemos de “pijama”") == true, "\(pyjamas.replies.map(\.summary))")
        // A product with no kind to name: what comes is said to be the category's, not its own kind.
        let dumbbells = shopper.say("mas caras?", state: shopper.say("", replyID: "sku:DEP-002").state)
        #expect(dumbbells.replies.first?.summary == "No tengo nada parecido de mayor precio; en Deportes esto cuesta más:",
                "\(dumbbells.replies.map(\.summary))")
        // A price range with no comparison still means the shop.
        let shop = shopper.say("¿qué tienen de menos de 300?", state: card)
        #expect(shopper.listed(shop)?.skus.contains(where: { !$0.hasPrefix("GOR") }) == true,
                "\(shop.replies.map(\.summary))")
    }
}

/// What the review left (2026-11-25): leaving for the gym with a thanks got exercise tips, a question
/// after a thanks got the thanks, "english please" forgot the card on screen, worn-out clothes got
/// e-waste, coffee capsules the fallback, anxiety hydration, starting to run compost.
@Suite("Conversation engine: a goodbye, a question after thanks and a change of language keep what is meant")
struct ConversationLeftoverReviewTests {
    let shopper = ConversationShopperReviewTests()

    @Test("“me voy al gym, gracias” is a goodbye; “gracias, me voy al gym, ¿qué como antes?” the nutrition card")
    func leavingAndAsking() {
        for (text, language) in [("me voy al gym, gracias", Language.es), ("ok, me voy a trabajar, gracias", .es), ("I'm off to the gym, thanks", .en)] {
            #expect(shopper.say(text, language: language).intentID == "core.despedida", "\(text)")
        }
        let eat = shopper.say("gracias, me voy al gym, ¿qué como antes?")
        #expect(eat.intentID == "vida_sana.nutricion")
        #expect(eat.replies.first?.summary.contains("Antes de hacer ejercicio, algo ligero") == true, "\(eat.replies.map(\.summary))")
        // Wanting to go is still a question about exercise, not a goodbye nor a product.
        #expect(shopper.say("quiero ir al gym").intentID == "vida_sana.actividad")
    }

    @Test("“english please” with a card on screen: the next question is about that card, in English")
    func languageKeepsTheCard() {
        let card = shopper.say("", replyID: "sku:GOR-001").state
        let switched = shopper.say("english please", state: card)
        #expect(switched.language == .en)
        let price = shopper.say("how much is it?", language: .en, state: switched.state)
        #expect(price.replies.map(\.summary) == ["*Gorra de Béisbol Negra* is $349.00."])
        // A skill's card just answered: that card again, in the language asked for.
        let glass = shopper.say("¿cómo reciclo vidrio?")
        let english = shopper.say("in english please", language: .es, state: glass.state)
        #expect(english.language == .en && english.replies.first?.summary == "Sure, I'll write in English.", "\(english.replies.map(\.summary))")
        #expect(english.replies.dropFirst().first?.summary.hasPrefix("🍾 *Glass*") == true, "\(english.replies.map(\.summary))")
        let spanish = shopper.say("y en español?", language: .en, state: english.state)
        #expect(spanish.replies.dropFirst().first?.summary.hasPrefix("🍾 *Vidrio*") == true, "\(spanish.replies.map(\.summary))")
        // A shipping question for a person keeps the card too.
        let shipping = shopper.say("¿hacen envíos?", state: card)
        #expect(shipping.intentID == "core.pedidos")
        let material = shopper.say("¿y de qué material es?", state: shipping.state)
        #expect(material.replies.first?.summary.contains("algodón") == true, "\(material.replies.map(\.summary))")
        // Another subject still ends it.
        let other = shopper.say("how much water should I drink?", language: .en, state: switched.state)
        #expect(other.state.shownProduct == nil)
    }

    @Test("worn-out clothes, coffee capsules, anxiety, starting to run: their own cards", arguments: [
        ("gorra vieja", "reciclaje.especiales"), ("pijama vieja", "reciclaje.especiales"), ("what do I do with old jeans?", "reciclaje.especiales"),
        ("y las cápsulas de café?", "reciclaje.no_reciclable"), ("where do coffee pods go?", "reciclaje.no_reciclable"),
        ("cuando me llega la ansiedad, ¿qué hago?", "vida_sana.estres"), ("como empiezo a correr si soy principiante", "vida_sana.actividad"),
        ("consejos para correr", "vida_sana.actividad"), ("electrolitos para el gym", "vida_sana.hidratacion"),
    ])
    func ownCards(_ text: String, _ intent: String) {
        let language: Language = text.contains("old") || text.contains("pods") ? .en : .es
        #expect(shopper.say(text, language: language).intentID == intent, "\(text)")
    }
}

@Suite("Skills: every card with buttons fits one WhatsApp message")
struct SkillCardLengthTests {
    /// `interactive.body.text` of a button message (WhatsApp's `OutboundLimits.interactiveBody`):
    /// a longer card is split, and its last lines arrive alone in a second bubble.
    static let interactiveBody = 1024

    @Test func cardsFit() {
        for intent in ConversationEngineTests.engine.router.catalog.intents where !intent.buttons.isEmpty {
            for response in intent.responses.all {
                #expect(response.utf16.count <= Self.interactiveBody, "\(intent.id): \(response.utf16.count) characters")
            }
        }
    }
}

/// "what else can I do?" after the stress card got the help menu, "more tips" after sleep the
/// activity card (a review, 2026-11-25).
@Suite("Conversation engine: asking for more advice after a skill's card")
struct ConversationWhatElseTests {
    let shopper = ConversationShopperReviewTests()

    @Test func whatElse() {
        let stress = shopper.say("I'm so stressed lately", language: .en)
        #expect(stress.intentID == "vida_sana.estres")
        let more = shopper.say("what else can I do?", language: .en, state: stress.state)
        guard case .buttons(let body, let buttons)? = more.replies.first else { Issue.record("\(more.replies.map(\.summary))"); return }
        #expect(body.hasPrefix("That's the main advice I have on *Stress*"), "\(body)")
        #expect(buttons.contains { $0.id.hasSuffix("vida_sana.sueno") }, "\(buttons)")
        let sleep = shopper.say("no puedo dormir")
        let tips = shopper.say("¿qué más puedo hacer?", state: sleep.state)
        #expect(tips.replies.first?.summary.hasPrefix("Eso es lo principal que tengo sobre *") == true, "\(tips.replies.map(\.summary))")
        // With no card just given, it is no such question.
        #expect(shopper.say("what else can I do?", language: .en).replies.first?.summary.hasPrefix("That's the main advice") != true)
    }
}

/// From a review of shopping conversations (2026-11-25): "buenas, ¿tienen zapatiyas?" got only the
/// greeting, "¿cuánto sale?" with a list on screen listed what is on sale, "¿cuánto es en dólares?"
/// opened a sunscreen.
@Suite("Conversation engine: a misspelt request after a greeting, Argentina's price question, other currencies")
struct ConversationShoppingReviewTests {
    let shopper = ConversationShopperReviewTests()

    @Test func misspeltAfterGreeting() {
        let turn = shopper.say("buenas, tienen zapatiyas?")
        #expect(turn.intentID == "catalogo.buscar" && shopper.listed(turn)?.skus.contains("ZAP-001") == true, "\(turn.replies.map(\.summary))")
        // A greeting with a question for the bot is no search when nothing is found.
        #expect(shopper.say("hola, tienes un momento?").intentID != "catalogo.buscar")
    }

    @Test func howMuchWithAList() {
        let list = shopper.say("audífonos")
        let turn = shopper.say("cuánto sale?", state: list.state)
        #expect(turn.replies.first?.summary.hasPrefix("¿De cuál? Elige uno de la lista") == true, "\(turn.replies.map(\.summary))")
    }

    @Test("“is it polarized?”, “¿cabe en el avión?”: the listing's own words count")
    func listingWords() {
        let questions = ConversationCardQuestionsTests()
        let polarised = questions.answer("is it polarized?", after: "LEN-001", language: .en)
        #expect(polarised.first?.hasPrefix("Yes, according to its description: “Lentes de sol tipo aviador") == true, "\(polarised)")
        let plain = questions.answer("¿son polarizados?", after: "LEN-002")
        #expect(plain.first?.hasPrefix("La ficha de *Lentes de Sol Cuadrados Negros* no dice nada") == true, "\(plain)")
        // A warranty the listing states is answered from it; one it does not is still for a person.
        let warranty = questions.answer("tiene garantía?", after: "CAF-001")
        #expect(warranty.first?.hasPrefix("Sí, según su descripción: “") == true && warranty.first?.contains("1 año de garantía") == true, "\(warranty)")
        #expect(questions.shopper.say("tiene garantía?", state: questions.card("GOR-001")).intentID == "core.pedidos")
        // Its size asked as "tamaño" or "how big" is its measures (it asked "did you mean nutrition?").
        #expect(questions.answer("de que tamaño es?", after: "MAL-001") == ["*Maleta de Cabina Rígida de 20 Pulgadas Azul Marino* mide 55 × 35 × 23 cm."])
        #expect(questions.answer("how big is it?", after: "MAL-001", language: .en) == ["*Maleta de Cabina Rígida de 20 Pulgadas Azul Marino* measures 55 × 35 × 23 cm."])
        let cabin = questions.answer("¿cabe en el avión?", after: "MAL-001")
        #expect(cabin.first?.hasPrefix("Sí") == true, "\(cabin)")
    }

    @Test func otherCurrency() {
        let card = shopper.say("", replyID: "sku:GOR-001").state
        let turn = shopper.say("en dolares cuanto es?", state: card)
        #expect(turn.replies.map(\.summary) == ["Los precios de la tienda están en MXN; no los tengo en otras monedas."])
        #expect(turn.state.shownProduct?.sku == "GOR-001")
        #expect(shopper.say("how much is it in dollars?", language: .en, state: card).replies.map(\.summary)
                == ["The shop's prices are in MXN; I don't have them in other currencies."])
        #expect(shopper.say("¿y en Euros?", state: card).replies.map(\.summary) == ["Los precios de la tienda están en MXN; no los tengo en otras monedas."])
        // An amount is a price range in the shop's money, as before.
        #expect(shopper.say("audifonos de menos de 500 dolares").intentID == "catalogo.buscar")
    }
}
