import Foundation
import LioraCore
import Testing

extension SkillsTests {
    @Suite("skill catalog: loading and validation")
    struct Catalog {
        @Test("the fixture skills load with their intents, keywords, buttons and slots")
        func loadsFixtures() throws {
            let catalog = SkillsTests.fixtureCatalog
            #expect(catalog.skills.map(\.id) == ["core", "recycling"])
            #expect(catalog.skillIDs == ["core", "recycling"])
            #expect(catalog.intents.count == 6)
            let plastics = try #require(catalog.intent(id: "reciclaje.plasticos"))
            #expect(plastics.skill == "recycling")
            #expect(plastics.title[.es] == "Plásticos")
            #expect(plastics.title[.en] == "Plastics")
            #expect(plastics.examples.es.count == 10)
            #expect(plastics.keywords.en == ["plastic"])
            #expect(plastics.buttons == ["reciclaje.vidrio"])
            #expect(plastics.slot?.name == "material")
            #expect(plastics.slot?.values["glass"] == "reciclaje.vidrio")
            #expect(catalog.skill(forIntent: "core.ayuda")?.id == "core")
            #expect(catalog.skill(id: "recycling")?.intentPrefix == "reciclaje")
            #expect(catalog.intent(id: "reciclaje.latas") == nil)
            #expect(catalog.warnings.isEmpty)
        }

        @Test("skill ids map to their intent prefixes")
        func prefixes() {
            #expect(Skill.intentPrefix(forSkill: "core") == "core")
            #expect(Skill.intentPrefix(forSkill: "ecommerce") == "catalogo")
            #expect(Skill.intentPrefix(forSkill: "healthy-living") == "vida_sana")
            #expect(Skill.intentPrefix(forSkill: "recycling") == "reciclaje")
            #expect(Skill.intentPrefix(forSkill: "pet-care") == "pet_care")
        }

        @Test("a slot answer resolves to its intent by whole words, longest value first")
        func slotResolution() throws {
            let slot = try #require(SkillsTests.fixtureCatalog.intent(id: "reciclaje.plasticos")?.slot)
            #expect(slot.resolve("Vidrio!!") == "reciclaje.vidrio")
            #expect(slot.resolve("unas botellas de vidrio") == "reciclaje.vidrio")
            #expect(slot.resolve("PLÁSTICO por favor") == "reciclaje.plasticos")
            #expect(slot.resolve("no sé") == nil)
            #expect(slot.resolve("vidriera") == nil)
        }

        /// Loads `files` and returns the error's one-line description.
        func loadError(_ files: [String: String]) throws -> String {
            let dir = try SkillsTests.directory(files)
            defer { try? FileManager.default.removeItem(at: dir) }
            do {
                _ = try SkillCatalog.load(directory: dir)
                return "(loaded)"
            } catch {
                return "\(error)"
            }
        }

        @Test("a duplicate intent id names the file, the intent and the other file")
        func duplicateID() throws {
            let message = try loadError([
                "a.yaml": SkillsTests.skillYAML("core", intents: [SkillsTests.intentYAML("core.saludo")]),
                "b.yaml": SkillsTests.skillYAML("core-extra", intents: [SkillsTests.intentYAML("core_extra.x")]),
                "c.yaml": SkillsTests.skillYAML("recycling", intents: [
                    SkillsTests.intentYAML("reciclaje.vidrio"), SkillsTests.intentYAML("reciclaje.vidrio"),
                ]),
            ])
            #expect(message == "c.yaml: intent reciclaje.vidrio: duplicate intent id (also in c.yaml)")
        }

