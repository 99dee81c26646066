import ArgumentParser
import Foundation
import LioraCore

/// `liora nlu …`: offline tools for the skills' intent router.
struct NLU: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "nlu",
        abstract: "Evaluate the intent router of the skills against a labelled set.",
        subcommands: [Eval.self, Bench.self])
}

/// Where the skills are and how the router is tuned (the tuning flags are hidden: for experiments).
struct RouterOptions: ParsableArguments {
    @Option(name: .long, help: "Directory of skill YAML files.")
    var skills: String = "skills"

    @Option(name: .long, help: .hidden) var threshold: Double?
    @Option(name: .long, help: .hidden) var margin: Double?
    @Option(name: .long, help: .hidden) var wordWeight: Double?
    @Option(name: .long, help: .hidden) var bigramWeight: Double?
    @Option(name: .long, help: .hidden) var charWeight: Double?
    @Option(name: .long, help: .hidden) var charGrams: String?
    @Option(name: .long, help: .hidden) var neighbours: Int?
    @Option(name: .long, help: .hidden) var nearestShare: Double?

    var configuration: IntentRouter.Configuration {
        var c = IntentRouter.Configuration.default
        if let threshold { c.threshold = threshold }
        if let margin { c.ambiguityMargin = margin }
        if let wordWeight { c.classifier.wordWeight = wordWeight }
        if let bigramWeight { c.classifier.bigramWeight = bigramWeight }
        if let charWeight { c.classifier.charWeight = charWeight }
        if let charGrams { c.classifier.charGramSizes = charGrams.split(separator: ",").compactMap { Int($0) } }
        if let neighbours { c.classifier.neighbours = max(1, neighbours) }
        if let nearestShare { c.classifier.nearestShare = nearestShare }
        return c
    }

    /// Loads the skills and the labelled file, or stops with one line naming the problem.
    func load(labelled file: String) -> (IntentRouter, [LabelledUtterance]) {
        do {
            let catalog = try SkillCatalog.load(directory: URL(fileURLWithPath: skills, isDirectory: true))
            let utterances = try LabelledSet.load(URL(fileURLWithPath: file), catalog: catalog)
            // An empty set scores nothing: "accuracy 0.000 (0/0)" would read like a broken router.
            guard !utterances.isEmpty else { fail("\(file): no labelled utterances (lines of: utterance, tab, intent id)") }
            if !catalog.warnings.isEmpty {
                say("\(catalog.warnings.count) skill content warning(s); see `liora nlu eval --warnings`")
            }
            return (IntentRouter(catalog: catalog, configuration: configuration), utterances)
        } catch {
            fail("\(error)")
        }
    }
}

extension NLU {
    struct Eval: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Route every utterance of a labelled TSV file and print accuracy, per-intent precision/recall and the top confusions.",
            discussion: """
                FILE has one `utterance<TAB>expected` per line (`#` starts a comment); expected is an intent id, \
                a skill prefix (any intent of it is right) or `none` (the router must not match). \
                The last line of the report is `accuracy: 0.NNN (N/M)`.
                """)

        @Argument(help: "The labelled TSV file.")
        var file: String

        @OptionGroup var options: RouterOptions

        @Flag(help: "List every utterance answered wrong before the report.")
        var mistakes = false

        @Flag(help: "List the skills' content warnings before the report.")
        var warnings = false

        func run() throws {
            let (router, utterances) = options.load(labelled: file)
            if warnings { for w in router.catalog.warnings { print("warning: \(w)") } }
            let evaluation = NLUEvaluator(router: router).evaluate(utterances)
            if mistakes {
                print("mistakes (line: expected -> answered: utterance):")
                for row in evaluation.mistakes {
                    var how = ""
                    if case .matched(_, let confidence, let via) = row.outcome {
                        how = via == .classifier ? String(format: " (%.2f)", confidence) : " (\(via.rawValue))"
                    }
                    print("  \(row.utterance.line): \(row.utterance.expected) -> \(row.answerLabel)\(how): \(row.utterance.text)")
                }
            }
            print(evaluation.report)
        }
    }

    /// Hidden: router latency over a labelled set (bench/nlu/run.sh).
    struct Bench: ParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Measure router latency per message over a labelled set (p50/p99 in µs).",
            shouldDisplay: false)

        @Argument(help: "The labelled TSV file.")
        var file: String

        @OptionGroup var options: RouterOptions

        @Option(help: "How many times every utterance is routed.")
        var rounds: Int = 200

        func run() throws {
            let (router, utterances) = options.load(labelled: file)
            let skills = router.catalog.skillIDs
            let started = ContinuousClock.now
            let trained = IntentRouter(catalog: router.catalog, configuration: router.configuration)
            let trainTime = ContinuousClock.now - started
            var sink = 0
            for u in utterances { sink &+= trained.route(u.text, enabledSkills: skills).intentID?.count ?? 0 }   // warm-up
            var samples: [UInt64] = []
            samples.reserveCapacity(utterances.count * max(1, rounds))
            for _ in 0..<max(1, rounds) {
                for u in utterances {
                    let t0 = DispatchTime.now().uptimeNanoseconds
                    let r = trained.route(u.text, enabledSkills: skills)
                    samples.append(DispatchTime.now().uptimeNanoseconds - t0)
                    sink &+= r.intentID?.count ?? 0
                }
            }
            samples.sort()
            func percentile(_ p: Double) -> Double {
                Double(samples[min(samples.count - 1, Int(Double(samples.count) * p))]) / 1000
            }
            let mean = Double(samples.reduce(0, +)) / Double(samples.count) / 1000
            let ms = Double(trainTime.components.attoseconds) / 1e15 + Double(trainTime.components.seconds) * 1000
            print(String(format: "intents: %d, examples: %d, training: %.1f ms", router.catalog.intents.count,
                         trained.classifier.exampleCount, ms))
            print(String(format: "routed %d messages (%d utterances x %d rounds)", samples.count, utterances.count, max(1, rounds)))
            print(String(format: "latency per message: p50 %.1f µs, p99 %.1f µs, mean %.1f µs, max %.1f µs",
                         percentile(0.50), percentile(0.99), mean, Double(samples.last!) / 1000))
            if sink == -1 { print(sink) }
        }
    }
}
