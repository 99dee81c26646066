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
    /// - Parameter noReplyHint: said once when the first message gets no reply within
    ///   `noReplyWait` (the demo has its own: its Graph API and number cannot be wrong).
    package static func run(session: ChatSession, graph: SimulatedGraphAPI, noReplyWait: Duration = .seconds(5),
                            quiet: Duration = .seconds(1), noReplyHint: String? = nil,
                            lines: @escaping @Sendable () async -> String? = readLineAsync,
                            output: @escaping @Sendable (String) -> Void) async throws {
        let clock = ContinuousClock()
        /// Replies so far to each message (by its id), and when the last one came.
        let answers = NIOLockedValueBox([String: (count: Int, last: ContinuousClock.Instant)]())
        let hintText = noReplyHint ?? session.noReplyHint
        let printer = Task {
            for await delivery in graph.deliveries where session.isForThisUser(delivery) {
                let answering = delivery.message.replyTo ?? session.lastMessageID ?? ""
                output(session.render(delivery.message))
                answers.withLockedValue { $0[answering] = (($0[answering]?.count ?? 0) + 1, clock.now) }
            }
        }
        defer { printer.cancel() }
        var first = true
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
            defer { first = false }
            while true {
                try? await Task.sleep(for: .milliseconds(25))
                let got = answers.withLockedValue { $0[id] }
                if let got, clock.now - got.last >= quiet { break }
                if got == nil && clock.now - sent >= noReplyWait {
                    // The first message accepted but never answered: the number or the Graph
                    // address is wrong. (Later silences are the bot's own: a hand-off, an album.)
                    if first { output("(\(hintText))") }
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
