package import Foundation
package import LioraCore

extension SQLStore {
    /// The narrow cross-tenant read behind `/webhook/meta/{waba_account_id}`. On PostgreSQL the
    /// service role reaches it only through the SECURITY DEFINER function of migration 0005.
    package func wabaWebhookLookup(accountID: UUID) async throws -> WabaWebhookLookup? {
        let sql = database.dialect == .postgres
            ? "SELECT cliente_id, status, app_secret_ciphertext, verify_token_ciphertext, key_version FROM liora_waba_webhook_secrets($1)"
            : """
              SELECT w.cliente_id, w.status, w.app_secret_ciphertext, w.verify_token_ciphertext, w.key_version
              FROM waba_accounts w JOIN clientes c ON c.id = w.cliente_id
              WHERE w.id = $1 AND w.deleted_at IS NULL AND c.deleted_at IS NULL
              """
        let rows = try await database.transaction { c in try await c.query(sql, [.uuid(accountID)]) }
        guard let r = rows.first else { return nil }
        return WabaWebhookLookup(tenantID: try r.required("cliente_id", r.uuid), status: try r.required("status", r.string),
                                 appSecret: try r.bytes("app_secret_ciphertext"), verifyToken: try r.bytes("verify_token_ciphertext"),
                                 keyVersion: try r.int("key_version").map(Int.init))
    }
}
