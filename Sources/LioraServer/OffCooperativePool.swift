import Dispatch

/// Runs CPU-heavy synchronous work (validating a catalog and building its index, bcrypt) on a
/// dispatch thread instead of Swift's cooperative pool. The pool has one thread per core: work
/// that keeps one of them busy for a quarter of a second or more stalls every other task queued on
/// it (webhooks, sends, the processor) that long, whereas the kernel time-slices a thread of its own
/// with the rest.
package func offCooperativePool<T: Sendable>(_ work: @escaping @Sendable () -> T) async -> T {
    await withCheckedContinuation { continuation in
        DispatchQueue.global(qos: .userInitiated).async { continuation.resume(returning: work()) }
    }
}
