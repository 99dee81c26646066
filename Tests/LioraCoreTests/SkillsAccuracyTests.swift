import Foundation
import LioraCore
import LioraTestSupport
import Testing

extension SkillsTests {
    /// The router on the real skills/ and Tests/nlu/labelled.tsv: fails when accuracy regresses.
    @Suite("NLU accuracy on the real skills")
    struct Accuracy {
        /// The accuracy reached when the defaults were tuned, less a small margin.
        static let floor = 0.91

        @Test("the real skills load without errors", .enabled(if: SkillsTests.realFilesExist))
        func realSkillsLoad() throws {
            let catalog = try SkillCatalog.load(directory: SkillsTests.realSkills)
            #expect(catalog.skillIDs == ["core", "ecommerce", "healthy-living", "recycling"])
        }

        @Test("accuracy on the labelled set stays above the floor", .enabled(if: SkillsTests.realFilesExist))
        func accuracyFloor() throws {
            let catalog = try SkillCatalog.load(directory: SkillsTests.realSkills)
            let set = try LabelledSet.load(SkillsTests.realLabelled, catalog: catalog)
            let evaluation = NLUEvaluator(router: IntentRouter(catalog: catalog)).evaluate(set)
            #expect(evaluation.accuracy >= Self.floor, "\(evaluation.report)")
            // Off-topic messages must mostly stay unanswered (0.90 when tuned).
            let none = try #require(evaluation.labelScores.first { $0.label == "none" })
            #expect(none.recall ?? 1 >= 0.85, "\(evaluation.report)")
        }
    }

    /// `liora nlu eval` as an operator runs it (needs the debug binary: `swift build --build-tests`).
    @Suite("liora nlu command")
    struct Command {
        static let binary = SkillsTests.root.appendingPathComponent(".build/debug/liora")
        static var binaryExists: Bool { FileManager.default.isExecutableFile(atPath: binary.path) }

        struct Run { let status: Int32; let stdout: String; let stderr: String }

        static func run(_ args: [String], in dir: URL) throws -> Run {
            let r = try LioraCommand.run(args, env: [:], in: dir)
            return Run(status: r.status, stdout: r.stdout, stderr: r.stderr)
        }

        @Test("eval prints the report ending in the accuracy line", .enabled(if: binaryExists))
        func eval() throws {
            let dir = try SkillsTests.directory(["l.tsv": "hola\tcore.saludo\nvidrio roto\treciclaje\n"])
            defer { try? FileManager.default.removeItem(at: dir) }
            let r = try Self.run(["nlu", "eval", "l.tsv", "--skills", SkillsTests.fixtureDirectory.path], in: dir)
            #expect(r.status == 0)
            #expect(r.stdout.split(separator: "\n").last == "accuracy: 1.000 (2/2)")
        }

        @Test("a bad file stops eval with one line and status 1", .enabled(if: binaryExists), arguments: [
            (["nlu", "eval", "missing.tsv", "--skills", SkillsTests.fixtureDirectory.path], "liora: "),
            (["nlu", "eval", "l.tsv", "--skills", SkillsTests.fixtureDirectory.path], "liora: l.tsv:1: unknown intent core.nada"),
            (["nlu", "eval", "l.tsv"], "liora: "),   // no ./skills directory
        ])
        func badFile(args: [String], prefix: String) throws {
            let dir = try SkillsTests.directory(["l.tsv": "hola\tcore.nada\n"])
            defer { try? FileManager.default.removeItem(at: dir) }
            let r = try Self.run(args, in: dir)
            #expect(r.status == 1)
            let lines = r.stderr.split(separator: "\n")
            #expect(lines.count == 1)
            #expect(lines.first?.hasPrefix(prefix) == true)
        }
    }
}
