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
}
