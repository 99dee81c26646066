import Foundation
import LioraCore

extension SQLTenantSession {
    private static let wabaColumns = """
        id, cliente_id, waba_id, phone_number_id, display_phone_number, status, access_token_ciphertext, app_secret_ciphertext,
        verify_token_ciphertext, key_version, access_token_last4, verified_at, verification_status, verification_error, created_at,
        updated_at
        """

    private static func wabaRecord(_ r: any SQLRow) throws -> WabaAccountRecord {
        WabaAccountRecord(
            id: try r.required("id", r.uuid), tenantID: try r.required("cliente_id", r.uuid), wabaID: try r.required("waba_id", r.string),
            phoneNumberID: try r.required("phone_number_id", r.string),
            displayPhoneNumber: try r.required("display_phone_number", r.string),
            status: WabaAccountRecord.Status(rawValue: try r.required("status", r.string)) ?? .deleted,
            secrets: WabaSealedSecrets(accessToken: try r.bytes("access_token_ciphertext"), appSecret: try r.bytes("app_secret_ciphertext"),
                                       verifyToken: try r.bytes("verify_token_ciphertext"), keyVersion: try r.int("key_version").map(Int.init)),
            accessTokenLast4: try r.string("access_token_last4"), verifiedAt: try r.date("verified_at"),
            verificationStatus: try r.string("verification_status"), verificationError: try r.string("verification_error"),
            createdAt: try r.required("created_at", r.date), updatedAt: try r.required("updated_at", r.date))
    }

    private static func blob(_ bytes: [UInt8]?) -> SQLValue { bytes.map(SQLValue.blob) ?? .null }

    func registerWabaAccount(_ a: WabaAccountRecord, actor: String, now: Date) async throws {
        precondition(a.tenantID == tenantID, "account for another tenant")
        do {
            try await c.query("""
                INSERT INTO waba_accounts (id, cliente_id, waba_id, phone_number_id, display_phone_number, access_token_ciphertext,
                    app_secret_ciphertext, verify_token_ciphertext, key_version, access_token_last4, status, created_at, updated_at)
                VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, 'active', $11, $11)
                """, [.uuid(a.id), .uuid(tenantID), .text(a.wabaID), .text(a.phoneNumberID), .text(a.displayPhoneNumber),
                      Self.blob(a.secrets.accessToken), Self.blob(a.secrets.appSecret), Self.blob(a.secrets.verifyToken),
                      .optional(a.secrets.keyVersion), .optional(a.accessTokenLast4), .date(now)])
        } catch StoreError.uniqueViolation {
            // Says nothing about which tenant holds the number.
            throw LioraError(.conflict, "this phone number is already registered")
        }
        try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "waba.registered", payloadJSON: JSONText.object([
            "waba_account_id": a.id.uuidString.lowercased(), "waba_id": a.wabaID, "phone_number_id": a.phoneNumberID,
            "has_app_secret": a.secrets.appSecret == nil ? "false" : "true",
            "has_verify_token": a.secrets.verifyToken == nil ? "false" : "true",
        ]), createdAt: now))
    }

    func wabaAccountRecords() async throws -> [WabaAccountRecord] {
        try await c.query("""
            SELECT \(Self.wabaColumns) FROM waba_accounts WHERE cliente_id = $1 AND deleted_at IS NULL ORDER BY created_at, id
            """, [.uuid(tenantID)]).map(Self.wabaRecord)
    }

    func wabaAccountRecord(id: UUID) async throws -> WabaAccountRecord? {
        try await c.query("""
            SELECT \(Self.wabaColumns) FROM waba_accounts WHERE cliente_id = $1 AND id = $2 AND deleted_at IS NULL
            """, [.uuid(tenantID), .uuid(id)]).first.map(Self.wabaRecord)
    }

    func replaceWabaSecrets(id: UUID, secrets: WabaSealedSecrets, accessTokenLast4: String?, actor: String, now: Date) async throws -> Bool {
        let rows = try await c.query("""
            UPDATE waba_accounts SET access_token_ciphertext = $1, app_secret_ciphertext = $2, verify_token_ciphertext = $3,
                key_version = $4, access_token_last4 = $5, verified_at = NULL, verification_status = NULL, verification_error = NULL,
                updated_at = $6
            WHERE cliente_id = $7 AND id = $8 AND deleted_at IS NULL RETURNING id
            """, [Self.blob(secrets.accessToken), Self.blob(secrets.appSecret), Self.blob(secrets.verifyToken), .optional(secrets.keyVersion),
                  .optional(accessTokenLast4), .date(now), .uuid(tenantID), .uuid(id)])
        guard !rows.isEmpty else { return false }
        try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "waba.token_replaced",
                                     payloadJSON: JSONText.object(["waba_account_id": id.uuidString.lowercased()]), createdAt: now))
        return true
    }

    func recordWabaVerification(id: UUID, status: String, error: String?, now: Date) async throws {
        try await c.query("""
            UPDATE waba_accounts SET verified_at = $1, verification_status = $2, verification_error = $3, updated_at = $1
            WHERE cliente_id = $4 AND id = $5 AND deleted_at IS NULL
            """, [.date(now), .text(status), .optional(error), .uuid(tenantID), .uuid(id)])
    }

    /// A deleted account's secrets go with it: nothing reads a deleted account, and a copy of the
    /// database (a backup) should not hold a business's token after the business asked us to
    /// forget the number. The row stays, for the audit trail and so the number cannot be reused
    /// by mistake.
    static let forgetSecrets = "access_token_ciphertext = NULL, app_secret_ciphertext = NULL, verify_token_ciphertext = NULL"

    func deleteWabaAccount(id: UUID, actor: String, now: Date) async throws -> Bool {
        let rows = try await c.query("""
            UPDATE waba_accounts SET status = 'deleted', deleted_at = $1, updated_at = $1, \(Self.forgetSecrets)
            WHERE cliente_id = $2 AND id = $3 AND deleted_at IS NULL RETURNING phone_number_id
            """, [.date(now), .uuid(tenantID), .uuid(id)])
        guard let row = rows.first else { return false }
        try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "waba.deleted", payloadJSON: JSONText.object([
            "waba_account_id": id.uuidString.lowercased(), "phone_number_id": try row.required("phone_number_id", row.string),
        ]), createdAt: now))
        return true
    }
}
