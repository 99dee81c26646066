import Crypto
package import Foundation
package import HTTPTypes
import Hummingbird
package import LioraCore

/// A tenant's catalog signing secrets: issued once (shown to the caller, stored encrypted),
/// rotated with the previous one still accepted for an overlap.
package enum CatalogSecrets {
    static let table = "catalog_secrets"

    static func binding(tenantID: UUID, secretID: UUID) -> EncryptionBinding {
        EncryptionBinding(tenantID: tenantID, table: table, rowID: secretID.uuidString.lowercased(), column: "secret_ciphertext")
    }

    /// Issues a new secret (or stores `secret` when given, e.g. the demo's); secrets issued
    /// before stop being accepted at `now + overlap`. Returns the `whsec_…` value.
    @discardableResult
    package static func issue(in session: any TenantSession, vault: SecretVault, secret: String? = nil, overlap: TimeInterval,
                              now: Date) async throws -> String {
        let value = secret ?? StandardWebhooks.generateSecret()
        guard StandardWebhooks.key(fromSecret: value) != nil else {
            throw LioraError(.invalidInput, "a catalog secret must be whsec_ followed by base64 of at least 16 bytes")
        }
        let id = UUID.timeOrdered(at: now)
        let sealed = try await vault.seal(value, binding: binding(tenantID: session.tenantID, secretID: id), in: session, now: now)
        try await session.addCatalogSecret(StoredSecret(id: id, ciphertext: sealed.ciphertext, keyVersion: sealed.keyVersion, createdAt: now),
                                           othersExpireAt: now.addingTimeInterval(max(0, overlap)), now: now)
        return value
    }

    /// The key bytes of every secret accepted at `now`, with the secret's id (decrypted in memory only).
    static func keys(in session: any TenantSession, vault: SecretVault, now: Date) async throws -> [(id: UUID, key: [UInt8])] {
        var keys: [(id: UUID, key: [UInt8])] = []
        for stored in try await session.catalogSecrets(validAt: now) {
            let secret = try await vault.open(stored.ciphertext, keyVersion: stored.keyVersion,
                                              binding: binding(tenantID: session.tenantID, secretID: stored.id), in: session)
            if let key = StandardWebhooks.key(fromSecret: secret.value) { keys.append((stored.id, key)) }
        }
        return keys
    }
}

/// A signed request that passed `SignedRequestGate.verifyWrite`: its `webhook-id` and the secrets
/// that signed it.
package struct SignedWrite: Sendable {
    package var id: String
    package var secretIDs: Set<UUID>

    /// Why a write is refused at the last step, or nil when it may go on.
    package struct Refusal: Error, Sendable {
        package var error: APIError
        /// What the ingest log records (the error's code, or `secret_revoked`).
        package var reason: String
    }

    /// The write's last check, in its transaction and under the tenant's lock (which a rotation
    /// takes too): a secret that signed the request is still valid now — read from `clock` after
    /// the lock, not the request's `now`: a rotation with no overlap that committed meanwhile
    /// ended the old secret at its own, later, time — (else `signature_invalid`, logged as
    /// `secret_revoked`), and the request id is used up (`webhook_id_reused`).
    ///
    /// `currentOnly` (rotating the secret): only the current secret may sign, not one in its
    /// overlap after a rotation (`secret_not_current`). Else a leaked old secret could rotate again, end the current one
    /// and take a new one that never expires, and keep doing so after every rotation.
    package func use(in session: any TenantSession, now: Date, clock: any LioraClock, currentOnly: Bool = false) async throws -> Refusal? {
        var valid = try await session.catalogSecrets(validAt: max(now, clock.now))
        if currentOnly {
            let current = valid.filter { $0.expiresAt == nil }
            if !current.contains(where: { secretIDs.contains($0.id) }), valid.contains(where: { secretIDs.contains($0.id) }) {
                // The signature matched, with the previous secret: say so, not "no signature matches".
                let error = APIError(.unauthorized, "secret_not_current",
                                     "only the current signing secret may rotate it; this request is signed with the previous one, which still signs publishes until its overlap ends")
                return Refusal(error: error, reason: error.code)
            }
            valid = current
        }
        guard valid.contains(where: { secretIDs.contains($0.id) }) else {
            return Refusal(error: APIError(.unauthorized, StandardWebhooks.Failure.signatureInvalid.rawValue,
                                           StandardWebhooks.Failure.signatureInvalid.message), reason: "secret_revoked")
        }
        guard try await session.useRequestID(id, now: now, forgetBefore: now.addingTimeInterval(-2 * StandardWebhooks.tolerance)) else {
            let error = APIError(.unauthorized, "webhook_id_reused", "this webhook-id was already used; sign each request with a new id")
            return Refusal(error: error, reason: error.code)
        }
        return nil
    }
}

