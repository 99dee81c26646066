import Foundation
import NIOConcurrencyHelpers
import LioraCore
import WhatsApp

/// The terminal chat of `liora demo` and `liora simulate`: each line typed becomes a signed
/// webhook, each reply that reaches the simulated Graph API is printed as it arrives.
package enum ChatLoop {
    /// - Parameter noReplyHint: said once when the first message gets no reply within
    ///   `noReplyWait` (the demo has its own: its Graph API and number cannot be wrong).
    package static func run(session: ChatSession, graph: SimulatedGraphAPI, noReplyWait: Duration = .seconds(5),
                            noReplyHint: String? = nil, output: @escaping @Sendable (String) -> Void) async throws {
        let received = NIOLockedValueBox(0)
        let hintText = noReplyHint ?? session.noReplyHint
        let printer = Task {
            for await delivery in graph.deliveries where session.isForThisUser(delivery) {
                received.withLockedValue { $0 += 1 }
                output(session.render(delivery.message))
            }
        }
        defer { printer.cancel() }
        var hinted = false
        var hint: Task<Void, Never>?
        defer { hint?.cancel() }
        while let line = await readLineAsync() {
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text == "/quit" || text == "/exit" { break }
            if text.isEmpty { continue }
            do {
                let posted = try await session.say(text)
                if posted.status != 200 {
                    output("(\(session.explain(posted)))")
                } else if !hinted {
                    // Accepted but never answered: the number or the Graph address is wrong. Said once.
                    hinted = true
                    let before = received.withLockedValue { $0 }
                    hint = Task {
                        try? await Task.sleep(for: noReplyWait)
                        if !Task.isCancelled, received.withLockedValue({ $0 }) == before { output("(\(hintText))") }
                    }
                }
            } catch {
                output("(could not reach liora: \(error.localizedDescription))")
            }
            // Give the bot a moment so its answer prints before the next prompt.
            try? await Task.sleep(for: .milliseconds(400))
        }
    }

    /// `readLine()` on a thread of its own, so the chat never blocks the server's tasks.
    static func readLineAsync() async -> String? {
        await withCheckedContinuation { continuation in
            Thread.detachNewThread { continuation.resume(returning: readLine(strippingNewline: true)) }
        }
    }
}
