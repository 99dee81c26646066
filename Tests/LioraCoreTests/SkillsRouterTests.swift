import Foundation
import LioraCore
import Testing

extension SkillsTests {
    @Suite("intent router")
    struct Router {
        /// Expects each of `texts` to route to `intentID` with the shipped skills, naming the one that does not.
        static func expectRoutes(_ texts: [String], to intentID: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let router = ConversationEngineTests.engine.router
            for text in texts {
                #expect(router.route(text, enabledSkills: router.catalog.skillIDs).intentID == intentID, "\(text)", sourceLocation: sourceLocation)
            }
        }

        let router = SkillsTests.fixtureRouter
        let all = SkillsTests.allFixtureSkills

        @Test("a review of recycling and health conversations: broken glass, bin colours, medicines, children's sleep, idioms")
        func recyclingAndHealthReview() {
            Self.expectRoutes(["se me rompió un vaso, ¿dónde lo tiro?", "¿y un espejo roto?", "¿y los vasos rotos?", "¿qué se tira en el contenedor gris?",
                               "¿y el gris?", "las capsulas nespresso se reciclan?"], to: "reciclaje.no_reciclable")
            Self.expectRoutes(["una botella rota de vidrio", "broken glass bottle", "¿y el verde?"], to: "reciclaje.vidrio")
            Self.expectRoutes(["¿qué va en el contenedor marrón?", "¿y el marrón?", "que va en el bote cafe"], to: "reciclaje.organicos")
            Self.expectRoutes(["¿y en el azul?"], to: "reciclaje.papel")
            Self.expectRoutes(["un colchón viejo", "old mattress", "gorra vieja"], to: "reciclaje.especiales")
            // A battery named beside the grey bin is still a battery.
            Self.expectRoutes(["pilas en el contenedor gris?"], to: "reciclaje.baterias")
            Self.expectRoutes(["¿es normal que me maree al levantarme?", "¿y si tomo melatonina?", "should I take vitamin D?"], to: "vida_sana.medico")
            Self.expectRoutes(["creo que tengo depresión", "me da ansiedad"], to: "vida_sana.estres")
            Self.expectRoutes(["this heat is killing me", "me mata el calor", "el calor me está matando", "me muero de sed", "electrolitos"],
                              to: "vida_sana.hidratacion")
            Self.expectRoutes(["me muero de hambre"], to: "vida_sana.nutricion")
            // Still no crisis, and still a crisis.
            Self.expectRoutes(["ya no quiero vivir", "I want to end it all"], to: "core.crisis")
        }

        @Test("a pattern describing the whole message beats a keyword inside it; a keyword phrase beats a shorter one")
        func wholeMessageFirst() {
            // "gym" is an activity keyword: said with leaving, it is a goodbye (it got exercise tips).
            Self.expectRoutes(["me voy al gym", "bueno, me voy a trabajar", "I'm off to the gym"], to: "core.despedida")
            Self.expectRoutes(["quiero ir al gym", "me voy al gym por primera vez, ¿qué rutina hago?"], to: "vida_sana.actividad")
            // The thanks is the keyword's ("listo" alone is an acknowledgement by a whole-message pattern).
            Self.expectRoutes(["listo, gracias!", "genial, gracias"], to: "core.gracias")
            Self.expectRoutes(["listo", "genial"], to: "core.ok")
            // What to eat around exercise is nutrition, with the thanks or the gym beside it.
            Self.expectRoutes(["qué como antes del gym?", "gracias, ¿qué como antes de entrenar?", "what should I eat before a workout?",
                               "¿qué desayuno antes de correr?"], to: "vida_sana.nutricion")
        }

        @Test("an interactive reply id beats keyword rules and the classifier")
        func replyFirst() {
            for id in ["reciclaje.vidrio", "intent:reciclaje.vidrio", " reciclaje.vidrio "] {
                let r = router.route("hola, plastico", replyID: id, enabledSkills: all)
                #expect(r.outcome == .matched(intentID: "reciclaje.vidrio", confidence: 1, via: .reply))
            }
        }

        @Test("an unknown reply id is ignored and the text is routed")
        func unknownReply() {
            let r = router.route("hola", replyID: "btn_7", enabledSkills: all)
            #expect(r.outcome == .matched(intentID: "core.saludo", confidence: 1, via: .rule))
        }

