import Foundation
import LioraCore
import Testing

/// A colour, a size and a price range asked one after another narrow the same list (a review,
/// 2026-11-25: each dropped the one before).
@Suite("Conversation engine: a colour, a size and a price range combine")
struct ConversationFiltersTests {
    let shopper = ConversationShopperReviewTests()

    /// The turns in order, each with the state the one before left.
    func chat(_ lines: [String]) -> [ConversationEngine.Turn] {
        var state = ConversationState()
        return lines.map { line in
            let turn = shopper.say(line, state: state)
            state = turn.state
            return turn
        }
    }

    func skus(_ turn: ConversationEngine.Turn) -> [String] {
        for reply in turn.replies {
            if case .list(_, _, let rows) = reply { return rows.map(\.id).filter { $0.hasPrefix("sku:") }.map { String($0.dropFirst(4)) } }
            if case .product(let card) = reply { return [card.sku] }
        }
        return []
    }

    @Test("“en negro” then “de menos de 1000” keeps the colour: the black canvas pair, not every colour under 1000")
    func colourThenPrice() {
        let turns = chat(["zapatillas", "en negro", "de menos de 1000"])
        #expect(Set(skus(turns[1])) == ["ZAP-005", "ZAP-002"], "\(turns[1].replies.map(\.summary))")
        // ZAP-005 ($699, black canvas) is the only black pair under 1000: its card.
        #expect(skus(turns[2]) == ["ZAP-005"], "\(turns[2].replies.map(\.summary))")
        #expect(turns[2].state.catalogBrowse?.narrowing == ["negro"])
        // A price asked with the colour: the black ones, whose rows carry their prices.
        let priced = chat(["audífonos", "¿y los negros cuánto valen?"])
        #expect(Set(skus(priced[1])) == ["AUD-001", "AUD-003"], "\(priced[1].replies.map(\.summary))")
    }

    @Test("“de menos de 1000” then “¿y en blanco?” keeps the range; “¿y en negro?” with none in it says so and shows them")
    func priceThenColour() {
        let white = chat(["tenis", "de menos de 1000", "y en blanco?"])
        // The white canvas pair ($699); the white leather ones ($1,590) are over the range.
        #expect(skus(white[2]) == ["ZAP-004"], "\(white[2].replies.map(\.summary))")
        let black = chat(["tenis", "de menos de 680", "y en negro?"])
        let said = black[2].replies.map(\.summary)
        #expect(said.first == "No encontré “tenis negro” en ese rango de precio; estos son los que hay:", "\(said)")
        #expect(Set(skus(black[2])) == ["ZAP-005", "ZAP-002"], "\(said)")
        // The range went with it: "ver más" is not told "nothing in that range".
        #expect(black[2].state.catalogBrowse?.priceText == nil)
    }

    @Test("“más baratos” then “¿y en negro?” stays cheapest first; a colour then a size keeps both")
    func orderAndSteps() {
        let turns = chat(["audífonos", "más baratos", "y en negro?"])
        guard case .list(let body, _, _)? = turns[2].replies.first else { Issue.record("\(turns[2].replies.map(\.summary))"); return }
        #expect(body == "Los más económicos de “audífonos negro”, del más barato al más caro:")
        let prices = skus(turns[2]).compactMap { sku in ConversationCatalogTests.shop.index.product(sku: sku)?.currentPrice }
        #expect(prices.count >= 2 && prices == prices.sorted(), "\(prices)")
        // White, then size 40: of the two white pairs only the canvas one comes in 40 (the
        // leather one stops at 39), and not the black or red pairs in 40.
        let sized = chat(["tenis", "en blanco", "en talla 40"])
        #expect(skus(sized[2]) == ["ZAP-004"], "\(sized[2].replies.map(\.summary))")
    }
}

/// A second colour or size replaces the first; "mejor en blanco", "del 42", "q tallas hay".
@Suite("Conversation engine: another colour or size replaces the one before")
struct ConversationFilterReplaceTests {
    let filters = ConversationFiltersTests()

