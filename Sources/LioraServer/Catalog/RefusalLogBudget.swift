package import Foundation
import NIOConcurrencyHelpers

/// How many refused signed requests a tenant's `ingest_logs` records: a token bucket per tenant
/// (`burst` rows at once, then `perMinute`). Refusals are written before anything proves the
/// sender knows a secret, so without it anyone who knows a tenant's id could grow that tenant's
/// log (and the database) as fast as they can send. Past the budget the request is still refused
/// the same way; only the row is skipped, and counted in `liora_ingest_log_refusals_skipped_total`.
///
/// Memory is bounded: at most `maxTenants` buckets. When full, buckets that have refilled (a
/// tenant not refused lately) are dropped; if none has, a new tenant's refusal is not logged
/// (fail closed: a flood over many tenant ids cannot grow the table or the map).
package final class RefusalLogBudget: Sendable {
    package let burst: Double
    package let perMinute: Double
    package let maxTenants: Int

    private struct Bucket { var tokens: Double; var at: Date }
    private let buckets = NIOLockedValueBox<[UUID: Bucket]>([:])
    private let onSkipped: @Sendable () -> Void

    package init(burst: Int = 60, perMinute: Int = 30, maxTenants: Int = 10_000, onSkipped: @escaping @Sendable () -> Void = {}) {
        self.burst = Double(max(1, burst))
        self.perMinute = Double(max(0, perMinute))
        self.maxTenants = max(1, maxTenants)
        self.onSkipped = onSkipped
    }

    /// Takes one row's worth from `tenantID`'s bucket at `now`; false (and counted) when empty.
    package func allow(_ tenantID: UUID, now: Date) -> Bool {
        let allowed = buckets.withLockedValue { buckets -> Bool in
            var bucket = buckets[tenantID].map { refilled($0, now: now) } ?? Bucket(tokens: burst, at: now)
            if buckets[tenantID] == nil, buckets.count >= maxTenants {
                buckets = buckets.filter { refilled($0.value, now: now).tokens < burst }
                guard buckets.count < maxTenants else { return false }
            }
            guard bucket.tokens >= 1 else { buckets[tenantID] = bucket; return false }
            bucket.tokens -= 1
            buckets[tenantID] = bucket
            return true
        }
        if !allowed { onSkipped() }
        return allowed
    }

    private func refilled(_ bucket: Bucket, now: Date) -> Bucket {
        let elapsed = max(0, now.timeIntervalSince(bucket.at))  // a clock stepping back refills nothing
        return Bucket(tokens: min(burst, bucket.tokens + elapsed * perMinute / 60), at: max(now, bucket.at))
    }
}