        @Test("keyword rules beat the classifier; whole words only")
        func rulesSecond() {
            // The classifier alone would say thanks; the keyword decides.
            let r = router.route("muchas gracias por lo del plástico", enabledSkills: all)
            #expect(r.outcome == .matched(intentID: "reciclaje.plasticos", confidence: 1, via: .rule))
            #expect(router.classifier.classify("muchas gracias por lo del plástico", limit: 1).first?.intentID == "core.gracias")
            // "plasticos" is not the keyword "plastico": no rule, the classifier answers.
            #expect(router.route("plasticos", enabledSkills: all).intentID == "reciclaje.plasticos")
            if case .matched(_, _, let via) = router.route("plasticos", enabledSkills: all).outcome {
                #expect(via == .classifier)
            }
        }

        @Test("patterns (regular expressions over the normalised text) decide after keywords, before the classifier")
        func patterns() {
            let router = ConversationEngineTests.engine.router  // the shipped skills
            let all = router.catalog.skillIDs
            // Accents, capitals and punctuation do not matter: the pattern sees "quiero hablar con una persona".
            for text in ["¿Quiero HABLAR con una persona!", "necesito hablar con alguien del equipo", "can I talk to a real person?"] {
                #expect(router.route(text, enabledSkills: all).outcome == .matched(intentID: "core.humano", confidence: 1, via: .rule), "\(text)")
            }
            // An urgent intent's pattern (asking for a person) wins over another intent's keyword in
            // the same message; without the urgent intent's skill, the keyword decides.
            #expect(router.route("quiero hablar con una persona sobre pilas", enabledSkills: all).intentID == "core.humano")
            #expect(router.route("quiero hablar con una persona sobre pilas", enabledSkills: ["recycling"]).intentID == "reciclaje.baterias")
            // A disabled skill's patterns never answer.
            #expect(router.route("hablar con una persona", enabledSkills: ["recycling"]).intentID != "core.humano")
            // A pattern is not a keyword: no match without the phrase around it.
            if case .matched(_, _, let via) = router.route("persona", enabledSkills: all).outcome { #expect(via != .rule) }
        }

        @Test("an intent's min_confidence: a weaker classifier guess for it is not understood; its keywords still match")
        func minConfidence() {
            let router = ConversationEngineTests.engine.router  // the shipped skills: core.despedida asks for 0.3
            let all = router.catalog.skillIDs
            #expect(router.catalog.intent(id: "core.despedida")?.minConfidence == 0.3)
            for text in ["voy a la playa mañana", "mañana"] {
                // The classifier's best guess is a goodbye, above the router's threshold but below the intent's own.
                let best = router.classifier.classify(text, enabledSkills: all, limit: 1).first
                #expect(best?.intentID == "core.despedida", "\(text)")
                #expect((best?.score ?? 0) >= router.configuration.threshold && (best?.score ?? 1) < 0.3, "\(text)")
                #expect(router.route(text, enabledSkills: all).outcome == .noMatch, "\(text)")
            }
            Self.expectRoutes(["hasta mañana", "bueno, nos vemos", "chaooo", "cya"], to: "core.despedida")
        }

        @Test("going to bed, said alone, is a goodbye; a sleep question stays sleep")
        func goingToBed() {
            let router = ConversationEngineTests.engine.router  // the shipped skills
            let all = router.catalog.skillIDs
            Self.expectRoutes(["me voy a dormir", "ya me voy a dormir, chao", "bueno me voy a dormir", "Bueno, ya me voy a acostar. ¡Buenas noches!",
                         "a dormir", "ok I'm going to bed, night", "off to bed", "time for bed"], to: "core.despedida")
            Self.expectRoutes(["no puedo dormir", "¿cuántas horas debo dormir?", "me cuesta dormirme", "me voy a dormir muy tarde todos los días",
                         "I'm going to bed at 2am every night"], to: "vida_sana.sueno")
            // Urgent rules still come first: this is not a goodnight.
            #expect(router.route("me voy a dormir y no despertar", enabledSkills: all).intentID == "core.crisis")
        }

        @Test("meeting at or coming to the shop is for a person (core.pedidos), not a goodbye nor a product search")
        func visitingTheShop() {
            let router = ConversationEngineTests.engine.router  // the shipped skills
            let all = router.catalog.skillIDs
            for text in ["nos vemos en la tienda?", "¿nos vemos en la tienda mañana?", "nos vemos mañana en el local?", "see you at the store?",
                         "mañana paso a la tienda", "paso por la tienda el sábado", "¿puedo pasar hoy a su sucursal?",
                         "I'll stop by the store tomorrow", "can we come to your shop on saturday?"] {
                #expect(router.route(text, enabledSkills: all).outcome == .matched(intentID: "core.pedidos", confidence: 1, via: .rule), "\(text)")
            }
            // A goodbye alone, or beside the shop, is still one.
            Self.expectRoutes(["nos vemos", "nos vemos mañana", "¡nos vemos!", "nos vemos en la tienda, chao"], to: "core.despedida")
            // Someone else's shop, or time spent in one, is not a visit to this one.
            for text in ["voy a la tienda a comprar fruta", "paso mucho tiempo en la tienda de pie"] {
                #expect(router.route(text, enabledSkills: all).intentID != "core.pedidos", "\(text)")
            }
        }

        @Test("acknowledgements: thanks are thanks, a bare ok is core.ok or nothing, never another skill")
        func acknowledgements() {
            Self.expectRoutes(["ok gracias", "perfecto, gracias", "dale, gracias", "listo gracias!"], to: "core.gracias")
            Self.expectRoutes(["dale", "va", "jaja ok", "listo", "dale pues", "ok", "vale"], to: "core.ok")
        }

        @Test("which medicine to take, or a pain that keeps coming back, is vida_sana.medico; urgent rules and disposal questions are not")
        func medicines() {
            let router = ConversationEngineTests.engine.router  // the shipped skills
            let all = router.catalog.skillIDs
            Self.expectRoutes(["me duele la cabeza seguido, que tomo?", "¿qué pastilla es buena para el dolor de muelas?", "tengo migraña casi diario",
                         "¿puedo darle paracetamol a mi hijo?", "what should I take for a fever?", "I get headaches every day",
                         "my throat hurts, any medicine?"], to: "vida_sana.medico")
            // A red flag is an emergency first; a stressed head is stress; throwing pills away is recycling.
            #expect(router.route("me duele el pecho y la cabeza", enabledSkills: all).intentID == "core.emergencia")
            #expect(router.route("el peor dolor de cabeza de mi vida", enabledSkills: all).intentID == "core.emergencia")
            #expect(router.route("tengo la cabeza a mil", enabledSkills: all).intentID == "vida_sana.estres")
            #expect(router.route("¿dónde tiro los medicamentos caducados?", enabledSkills: all).intentID == "reciclaje.no_reciclable")
            #expect(router.route("hace calor, ¿qué tomo?", enabledSkills: all).intentID == "vida_sana.hidratacion")
            #expect(router.route("no me queda otra, ¡qué remedio!", enabledSkills: all).intentID != "vida_sana.medico")
            // Every reply of the skill still ends with the line that sends to a professional.
            let medico = router.catalog.intent(id: "vida_sana.medico")
            #expect(medico?.responses.es.allSatisfy { $0.hasSuffix("consulta a un profesional de la salud.") } == true)
            #expect(medico?.responses.en.allSatisfy { $0.hasSuffix("see a health professional.") } == true)
        }

        @Test("naps are sleep; \"buena idea\" is an acknowledgement, not a greeting")
        func napsAndGoodIdeas() {
            Self.expectRoutes(["what about naps?", "la siesta es buena?", "¿cuánto debe durar la siesta?", "is a power nap a good idea?"], to: "vida_sana.sueno")
            Self.expectRoutes(["buena idea", "¡qué buena idea!", "good idea"], to: "core.ok")
            Self.expectRoutes(["buenas", "buenas tardes", "buenos días"], to: "core.saludo")
        }

        @Test("small talk said alone (thinking it over, back in a minute, a laugh, \"bueno\") is an acknowledgement")
        func smallTalk() {
            let router = ConversationEngineTests.engine.router  // the shipped skills
            let all = router.catalog.skillIDs
            Self.expectRoutes(["lo voy a pensar", "ahorita vuelvo", "I'll think about it", "lol", "jajaja", "JAJAJAJA", "bueno", "ok, déjame pensarlo",
                         "lo tengo que consultar con mi esposa", "brb", "let me think about it", "haha", "xD", "me parece bien"], to: "core.ok")
            // Not when it says more: a joke about dying is not an acknowledgement either (nor a crisis).
            for text in ["lo voy a pensar, ¿tienen envío gratis?", "me quiero morir jajaja", "hi", "he"] {
                #expect(router.route(text, enabledSkills: all).intentID != "core.ok", "\(text)")
            }
        }

        @Test("coffee cups are not recyclable; telgopor is styrofoam; where the nearest drop-off is gets an honest answer")
        func recyclingGaps() {
            let router = ConversationEngineTests.engine.router  // the shipped skills
            let all = router.catalog.skillIDs
            Self.expectRoutes(["what about coffee cups?", "¿y los vasos de café?", "¿los vasos de cartón se reciclan?", "are paper cups recyclable?"], to: "reciclaje.no_reciclable")
            Self.expectRoutes(["telgopor", "¿dónde tiro el icopor?", "unicel"], to: "reciclaje.especiales")
            Self.expectRoutes(["donde queda el punto limpio mas cercano?", "where can I take them?", "where's the closest recycling center?",
                         "¿a qué hora abre el punto limpio?", "¿qué días pasa el camión de reciclaje?"], to: "reciclaje.donde")
            // A material named has its own card; a drink of coffee is not a cup to throw away.
            #expect(router.route("where is an oil collection point?", enabledSkills: all).intentID == "reciclaje.aceite")
            #expect(router.route("¿dónde hay un contenedor de pilas?", enabledSkills: all).intentID == "reciclaje.baterias")
            #expect(router.route("¿dónde está el papel reciclado?", enabledSkills: all).intentID == "reciclaje.papel")
            // Clothes and shoes, as the answer to "which material?", get the card that covers them.
            let slot = router.catalog.intent(id: "reciclaje.menu")?.slot
            for answer in ["zapatillas", "ropa", "zapatos viejos", "shoes", "telgopor"] {
                #expect(slot?.resolve(answer) == "reciclaje.especiales", "\(answer)")
            }
            #expect(router.catalog.intent(id: "reciclaje.especiales")?.responses.es.first?.contains("Ropa, zapatos y textiles") == true)
        }

        @Test("meeting at the shop on any day is for a person; \"nos vemos\" with only a day is a goodbye")
        func meetingOnADay() {
            let router = ConversationEngineTests.engine.router  // the shipped skills
            let all = router.catalog.skillIDs
            for text in ["nos vemos el sábado en la tienda", "nos vemos el fin de semana en la tienda", "nos vemos luego en el local",
                         "¿nos vemos el viernes en su sucursal?", "see you on friday at the store", "see you saturday at your shop"] {
                #expect(router.route(text, enabledSkills: all).outcome == .matched(intentID: "core.pedidos", confidence: 1, via: .rule), "\(text)")
            }
            Self.expectRoutes(["nos vemos el sábado", "nos vemos luego", "see you later", "see ya", "ok see you tomorrow",
                         "nos vemos el sábado en la tienda, chao"], to: "core.despedida")
        }

        @Test("the longest keyword phrase wins")
        func longestPhrase() {
            // "botellas pet" (plastics, 2 words) vs "vidrio" (glass, 1 word).
            let r = router.route("botellas pet o vidrio", enabledSkills: all)
            #expect(r.outcome == .matched(intentID: "reciclaje.plasticos", confidence: 1, via: .rule))
        }

        @Test("the classifier answers phrasings that no keyword covers, with a confidence in 0…1")
        func classifier() {
            let r = router.route("how do I recycle cardboard boxes?", enabledSkills: all, language: .es)
            guard case .matched(let id, let confidence, let via) = r.outcome else {
                Issue.record("expected a match, got \(r.outcome)")
                return
            }
            #expect(id == "reciclaje.papel")
            #expect(via == .classifier)
            #expect(confidence > 0 && confidence <= 1)
            #expect(r.language == .en)
        }

        @Test("typos still reach the right intent")
        func typos() {
            #expect(router.route("grasias", enabledSkills: all).intentID == "core.gracias")
            #expect(router.route("kajas de karton", enabledSkills: all).intentID == "reciclaje.papel")
        }

        @Test("a disabled skill never answers: not by reply, rule, classifier or ambiguity")
        func disabledSkills() {
            let coreOnly: Set<String> = ["core"]
            #expect(router.route("plastico", replyID: "reciclaje.plasticos", enabledSkills: coreOnly).intentID == nil)
            for intent in SkillsTests.fixtureCatalog.skill(id: "recycling")!.intents {
                for text in intent.examples.all + intent.keywords.all {
                    let outcome = router.route(text, enabledSkills: coreOnly).outcome
                    switch outcome {
                    case .matched(let id, _, _): #expect(id.hasPrefix("core."), "\(text) -> \(id)")
                    case .ambiguous(let ids): #expect(ids.allSatisfy { $0.hasPrefix("core.") }, "\(text) -> \(ids)")
                    case .noMatch: break
                    }
                }
            }
            #expect(router.route("hola", enabledSkills: []).outcome == .noMatch)
        }

        @Test("no words, gibberish and huge texts are no match, without crashing", arguments: [
            "", "   ", "👍", "🎉🎉🎉😂", "?!?!", "...", "xqzv bnmwrt plkjh", "asdfghjkl",
            String(repeating: "🤔", count: 1_000), String(repeating: "zqxv ", count: 820),
        ])
        func noMatch(text: String) {
            #expect(router.route(text, enabledSkills: all).outcome == .noMatch)
        }

        @Test("4 KB of ordinary text is routed in bounded time")
        func longText() {
            let text = String(String(repeating: "hola quiero reciclar unas botellas de vidrio y cajas de carton ", count: 70).prefix(4_096))
            let start = ContinuousClock.now
            _ = router.route(text, enabledSkills: all)
            // Not a speed target (bench/ measures those: p99 49 µs); a guard against blow-ups that
            // take seconds, loose enough for a full test run sharing 2 cores.
            #expect(ContinuousClock.now - start < .seconds(2))
        }

        @Test("the answer language follows the text, else the user's previous language")
        func language() {
            #expect(router.route("hello", enabledSkills: all, language: .es).language == .en)
            #expect(router.route("hola", enabledSkills: all, language: .en).language == .es)
            #expect(router.route("ok", enabledSkills: all, language: .en).language == .en)
            #expect(router.route("", enabledSkills: all, language: .en).language == .en)
        }

        @Test("routing is deterministic")
        func deterministic() {
            let other = IntentRouter(catalog: SkillsTests.fixtureCatalog)
            for text in ["vidrio roto y cajas", "where does this go", "gracias!", "qué hago con esto"] {
                #expect(router.route(text, enabledSkills: all) == other.route(text, enabledSkills: all))
                #expect(router.classifier.classify(text) == other.classifier.classify(text))
            }
        }

        /// Two intents trained on the same phrases.
        static func twinRouter(margin: Double) throws -> IntentRouter {
            func intent(_ id: String) -> Intent {
                Intent(id: id, skill: "demo", title: LocalizedText(es: id, en: id),
                       examples: LocalizedList(es: ["cambiar mi contraseña", "olvidé la clave"],
                                               en: ["reset my password", "forgot my password"]),
                       responses: LocalizedList(es: ["ok"], en: ["ok"]))
            }
            let other = Intent(id: "demo.horario", skill: "demo", title: LocalizedText(es: "h", en: "h"),
                               examples: LocalizedList(es: ["a qué hora abren"], en: ["opening hours"]),
                               responses: LocalizedList(es: ["ok"], en: ["ok"]))
            let catalog = try SkillCatalog(skills: [Skill(id: "demo", name: LocalizedText(es: "d", en: "d"),
                                                           description: LocalizedText(es: "d", en: "d"),
                                                           intents: [intent("demo.a"), intent("demo.b"), other])])
            return IntentRouter(catalog: catalog, configuration: IntentRouter.Configuration(ambiguityMargin: margin))
        }

        @Test("two intents within the ambiguity margin are ambiguous, best first")
        func ambiguity() throws {
            let router = try Self.twinRouter(margin: 0.05)
            #expect(router.route("I forgot my password", enabledSkills: ["demo"]).outcome == .ambiguous(["demo.a", "demo.b"]))
            #expect(router.route("what are your opening hours", enabledSkills: ["demo"]).intentID == "demo.horario")
            // A margin of zero never makes a result ambiguous: the tie goes to catalog order.
            let strict = try Self.twinRouter(margin: 0)
            #expect(strict.route("I forgot my password", enabledSkills: ["demo"]).intentID == "demo.a")
        }

        @Test("the threshold turns weak matches into no match")
        func threshold() {
            let lenient = IntentRouter(catalog: SkillsTests.fixtureCatalog, configuration: .init(threshold: 0.01))
            let strict = IntentRouter(catalog: SkillsTests.fixtureCatalog, configuration: .init(threshold: 0.99))
            #expect(lenient.route("cajas viejas", enabledSkills: all).intentID != nil)
            #expect(strict.route("cajas viejas", enabledSkills: all).outcome == .noMatch)
        }
    }