    @Test("“en talla 37” then “¿y en talla 41?” shows 41, not 37 and 41; “mejor en negro” narrows; “del 42” is a size; “q tallas hay” is the list's sizes")
    func replaces() {
        let sizes = filters.chat(["tenis", "en talla 37", "y en talla 41?"])
        let in41 = ConversationCatalogTests.shop.index.catalog.products.filter { p in
            filters.skus(sizes[0]).contains(p.sku) && (CatalogSearchIndex.sizes(of: p)?.contains("41") ?? false)
        }.map(\.sku)
        #expect(!in41.isEmpty && Set(filters.skus(sizes[2])) == Set(in41), "\(sizes[2].replies.map(\.summary))")
        #expect(sizes[2].state.catalogBrowse?.narrowing == ["41"])
        let colours = filters.chat(["tenis", "en negro", "mejor en blanco"])
        #expect(Set(filters.skus(colours[2])) == ["ZAP-004", "ZAP-006"], "\(colours[2].replies.map(\.summary))")
        // "del 42" after a card, and with "tenéis".
        let card = filters.shopper.say("", replyID: "sku:ZAP-003")
        #expect(filters.shopper.say("del 42", state: card.state).replies.first?.summary.hasPrefix("Sí, *Zapatillas Running Aire Azul Marino* viene en talla 42") == true)
        #expect(filters.shopper.say("¿tenéis del 42?", state: card.state).replies.first?.summary.hasPrefix("Sí") == true)
        #expect(filters.chat(["chamarras", "q tallas hay"])[1].replies.first?.summary.hasPrefix("Tallas de la lista:") == true)
    }
}

/// A product word that is also a recycling subject, while a list or card is on screen.
@Suite("Conversation engine: “un cargador para el móvil” while shopping is a search")
struct ConversationMidShoppingTests {
    let filters = ConversationFiltersTests()

    @Test("while shopping a charger is searched; without a list, or asking where to throw one, it is recycling")
    func chargerWhileShopping() {
        let turns = filters.chat(["audífonos", "un cargador para el móvil"])
        #expect(turns[1].intentID == "catalogo.buscar", "\(turns[1].replies.map(\.summary))")
        #expect(filters.skus(turns[1]).first == "CAR-001", "\(turns[1].replies.map(\.summary))")
        // After a card too.
        let card = filters.shopper.say("", replyID: "sku:AUD-001")
        #expect(filters.shopper.say("un cargador para el móvil", state: card.state).intentID == "catalogo.buscar")
        // Getting rid of one is recycling, list or not.
        let old = filters.chat(["audífonos", "¿dónde tiro un cargador viejo?"])
        #expect(old[1].intentID != "catalogo.buscar", "\(old[1].replies.map(\.summary))")
        // Alone, a charger for the phone is a guess of e-waste the shop's chargers beat.
        #expect(filters.shopper.say("un cargador para el móvil").intentID == "catalogo.buscar")
        #expect(filters.shopper.say("¿dónde reciclo un cargador?").intentID == "reciclaje.electronicos")
    }

    @Test("“¿son polarizados?” with a list and no card: a line per listed product, yes / no / not said; the list stays")
    func yesNoAboutTheList() {
        let turns = filters.chat(["lentes de sol", "son polarizados?", "el segundo"])
        let said = turns[1].replies.map(\.summary)
        #expect(said.count == 1 && said[0].contains("• *Lentes de Sol Aviador Dorados*: sí")
                && said[0].contains("• *Lentes de Sol Cuadrados Negros*: la ficha no lo dice"), "\(said)")
        #expect(turns[1].state.catalogBrowse?.onScreen == turns[0].state.catalogBrowse?.onScreen)
        #expect(filters.skus(turns[2]) == [turns[0].state.catalogBrowse?.onScreen?[1]].compactMap { $0 })
        // A material: no for the denim jackets, yes for the leather one.
        let leather = filters.chat(["chamarras", "¿son de piel?"])[1].replies.map(\.summary).joined()
        #expect(leather.contains("• *Chaqueta de Piel Negra para Hombre*: sí") && leather.contains("• *Chaqueta de Mezclilla para Mujer*: no"), "\(leather)")
        // Another skill's question is still that skill's.
        #expect(filters.chat(["chamarras", "¿es reciclable el vidrio?"])[1].intentID?.hasPrefix("reciclaje") == true)
        // "¿cuáles son de piel?" is the same question (it listed every leather item in the shop).
        let which = filters.chat(["chamarras", "cuáles son de piel?"])[1].replies.map(\.summary).joined()
        #expect(which.contains("• *Chaqueta de Piel Negra para Hombre*: sí"), "\(which)")
        // A tag says it: the rain boots are "impermeables".
        let boots = filters.chat(["botas", "son impermeables?"])[1].replies.map(\.summary).joined()
        #expect(boots.contains("• *Botas de Lluvia Amarillas*: sí"), "\(boots)")
    }

    @Test("“volver a la lista” after a side question shows the list it took off the screen")
    func backToTheListAfterASideQuestion() {
        let turns = filters.chat(["audifonos", "2", "tengo que tirar unas pilas viejas", "volver a la lista", "el segundo"])
        #expect(turns[2].intentID == "reciclaje.baterias")
        #expect(filters.skus(turns[3]) == filters.skus(turns[0]), "\(turns[3].replies.map(\.summary))")
        #expect(filters.skus(turns[4]) == [filters.skus(turns[0])[1]])
        // With no list before, it is still the menu.
        #expect(filters.chat(["no puedo dormir", "volver a la lista"])[1].intentID == "core.ayuda")
    }
}
