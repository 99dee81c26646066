public import Foundation

/// A WhatsApp Business account as the admin API manages it (table `waba_accounts`): its ids, the
/// sealed secrets (never plaintext) and the outcome of the last token check.
public struct WabaAccountRecord: Sendable, Equatable {
    public enum Status: String, Sendable { case active, pendingDeletion = "pending_deletion", deleted }

    public var id: UUID
    public var tenantID: UUID
    public var wabaID: String
    public var phoneNumberID: String
    public var displayPhoneNumber: String
    public var status: Status
    public var secrets: WabaSealedSecrets
    /// The last four characters of the access token (shown to admins instead of the token).
    public var accessTokenLast4: String?
    public var verifiedAt: Date?
    /// `ok` or `failed`, after `POST …/verify`.
    public var verificationStatus: String?
    /// A short error code when the last check failed (never Meta's message, which may echo input).
    public var verificationError: String?
    public var createdAt: Date
    public var updatedAt: Date

    public init(id: UUID, tenantID: UUID, wabaID: String, phoneNumberID: String, displayPhoneNumber: String, status: Status = .active,
                secrets: WabaSealedSecrets, accessTokenLast4: String?, verifiedAt: Date? = nil, verificationStatus: String? = nil,
                verificationError: String? = nil, createdAt: Date, updatedAt: Date) {
        self.id = id; self.tenantID = tenantID; self.wabaID = wabaID; self.phoneNumberID = phoneNumberID
        self.displayPhoneNumber = displayPhoneNumber; self.status = status; self.secrets = secrets; self.accessTokenLast4 = accessTokenLast4
        self.verifiedAt = verifiedAt; self.verificationStatus = verificationStatus; self.verificationError = verificationError
        self.createdAt = createdAt; self.updatedAt = updatedAt
    }

    /// The ciphertext columns' names, for `EncryptionBinding`.
    public static let table = "waba_accounts"
    public static let accessTokenColumn = "access_token_ciphertext"
    public static let appSecretColumn = "app_secret_ciphertext"
    public static let verifyTokenColumn = "verify_token_ciphertext"

    /// What a ciphertext of `column` of account `id` is bound to.
    public static func binding(tenantID: UUID, accountID: UUID, column: String) -> EncryptionBinding {
        EncryptionBinding(tenantID: tenantID, table: table, rowID: accountID.uuidString.lowercased(), column: column)
    }
}

/// An account's secrets as stored: AES-256-GCM ciphertexts under the tenant data key `keyVersion`
/// (one version for all three, so they are always re-sealed together).
public struct WabaSealedSecrets: Sendable, Equatable {
    public var accessToken: [UInt8]?
    public var appSecret: [UInt8]?
    public var verifyToken: [UInt8]?
    public var keyVersion: Int?

    public init(accessToken: [UInt8]?, appSecret: [UInt8]?, verifyToken: [UInt8]?, keyVersion: Int?) {
        self.accessToken = accessToken; self.appSecret = appSecret; self.verifyToken = verifyToken; self.keyVersion = keyVersion
    }
}

/// The narrow cross-tenant read behind `/webhook/meta/{waba_account_id}`: the account's tenant,
/// status and sealed webhook secrets, for a live account only.
public struct WabaWebhookLookup: Sendable, Equatable {
    public var tenantID: UUID
    public var status: String
    public var appSecret: [UInt8]?
    public var verifyToken: [UInt8]?
    public var keyVersion: Int?

    public init(tenantID: UUID, status: String, appSecret: [UInt8]?, verifyToken: [UInt8]?, keyVersion: Int?) {
        self.tenantID = tenantID; self.status = status; self.appSecret = appSecret; self.verifyToken = verifyToken; self.keyVersion = keyVersion
    }
}

/// Platform-level reads about WhatsApp accounts that happen before any tenant is known.
public protocol WabaDirectory: Sendable {
    /// A live account's tenant and sealed webhook secrets (nil for an unknown or deleted account).
    func wabaWebhookLookup(accountID: UUID) async throws -> WabaWebhookLookup?
}