/// Checks Standard Webhooks signatures on a tenant's signed API (catalog publishing and the
/// tenant settings that exist before the admin API): signature and timestamp over the raw
/// bytes before anything is parsed, then the tenant's status. Refusals of logged operations
/// are written to `ingest_logs`, within `refusalLog`'s budget per tenant; nothing else is stored.
package struct SignedRequestGate: Sendable {
    let store: any LioraStore
    let vault: SecretVault?
    let refusalLog: RefusalLogBudget

    package init(store: any LioraStore, vault: SecretVault?, refusalLog: RefusalLogBudget = RefusalLogBudget()) {
        self.store = store
        self.vault = vault
        self.refusalLog = refusalLog
    }

    struct Headers: Sendable {
        var id: String?
        var timestamp: String?
        var signature: String?

        init(_ fields: HTTPFields) {
            id = fields[HTTPField.Name("webhook-id")!]
            timestamp = fields[HTTPField.Name("webhook-timestamp")!]
            signature = fields[HTTPField.Name("webhook-signature")!]
        }
    }

    /// A key nobody has, for the HMAC an unknown tenant's request still gets (so its answer takes
    /// as long as a known tenant's bad signature).
    private static let absentKey = [[UInt8](repeating: 0x5A, count: 32)]

    /// Returns the request's `webhook-id` when the request is signed by one of the tenant's
    /// secrets and the tenant may use the API; otherwise throws the 4xx to answer.
    ///
    /// In order: the headers and the clock (the same answer for every tenant id); the tenant and
    /// its keys, read in a short transaction; the HMAC over the body, holding no transaction (up
    /// to 32 MB: never under the database's writer or a pooled connection); then, in a second
    /// transaction, the request id and the tenant's status. An unknown tenant, and a tenant
    /// without a secret, answer `signature_invalid` like a bad signature (the log says which).
    func verify(tenantID: UUID, headers: HTTPFields, body: [UInt8], operation: String?, now: Date) async throws -> String {
        try await verifyWrite(tenantID: tenantID, headers: headers, body: body, operation: operation, now: now).id
    }

    /// `verify`, also naming the secrets that signed the request, for a write to check them again
    /// under the tenant's lock (`SignedWrite.use`).
    /// 503 when `LIORA_MASTER_KEY` is not set: no secret can be read or stored.
    static let noVault = APIError(.serviceUnavailable, "encryption_not_configured",
                                  "LIORA_MASTER_KEY is not set, so signing secrets cannot be read; the request was not accepted")

    package func verifyWrite(tenantID: UUID, headers: HTTPFields, body: [UInt8], operation: String?, now: Date) async throws -> SignedWrite {
        guard let vault else { throw Self.noVault }
        let h = Headers(headers)
        let invalid = APIError(.unauthorized, StandardWebhooks.Failure.signatureInvalid.rawValue,
                               StandardWebhooks.Failure.signatureInvalid.message)
        let signed: StandardWebhooks.SignedHeaders
        do {
            signed = try StandardWebhooks.checkHeaders(id: h.id, timestamp: h.timestamp, signature: h.signature, now: now)
        } catch {
            let refusal = APIError(.unauthorized, error.rawValue, error.message)
            try await record(refusal, tenantID: tenantID, id: h.id, operation: operation, size: body.count, now: now)
            throw refusal
        }
        let keys: [(id: UUID, key: [UInt8])]? = try await store.withTenant(tenantID) { session in
            guard let tenant = try await session.tenant(), tenant.deletedAt == nil else { return nil }
            return try await CatalogSecrets.keys(in: session, vault: vault, now: now)
        }
        let check: @Sendable () -> [Int] = {
            StandardWebhooks.matchingKeys(signed, body: body, keys: keys.flatMap { $0.isEmpty ? nil : $0.map(\.key) } ?? Self.absentKey)
        }
        let matching = body.count > 256 * 1024 ? await offCooperativePool(check) : check()
        guard let keys else { throw invalid }  // an unknown tenant: nothing to log it under
        let matched = !matching.isEmpty
        guard matched, !keys.isEmpty else {
            let reason = keys.isEmpty ? StandardWebhooks.Failure.noSecret.rawValue : invalid.code
            try await record(invalid, reason: reason, tenantID: tenantID, id: h.id, operation: operation, size: body.count, now: now)
            throw invalid
        }
        let refusal: APIError? = try await store.withTenant(tenantID) { session in
            guard let tenant = try await session.tenant(), tenant.deletedAt == nil else { return invalid }
            var refusal: APIError?
            // The signature covers id, timestamp and body, not the method or path: a read's
            // headers replayed on a write with an empty body (rotate the secret, activate a
            // snapshot) would verify. So a read uses up its id here; a write checks it here and
            // uses it up in the transaction that makes the change.
            let used = operation == nil
                ? !(try await session.useRequestID(signed.id, now: now, forgetBefore: now.addingTimeInterval(-2 * StandardWebhooks.tolerance)))
                : try await session.isRequestIDUsed(signed.id)
            if used {
                refusal = APIError(.unauthorized, "webhook_id_reused", "this webhook-id was already used; sign each request with a new id")
            } else {
                switch tenant.status {
                case .active: break
                case .suspended: refusal = APIError(HTTPResponse.Status(code: 423, reasonPhrase: "Locked"), "tenant_suspended", "this tenant is suspended")
                case .provisioning, .deleting: refusal = APIError(.conflict, "tenant_not_active", "this tenant is not active")
                }
            }
            if let refusal, let operation, refusalLog.allow(tenantID, now: now) {
                try await session.recordIngest(IngestLogEntry(
                    tenantID: tenantID, operation: operation, webhookID: h.id, outcome: .rejected, reason: refusal.code,
                    httpStatus: Int(refusal.status.code), sizeBytes: body.count, receivedAt: now))
            }
            return refusal
        }
        if let refusal { throw refusal }
        return SignedWrite(id: signed.id, secretIDs: Set(matching.map { keys[$0].id }))
    }

    /// Logs a refusal of a logged operation (`reason`, else the error's code) when the tenant exists
    /// and its refusal budget allows.
    private func record(_ refusal: APIError, reason: String? = nil, tenantID: UUID, id: String?, operation: String?, size: Int,
                        now: Date) async throws {
        guard let operation else { return }
        try await store.withTenant(tenantID) { session in
            // The budget is charged only for a tenant that exists: random ids fill no buckets.
            guard let tenant = try await session.tenant(), tenant.deletedAt == nil, refusalLog.allow(tenantID, now: now) else { return }
            try await session.recordIngest(IngestLogEntry(
                tenantID: tenantID, operation: operation, webhookID: id, outcome: .rejected, reason: reason ?? refusal.code,
                httpStatus: Int(refusal.status.code), sizeBytes: size, receivedAt: now))
        }
    }

    /// Records a refusal that happened before the signature could be checked (a body over the
    /// limit, a body too slow), when the tenant exists and its refusal budget allows.
    func logEarlyRefusal(tenantID: UUID, headers: HTTPFields, operation: String, error: APIError, size: Int, now: Date) async {
        let h = Headers(headers)
        _ = try? await store.withTenant(tenantID) { session in
            guard try await session.tenant() != nil, refusalLog.allow(tenantID, now: now) else { return }
            try await session.recordIngest(IngestLogEntry(
                tenantID: tenantID, operation: operation, webhookID: h.id, outcome: .rejected, reason: error.code,
                httpStatus: Int(error.status.code), sizeBytes: size, receivedAt: now))
        }
    }
}

extension SHA256 {
    static func hex(_ bytes: [UInt8]) -> String {
        SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }
}
