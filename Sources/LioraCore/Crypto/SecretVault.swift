public import Crypto
public import Foundation

/// Seals and opens a tenant's secrets with envelope encryption: the tenant's newest data key
/// (created on first use, wrapped by the current master key) seals; the key version stored next
/// to each ciphertext opens. Everything happens inside the caller's tenant transaction.
public struct SecretVault: Sendable {
    public let ring: MasterKeyRing

    public init(ring: MasterKeyRing) { self.ring = ring }

    /// The tenant's newest data key, creating version 1 when it has none.
    public func currentKey(in session: any TenantSession, now: Date) async throws -> (version: Int, key: SymmetricKey) {
        if let newest = try await session.dataKeys().first {
            return (newest.version, try Envelope.unwrap(newest, ring: ring))
        }
        let (key, wrapped) = try Envelope.newDataKey(tenantID: session.tenantID, version: 1, ring: ring)
        try await session.addDataKey(wrapped, now: now)
        return (1, key)
    }

    public func key(version: Int, in session: any TenantSession) async throws -> SymmetricKey {
        guard let wrapped = try await session.dataKeys().first(where: { $0.version == version }) else {
            throw LioraError(.storage, "a tenant key is missing", detail: "no data key version \(version)")
        }
        return try Envelope.unwrap(wrapped, ring: ring)
    }

    public func seal(_ plaintext: String, binding: EncryptionBinding, in session: any TenantSession,
                     now: Date) async throws -> (ciphertext: [UInt8], keyVersion: Int) {
        precondition(binding.tenantID == session.tenantID, "sealing for another tenant")
        let (version, key) = try await currentKey(in: session, now: now)
        return (try Envelope.seal(plaintext, key: key, binding: binding), version)
    }

    public func open(_ ciphertext: [UInt8], keyVersion: Int, binding: EncryptionBinding,
                     in session: any TenantSession) async throws -> Secret {
        try Envelope.open(ciphertext, key: try await key(version: keyVersion, in: session), binding: binding)
    }
}
