import Foundation
import LioraCore
import Testing

/// An English-speaking shopper's review (2026-11-25, evening): "speaker" handed the chat to a
/// person, "do you have a frying pan?" got the used-oil card, "suitcase" and "electronics" as
/// first messages were answered in Spanish, "ok" made the bot forget the card on screen.
@Suite("Conversation engine: an English shopper's product words, first messages and “ok”")
struct ConversationEnglishShopperTests {
    static let shop = ConversationCatalogTests.shop
    static let engine = ConversationEngineTests.engine
    let shopper = ConversationShopperReviewTests()

    func first(_ text: String) -> ConversationEngine.Turn {
        Self.engine.respond(to: text, replyID: nil, language: .es, languageEstablished: false, state: .init(),
                            enabledSkills: ConversationEngineTests.all, catalog: Self.shop, now: shopper.now)
    }

    func shown(_ turn: ConversationEngine.Turn) -> [String] {
        turn.replies.flatMap { reply -> [String] in
            switch reply {
            case .product(let card): [card.sku]
            case .list(_, _, let rows): rows.map(\.id).filter { $0.hasPrefix("sku:") }.map { String($0.dropFirst(4)) }
            default: []
            }
        }
    }

    @Test("a weak guess of another intent gives way to the products the words name")
    func productWordsBeatWeakGuesses() {
        let speaker = first("speaker")
        #expect(!speaker.handedOff && speaker.intentID?.hasPrefix("catalogo") == true, "\(speaker.replies.map(\.summary))")
        #expect(shown(speaker).contains { Self.shop.index.product(sku: $0)?.name.hasPrefix("Bocina") == true }, "\(shown(speaker))")
        let pan = shopper.say("do you have a frying pan?", language: .en)
        #expect(shown(pan).contains { Self.shop.index.product(sku: $0)?.name.hasPrefix("Sartén") == true }, "\(pan.replies.map(\.summary))")
        // "water bottles" is the steel bottle (water → agua), not "no products".
        let bottle = shopper.say("do you sell water bottles", language: .en)
        #expect(shown(bottle).contains { Self.shop.index.product(sku: $0)?.name.hasPrefix("Botella Térmica") == true }, "\(bottle.replies.map(\.summary))")
        // The oil is still the oil.
        #expect(shopper.say("what do I do with used frying oil?", language: .en).intentID == "reciclaje.aceite")
        #expect(shopper.say("quiero hablar con una persona").intentID == "core.humano")
    }

    @Test("English product and category words as a first message are answered in English")
    func firstMessagesInEnglish() {
        for text in ["suitcase", "sandals", "lamp", "electronics", "luggage"] {
            #expect(first(text).language == .en, "\(text)")
        }
        // A Spanish category name stays Spanish.
        #expect(first("electrónica").language == .es)
    }

    @Test("“ok” or “thanks” after a card keeps it the subject: “how much?” is its price")
    func okKeepsTheCard() {
        let card = shopper.say("", replyID: "sku:GOR-001", language: .en)
        for courtesy in ["ok", "thanks"] {
            let ok = shopper.say(courtesy, language: .en, state: card.state)
            #expect(shopper.say("how much?", language: .en, state: ok.state).replies.map(\.summary) == ["*Gorra de Béisbol Negra* is $349.00."], "\(courtesy)")
        }
    }