        @Test("validation errors name the file and the intent", arguments: [
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("catalogo.ver")]),
             "bad.yaml: intent catalogo.ver: id must start with 'reciclaje.' (the prefix of skill recycling)"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: "    buttons: [{intent: reciclaje.zzz}]")]),
             "bad.yaml: intent reciclaje.a: button references unknown intent reciclaje.zzz"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: """
                    buttons: [{intent: reciclaje.a}, {intent: reciclaje.a}, {intent: reciclaje.a}, {intent: reciclaje.a}]
                """)]),
             "bad.yaml: intent reciclaje.a: 4 buttons (at most 3)"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: """
                    slot:
                      name: material
                      ask: {es: "¿Cuál?", en: "Which?"}
                      values: {vidrio: reciclaje.vidrio}
                """)]),
             "bad.yaml: intent reciclaje.a: slot value 'vidrio' references unknown intent reciclaje.vidrio"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", examples: #"{es: ["hola"]}"#)]),
             "bad.yaml: intent reciclaje.a: missing en examples"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", examples: #"{es: ["hola"], en: ["!!!"]}"#)]),
             "bad.yaml: intent reciclaje.a: missing en examples"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", responses: #"{en: ["hi"]}"#)]),
             "bad.yaml: intent reciclaje.a: missing es responses"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", responses: #"{es: ["hola"], fr: ["salut"]}"#)]),
             "bad.yaml: intent reciclaje.a: responses: unknown language 'fr' (expected es, en)"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: #"    keywords: {es: ["¡¡!!"]}"#)]),
             "bad.yaml: intent reciclaje.a: keyword '¡¡!!' has no words"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a"), "  - title: {es: x, en: x}"]),
             "bad.yaml: intent #2: missing key 'id'"),
            ("skill: recycling\nintents: [\n", "bad.yaml: invalid YAML at line 3, column 1: did not find expected node content"),
            ("skill: recycling\nname: {es: N, en: N}\ndescription: {es: D, en: D}\nintents: []\n", "bad.yaml: skill recycling has no intents"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: #"    regex: {es: ["^hola$"]}"#)]),
             "bad.yaml: intent reciclaje.a: unknown key 'regex' in an intent (expected one of: buttons, examples, hands_off, id, keywords, min_confidence, not_phrases, patterns, reply_language, responses, rules_only, slot, title, urgent)"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: "    min_confidence: 1.5")]),
             "bad.yaml: intent reciclaje.a: min_confidence must be above 0 and at most 1, not 1.5"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: "    min_confidence: 0")]),
             "bad.yaml: intent reciclaje.a: min_confidence must be above 0 and at most 1, not 0.0"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: "    reply_language: fr")]),
             "bad.yaml: intent reciclaje.a: reply_language must be one of es, en, not 'fr'"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: #"    keyword: {es: ["hola"]}"#)]),
             "bad.yaml: intent reciclaje.a: unknown key 'keyword' in an intent (expected one of: buttons, examples, hands_off, id, keywords, min_confidence, not_phrases, patterns, reply_language, responses, rules_only, slot, title, urgent)"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: "    patterns: {es: [\"\\\\bniño\\\\b\"]}")]),
             "bad.yaml: intent reciclaje.a: pattern '\\bniño\\b' has the letter 'ñ', but patterns see the normalised message (no accents, ñ as n): write it without"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: #"    not_phrases: {es: ["¿?"]}"#)]),
             "bad.yaml: intent reciclaje.a: not_phrases entry '¿?' has no words"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: "    rules_only: true")]),
             "bad.yaml: intent reciclaje.a: rules_only needs keywords or patterns: nothing would select it"),
            ("skill: recycling\nname: {es: N, en: N}\ndescription: {es: D, en: D}\nversion: 2\nintents: []\n",
             "bad.yaml: unknown key 'version' in the skill (expected one of: description, intents, menu, name, skill)"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: #"    patterns: {es: ["(hola"]}"#)]),
             "bad.yaml: intent reciclaje.a: pattern '(hola' is not a valid regular expression"),
            (SkillsTests.skillYAML("recycling", intents: [SkillsTests.intentYAML("reciclaje.a", extra: #"    patterns: {en: ["(hi)?"]}"#)]),
             "bad.yaml: intent reciclaje.a: pattern '(hi)?' matches an empty message, so it would match every message"),
        ])
        func validation(yaml: String, expected: String) throws {
            #expect(try loadError(["bad.yaml": yaml]) == expected)
        }

        @Test("a missing or empty directory is an error naming it")
        func directories() throws {
            let empty = try SkillsTests.directory([:])
            defer { try? FileManager.default.removeItem(at: empty) }
            #expect(throws: SkillCatalogError(file: empty.path, "no skill files (*.yaml)")) {
                try SkillCatalog.load(directory: empty)
            }
            let missing = empty.appendingPathComponent("nope")
            #expect(throws: SkillCatalogError(file: missing.path, "no such directory")) {
                try SkillCatalog.load(directory: missing)
            }
        }

        @Test("thin content loads with warnings, one line each")
        func warnings() throws {
            let dir = try SkillsTests.directory([
                "core.yaml": SkillsTests.skillYAML("core", intents: [
                    SkillsTests.intentYAML("core.a", extra: #"    keywords: {es: ["Hola"]}"#),
                    SkillsTests.intentYAML("core.b", extra: #"    keywords: {es: ["hola"]}"#),
                    """
                      - id: core.c
                        title: {es: "C", en: "A title far too long for a button"}
                        examples: {es: ["otra cosa"], en: ["something else"]}
                        responses: {es: ["c"], en: ["c"]}
                    """,
                ]),
            ])
            defer { try? FileManager.default.removeItem(at: dir) }
            let catalog = try SkillCatalog.load(directory: dir)
            #expect(catalog.warnings.contains("core.yaml: intent core.a: only 1 es examples (10 recommended)"))
            #expect(catalog.warnings.contains("core.yaml: intent core.b: keyword 'hola' is also a keyword of core.a"))
            #expect(catalog.warnings.contains("core.yaml: intent core.b: example 'hola amigo' is also an example of core.a"))
            #expect(catalog.warnings.contains("core.yaml: intent core.c: en title longer than 20 characters (WhatsApp's button limit)"))
        }

        @Test("catalogs built in code are validated the same way")
        func inCode() {
            let intent = Intent(id: "core.x", skill: "core", title: LocalizedText(es: "X", en: "X"),
                                examples: LocalizedList(es: ["uno"], en: ["one"]), responses: LocalizedList(es: ["a"], en: []))
            let skill = Skill(id: "core", name: LocalizedText(es: "C", en: "C"), description: LocalizedText(es: "", en: ""),
                              intents: [intent])
            #expect(throws: SkillCatalogError(file: "core", intent: "core.x", "missing en responses")) {
                try SkillCatalog(skills: [skill])
            }
        }
    }
}
