import Crypto
package import Foundation
package import LioraCore
import NIOConcurrencyHelpers

/// Access tokens as the admin API stored them: the account's sealed token is read and opened
/// inside the tenant's transaction. Decrypted tokens are kept in memory for at most `ttl`
/// (60 s), keyed by account, key version and a digest of the ciphertext, so a replaced token is
/// used from the next send on; a deleted account is not read at all (its row is gone for the sender).
/// Expired tokens are dropped by the next look-up or `forgetExpired` (the sender's every round),
/// whichever comes first.
package final class StoredAccessTokenSource: AccessTokenSource {
    private let store: any LioraStore
    private let vault: SecretVault
    private let clock: any LioraClock
    private let ttl: TimeInterval
    /// Used for accounts without a stored token (the demo's seeded account), when given.
    private let fallback: (any AccessTokenSource)?

    private struct Key: Hashable { var account: UUID; var keyVersion: Int; var digest: [UInt8] }
    private struct Entry { var token: Secret; var expires: Date }
    private struct Cache { var entries: [Key: Entry] = [:]; var nextPurge = Date.distantPast }
    private let cache = NIOLockedValueBox(Cache())

    /// Drops expired entries: at once with `force`, else at most once a second (sends look tokens
    /// up thousands of times a second).
    private static func purge(_ entries: inout [Key: Entry], now: Date, force: Bool, nextPurge: inout Date) {
        guard force || now >= nextPurge else { return }
        nextPurge = now.addingTimeInterval(1)
        if entries.contains(where: { $0.value.expires <= now }) { entries = entries.filter { $0.value.expires > now } }
    }

    package func forgetExpired() {
        let now = clock.now
        cache.withLockedValue { c in Self.purge(&c.entries, now: now, force: true, nextPurge: &c.nextPurge) }
    }

    /// How many decrypted tokens are in memory (for tests).
    package var cachedTokens: Int { cache.withLockedValue { $0.entries.count } }

    package init(store: any LioraStore, vault: SecretVault, clock: any LioraClock = SystemClock(), ttl: TimeInterval = 60,
                 fallback: (any AccessTokenSource)? = nil) {
        self.store = store
        self.vault = vault
        self.clock = clock
        self.ttl = min(max(ttl, 0), 60)
        self.fallback = fallback
    }

    package func accessToken(tenantID: UUID, wabaAccountID: UUID) async throws -> Secret? {
        let now = clock.now
        let found = try await store.withTenant(tenantID) { s -> Secret?? in
            guard let account = try await s.wabaAccountRecord(id: wabaAccountID) else { return .some(nil) }
            guard let sealed = account.secrets.accessToken, let version = account.secrets.keyVersion else { return nil }
            let key = Key(account: wabaAccountID, keyVersion: version, digest: Array(SHA256.hash(data: sealed)))
            if let hit = self.cache.withLockedValue({ c -> Entry? in
                Self.purge(&c.entries, now: now, force: false, nextPurge: &c.nextPurge)
                return c.entries[key]
            }), hit.expires > now { return hit.token }
            let token = try await self.vault.open(sealed, keyVersion: version, binding: WabaAccountRecord.binding(
                tenantID: tenantID, accountID: wabaAccountID, column: WabaAccountRecord.accessTokenColumn), in: s)
            self.cache.withLockedValue { c in
                c.entries = c.entries.filter { $0.value.expires > now && $0.key.account != wabaAccountID }
                c.entries[key] = Entry(token: token, expires: now.addingTimeInterval(self.ttl))
            }
            return token
        }
        switch found {
        case .some(let token): return token
        case .none: return try await fallback?.accessToken(tenantID: tenantID, wabaAccountID: wabaAccountID)
        }
    }
}
