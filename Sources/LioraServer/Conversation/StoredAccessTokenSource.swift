import Crypto
package import Foundation
package import LioraCore
import NIOConcurrencyHelpers

/// Access tokens as the admin API stored them: the account's sealed token is read and opened
/// inside the tenant's transaction. Decrypted tokens are kept in memory for at most `ttl`
/// (60 s), keyed by account, key version and a digest of the ciphertext, so a replaced token is
/// used from the next send on; a deleted account is not read at all (its row is gone for the sender).
package final class StoredAccessTokenSource: AccessTokenSource {
    private let store: any LioraStore
    private let vault: SecretVault
    private let clock: any LioraClock
    private let ttl: TimeInterval
    /// Used for accounts without a stored token (the demo's seeded account), when given.
    private let fallback: (any AccessTokenSource)?

    private struct Key: Hashable { var account: UUID; var keyVersion: Int; var digest: [UInt8] }
    private struct Entry { var token: Secret; var expires: Date }
    private let cache = NIOLockedValueBox<[Key: Entry]>([:])

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
            if let hit = self.cache.withLockedValue({ $0[key] }), hit.expires > now { return hit.token }
            let token = try await self.vault.open(sealed, keyVersion: version, binding: WabaAccountRecord.binding(
                tenantID: tenantID, accountID: wabaAccountID, column: WabaAccountRecord.accessTokenColumn), in: s)
            self.cache.withLockedValue { c in
                c = c.filter { $0.value.expires > now && $0.key.account != wabaAccountID }
                c[key] = Entry(token: token, expires: now.addingTimeInterval(self.ttl))
            }
            return token
        }
        switch found {
        case .some(let token): return token
        case .none: return try await fallback?.accessToken(tenantID: tenantID, wabaAccountID: wabaAccountID)
        }
    }
}
