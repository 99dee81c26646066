import Foundation
import LioraCore
import Testing

/// "olvídalo, ya no quiero persona" handed the chat to a person again (a review, 2026-11-25 evening).
@Suite("Conversation engine: taking back a request for a person")
struct ConversationCancelPersonTests {
    let shopper = ConversationShopperReviewTests()

    @Test("the hold ends and the bot carries on; a crisis hold stays; asking for a person is still asking")
    func cancel() {
        let person = shopper.say("quiero hablar con una persona")
        #expect(person.state.personRequestedAt != nil)
        let cancel = shopper.say("olvidalo, ya no quiero persona", state: person.state)
        #expect(!cancel.handedOff && cancel.state.personRequestedAt == nil, "\(cancel.replies.map(\.summary))")
        #expect(cancel.replies.first?.summary.hasPrefix("De acuerdo, sigo yo por aquí.") == true)
        // The bot answers again.
        #expect(shopper.say("no puedo dormir", state: cancel.state).intentID == "vida_sana.sueno")
        let english = shopper.say("never mind, I don't need a human", language: .en, state: person.state)
        #expect(english.state.personRequestedAt == nil && english.replies.first?.summary.hasPrefix("All right, I'll carry on here.") == true)
        // Not these.
        for text in ["no quiero esperar, quiero una persona", "no quiero hablar con un bot", "quiero hablar con un asesor"] {
            #expect(shopper.say(text).intentID == "core.humano", "\(text)")
        }
        // A crisis hold is not taken back.
        let crisis = shopper.say("me quiero morir")
        #expect(crisis.state.personRequestedAt != nil)
        #expect(shopper.say("ya no quiero una persona", state: crisis.state).state.personRequestedAt != nil)
    }
}
