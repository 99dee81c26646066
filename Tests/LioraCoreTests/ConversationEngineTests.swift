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

    @Test("\"help\" is English from a new user, and does not switch a Spanish conversation")
    func loanwordLanguage() {
        let new = Self.engine.respond(to: "help", replyID: nil, language: .es, languageEstablished: false, state: .init(),
                                      enabledSkills: Self.all, now: now)
        #expect(new.language == .en && new.intentID == "core.ayuda")
        let known = Self.engine.respond(to: "help", replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
        #expect(known.language == .es && known.intentID == "core.ayuda")
    }

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

    @Test("an answer to \"which material?\" naming two materials, or about something else, is routed as usual")
    func slotAnswerIsNotForced() throws {
        let menu = Self.engine.respond(to: "quiero reciclar algo", replyID: "intent:reciclaje.menu", language: .es, state: .init(),
                                       enabledSkills: Self.all, now: now)
        #expect(menu.state.pendingSlot?.name == "material")
        func answer(_ text: String) -> String? {
            Self.engine.respond(to: text, replyID: nil, language: .es, state: menu.state, enabledSkills: Self.all,
                                now: now.addingTimeInterval(30)).intentID
        }
        // Both "envases" (plastics) and "vidrio" (glass) are answers: the words decide, not the alphabet.
        #expect(answer("envases de vidrio") == "reciclaje.vidrio")
        #expect(answer("frascos de plástico") == "reciclaje.plasticos")
        // Another skill's question is that skill's, though it names a material ("comida", "aceite").
        #expect(answer("¿qué comida es sana?")?.hasPrefix("vida_sana.") == true)
        #expect(answer("pilas") == "reciclaje.baterias")
        #expect(answer("latas") == "reciclaje.plasticos")
        // Thanks after the answer is not a new subject; asking for a person is.
        #expect(answer("cristal, muchas gracias") == "reciclaje.vidrio")
        #expect(answer("pilas, gracias") == "reciclaje.baterias")
        #expect(answer("aceite, pero quiero hablar con una persona") == "core.humano")
    }

    @Test("someone at risk gets where to find help now and is handed to a person, before any pending question, keyword or shop; a person asked for beside another subject is handed off")
    func urgentFirst() throws {
        let menu = Self.engine.respond(to: "quiero reciclar algo", replyID: "intent:reciclaje.menu", language: .es, state: .init(),
                                       enabledSkills: Self.all, now: now)
        #expect(menu.state.pendingSlot?.name == "material")
        for (text, language) in [("me quiero suicidar", Language.es), ("ya no quiero vivir, las pilas no importan", .es),
                                 ("I want to kill myself", .en), ("thinking about ending my life", .en)] {
            // Also while a question waits ("pilas" would answer it) and in a shop.
            for state in [ConversationState(), menu.state] {
                let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: state, enabledSkills: Self.all,
                                               catalog: ConversationCatalogTests.shop, now: now.addingTimeInterval(30))
                #expect(turn.intentID == "core.crisis", "\(text)")
                #expect(turn.handedOff, "\(text)")
                #expect(turn.state.handedOffAt != nil && turn.state.pendingSlot == nil)
                #expect(turn.language == language)
                let body = turn.replies.map { reply -> String in if case .text(let t) = reply { t } else { "" } }.joined()
                #expect(body.contains("988") && body.contains("024") && body.contains("800 911 2000"), "\(text)")
            }
        }
        // Not every sad or idiomatic message is a crisis.
        for text in ["quiero cuidarme más", "estoy muy cansado", "me muero de hambre", "quiero bajar de peso", "quiero adelgazar",
                     "¿cómo hago ejercicio sin hacerme daño?", "me lastimé la rodilla corriendo", "how do I stretch without hurting myself",
                     "quiero cortarme el pelo", "no quiero hacerme daño al correr", "I don't want to hurt myself when I lift weights",
                     "no quiero vivir a base de comida chatarra", "I don't want to live on takeaways anymore",
                     "no quiero morir joven, ¿qué dieta me recomiendas?", "este calor va a matarme", "I want to die my hair blue",
                     "¿tienen el dvd de escuadrón suicida?", "do you sell the Suicide Squad dvd?", "quiero matar las cucarachas",
                     "no me quiero morir de hambre"] {
            #expect(Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now).intentID != "core.crisis", "\(text)")
        }
        // Clear statements, with typos, slang and punctuation that normalising drops.
        for text in ["No, me quiero morir", "no... quiero morir", "me quiero morir de verdad", "no quiero vivir con este dolor",
                     "I don't want to live with this pain anymore", "i wanna die", "I feel suicidal", "i feel sucidal", "me quiero suisidar",
                     "me voy a matar", "quiero estar muerto", "quiero cortarme las venas", "I'm going to cut myself",
                     "everyone would be better off without me", "no le veo sentido a seguir viviendo"] {
            #expect(Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now).intentID
                    == "core.crisis", "\(text)")
        }
        // Questions and idioms that only look like one.
        for text in ["¿Voy a hacerme daño si corro con la rodilla lesionada?", "Am I going to hurt myself if I run every day?",
                     "I've been killing myself at the gym and still can't lose weight", "I want to take my life back and get healthy",
                     "no quiero vivir estresada, ¿qué me recomiendas?", "cuando vi el precio me quiero morir jajaja", "me quiero morir, jajaja", "la bomba suicida",
                     "suicide doors on my car", "I want to end my life insurance policy", "hoy voy a matarme en el gym"] {
            #expect(Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now).intentID
                    != "core.crisis", "\(text)")
        }
        #expect(Self.engine.respond(to: "mira, no quiero seguir hablando con el bot, quiero que me atienda alguien del equipo", replyID: nil,
                                    language: .es, state: .init(), enabledSkills: Self.all, now: now).intentID == "core.humano")
        // Someone at risk who also asks for a person gets the crisis reply first.
        for text in ["necesito hablar con un asesor, ya no quiero vivir", "quiero hablar con un humano, pienso en el suicidio"] {
            #expect(Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now).intentID
                    == "core.crisis", "\(text)")
        }
        // One word of an urgent intent ("humano") is an ordinary keyword: it does not override the question.
        let water = Self.engine.respond(to: "¿cuánta agua necesita el cuerpo humano?", replyID: nil, language: .es, state: .init(),
                                        enabledSkills: Self.all, now: now)
        #expect(water.intentID == "vida_sana.hidratacion" && !water.handedOff, "\(water.intentID ?? "-")")
        // A person asked for, with a keyword of another subject beside it (battery → recycling).
        let human = Self.engine.respond(to: "quiero hablar con una persona, la batería que compré no funciona", replyID: nil, language: .es,
                                        state: .init(), enabledSkills: Self.all, now: now)
        #expect(human.intentID == "core.humano" && human.handedOff)
        // Without the skill that has it, an urgent intent does not answer (a disabled skill never does).
        let withoutCore = Self.all.subtracting(["core"])
        #expect(Self.engine.respond(to: "me quiero suicidar", replyID: nil, language: .es, state: .init(), enabledSkills: withoutCore,
                                    now: now).intentID != "core.crisis")
    }

    @Test("an intent's not_phrases keep idioms off it (\"ponte las pilas\" is not battery recycling), by rule or classifier; the literal questions still reach it")
    func notPhrases() throws {
        let router = Self.engine.router
        for text in ["ponte las pilas", "hay que ponerse las pilas con el ejercicio", "my phone battery drains fast",
                     "my social battery is empty after work", "necesito recargar las pilas, estoy agotado"] {
            #expect(router.route(text, enabledSkills: Self.all).intentID != "reciclaje.baterias", "\(text)")
        }
        // A keyword outside the idiom still asks about batteries.
        for text in ["¿dónde tiro las pilas usadas?", "mi batería está hinchada, ¿qué hago con ella?", "how do I recycle my phone battery?",
                     "where can I drop off old batteries", "mi laptop ya no dura la batería, ¿cómo desecho la batería?",
                     "me quedé sin pilas en el control, ¿dónde tiro las pilas viejas?"] {
            #expect(router.route(text, enabledSkills: Self.all).intentID == "reciclaje.baterias", "\(text)")
        }
        // Without the not_phrases the keyword decides: the idiom was battery recycling.
        let stripped = try SkillCatalog(skills: Self.catalog.skills.map { skill in
            var s = skill
            s.intents = skill.intents.map { var i = $0; i.notPhrases = .empty; return i }
            return s
        })
        #expect(IntentRouter(catalog: stripped).route("ponte las pilas", enabledSkills: Self.all).intentID == "reciclaje.baterias")
    }

    @Test("a photo or voice note gets one notice that the bot reads text, then quiet for the rest of the album; never counted as not understood")
    func attachments() {
        let first = Self.engine.respond(toAttachment: .photo, language: .es, state: .init(), now: now)
        guard case .text(let notice)? = first.replies.first else { Issue.record("no notice"); return }
        #expect(notice.contains("tu foto") && notice.contains("solo leo mensajes de texto"))
        #expect(first.state.noMatchStreak == 0 && !first.handedOff && first.intentID == nil)
        // The other photos of the album, a voice note a minute later: quiet, still not a no-match.
        var state = first.state
        for (i, kind) in [ConversationEngine.Attachment.photo, .photo, .photo, .audio].enumerated() {
            let turn = Self.engine.respond(toAttachment: kind, language: .es, state: state, now: now.addingTimeInterval(Double(i) * 20))
            #expect(turn.replies.isEmpty && turn.state.noMatchStreak == 0)
            state = turn.state
        }
        // Later on, it is said again (in the user's language).
        let later = Self.engine.respond(toAttachment: .audio, language: .en, state: state, now: now.addingTimeInterval(ConversationEngine.attachmentNoticeQuiet + 1))
        if case .text(let text)? = later.replies.first { #expect(text.contains("your voice note")) } else { Issue.record("no notice later") }
        // While a person has the chat, the bot stays quiet.
        var handed = ConversationState()
        handed.handedOffAt = now
        #expect(Self.engine.respond(toAttachment: .photo, language: .es, state: handed, now: now.addingTimeInterval(60)).replies.isEmpty)
        // The state survives storage.
        #expect(ConversationState.decode(first.state.encoded()).mediaNoticeAt == first.state.mediaNoticeAt)
    }

    @Test("chest pain, trouble breathing, fainting, one side numb: where to get help now, before any tip; prevention questions stay health questions")
    func medicalEmergencies() {
        for (text, language) in [("me duele el pecho cuando hago ejercicio", Language.es), ("I feel very anxious and I can't breathe", .en),
                                 ("tengo un dolor fuerte en el pecho", .es), ("my chest feels tight and my arm hurts", .en),
                                 ("se me durmió un lado de la cara", .es), ("i think im having a stroke", .en),
                                 ("mi mamá no puede respirar", .es), ("mi hijo no respira", .es), ("my dad collapsed and isn't breathing", .en),
                                 ("me estoy desmayando", .es), ("my chest is hurting really bad", .en), ("me aprieta el pecho", .es),
                                 // Something swallowed (it got battery-recycling tips).
                                 ("my kid swallowed a battery", .en), ("mi hijo se tragó una pila", .es), ("my dog ate rat poison", .en),
                                 ("me tragué un imán", .es), ("my kid drank bleach", .en)] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: language, state: .init(), enabledSkills: Self.all, now: now)
            #expect(turn.intentID == "core.emergencia" && turn.handedOff, "\(text): \(turn.intentID ?? "-")")
            let body = turn.replies.map(\.summary).joined()
            #expect(body.contains("911") && body.contains("112"), "\(text)")
        }
        for text in ["¿cómo prevengo un infarto?", "¿qué ejercicios ayudan a respirar mejor?", "quiero ejercicios para el pecho",
                     "pecho de pollo a la plancha, ¿es sano?", "how do I breathe better when I run",
                     "tengo un derrame de aceite en la cocina, ¿cómo lo limpio?", "no puedo respirar bien por la nariz cuando duermo",
                     "me duele el pecho del entrenamiento de pecho de ayer", "me estoy ahogando con tanto trabajo",
                     "se me duerme la mitad de la mano cuando duermo de lado", "I passed out on the couch at 9pm again",
                     "I can't breathe through my nose when I sleep", "is shortness of breath normal when I start running?",
                     "breathing exercises for difficulty breathing when anxious", "my gums are bleeding a lot when I brush",
                     "I'm having a stroke of luck", "esta app se come la batería", "mi celular se tragó la batería",
                     "the battery ate my phone", "how do I recycle batteries?"] {
            #expect(Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now).intentID
                    != "core.emergencia", "\(text)")
        }
        // Someone at risk of harming themselves gets the crisis reply first.
        #expect(Self.engine.respond(to: "me duele el pecho y me quiero morir", replyID: nil, language: .es, state: .init(),
                                    enabledSkills: Self.all, now: now).intentID == "core.crisis")
    }

    @Test("thanks or ok with a short follow-up answers the follow-up (\"gracias, ¿y para dormir?\" got pyjamas); a thanks for the night stays a thanks")
    func courtesyWithFollowUp() {
        for (text, expected) in [("thanks, what about glass?", "reciclaje.vidrio"), ("gracias, ¿y para dormir?", "vida_sana.sueno"),
                                 ("vale, ¿y el agua?", "vida_sana.hidratacion"), ("thanks, and for sleep?", "vida_sana.sueno")] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all,
                                           catalog: ConversationCatalogTests.shop, now: now)
            #expect(turn.intentID == expected, "\(text): \(turn.intentID ?? "-")")
        }
        let night = Self.engine.respond(to: "thank you, good night", replyID: nil, language: .en, state: .init(), enabledSkills: Self.all, now: now)
        #expect(night.intentID != "vida_sana.sueno")
    }

    /// `Tests/nlu/crisis-probes.tsv`: (utterance, whether it is a crisis).
    static func crisisProbes() throws -> [(text: String, crisis: Bool)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("Tests/nlu/crisis-probes.tsv"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
                let parts = line.split(separator: "\t")
                return (String(parts[0]), parts[1] == "crisis")
            }
    }

    @Test("the crisis probes: paraphrases, slang (\"kms\") and plans are crisis; look-alikes (\"corrí 10 kms\", \"i cut myself shaving\") are not")
    func crisisProbes() throws {
        let probes = try Self.crisisProbes()
        #expect(probes.filter(\.crisis).count >= 50 && probes.filter { !$0.crisis }.count >= 50)
        for (text, crisis) in probes {
            let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
            if crisis {
                #expect(turn.intentID == "core.crisis" && turn.handedOff, "\(text): \(turn.intentID ?? "-")")
            } else {
                #expect(turn.intentID != "core.crisis", "\(text)")
            }
        }
    }

    /// `Tests/nlu/urgent-probes.tsv`: (utterance, the urgent intent it must get, or nil for a
    /// look-alike that must get none).
    static func urgentProbes() throws -> [(text: String, intent: String?)] {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return try String(contentsOf: root.appendingPathComponent("Tests/nlu/urgent-probes.tsv"), encoding: .utf8)
            .split(separator: "\n").filter { !$0.hasPrefix("#") }.map { line in
                let parts = line.split(separator: "\t")
                return (String(parts[0]), parts[1] == "calm" ? nil : String(parts[1]))
            }
    }

    @Test("the urgent probes: indirect crisis statements, violence at home, seizures, choking, bites and bleeding in pregnancy get their urgent reply and a person; laughing, haircuts and shipping complaints do not")
    func urgentProbes() throws {
        let probes = try Self.urgentProbes()
        let urgent: Set = ["core.crisis", "core.emergencia", "core.violencia"]
        #expect(probes.filter { $0.intent == nil }.count >= 20 && Set(probes.compactMap(\.intent)).count == 3)
        for (text, expected) in probes {
            let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
            if let expected {
                #expect(turn.intentID == expected && turn.handedOff, "\(text): \(turn.intentID ?? "-")")
            } else {
                #expect(!urgent.contains(turn.intentID ?? "-"), "\(text): \(turn.intentID ?? "-")")
            }
        }
        // Violence at home: hotlines in the user's language, a person told, and the hotlines again
        // (not silence) to the next message while the chat waits for that person.
        let es = Self.engine.respond(to: "mi pareja me pega y tengo miedo", replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
        let body = es.replies.map(\.summary).joined()
        #expect(es.handedOff && body.contains("016") && body.contains("1-800-799-7233") && body.contains("borrar este chat"))
        let next = Self.engine.respond(to: "hola?", replyID: nil, language: .es, state: es.state, enabledSkills: Self.all, now: now.addingTimeInterval(60))
        #expect(next.replies.map(\.summary).joined().contains("016"))
        let en = Self.engine.respond(to: "my boyfriend hits me", replyID: nil, language: .en, state: .init(), enabledSkills: Self.all, now: now)
        #expect(en.language == .en && en.replies.map(\.summary).joined().contains("National Domestic Violence Hotline"))
    }

    @Test("a follow-up (\"what about water bottles?\", \"¿y las latas?\") right after a skill's answer gets another answer of that skill; a clear question to another skill does not; nor does it later")
    func followUpStaysWithTheSkill() {
        func say(_ text: String, _ state: ConversationState, at: Date) -> ConversationEngine.Turn {
            Self.engine.respond(to: text, replyID: nil, language: .en, state: state, enabledSkills: Self.all, now: at)
        }
        let glass = say("how do I recycle glass bottles?", .init(), at: now)
        #expect(glass.intentID == "reciclaje.vidrio" && glass.state.lastAnswer?.intentID == "reciclaje.vidrio")
        let soon = now.addingTimeInterval(30)
        #expect(say("what about water bottles?", glass.state, at: soon).intentID == "reciclaje.plasticos")
        #expect(say("¿y las latas?", glass.state, at: soon).intentID == "reciclaje.plasticos")
        // Without the glass answer just before, water bottles are about drinking water.
        #expect(say("what about water bottles?", .init(), at: now).intentID == "vida_sana.hidratacion")
        #expect(say("what about water bottles?", glass.state, at: now.addingTimeInterval(3600)).intentID == "vida_sana.hidratacion")
        // A clear question to another skill goes there; chat stays chat.
        #expect(say("¿y para dormir mejor?", glass.state, at: soon).intentID == "vida_sana.sueno")
        for text in ["y tú cómo estás?", "and thanks a lot!", "y gracias"] {
            #expect(say(text, glass.state, at: soon).intentID?.hasPrefix("reciclaje.") != true, "\(text)")
        }
        // The state survives being stored.
        #expect(ConversationState.decode(glass.state.encoded()).lastAnswer == glass.state.lastAnswer)
    }

    @Test("motor oil is hazardous waste, not cooking oil; \"which material?\" understands organic and electronic trash; \"how much is\" is not a price question by itself")
    func contentFixes() throws {
        for text in ["¿dónde tiro el aceite de motor?", "aceite del carro usado", "where do I put motor oil"] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
            #expect(turn.intentID == "reciclaje.aceite", "\(text)")
            let body = turn.replies.map { reply -> String in
                switch reply {
                case .text(let t): t
                case .buttons(let body, _): body
                default: ""
                }
            }.joined()
            #expect(body.contains(turn.language == .es ? "aceite de motor" : "Motor oil") && body.contains(turn.language == .es ? "peligroso" : "hazardous"), "\(text)")
        }
        let menu = Self.engine.respond(to: "quiero reciclar algo", replyID: "intent:reciclaje.menu", language: .es, state: .init(),
                                       enabledSkills: Self.all, now: now)
        for (answer, intent) in [("basura orgánica", "reciclaje.organicos"), ("electronic trash", "reciclaje.electronicos"),
                                 ("cáscaras orgánicas", "reciclaje.organicos"), ("basura", "reciclaje.no_reciclable")] {
            #expect(Self.engine.respond(to: answer, replyID: nil, language: .es, state: menu.state, enabledSkills: Self.all,
                                        now: now.addingTimeInterval(30)).intentID == intent, "\(answer)")
        }
        for text in ["how much is too much sugar?", "how much is enough sleep"] {
            #expect(Self.engine.respond(to: text, replyID: nil, language: .en, state: .init(), enabledSkills: Self.all, now: now)
                .intentID?.hasPrefix("catalogo.") != true, "\(text)")
        }
    }

    @Test("with no catalog yet, the bot offers only the skills the tenant has enabled")
    func noCatalogOffersEnabledSkills() {
        func text(_ enabled: Set<String>) -> String {
            let turn = Self.engine.respond(to: "quiero ver las categorías", replyID: "intent:catalogo.categorias", language: .es, state: .init(),
                                           enabledSkills: enabled, now: now)
            return turn.replies.map { reply -> String in
                switch reply {
                case .text(let t): t
                case .buttons(let body, _): body
                default: ""
                }
            }.joined()
        }
        let all = text(Self.all)
        #expect(all.contains("catálogo") && all.contains("Reciclaje") && all.contains("Vida sana"), "\(all)")
        let shopOnly = text(["core", "ecommerce"])
        #expect(shopOnly.contains("catálogo") && !shopOnly.contains("Reciclaje") && !shopOnly.contains("reciclaje") && !shopOnly.contains("ida sana"), "\(shopOnly)")
    }

    @Test("function words alone are not understood as anything: \"no quiero\" never hands the chat to a person")
    func functionWordsAlone() {
        for text in ["no", "no quiero", "no, no quiero", "ya no quiero", "no sé", "ya", "eso", "I don't want it"] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
            #expect(turn.intentID == nil && !turn.handedOff, "\(text): \(turn.intentID ?? "-")")
        }
        let ok = Self.engine.respond(to: "ok", replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
        #expect(ok.intentID == "core.ok")
        // An acknowledgement or thanks beside a request does not swallow it.
        for (text, intent) in [("no estoy de acuerdo, quiero hablar con un humano", "core.humano"),
                               ("gracias, pero quiero hablar con una persona", "core.humano"),
                               ("de acuerdo, ¿y las pilas dónde van?", "reciclaje.baterias"),
                               ("¿dónde tiro las pilas? muchas gracias", "reciclaje.baterias"),
                               // A question of substance beside the thanks or greeting, without a keyword.
                               ("gracias, y dónde tiro las botellas de vino?", "reciclaje.vidrio"),
                               ("buenas tardes, mi hijo no quiere comer verduras", "vida_sana.nutricion"),
                               // …but what the thanks is for, or a good night, is still thanks.
                               ("gracias por la ayuda", "core.gracias"),
                               ("muchas gracias por lo del plástico", "core.gracias")] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
            #expect(turn.intentID == intent, "\(text): \(turn.intentID ?? "-")")
        }
        let night = Self.engine.respond(to: "thank you, good night", replyID: nil, language: .en, state: .init(), enabledSkills: Self.all,
                                        now: now)
        #expect(night.intentID?.hasPrefix("vida_sana.") == false, "\(night.intentID ?? "-")")
        let thanks = Self.engine.respond(to: "thanks! and what about wine bottles?", replyID: nil, language: .en, state: .init(),
                                         enabledSkills: Self.all, now: now)
        #expect(thanks.intentID == "reciclaje.vidrio", "\(thanks.intentID ?? "-")")
        // A skill's own example written in function words is still understood.
        let goodbye = Self.engine.respond(to: "nada más por ahora", replyID: nil, language: .es, state: .init(), enabledSkills: Self.all,
                                          now: now)
        #expect(goodbye.intentID == "core.despedida")
        let help = Self.engine.respond(to: "what do you do?", replyID: nil, language: .en, state: .init(), enabledSkills: Self.all, now: now)
        #expect(help.intentID == "core.ayuda")
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
            // The hand-off is logged under the "talk to a person" intent, so it can be found.
            #expect(turn.intentID == (i == 4 ? ConversationEngine.handOffIntent : nil))
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

    @Test("questions only a person can answer (where an order is, shipping, refunds, opening hours) hand the chat off with a reply that says so")
    func orderQuestionsHandOff() {
        for (text, language) in [("¿dónde está mi pedido? lo compré el lunes", Language.es), ("how long does shipping take", .en),
                                 ("horario de atención", .es), ("quiero un reembolso", .es), ("what are your opening hours?", .en)] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: language, state: .init(), enabledSkills: Self.all, now: now)
            #expect(turn.intentID == "core.pedidos", "\(text)")
            #expect(turn.handedOff && turn.state.handedOffAt == now, "\(text)")
            guard case .text(let reply)? = turn.replies.first else { Issue.record("no text reply to \(text)"); continue }
            #expect(reply.contains(language == .es ? "persona del equipo" : "Someone from the team"), "\(text)")
        }
        // The hand-off holds: what the bot does not understand next gets one line (a person will
        // answer; "menu" comes back to the bot), then no reply; but a shopper's next real
        // questions are still answered (a shipping question must not silence them).
        let asked = Self.engine.respond(to: "where is my order", replyID: nil, language: .en, state: .init(), enabledSkills: Self.all, now: now)
        let next = Self.engine.respond(to: "xqzv blorf", replyID: nil, language: .en, state: asked.state, enabledSkills: Self.all,
                                       now: now.addingTimeInterval(30))
        #expect(next.replies.map(\.summary) == [ConversationEngine.waitingNotice(.en)])
        let after = Self.engine.respond(to: "qwzx flarb", replyID: nil, language: .en, state: next.state, enabledSkills: Self.all,
                                        now: now.addingTimeInterval(40))
        #expect(after.replies.isEmpty)
        let shipping = Self.engine.respond(to: "¿hacen envíos a Monterrey?", replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
        let shopping = Self.engine.respond(to: "quiero las zapatillas running rojas", replyID: nil, language: .es, state: shipping.state,
                                           enabledSkills: Self.all, catalog: ConversationCatalogTests.shop, now: now.addingTimeInterval(30))
        #expect(shopping.intentID?.hasPrefix("catalogo.") == true, "\(shopping.intentID ?? "-")")
        // Questions that merely share a word are not order questions.
        for text in ["que hora es", "en que año llego el hombre a la luna", "¿cuánta agua debo tomar al día?"] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
            #expect(turn.intentID != "core.pedidos" && !turn.handedOff, "\(text)")
        }
    }

    @Test("a hand-off holds while a person answers, then starts over: after a match, or a day later, it can happen again")
    func handOffAgain() {
        func nonsense(_ n: Int, from start: ConversationState, at time: Date) -> (ConversationState, [ConversationEngine.Turn]) {
            var state = start
            var turns: [ConversationEngine.Turn] = []
            for i in 0..<n {
                let turn = Self.engine.respond(to: "xqzv \(i) blorf", replyID: nil, language: .es, state: state, enabledSkills: Self.all,
                                               now: time.addingTimeInterval(Double(i)))
                turns.append(turn)
                state = turn.state
            }
            return (state, turns)
        }
        var (state, turns) = nonsense(5, from: .init(), at: now)
        #expect(turns.last?.handedOff == true)
        // Meanwhile the person answers: what the bot does not understand gets one line saying so,
        // with the way back to the bot, then no reply from it.
        (state, turns) = nonsense(3, from: state, at: now.addingTimeInterval(60))
        #expect(turns.allSatisfy { !$0.handedOff })
        #expect(turns.map { $0.replies.map(\.summary) } == [[ConversationEngine.waitingNotice(.es)], [], []])
        // Understood again: the hold ends, and 5 more misunderstandings hand off (and tell the user) again.
        let thanks = Self.engine.respond(to: "gracias", replyID: nil, language: .es, state: state, enabledSkills: Self.all,
                                         now: now.addingTimeInterval(120))
        #expect(thanks.state.handedOffAt == nil)
        (state, turns) = nonsense(5, from: thanks.state, at: now.addingTimeInterval(180))
        #expect(turns.map(\.replies.count).first == 1)  // the help menu first, as for anyone
        #expect(turns.last?.handedOff == true && turns.last?.replies.count == 1)
        // Nobody came: a day later the bot answers again, starting with the help menu.
        (_, turns) = nonsense(1, from: state, at: now.addingTimeInterval(180 + 25 * 3600))
        #expect(turns[0].replies.count == 1 && !turns[0].handedOff)
        // Asking for a person always hands off, even when it was asked before.
        let first = Self.engine.respond(to: "quiero hablar con un asesor", replyID: nil, language: .es, state: .init(),
                                        enabledSkills: Self.all, now: now)
        let again = Self.engine.respond(to: "quiero hablar con un asesor", replyID: nil, language: .es, state: first.state,
                                        enabledSkills: Self.all, now: now.addingTimeInterval(30))
        #expect(first.handedOff && again.handedOff)
        // After asking for a person, what comes next waits for that person: one line says so
        // (and how to get the menu), then quiet — not a greeting, a product search or a goodbye.
        let meanwhile = Self.engine.respond(to: "xqzv blorf", replyID: nil, language: .es, state: again.state,
                                            enabledSkills: Self.all, now: now.addingTimeInterval(60))
        #expect(meanwhile.replies.count == 1 && meanwhile.replies.first?.summary.contains("escribe *menú*") == true)
        var waiting = meanwhile.state
        for text in ["hola?", "¿cuánto tardan?", "sigo esperando"] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: waiting, enabledSkills: Self.all,
                                           catalog: ConversationCatalogTests.shop, now: now.addingTimeInterval(120))
            #expect(turn.replies.isEmpty, "\(text): \(turn.replies.map(\.summary))")
            waiting = turn.state
        }
        // Still waiting hours later: the line again (once), not silence for the rest of the day.
        let later = Self.engine.respond(to: "hola? sigue alguien ahí", replyID: nil, language: .es, state: waiting, enabledSkills: Self.all,
                                        now: now.addingTimeInterval(60 + 4 * 3600))
        #expect(later.replies.count == 1 && later.replies.first?.summary.contains("escribe *menú*") == true, "\(later.replies.map(\.summary))")
        let laterStill = Self.engine.respond(to: "???", replyID: nil, language: .es, state: later.state, enabledSkills: Self.all,
                                             now: now.addingTimeInterval(120 + 4 * 3600))
        #expect(laterStill.replies.isEmpty && laterStill.state.personRequestedAt != nil)
        // A clear question to a skill, or a product asked for by name, is answered (and ends the hold).
        let sleep = Self.engine.respond(to: "consejos para dormir mejor", replyID: nil, language: .es, state: waiting, enabledSkills: Self.all,
                                        now: now.addingTimeInterval(130))
        #expect(sleep.intentID == "vida_sana.sueno" && sleep.state.personRequestedAt == nil, "\(sleep.intentID ?? "-")")
        let bags = Self.engine.respond(to: "¿tienen mochilas?", replyID: nil, language: .es, state: waiting, enabledSkills: Self.all,
                                       catalog: ConversationCatalogTests.shop, now: now.addingTimeInterval(130))
        #expect(bags.intentID == "catalogo.buscar", "\(bags.intentID ?? "-")")
        // Someone at risk who writes again gets the crisis lines again, not a menu ("necesito ayuda" is not "menú").
        let crisis = Self.engine.respond(to: "me quiero morir", replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
        let alone = Self.engine.respond(to: "estoy sola", replyID: nil, language: .es, state: crisis.state, enabledSkills: Self.all,
                                        now: now.addingTimeInterval(60))
        #expect(alone.replies.first?.summary.contains("800 911 2000") == true, "\(alone.replies.map(\.summary))")
        let help = Self.engine.respond(to: "necesito ayuda", replyID: nil, language: .es, state: alone.state, enabledSkills: Self.all,
                                       now: now.addingTimeInterval(90))
        #expect(help.intentID != "core.ayuda" && help.state.personRequestedAt != nil)
        // Thanks are answered and keep the hold; "menú" hands the chat back to the bot.
        let thanked = Self.engine.respond(to: "gracias", replyID: nil, language: .es, state: waiting, enabledSkills: Self.all,
                                          now: now.addingTimeInterval(150))
        #expect(thanked.intentID == "core.gracias" && thanked.state.personRequestedAt != nil)
        #expect(thanked.replies.map(\.summary) == ["¡De nada! 😊 Una persona del equipo te responderá aquí en cuanto pueda."])
        let okay = Self.engine.respond(to: "ok", replyID: nil, language: .en, state: waiting, enabledSkills: Self.all,
                                       now: now.addingTimeInterval(150))
        #expect(okay.intentID == "core.ok" && okay.state.personRequestedAt != nil)
        #expect(okay.replies.first?.summary.contains("Someone from the team will answer you here") == true, "\(okay.replies.map(\.summary))")
        let menu = Self.engine.respond(to: "menú", replyID: nil, language: .es, state: thanked.state, enabledSkills: Self.all,
                                       now: now.addingTimeInterval(180))
        #expect(menu.intentID == "core.ayuda" && menu.state.personRequestedAt == nil && menu.state.handedOffAt == nil)
        let back = Self.engine.respond(to: "¿cómo reciclo vidrio?", replyID: nil, language: .es, state: menu.state, enabledSkills: Self.all,
                                       now: now.addingTimeInterval(200))
        #expect(back.intentID == "reciclaje.vidrio")
    }

    @Test("asking for the other language switches to it (it handed the chat to a person), also while waiting for one")
    func askingForALanguage() {
        for (text, from, to) in [("english please", Language.es, Language.en), ("sorry, english please", .es, .en),
                                 ("¿hablas inglés?", .es, .en), ("do you speak english?", .es, .en),
                                 ("en español por favor", .en, .es), ("do you speak spanish?", .en, .es), ("no hablo inglés", .en, .es)] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: from, state: .init(), enabledSkills: Self.all, now: now)
            #expect(turn.language == to && !turn.handedOff && turn.intentID?.hasPrefix("core.idioma_") == true,
                    "\(text): \(turn.intentID ?? "-") \(turn.language)")
            let said = turn.replies.map(\.summary).joined()
            #expect(to == .en ? said.contains("I'll write in English") : said.contains("Te escribo en español"), "\(text): \(said)")
        }
        // Waiting for a person: the switch is answered in the new language, and the chat still waits.
        let asked = Self.engine.respond(to: "quiero hablar con una persona", replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
        let english = Self.engine.respond(to: "english please", replyID: nil, language: .es, state: asked.state, enabledSkills: Self.all,
                                          now: now.addingTimeInterval(30))
        #expect(english.language == .en && english.state.personRequestedAt != nil && !english.handedOff)
        #expect(english.replies.map(\.summary) == ["Sure, I'll write in English. Someone from the team will answer you here as soon as they can."])
    }

    @Test("the help menu and follow-up buttons offer only the tenant's enabled skills")
    func menuFollowsEnabledSkills() {
        let enabled: Set<String> = ["core", "ecommerce"]
        for (text, state) in [("xqzv blorf", ConversationState()), ("ayuda", ConversationState()), ("hola", ConversationState())] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: state, enabledSkills: enabled, now: now)
            for reply in turn.replies {
                #expect(!reply.summary.contains("Reciclaje") && !reply.summary.contains("Vida sana"), "\(text): \(reply.summary)")
                #expect(!reply.summary.contains("{skills}"))
            }
        }
        let help = Self.engine.respond(to: "ayuda", replyID: nil, language: .es, state: .init(), enabledSkills: enabled, now: now)
        #expect(help.replies.first?.summary.contains("Catálogo") == true)
        #expect(help.replies.first?.summary.contains("asesor") == true)
        // With every skill on, the menu names them all.
        let full = Self.engine.respond(to: "help", replyID: nil, language: .en, state: .init(), enabledSkills: Self.all, now: now)
        for name in ["Catalogue", "Healthy living", "Recycling", "agent"] { #expect(full.replies.first?.summary.contains(name) == true) }
    }

    @Test("tapping a button never changes the conversation's language; a lone English-looking word does not either")
    func languageOnTaps() {
        let tap = Self.engine.respond(to: "Running", replyID: "intent:vida_sana.actividad", language: .es, state: .init(),
                                      enabledSkills: Self.all, now: now)
        #expect(tap.intentID == "vida_sana.actividad" && tap.language == .es)
        let typed = Self.engine.respond(to: "zapatillas running", replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
        #expect(typed.language == .es)
        let english = Self.engine.respond(to: "how do I recycle glass", replyID: nil, language: .es, state: .init(),
                                          enabledSkills: Self.all, now: now)
        #expect(english.language == .en)
    }

    @Test("catalog templates are never sent with unfilled placeholders")
    func noPlaceholders() {
        for text in ["¿qué venden?", "busco zapatillas rojas", "what categories do you have", "cuánto cuesta la mochila"] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
            for reply in turn.replies { #expect(!reply.summary.contains("{"), "\(text): \(reply.summary)") }
        }
    }

    @Test("third black-box review: \"y otra cosa\" changes the subject, \"¿y las de litio?\" stays on batteries, \"speak english please\" switches, common items find their recycling card")
    func thirdReviewFindings() {
        func say(_ text: String, _ state: ConversationState = .init(), language: Language = .es) -> ConversationEngine.Turn {
            Self.engine.respond(to: text, replyID: nil, language: language, state: state, enabledSkills: Self.all, now: now)
        }
        // A new subject after a recycling answer: sleep tips, not recycling again.
        for (first, next) in [("reciclar vidrio", "y otra cosa, consejos para dormir"),
                              ("donde tiro el aceite?", "ok y otra cosa, tienen consejos para dormir? gracias")] {
            let turn = say(next, say(first).state)
            #expect(turn.intentID == "vida_sana.sueno", "\(next): \(turn.intentID ?? "nil")")
        }
        // A follow-up that stays on the subject.
        #expect(say("y las de litio?", say("como reciclo pilas?").state).intentID == "reciclaje.baterias")
        // Asking for English, in English.
        let english = say("speak english please")
        #expect(english.intentID == "core.idioma_en" && english.language == .en && !english.handedOff)
        #expect(say("ahora en español porfa", language: .en).language == .es)
        // Everyday items, each to the card that says what to do with it.
        for (text, intent) in [("tetrapack", "reciclaje.plasticos"), ("carton de leche", "reciclaje.plasticos"),
                               ("papel de aluminio", "reciclaje.plasticos"), ("el unicel se recicla?", "reciclaje.especiales"),
                               ("focos fundidos", "reciclaje.especiales"), ("light bulbs", "reciclaje.especiales"),
                               ("old clothes", "reciclaje.especiales"), ("where do i throw old paint", "reciclaje.especiales"),
                               ("feeling burnt out", "vida_sana.estres"), ("q como en la cena", "vida_sana.nutricion"),
                               ("nice", "core.ok"), ("have a good one", "core.despedida")] {
            #expect(say(text).intentID == intent, "\(text): \(say(text).intentID ?? "nil")")
        }
        // "Botellas" alone may be either: the bot asks; water bottles are plastic.
        let bottles = say("botellas").replies.map(\.summary).joined()
        #expect(bottles.contains("Plásticos") && bottles.contains("Vidrio"), "\(bottles)")
        #expect(say("botellas de agua").intentID == "reciclaje.plasticos")
        #expect(say("¿cuántas botellas de agua tomo al día?").intentID == "vida_sana.hidratacion")
        // A thumbs-up is an "ok"; other emoji are not.
        for text in ["👍", "👍🏽👍🏽", "🙏 ", "👌"] { #expect(say(text).intentID == "core.ok", "\(text)") }
        #expect(say("😡").intentID != "core.ok")
        // The cards say it.
        let card = say("focos fundidos").replies
        #expect(card.count == 1, "\(card.map(\.summary))")  // one message: the card fits WhatsApp's limit with its buttons
        let said = card.map(\.summary).joined()
        #expect(said.contains("Unicel") && said.contains("Focos y bombillas") && said.contains("Ropa, zapatos y textiles"))
        // "Pañales" keeps the card of what cannot be recycled, in one message, without those.
        let nappies = say("¿los pañales se reciclan?").replies
        #expect(nappies.count == 1 && !nappies.map(\.summary).joined().contains("Unicel"), "\(nappies.map(\.summary))")
    }

    @Test("odd input never crashes: empty, emoji only, 4 KB, mixed languages")
    func oddInput() {
        for text in ["", "   ", "😀😀🎉", String(repeating: "palabra ", count: 600), "hola how do I recycle glass por favor"] {
            let turn = Self.engine.respond(to: text, replyID: nil, language: .es, state: .init(), enabledSkills: Self.all, now: now)
            #expect(turn.replies.allSatisfy { !$0.summary.isEmpty })
        }
    }
}
