import Foundation
import NIOConcurrencyHelpers
import LioraCore
import WhatsApp

/// The terminal chat of `liora demo` and `liora simulate`: each line typed becomes a signed
/// webhook, each reply that reaches the simulated Graph API is printed as it arrives.
package enum ChatLoop {
    /// After each line it waits for the bot's answer to it — the first reply within
    /// `noReplyWait`, then until none has come for `quiet` — before reading the next line, so a
    /// number typed (or piped) right away picks from that answer's buttons, and the answer to
    /// the last line is printed before the chat ends.
    ///
    /// A line typed that gets no reply within `noReplyWait` gets one line saying so
    /// (`ChatSession.explainSilence`): the bot may have handed the chat to a person, or no reply
    /// has come at all in this run (a setup problem).
    ///
    /// - Parameter noReplyHint: the setup hint (the demo has its own: its Graph API and number
    ///   cannot be wrong).
    package static func run(session: ChatSession, graph: SimulatedGraphAPI, noReplyWait: Duration = .seconds(5),
                            quiet: Duration = .seconds(1), noReplyHint: String? = nil,
                            lines: @escaping @Sendable () async -> String? = readLineAsync,
                            output: @escaping @Sendable (String) -> Void) async throws {
        let clock = ContinuousClock()
        /// Replies so far to each message (by its id), and when the last one came.
        let answers = NIOLockedValueBox([String: (count: Int, last: ContinuousClock.Instant)]())
        let printer = Task {
            for await delivery in graph.deliveries where session.isForThisUser(delivery) {
                let answering = delivery.message.replyTo ?? session.lastMessageID ?? ""
                output(session.render(delivery.message))
                answers.withLockedValue { $0[answering] = (($0[answering]?.count ?? 0) + 1, clock.now) }
            }
        }
        defer { printer.cancel() }
        while let line = await lines() {
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text == "/quit" || text == "/exit" { break }
            if text.isEmpty { continue }
            do {
                let posted = try await session.say(text)
                guard posted.status == 200 else {
                    output("(\(session.explain(posted)))")
                    continue
                }
            } catch {
                output("(could not reach liora: \(error.localizedDescription))")
                continue
            }
            let sent = clock.now
            let id = session.lastMessageID ?? ""
            while true {
                try? await Task.sleep(for: .milliseconds(25))
                let got = answers.withLockedValue { $0[id] }
                if let got, clock.now - got.last >= quiet { break }
                if got == nil && clock.now - sent >= noReplyWait {
                    output("(\(session.explainSilence(waited: noReplyWait, setupHint: noReplyHint)))")
                    break
                }
            }
        }
    }

    /// `readLine()` on a thread of its own, so the chat never blocks the server's tasks.
    @Sendable static func readLineAsync() async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: readLine(strippingNewline: true)) }
        }
    }
}
