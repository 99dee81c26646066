import Foundation
import LioraCore
import Testing

extension SkillsTests {
    @Suite("text normaliser")
    struct Normalizer {
        let normalizer = TextNormalizer()

        @Test("lowercases, strips accents and punctuation, collapses runs of 3+ letters", arguments: [
            ("¡Hola! ¿Cómo estás?", "hola como estas"),
            ("PLÁSTICO", "plastico"),
            ("Ñandú y pingüino", "nandu y pinguino"),
            ("naïve café, crème brûlée", "naive cafe creme brulee"),
            ("holaaaa", "hola"),
            ("siiiii graciaaas!!!", "si gracias"),
            ("pleeease", "please"),
            ("llamar al carro", "llamar al carro"),
            ("good coffee", "good coffee"),
            ("cc", "cc"),
            ("zzz", "z"),
            ("1000 pesos", "1000 pesos"),
            ("what's up, don’t worry", "whats up dont worry"),
            ("a,b;c...d", "a b c d"),
            ("  espacios\t\ty\nlíneas  ", "espacios y lineas"),
            ("reciclaje👍🏽bien", "reciclaje bien"),
            ("a\u{301}rbol", "arbol"),                       // decomposed accent
            ("Ωμέγα", "ωμεγα"),
            ("100% natural!!", "100 natural"),
        ])
        func cases(input: String, expected: String) {
            #expect(normalizer.normalize(input).text == expected)
        }

        @Test("text without letters or digits has no tokens", arguments: ["", "   ", "👍🎉😂", "!!!???", "¿¡…—", "👨‍👩‍👧‍👦🇪🇸"])
        func empty(input: String) {
            #expect(normalizer.normalize(input).isEmpty)
        }

        @Test("tokens come out in order")
        func tokens() {
            #expect(normalizer.normalize("¿Dónde tiro el VIDRIO?").tokens == ["donde", "tiro", "el", "vidrio"])
        }

        @Test("only the first characters of a very long text are read")
        func long() {
            let text = String(repeating: "palabra ", count: 2_000)
            let tokens = normalizer.normalize(text).tokens
            #expect(tokens.count == 125)                         // 1,000 characters of "palabra "
            #expect(TextNormalizer(maximumCharacters: 16).normalize(text).tokens == ["palabra", "palabra"])
        }
    }

    @Suite("language detection")
    struct Detection {
        let detector = LanguageDetector()

        @Test("Spanish and English messages are told apart", arguments: [
            ("¿Dónde reciclo el vidrio?", Language.es, Language.en),
            ("quiero ver el catálogo", .es, .en),
            ("hola", .es, .en),
            ("gracias", .es, .en),
            ("necesito ayuda con mi pedido", .es, .en),
            ("mañana", .es, .en),
            ("donde tiro las pilas", .es, .en),
            ("where do I recycle glass", .en, .es),
            ("thank you", .en, .es),
            ("hello", .en, .es),
            ("I want to talk to a person", .en, .es),
            ("how much is shipping?", .en, .es),
        ])
        func detects(text: String, expected: Language, previous: Language) {
            #expect(detector.detect(text, previous: previous) == expected)
        }

        @Test("one of the bot's subjects in English is English on a first message (it got Spanish tips), and does not switch a Spanish chat")
        func subjectWords() {
            let normalizer = TextNormalizer()
            for word in ["sleep", "batteries", "water", "stress", "sneakers", "backpack", "dress"] {
                #expect(detector.detect(word, normalized: normalizer.normalize(word), previous: .es, established: false) == .en, "\(word)")
                #expect(detector.detect(word, normalized: normalizer.normalize(word), previous: .es, established: true) == .es, "\(word)")
            }
        }

        @Test("the skills' English words alone are English on a first message (\"recycling\" got the Spanish menu), and do not switch a Spanish chat")
        func skillWords() throws {
            guard SkillsTests.realFilesExist else { return }
            let catalog = try SkillCatalog.load(directory: SkillsTests.realSkills)
            let detector = LanguageDetector(catalog: catalog)
            let normalizer = TextNormalizer()
            func detect(_ text: String, _ previous: Language, established: Bool) -> Language {
                detector.detect(text, normalized: normalizer.normalize(text), previous: previous, established: established)
            }
            for word in ["recycling", "plastic", "hydration", "nutrition", "styrofoam", "electronics", "insomnia", "cardboard", "Recycling!"] {
                #expect(detect(word, .es, established: false) == .en, "\(word)")
                #expect(detect(word, .es, established: true) == .es, "\(word)")
                #expect(detect(word, .en, established: true) == .en, "\(word)")
            }
            // Words of the skills' Spanish too, and Spanish words, tell nothing.
            for word in ["pet", "menu", "compost", "laptop", "textiles", "ok", "yo", "reciclaje", "plástico"] {
                #expect(detect(word, .es, established: false) == .es, "\(word)")
            }
            // Every one-word English example or keyword of the recycling and healthy-living skills is English on a first message.
            for intent in catalog.intents where intent.skill == "recycling" || intent.skill == "healthy-living" {
                for text in intent.examples.en + intent.keywords.en where normalizer.normalize(text).tokens.count == 1 {
                    let spanish = Set(catalog.intents.flatMap { ($0.examples.es + $0.keywords.es).flatMap { normalizer.normalize($0).tokens } })
                    guard !spanish.contains(normalizer.normalize(text).tokens[0]) else { continue }
                    #expect(detect(text, .es, established: false) == .en, "\(intent.id): \(text)")
                }
            }
        }

        @Test("English words Spanish speakers use alone (bye, thanks, help, please) keep the previous language",
              arguments: ["bye", "ok bye", "thanks", "ok thanks", "help", "please", "thanks!!"])
        func loanwords(text: String) {
            #expect(detector.detect(text, previous: .es) == .es)
            #expect(detector.detect(text, previous: .en) == .en)
            // A new user's first message has no language of its own to keep: the word decides.
            let normalized = TextNormalizer().normalize(text)
            #expect(detector.detect(text, normalized: normalized, previous: .es, established: false) == .en)
        }

        @Test("with no clear sign the previous language is kept", arguments: ["ok", "👍", "", "menu", "123", "pet", "no"])
        func fallback(text: String) {
            #expect(detector.detect(text, previous: .en) == .en)
            #expect(detector.detect(text, previous: .es) == .es)
            #expect(detector.detect(text) == .es)
        }

        @Test("language codes parse to a language", arguments: [
            ("es", Language.es), ("ES", .es), ("es-MX", .es), ("en_GB", .en), ("en", .en),
        ])
        func codes(code: String, expected: Language) {
            #expect(Language(code: code) == expected)
        }

        @Test("other language codes do not parse")
        func otherCodes() {
            #expect(Language(code: "fr") == nil)
            #expect(Language(code: "") == nil)
            #expect(Language.default == .es)
        }
    }
}
