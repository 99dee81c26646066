import Foundation
import LioraCore
import Testing

@Suite("Conversation engine")
struct ConversationEngineTests {
    static let catalog: SkillCatalog = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try! SkillCatalog.load(directory: root.appendingPathComponent("skills"))
    }()
    static let engine = ConversationEngine(router: IntentRouter(catalog: catalog))
    static let all = Set(catalog.skills.map(\.id))
    let now = Date(timeIntervalSince1970: 1_790_000_000)

    @Test("a greeting is answered in the user's language")
    func greeting() {
        let es = Self.engine.respond(to: "hola, buenos días", replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
        #expect(es.intentID == "core.saludo")
        #expect(es.language == .es)
        #expect(!es.replies.isEmpty)
        let en = Self.engine.respond(to: "hello there, good morning", replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
        #expect(en.intentID == "core.saludo")
        #expect(en.language == .en)
        #expect(en.replies != es.replies)
    }

    @Test("a follow-up question is asked and its answer used (which material? → batteries)")
    func slot() throws {
        let menu = Self.engine.respond(to: "quiero reciclar algo", replyID: "intent:reciclaje.menu", language: .es, state: .init(),
                                       enabledSkills: Self.all, now: now)
        #expect(menu.intentID == "reciclaje.menu")
        #expect(menu.state.pendingSlot?.name == "material")
        let answer = Self.engine.respond(to: "pilas", replyID: nil, language: .es, state: menu.state, enabledSkills: Self.all,
                                         now: now.addingTimeInterval(30))
        #expect(answer.intentID == "reciclaje.baterias")
        #expect(answer.state.pendingSlot == nil)
        // After the slot expires, the same word is routed normally (no stale question).
        let late = Self.engine.respond(to: "pilas", replyID: nil, language: .es, state: menu.state, enabledSkills: Self.all,
                                       now: now.addingTimeInterval(3600))
        #expect(late.state.pendingSlot == nil)
    }

    @Test("a disabled skill never answers")
    func disabledSkill() {
        let turn = Self.engine.respond(to: "¿cómo reciclo las pilas?", replyID: "intent:reciclaje.baterias", language: .es,
                                       state: .init(), enabledSkills: ["core"], now: now)
        #expect(turn.intentID != "reciclaje.baterias")
        #expect(!(turn.intentID ?? "").hasPrefix("reciclaje."))
    }

    @Test("no-matches: help menu first, then fallbacks less and less often, then a person; a match restores them")
    func aimd() {
        var state = ConversationState()
        var replies: [Int] = []
        var handedOff = false
        for i in 0..<5 {
            let turn = Self.engine.respond(to: "xqzv \(i) blorf", replyID: nil, language: .es, state: state, enabledSkills: Self.all, now: now)
            #expect(turn.intentID == nil)
            replies.append(turn.replies.count)
            handedOff = handedOff || turn.handedOff
            state = turn.state
        }
        #expect(replies == [1, 1, 0, 0, 1])  // menu, fallback, silence, silence, hand-off notice
        #expect(handedOff)
        #expect(state.handedOffAt == now)
        // A match resets the streak and grows the weight back additively.
        let before = state.fallbackWeight
        let match = Self.engine.respond(to: "gracias", replyID: nil, language: .es, state: state, enabledSkills: Self.all, now: now)
        #expect(match.intentID == "core.gracias")
        #expect(match.state.noMatchStreak == 0)
        #expect(match.state.fallbackWeight == min(1, before + 0.25))
        // The state survives a round trip through its stored JSON.
        #expect(ConversationState.decode(match.state.encoded()) == match.state)
        #expect(ConversationState.decode("not json") == ConversationState())
    }

    @Test("catalog templates are never sent with unfilled placeholders")
    func noPlaceholders() {
        for text in ["¿qué venden?", "busco zapatillas rojas", "what categories do you have", "cuánto cuesta la mochila"] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
            for reply in turn.replies { #expect(!reply.summary.contains("{"), "\(text): \(reply.summary)") }
        }
    }

    @Test("odd input never crashes: empty, emoji only, 4 KB, mixed languages")
    func oddInput() {
        for text in ["", "   ", "😀😀🎉", String(repeating: "palabra ", count: 600), "hola how do I recycle glass por favor"] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
            #expect(turn.replies.allSatisfy { !$0.summary.isEmpty })
        }
    }
}
