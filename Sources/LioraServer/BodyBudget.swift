import HTTPTypes
import NIOConcurrencyHelpers
import NIOCore

/// Bytes of request bodies buffered at once before their sender is known. A signature can only be
/// checked over the whole body, so Meta's webhooks (up to 3 MB) and signed catalog requests (up to
/// 32 MB) are read into memory first; without a bound, anyone could hold many such bodies open
/// and exhaust the memory. A request reserves its declared `Content-Length` (or the route's
/// limit when it declares none) before reading, and gives it back when it is done; when the
/// budget is spent it is refused with 503 `busy` and `Retry-After` (Meta retries a webhook it
/// was not given 200 for: nothing accepted is lost).
///
/// A reservation is held for at most `readDeadline`: a sender that dribbles its body gets 408
/// `body_timeout` and its bytes go back to the budget (one that stops sending altogether is cut
/// off sooner, by the server's idle timeout). Slow clients hold the budget for that long at
/// most, not for ever; many of them can still keep it spent, which delays webhooks (Meta
/// retries) but loses nothing.
package final class BodyBudget: Sendable {
    private let reserved = NIOLockedValueBox(0)
    /// The most bytes reserved at once.
    package let limit: Int
    /// The longest a body may take to arrive once its reservation is made.
    package let readDeadline: Duration

    package init(limit: Int, readDeadline: Duration = .seconds(30)) {
        self.limit = max(0, limit)
        self.readDeadline = readDeadline
    }

    /// Reserves `bytes`; false (nothing reserved) when that would pass the limit.
    package func reserve(_ bytes: Int) -> Bool {
        reserved.withLockedValue { r in
            guard bytes >= 0, r + bytes <= limit else { return false }
            r += bytes
            return true
        }
    }

    package func release(_ bytes: Int) {
        reserved.withLockedValue { $0 -= bytes }
    }

    /// Bytes reserved now.
    package var inUse: Int { reserved.withLockedValue { $0 } }

    /// Runs `read` with the body's bytes reserved: its declared length, or `maxBytes` when it
    /// declares none. A body declared larger than `maxBytes` is refused before it is read
    /// (`NIOTooManyBytesError`, as `read` would); 503 `busy` when the budget is spent; 408
    /// `body_timeout` when `read` has not finished within `readDeadline` (it is cancelled).
    func withReservation<T: Sendable>(declared: String?, maxBytes: Int,
                                      _ read: @escaping @Sendable (Int) async throws -> T) async throws -> T {
        let length = declared.flatMap { Int($0) }
        if let length, length > maxBytes { throw NIOTooManyBytesError(maxBytes: maxBytes) }
        let size = length.map { max($0, 0) } ?? maxBytes
        // More than the whole budget could never be read: too large, not busy.
        guard size <= limit else { throw NIOTooManyBytesError(maxBytes: limit) }
        guard reserve(size) else { throw Self.busy }
        defer { release(size) }
        let deadline = readDeadline
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask { try await read(size) }
            group.addTask {
                try await Task.sleep(for: deadline)
                return nil
            }
            defer { group.cancelAll() }
            guard let first = try await group.next(), let value = first else { throw Self.timedOut }
            return value
        }
    }

    /// The webhook routes' budget: 64 MB (about twenty of Meta's largest bodies, thousands of usual
    /// ones), each read within 30 s.
    package static func forWebhooks() -> BodyBudget { BodyBudget(limit: 64 << 20, readDeadline: .seconds(30)) }

    /// The catalog API's budget: four bodies of the largest allowed size, at least 128 MB, each
    /// read within 5 minutes or at 100 kB/s, whichever is longer (32 MB: 5 minutes; 256 MB: 45).
    package static func forCatalog(maxBodyBytes: Int) -> BodyBudget {
        BodyBudget(limit: max(128 << 20, 4 * maxBodyBytes), readDeadline: .seconds(max(300, maxBodyBytes / 100_000)))
    }

    static let busy = APIError(.serviceUnavailable, "busy", "too many large request bodies are being received; retry in a second",
                               retryAfter: 1)
    static let timedOut = APIError(.requestTimeout, "body_timeout", "the request body did not arrive in time")
}
