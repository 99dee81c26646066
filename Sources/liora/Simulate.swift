import ArgumentParser
import Foundation
import LioraCore
import LioraServer
import Logging

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Chat with any running Liora as a simulated WhatsApp user.",
        discussion: """
            Posts signed webhooks to --url and serves a simulated Graph API on 127.0.0.1:--graph-port: \
            start that Liora with LIORA_GRAPH_BASE_URL=http://127.0.0.1:<graph-port> so its replies come here.
            """)

    @Option(help: "The Liora to talk to.")
    var url = "http://127.0.0.1:8080"

    @Option(help: "Meta app secret that Liora checks (default: LIORA_META_APP_SECRET).")
    var appSecret: String?

    @Option(help: "The business phone_number_id the messages are for.")
    var phoneNumberID = DemoSeed.phoneNumberID

    @Option(help: ArgumentHelp("The simulated user's WhatsApp id (default: \(Self.chatWaID) in a chat; with --script, the script's wa_id, else a new one for each run).",
                               valueName: "wa-id"))
    var waID: String?

    // (`.unconditional`: "-5" is read as the value, not as a flag, so validate() can say what is wrong with it.)
    @Option(parsing: .unconditional, help: "Port for the simulated Graph API (0: any free port).")
    var graphPort = 9099

    @Option(help: "Play a YAML conversation script (see Tests/conversations/) instead of chatting; exits 1 when an expectation fails.")
    var script: String?

    @Option(parsing: .unconditional, help: "Milliseconds without a new reply after which the bot's answer to a message counts as complete.")
    var quietMs = 1000

    /// The user of an interactive chat, the same each time (the conversation goes on from the last one).
    static let chatWaID = "5215550100000"

    func validate() throws {
        if !(0...65535).contains(graphPort) {
            throw ValidationError("--graph-port must be a port number from 0 to 65535, got \(graphPort)")
        }
        if !(50...60_000).contains(quietMs) {
            throw ValidationError("--quiet-ms must be a positive number of milliseconds, from 50 to 60000; got \(quietMs)")
        }
    }

    func run() async throws {
        guard let secret = appSecret ?? ProcessInfo.processInfo.environment["LIORA_META_APP_SECRET"], !secret.isEmpty else {
            fail("--app-secret or LIORA_META_APP_SECRET is required (the secret the target Liora checks)", code: 2)
        }
        guard let base = URL(string: url), base.scheme?.hasPrefix("http") == true else { fail("--url must be an http(s) URL", code: 2) }
        // A script that cannot be played is said before anything starts listening.
        let loaded: ConversationScript?
        do { loaded = try script.map { try ConversationScript.load(URL(fileURLWithPath: $0)) } } catch { fail("\(error)", code: 2) }
        let quiet = Duration.milliseconds(quietMs)
        // Replies that hand the chat to a person, so a silence after one is explained as such (the
        // skills of this folder, when there are any: the usual way to run it is from the repository).
        let handOffIntents = (try? SkillCatalog.load(directory: URL(fileURLWithPath: "skills"))).map(ChatSession.handOffIntents(in:))
            ?? [ConversationEngine.handOffIntent]
        var logger = Logger(label: "liora-simulate")
        logger.logLevel = .error
        let graph = SimulatedGraphAPI(port: graphPort, logger: logger)
        do {
            try await graph.run { graphURL in
                print("Simulated Graph API on \(graphURL.absoluteString) — start Liora with LIORA_GRAPH_BASE_URL=\(graphURL.absoluteString)")
                if let loaded {
                    // Each run a conversation of its own, unless a wa_id is named: a fixed one would
                    // carry over what an earlier run left (a chat handed to a person stays quiet).
                    var random = SystemRandomNumberGenerator()
                    let user = waID ?? loaded.waID ?? ChatSession.newWaID(using: &random)
                    let session = ChatSession(webhookURL: base.appendingPathComponent("webhook/meta"), appSecret: Secret(secret),
                                              phoneNumberID: phoneNumberID, waID: user, handOffIntents: handOffIntents)
                    print("Playing \"\(loaded.name)\" (\(loaded.turns.count) turns) against \(base.absoluteString) as \(user)"
                          + (waID == nil && loaded.waID == nil ? " (a new user for this run)" : ""))
                    var runner = ConversationScriptRunner()
                    runner.quietPeriod = quiet
                    let failures = try await runner.run(loaded, session: session, replies: graph.deliveries) { print($0) }
                    for f in failures { print("✗ " + f) }
                    print(failures.isEmpty ? "✓ all expectations met" : "\(failures.count) expectation(s) failed")
                    if !failures.isEmpty { throw ExitCode(1) }
                    return
                }
                let user = waID ?? Self.chatWaID
                print("Talking to \(base.absoluteString) as \(user); /quit to leave.")
                let session = ChatSession(webhookURL: base.appendingPathComponent("webhook/meta"), appSecret: Secret(secret),
                                          phoneNumberID: phoneNumberID, waID: user, handOffIntents: handOffIntents)
                try await ChatLoop.run(session: session, graph: graph, quiet: quiet) { print($0) }
            }
        } catch let exit as ExitCode {
            throw exit
        } catch {
            fail("\(error)")
        }
    }
}