    @Suite("pattern pre-filter")
    struct PatternLiteral {
        @Test("the text every match must contain is found for simple patterns, and nothing where that cannot be told simply",
              arguments: [
                (#"\bsuicid[a-z]*\b"#, [["suicid"]]), (#"\b(me )?(quiero|kiero) morir(me)?\b"#, [["quiero", "kiero"], [" morir"]]),
                ("colou?r", [["colo"], ["r"]]), ("ab+c", [["ab"], ["c"]]), ("a|b", [["a", "b"]]), ("ab|[xy]", []),
                (#"\bkms\b|\bquitarse la vida\b"#, [["kms", "quitarse la vida"]]), (#"(ab|cd)xyz|\bdef"#, [["def", "xyz"]]), (#"\x41bc"#, []), ("(?x) a b", []),
                ("[[a-z]b]xyz", []), ("HOLA mundo", [["hola mundo"]]), ("(ab){2}cd", [["cd"]]), ("[a-z]{2,3}xy", [["xy"]]),
                (#"\bhablar con (alguien|una persona)\b"#, [["hablar con "], ["alguien", "una persona"]]),
                (#"(?<!\bno )\b(me (quiero|kiero) matar|(quiero|kiero|voy a) matarme)\b"#, [[" matar", " matarme"]]),
                (#"\b(talk|speak) (to|with) (someone|(a )?(agent|person))\b"#, [["talk", "speak"], [" "], ["to", "with"], [" "]]),
                ("(?:ab|cd)e", [["ab", "cd"], ["e"]]), ("(?<name>ab)c", [["c"]]), ("(ab|c?)d", [["d"]]), ("(?=ab)cd", [["cd"]]),
                ("[]a]b", [["b"]]), ("x[^]a]y", [["x"], ["y"]]), (#"\bmorir[]!.]*\s*ya\b"#, [["morir"], ["ya"]]),
              ])
        func literal(pattern: String, expected: [[String]]) {
            #expect(PatternRules.requiredText(pattern) == expected)
        }

        @Test("a pattern describes a whole message when anchored at both ends with no alternative outside parentheses",
              arguments: [("^hola$", true), ("^(a|b) c$", true), ("^a[|]b$", true), ("^a$|b", false), ("a$", false), ("^a", false),
                          (#"^precio \$"#, false), (#"^(?!.*\bx\b).*\by$"#, true), ("^[^$]$", true)])
        func wholeMessage(pattern: String, whole: Bool) {
            #expect(PatternRules.isWholeMessage(pattern) == whole, "\(pattern)")
        }

        @Test("every example of a rules-only intent is matched by its own rules (nothing else can select it)")
        func rulesOnlyExamplesMatch() {
            let router = ConversationEngineTests.engine.router
            for intent in router.catalog.intents where intent.rulesOnly {
                for example in intent.examples.all {
                    #expect(router.route(example, enabledSkills: [intent.skill]).intentID == intent.id, "\(intent.id): \(example)")
                }
            }
        }

        @Test("a text with letters beyond ASCII goes to every pattern (case folding: ß matches ss)")
        func nonASCIIText() {
            let intent = Intent(id: "x.y", skill: "x", title: .init(es: "T", en: "T"), examples: .init(es: ["a"], en: ["a"]),
                                patterns: .init(es: ["\\bstrasse\\b"], en: []), responses: .init(es: ["r"], en: ["r"]))
            let rules = PatternRules(intents: [intent])
            #expect(rules.matches("la strasse", allowed: { _ in true }) == [0])
            #expect(rules.matches("la straße", allowed: { _ in true }) == [0])
        }

        @Test("only the allowed intents' rules run; each intent is found once, in catalog order; rules with no literal always run")
        func groupsAndAnchors() {
            func intent(_ id: String, _ patterns: [String]) -> Intent {
                Intent(id: id, skill: "x", title: .init(es: "T", en: "T"), examples: .init(es: ["a"], en: ["a"]),
                       patterns: .init(es: patterns, en: []), responses: .init(es: ["r"], en: ["r"]))
            }
            let rules = PatternRules(intents: [
                intent("x.a", ["\\bhola\\b", "\\bbuenas (tardes|noches)\\b"]),
                intent("x.b", ["^\\w+$"]),  // no literal: every text is tried
                intent("x.c", ["(uno|dos) tres", "\\bhola mundo\\b"]),
            ])
            #expect(rules.matches("hola mundo", allowed: { _ in true }) == [0, 2])
            #expect(rules.matches("hola", allowed: { _ in true }) == [0, 1])
            #expect(rules.matches("hola", allowed: { $0 != 0 }) == [1])
            #expect(rules.matches("buenas noches", allowed: { _ in true }) == [0])
            #expect(rules.matches("dos tres", allowed: { _ in true }) == [2])
            #expect(rules.matches("cuatro tres", allowed: { _ in true }) == [])
            #expect(rules.matches("xyz", allowed: { _ in true }) == [1])
            #expect(rules.matches("xyz", allowed: { _ in false }) == [])
            #expect(rules.matches("", allowed: { _ in true }) == [])
            #expect(PatternRules(intents: []).matches("hola", allowed: { _ in true }) == [])
        }

        @Test("every shipped pattern that matches a labelled utterance (or a crisis probe) has its literal in it: the pre-filter never hides a match")
        func neverHidesAMatch() async throws {
            let catalog = ConversationEngineTests.catalog
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let labelled = try String(contentsOf: root.appendingPathComponent("Tests/nlu/labelled.tsv"), encoding: .utf8)
                .split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: "\t").first.map(String.init) }
            let probes = ["me quiero morir", "no me quiero morir de hambre", "quiero hablar con un humano, pienso en el suicidio",
                          "I just want to die tbh", "thinking about ending my life", "quiero hablar con una persona", "can I talk to a real person?"]
                + (try ConversationEngineTests.crisisProbes().map(\.text)) + (try ConversationEngineTests.urgentProbes().map(\.text))
            let normalizer = TextNormalizer()
            var checked = 0
            for intent in catalog.intents {
                for source in intent.patterns.all {
                    await Task.yield()  // thousands of regular expressions: other suites' tasks get the thread between patterns
                    let regex = try PatternRules.compile(source)
                    let required = PatternRules.requiredText(source)
                    for text in labelled + probes {
                        let n = normalizer.normalize(text).text
                        guard regex.firstMatch(in: n, options: [], range: NSRange(n.startIndex..., in: n)) != nil else { continue }
                        checked += 1
                        #expect(required.allSatisfy { anyOf in anyOf.contains { n.contains($0) } }, "\(source) matched \"\(n)\" without \(required)")
                    }
                }
            }
            #expect(checked >= 10)
        }

        @Test("the pattern rules find exactly the intents whose patterns match, with their pre-filter, on every labelled utterance and crisis probe")
        func preFilteredMatchesEqualEveryPatternRun() async throws {
            let catalog = ConversationEngineTests.catalog
            let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            let labelled = try String(contentsOf: root.appendingPathComponent("Tests/nlu/labelled.tsv"), encoding: .utf8)
                .split(separator: "\n").filter { !$0.hasPrefix("#") }.compactMap { $0.split(separator: "\t").first.map(String.init) }
            let texts = labelled + (try ConversationEngineTests.crisisProbes().map(\.text)) + (try ConversationEngineTests.urgentProbes().map(\.text))
                + ["me quiero morir 😢", "quiero hablar con una persona ß", "", "a", "zz", "me quiero morir me quiero morir"]
            let normalizer = TextNormalizer()
            let rules = PatternRules(intents: catalog.intents)
            let compiled = try catalog.intents.map { try $0.patterns.all.map(PatternRules.compile) }
            var matched = 0
            for text in texts {
                // Thousands of regular expressions: give the pool's thread back between texts, or
                // other suites' timing-sensitive tasks wait behind this one.
                await Task.yield()
                // The normalised text, and the raw one (not ASCII, so it skips the pre-filter).
                for t in [normalizer.normalize(text).text, text.lowercased()] {
                    let expected = compiled.indices.filter { i in
                        compiled[i].contains { $0.firstMatch(in: t, options: [], range: NSRange(t.startIndex..., in: t)) != nil }
                    }
                    #expect(rules.matches(t, allowed: { _ in true }) == expected, "\(t)")
                    let odd = rules.matches(t, allowed: { $0 % 2 == 1 })
                    #expect(odd == expected.filter { $0 % 2 == 1 }, "\(t)")
                    matched += expected.isEmpty ? 0 : 1
                }
            }
            #expect(matched >= 300)
        }
    }
}
