import LioraStore
import Logging
import ServiceLifecycle

/// The loop of a background worker: runs `step` while it reports work done, then sleeps until
/// woken or `idlePoll` passes (which also picks up work whose lease ran out or whose retry is
/// due). Ends on graceful shutdown.
struct WakeableLoop: Sendable {
    private let wakeups: AsyncStream<Void>
    private let continuation: AsyncStream<Void>.Continuation
    let idlePoll: Duration

    init(idlePoll: Duration) {
        self.idlePoll = idlePoll
        (wakeups, continuation) = AsyncStream.makeStream(of: Void.self, bufferingPolicy: .bufferingNewest(1))
    }

    /// Wakes the loop (coalesced: many wakes before the loop runs count as one).
    func wake() { continuation.yield() }

    /// Runs until graceful shutdown. `step` returns how much it did; errors are logged, not fatal.
    /// On graceful shutdown the step under way finishes and no other starts (work still stored
    /// waits for the next start); then `stopped` runs.
    func run(logger: Logger, failure: String, _ step: @Sendable () async throws -> Int,
             stopped: @Sendable () async -> Void = {}) async {
        let ticker = Task { [continuation, idlePoll] in
            while !Task.isCancelled {
                try? await Task.sleep(for: idlePoll)
                continuation.yield()
            }
        }
        defer { ticker.cancel() }
        await withGracefulShutdownHandler {
            for await _ in wakeups {
                do {
                    while !Task.isShuttingDownGracefully, try await step() > 0 {}
                } catch {
                    logger.error("\(failure)", metadata: ["error": "\(loggableDescription(error))"])
                }
            }
        } onGracefulShutdown: { [continuation] in
            continuation.finish()
        }
        await stopped()
    }
}
