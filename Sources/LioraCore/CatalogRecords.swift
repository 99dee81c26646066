public import Foundation

/// A stored catalog version (`catalog_snapshots`): immutable, numbered per tenant, identified by
/// the SHA-256 of its bytes. The body is stored byte for byte as published.
public struct CatalogSnapshotInfo: Sendable, Equatable {
    public var id: UUID
    public var tenantID: UUID
    public var version: Int
    /// Lowercase hex SHA-256 of the published bytes.
    public var contentHash: String
    public var sizeBytes: Int
    public var productCount: Int
    public var categoryCount: Int
    public var currency: String
    public var locale: String
    public var webhookID: String?
    public var createdAt: Date

    public init(id: UUID, tenantID: UUID, version: Int, contentHash: String, sizeBytes: Int, productCount: Int,
                categoryCount: Int, currency: String, locale: String, webhookID: String?, createdAt: Date) {
        self.id = id; self.tenantID = tenantID; self.version = version; self.contentHash = contentHash
        self.sizeBytes = sizeBytes; self.productCount = productCount; self.categoryCount = categoryCount
        self.currency = currency; self.locale = locale; self.webhookID = webhookID; self.createdAt = createdAt
    }
}

/// A snapshot to store; the store assigns the next version number.
public struct NewCatalogSnapshot: Sendable {
    public var id: UUID
    public var contentHash: String
    public var body: [UInt8]
    public var productCount: Int
    public var categoryCount: Int
    public var currency: String
    public var locale: String
    public var webhookID: String?

    public init(id: UUID, contentHash: String, body: [UInt8], productCount: Int, categoryCount: Int, currency: String,
                locale: String, webhookID: String?) {
        self.id = id; self.contentHash = contentHash; self.body = body; self.productCount = productCount
        self.categoryCount = categoryCount; self.currency = currency; self.locale = locale; self.webhookID = webhookID
    }
}

/// Which snapshot a tenant's bot uses (`catalog_active`).
public struct ActiveCatalog: Sendable, Equatable {
    public var snapshotID: UUID
    public var version: Int
    public var activatedAt: Date

    public init(snapshotID: UUID, version: Int, activatedAt: Date) {
        self.snapshotID = snapshotID; self.version = version; self.activatedAt = activatedAt
    }
}

/// One signed request to the catalog API and how it ended (`ingest_logs`), accepted or not.
public struct IngestLogEntry: Sendable, Equatable {
    public enum Outcome: String, Sendable { case accepted, unchanged, rejected }

    public var id: UUID
    public var tenantID: UUID
    /// `publish`, `activate`, `rotate_secret`, …
    public var operation: String
    public var webhookID: String?
    public var outcome: Outcome
    /// The error code for rejections (`signature_invalid`, `validation_failed`, …).
    public var reason: String?
    public var httpStatus: Int
    public var snapshotVersion: Int?
    public var contentHash: String?
    public var sizeBytes: Int
    public var problemCount: Int
    public var receivedAt: Date

    public init(id: UUID? = nil, tenantID: UUID, operation: String, webhookID: String?, outcome: Outcome, reason: String?,
                httpStatus: Int, snapshotVersion: Int? = nil, contentHash: String? = nil, sizeBytes: Int, problemCount: Int = 0,
                receivedAt: Date) {
        self.id = id ?? UUID.timeOrdered(at: receivedAt); self.tenantID = tenantID; self.operation = operation; self.webhookID = webhookID; self.outcome = outcome
        self.reason = reason; self.httpStatus = httpStatus; self.snapshotVersion = snapshotVersion; self.contentHash = contentHash
        self.sizeBytes = sizeBytes; self.problemCount = problemCount; self.receivedAt = receivedAt
    }
}

/// An encrypted secret as stored: ciphertext plus the tenant data-key version that sealed it.
public struct StoredSecret: Sendable, Equatable {
    public var id: UUID
    public var ciphertext: [UInt8]
    public var keyVersion: Int
    public var createdAt: Date
    /// When set, the secret stops being accepted at this time (the old one during a rotation).
    public var expiresAt: Date?

    public init(id: UUID, ciphertext: [UInt8], keyVersion: Int, createdAt: Date, expiresAt: Date? = nil) {
        self.id = id; self.ciphertext = ciphertext; self.keyVersion = keyVersion; self.createdAt = createdAt; self.expiresAt = expiresAt
    }
}

/// A tenant's external link shortener (Bitly), token encrypted.
public struct LinkProviderSettings: Sendable, Equatable {
    public var provider: String
    public var tokenCiphertext: [UInt8]
    public var keyVersion: Int
    public var tokenLast4: String
    public var domain: String?
    public var groupGUID: String?
    public var updatedAt: Date

    public init(provider: String, tokenCiphertext: [UInt8], keyVersion: Int, tokenLast4: String, domain: String?,
                groupGUID: String?, updatedAt: Date) {
        self.provider = provider; self.tokenCiphertext = tokenCiphertext; self.keyVersion = keyVersion
        self.tokenLast4 = tokenLast4; self.domain = domain; self.groupGUID = groupGUID; self.updatedAt = updatedAt
    }
}