    @Test("“how long does the battery last?” after a card quotes its listing; the card stays on screen")
    func batteryLife() {
        let speaker = Self.shop.index.catalog.products.first { $0.name.hasPrefix("Bocina") }!
        let card = shopper.say("", replyID: "sku:\(speaker.sku)", language: .en)
        let battery = shopper.say("how long does the battery last?", language: .en, state: card.state)
        #expect(battery.replies.map(\.summary).first?.contains("12 horas de batería") == true, "\(battery.replies.map(\.summary))")
        #expect(battery.state.shownProduct?.sku == speaker.sku)
        // Then "is it waterproof?" is still about the speaker.
        #expect(shopper.say("is it waterproof?", language: .en, state: battery.state).replies.map(\.summary)
                == ["Yes: *\(speaker.name)*."])
        #expect(shopper.say("¿cuánto dura la batería?", state: shopper.say("", replyID: "sku:\(speaker.sku)").state).replies.first?.summary
                .hasPrefix("Según su descripción:") == true)
        // Getting rid of one is recycling.
        #expect(shopper.say("¿dónde tiro una batería vieja?", state: card.state).intentID == "reciclaje.baterias")
    }

    @Test("English questions about a Spanish listing find what it states: warranty, programmable, UV protection, adjustable, noise cancelling")
    func englishQualities() {
        func answer(_ question: String, about name: String) -> String {
            let sku = Self.shop.index.catalog.products.first { $0.name.hasPrefix(name) }!.sku
            let card = shopper.say("", replyID: "sku:\(sku)", language: .en)
            return shopper.say(question, language: .en, state: card.state).replies.first?.summary ?? ""
        }
        #expect(answer("does it have a warranty?", about: "Cafetera de Goteo").contains("1 año de garantía"))
        #expect(answer("is it programmable?", about: "Cafetera de Goteo").hasPrefix("Yes"))
        #expect(answer("do they have UV protection?", about: "Lentes de Sol Aviador").contains("UV400"))
        #expect(answer("is it adjustable?", about: "Gorra de Béisbol Negra").contains("ajuste trasero"))
        #expect(answer("does it have noise cancelling?", about: "Audífonos Inalámbricos Bluetooth Negros").contains("cancelación activa de ruido"))
        // "how do I pay?" with the card on screen is how to buy it.
        let card = shopper.say("", replyID: "sku:GOR-001", language: .en)
        #expect(shopper.say("how do I pay?", language: .en, state: card.state).replies.first?.summary.hasPrefix("Great! 🛍️ You can buy it") == true)
    }

    @Test("sizes said in other words after a card (“do they come in 43?”, “i wear a 43”, “what about XL?”); “what sizes?” with a list gives each one's")
    func sizes() {
        let shoes = shopper.say("", replyID: "sku:ZAP-003", language: .en)
        for text in ["do they come in 43?", "i wear a 43", "is there a 43"] {
            #expect(shopper.say(text, language: .en, state: shoes.state).replies.map(\.summary)
                    == ["Yes, *Zapatillas Running Aire Azul Marino* comes in size 43."], "\(text)")
        }
        let pyjama = shopper.say("", replyID: "sku:PIJ-003", language: .en)
        #expect(shopper.say("what about XL?", language: .en, state: pyjama.state).replies.first?.summary.contains("doesn't come in size XL") == true)
        #expect(shopper.say("calzo 40", state: shopper.say("", replyID: "sku:ZAP-003").state).replies.first?.summary.hasPrefix("Sí") == true)
        // A list and no card.
        let list = shopper.say("tenis")
        let sizes = shopper.say("¿qué tallas hay?", state: list.state).replies.first?.summary ?? ""
        #expect(sizes.hasPrefix("Tallas de la lista:") && sizes.contains("• *Zapatillas Running Aire Azul Marino*: 40, 41, 42, 43, 44"), "\(sizes)")
        let colours = shopper.say("what colours?", language: .en, state: shopper.say("sneakers", language: .en).state).replies.first?.summary ?? ""
        #expect(colours.hasPrefix("Colours in the list:") && colours.contains("navy blue"), "\(colours)")
        // The list stays for "el segundo".
        #expect(shopper.say("¿qué tallas hay?", state: list.state).state.catalogBrowse?.onScreen == list.state.catalogBrowse?.onScreen)
    }

    @Test("a yes/no question about the card is answered from it though another skill has the words: “¿mide el sueño?”, “¿son contra agua?”, “¿aguantan el sudor?”")
    func cardBeatsOtherSkills() {
        func answer(_ question: String, about sku: String) -> ConversationEngine.Turn {
            shopper.say(question, state: shopper.say("", replyID: "sku:\(sku)").state)
        }
        let watch = Self.shop.index.catalog.products.first { $0.name.hasPrefix("Reloj Inteligente") }!.sku
        #expect(answer("mide el sueño?", about: watch).replies.first?.summary.hasPrefix("Sí, según su descripción") == true)
        let sweat = answer("aguantan el sudor?", about: "AUD-004")
        #expect(sweat.replies.first?.summary.contains("resistentes al sudor") == true && sweat.state.shownProduct?.sku == "AUD-004")
        #expect(answer("son contra agua?", about: "AUD-004").replies.first?.summary.hasPrefix("La ficha de *Audífonos Deportivos") == true)
        // A recycling subject named is recycling.
        #expect(answer("¿es reciclable el vidrio?", about: "AUD-004").intentID?.hasPrefix("reciclaje") == true)
    }

    @Test("short English first messages, urgent ones included, are answered in English; crisis lines name the UK, Australia and India")
    func englishFirstMessages() {
        for text in ["cant breathe properly", "kms", "been feeling really low"] {
            #expect(first(text).language == .en, "\(text)")
        }
        let crisis = first("nobody would even notice if i disappeared")
        #expect(crisis.intentID == "core.crisis" && crisis.language == .en)
        let text = crisis.replies.map(\.summary).joined()
        #expect(text.contains("Samaritans 116 123") && text.contains("Lifeline 13 11 14") && text.contains("Tele-MANAS 14416"), "\(text)")
    }
}
