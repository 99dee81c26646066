import Foundation
import LioraCore
import Testing

/// A follow-up about something a skill's card says, right after the card (a review, 2026-11-25
/// evening: "¿y para niños?" after sleep listed kids' pyjamas, "¿y el café a la tarde?" leather
/// wallets in "café", "¿y si tienen etiqueta?" after glass the shop's summary).
@Suite("Conversation engine: a follow-up answered from the lines of the card just given")
struct ConversationCardLinesTests {
    let shopper = ConversationShopperReviewTests()

    func after(_ first: String, _ then: String, language: Language = .es) -> ConversationEngine.Turn {
        let card = shopper.say(first, language: language)
        return shopper.say(then, language: language, state: card.state)
    }

    @Test("the card's lines that speak of it, under the card's name, with its closing line; the skill stays the subject")
    func linesOfTheCard() {
        let kids = after("no puedo dormir bien", "y para niños?")
        #expect(kids.intentID == "vida_sana.sueno", "\(kids.replies.map(\.summary))")
        let text = kids.replies.first?.summary ?? ""
        #expect(text.hasPrefix("De lo que te conté sobre *Sueño*:") && text.contains("niños") && text.contains("consulta a un profesional"), "\(text)")
        // Not the whole card: only the line with children in it.
        #expect(!text.contains("Apaga pantallas"), "\(text)")
        let coffee = after("no puedo dormir bien", "y el cafe a la tarde?").replies.first?.summary ?? ""
        #expect(coffee.contains("cafeína"), "\(coffee)")
        let label = after("donde van los tarros de cristal", "y si tienen etiqueta?")
        #expect(label.intentID == "reciclaje.vidrio" && label.replies.first?.summary.contains("etiquetas") == true, "\(label.replies.map(\.summary))")
        let dirty = after("como reciclo carton", "y si esta sucio?").replies.first?.summary ?? ""
        #expect(dirty.contains("limpios y secos") || dirty.contains("manchado"), "\(dirty)")
        let wipes = after("que cosas no se reciclan", "y las toallitas humedas?").replies.first?.summary ?? ""
        #expect(wipes.contains("toallitas"), "\(wipes)")
    }

    @Test("another skill's rule, a purchase, or a word the card does not have go their own way")
    func otherWays() {
        // A recycling question after sleep is recycling.
        #expect(after("no puedo dormir bien", "y cómo reciclo pilas?").intentID == "reciclaje.baterias")
        // Asking to buy is a search.
        #expect(after("no puedo dormir bien", "y tienen pijamas?").intentID == "catalogo.buscar")
        // Nothing of the card: not this answer.
        #expect(after("no puedo dormir bien", "y las mochilas escolares?").replies.first?.summary.hasPrefix("De lo que te conté") != true)
    }

    @Test("asked again in other words, the same card's lines, not the card word for word; “no entendí” gives the lines asked about, or the card in short")
    func sameCardAndNotUnderstood() {
        let water = shopper.say("boludo, cuanta agua hay q tomar?")
        #expect(water.intentID == "vida_sana.hidratacion")
        let mate = shopper.say("y el mate cuenta?", state: water.state).replies.first?.summary ?? ""
        #expect(mate.hasPrefix("De lo que te conté sobre *Hidratación*:") && mate.contains("mate también aportan agua"), "\(mate)")
        let beer = shopper.say("y la birra hidrata?", state: water.state).replies.first?.summary ?? ""
        #expect(beer.contains("el alcohol, no") && !beer.contains("Haz del agua"), "\(beer)")
        // "no entendí, ¿cuántos litros?": the amount.
        let litres = shopper.say("no entendí, cuantos litros?", state: water.state)
        #expect(litres.intentID == "vida_sana.hidratacion" && litres.replies.first?.summary.contains("unos 2 litros") == true,
                "\(litres.replies.map(\.summary))")
        // "no me quedó claro" alone: the first points, shorter, and what next.
        let compost = shopper.say("como separo los residuos organicos")
        let short = shopper.say("no me quedo claro", state: compost.state).replies.first?.summary ?? ""
        #expect(short.hasPrefix("Perdona, te lo resumo (*Orgánicos*):") && short.contains("¿Qué parte te explico mejor?"), "\(short)")
        #expect(short.components(separatedBy: "\n•").count == 3, "\(short)")
        // With no card just given, it is not this answer.
        #expect(shopper.say("no entendí").replies.first?.summary.hasPrefix("Perdona, te lo resumo") != true)
    }

    @Test("health questions and recycling follow-ups are not taken for product searches")
    func notSearches() {
        #expect(shopper.say("cuanto tomar de agua al dia?").intentID == "vida_sana.hidratacion")
        #expect(shopper.say("es malo dormir con audifonos?").intentID?.hasPrefix("catalogo") != true)
        #expect(after("where do old batteries go", "and phones?", language: .en).intentID == "reciclaje.electronicos")
        #expect(after("donde tiro una bateria de celular", "y un cargador que ya no sirve?").intentID == "reciclaje.electronicos")
        // A product's name alone still finds it.
        #expect(shopper.say("speaker", language: .en).intentID?.hasPrefix("catalogo") == true)
    }

    @Test("a short follow-up the card says nothing of is told so (not the Kids category); after products, it narrows them; “more” offers the related topics")
    func nothingInTheCard() {
        let kids = after("how much water should i drink", "and for kids?", language: .en)
        #expect(kids.intentID == "vida_sana.hidratacion", "\(kids.replies.map(\.summary))")
        #expect(kids.replies.first?.summary.hasPrefix("What I told you about *Hydration* has nothing specific on “kids”.") == true)
        // The card's own words, in other words: summer is the heat.
        #expect(after("cuanta agua hay que tomar", "y en verano?").replies.first?.summary.contains("bebe más con calor") == true)
        // After a list of pyjamas, "¿y para niños?" narrows the pyjamas.
        let sleep = shopper.say("no puedo dormir")
        let pyjamas = shopper.say("pijamas", state: sleep.state)
        let forKids = shopper.say("y para ninos?", state: pyjamas.state)
        #expect(forKids.intentID == "catalogo.buscar" && shopper.listed(forKids)?.skus.allSatisfy { $0.hasPrefix("PIJ") } == true,
                "\(forKids.replies.map(\.summary))")
        // "more" after a card: its related topics (it got the activity card); "start over": the menu.
        let more = after("paper", "more", language: .en)
        #expect(more.replies.first?.summary.hasPrefix("That's the main advice I have on *Paper & cardboard*") == true, "\(more.replies.map(\.summary))")
        #expect(shopper.say("start over", language: .en).intentID == "core.ayuda")
    }
}
