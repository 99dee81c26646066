import Foundation
import LioraCore
import WhatsApp

/// The terminal chat of `liora demo` and `liora simulate`: each line typed becomes a signed
/// webhook, each reply that reaches the simulated Graph API is printed as it arrives.
package enum ChatLoop {
    package static func run(session: ChatSession, graph: SimulatedGraphAPI, output: @escaping @Sendable (String) -> Void) async throws {
        let printer = Task {
            for await delivery in graph.deliveries { output(session.render(delivery.message)) }
        }
        defer { printer.cancel() }
        while let line = await readLineAsync() {
            let text = line.trimmingCharacters(in: .whitespacesAndNewlines)
            if text == "/quit" || text == "/exit" { break }
            if text.isEmpty { continue }
            do {
                let status = try await session.say(text)
                if status != 200 { output("(liora answered HTTP \(status) to the webhook)") }
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
