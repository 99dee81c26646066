import Foundation
import LioraServer
import NIOConcurrencyHelpers
import Testing

@Suite("CPU-heavy work off the cooperative pool")
struct OffCooperativePoolTests {
    @Test("work that keeps every core busy does not stop other tasks from running")
    func otherTasksRunMeanwhile() async throws {
        // As many busy loops as the cooperative pool has threads; each spins until a task on the
        // pool has run (at most 10 s). On the pool itself, that task could not run until they end.
        let ran = NIOLockedValueBox(false)
        let cores = max(1, ProcessInfo.processInfo.activeProcessorCount)
        let loops = (0..<cores).map { _ in
            Task {
                await offCooperativePool { () -> Bool in
                    let deadline = Date().addingTimeInterval(10)
                    while !ran.withLockedValue({ $0 }) && Date() < deadline {}
                    return ran.withLockedValue { $0 }
                }
            }
        }
        try await Task.sleep(for: .milliseconds(50))  // the loops are spinning
        await Task.detached { ran.withLockedValue { $0 = true } }.value
        for loop in loops { #expect(await loop.value, "a busy loop ran out its 10 s: the other task was not scheduled") }
    }
}
