import Foundation
import LioraCore
import Testing

extension SkillsTests {
    @Suite("NLU evaluator")
    struct Evaluator {
        let catalog = SkillsTests.fixtureCatalog

        @Test("a labelled file parses intents, skill prefixes (or skill ids), none; skips comments and blanks")
        func parse() throws {
            let text = "# comment\n\nhola\tcore.saludo\nvidrio?\treciclaje\npapel\trecycling\r\nel clima\tnone\textra column\n"
            let set = try LabelledSet.parse(text, file: "l.tsv", catalog: catalog)
            #expect(set == [
                LabelledUtterance(text: "hola", expected: .intent("core.saludo"), line: 3),
                LabelledUtterance(text: "vidrio?", expected: .skill(prefix: "reciclaje"), line: 4),
                LabelledUtterance(text: "papel", expected: .skill(prefix: "reciclaje"), line: 5),
                LabelledUtterance(text: "el clima", expected: .none, line: 6),
            ])
        }

        @Test("bad labelled lines are errors naming file and line", arguments: [
            ("hola core.saludo\n", "l.tsv:1: expected `utterance<TAB>expected`"),
            ("# c\nhola\tcore.nada\n", "l.tsv:2: unknown intent core.nada"),
            ("hola\tcatalogo\n", "l.tsv:1: unknown label 'catalogo' (an intent id, a skill prefix or none)"),
        ])
        func parseErrors(text: String, expected: String) {
            do {
                _ = try LabelledSet.parse(text, file: "l.tsv", catalog: catalog)
                Issue.record("parsed")
            } catch {
                #expect(error.description == expected)
            }
        }

        @Test("expectations accept intents, any intent of a skill, or no match")
        func expectations() {
            #expect(ExpectedRoute.intent("core.saludo").accepts("core.saludo"))
            #expect(!ExpectedRoute.intent("core.saludo").accepts("core.ayuda"))
            #expect(!ExpectedRoute.intent("core.saludo").accepts(nil))
            #expect(ExpectedRoute.skill(prefix: "core").accepts("core.ayuda"))
            #expect(!ExpectedRoute.skill(prefix: "core").accepts("core_extra.ayuda"))
            #expect(!ExpectedRoute.skill(prefix: "core").accepts(nil))
            #expect(ExpectedRoute.none.accepts(nil))
            #expect(!ExpectedRoute.none.accepts("core.saludo"))
        }

        func row(_ expected: ExpectedRoute, _ outcome: RouteResult.Outcome, _ text: String = "x") -> NLUEvaluation.Row {
            NLUEvaluation.Row(utterance: LabelledUtterance(text: text, expected: expected), outcome: outcome)
        }

        @Test("ambiguous is no match for `none` rows and its first intent otherwise")
        func ambiguousScoring() {
            let amb = RouteResult.Outcome.ambiguous(["core.saludo", "core.ayuda"])
            #expect(row(.none, amb).isCorrect)
            #expect(row(.intent("core.saludo"), amb).isCorrect)
            #expect(!row(.intent("core.ayuda"), amb).isCorrect)
            #expect(row(.skill(prefix: "core"), amb).isCorrect)
            #expect(row(.none, .noMatch).isCorrect)
            #expect(!row(.none, .matched(intentID: "core.saludo", confidence: 0.5, via: .classifier)).isCorrect)
            #expect(!row(.intent("core.saludo"), .noMatch).isCorrect)
        }

        @Test("accuracy, per-label precision and recall, top confusions, and a last accuracy line")
        func report() {
            let m = { (id: String) in RouteResult.Outcome.matched(intentID: id, confidence: 1, via: .rule) }
            let evaluation = NLUEvaluation(rows: [
                row(.intent("core.saludo"), m("core.saludo")),
                row(.intent("core.saludo"), m("core.ayuda"), "buen dia"),
                row(.intent("core.saludo"), m("core.ayuda"), "buenas"),
                row(.intent("core.ayuda"), m("core.ayuda")),
                row(.skill(prefix: "reciclaje"), m("reciclaje.vidrio")),
                row(.none, .noMatch),
                row(.none, m("core.saludo"), "el clima"),
                row(.intent("reciclaje.papel"), .ambiguous(["reciclaje.vidrio", "reciclaje.papel"]), "cajas"),
            ])
            #expect(evaluation.total == 8)
            #expect(evaluation.correct == 4)
            #expect(evaluation.accuracy == 0.5)
            let scores = Dictionary(uniqueKeysWithValues: evaluation.labelScores.map { ($0.label, $0) })
            #expect(scores["core.saludo"]?.support == 3)
            #expect(scores["core.saludo"]?.recall == 1.0 / 3)
            #expect(scores["core.saludo"]?.precision == 0.5)          // answered twice, right once
            #expect(scores["core.ayuda"]?.precision == 1.0 / 3)
            #expect(scores["core.ayuda"]?.recall == 1)
            #expect(scores["reciclaje (any)"]?.recall == 1)
            #expect(scores["none"]?.recall == 0.5)
            #expect(scores["none"]?.precision == 1)
            let confusions = evaluation.topConfusions()
            #expect(confusions.first == NLUEvaluation.Confusion(expected: "core.saludo", answered: "core.ayuda", count: 2, example: "buen dia"))
            #expect(confusions.contains { $0.answered == "ambiguous(reciclaje.vidrio|reciclaje.papel)" })
            let lines = evaluation.report.split(separator: "\n")
            #expect(lines.last == "accuracy: 0.500 (4/8)")
            #expect(lines.filter { $0.hasPrefix("accuracy:") }.count == 1)
            #expect(evaluation.report.contains("core.saludo -> core.ayuda"))
        }

        @Test("an empty set reports 0/0")
        func empty() {
            #expect(NLUEvaluation(rows: []).report.hasSuffix("\naccuracy: 0.000 (0/0)"))
        }

        @Test("the evaluator routes with every skill enabled by default")
        func evaluates() throws {
            let set = try LabelledSet.parse("hola\tcore.saludo\nvidrio\treciclaje.vidrio\n👍\tnone\n", file: "l", catalog: catalog)
            let evaluation = NLUEvaluator(router: SkillsTests.fixtureRouter).evaluate(set)
            #expect(evaluation.correct == 3)
            let coreOnly = NLUEvaluator(router: SkillsTests.fixtureRouter, enabledSkills: ["core"]).evaluate(set)
            #expect(coreOnly.correct == 2)
        }
    }
}
