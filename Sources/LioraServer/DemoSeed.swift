import Crypto
import HummingbirdBcrypt
package import Foundation
package import LioraCore

/// The demo tenant of DESIGN.md, created when missing (`liora serve --demo`, `liora demo`).
package enum DemoSeed {
    package static let tenantID = UUID(uuidString: "00000000-0000-4000-8000-000000000001")!
    package static let slug = "demo"
    package static let phoneNumberID = "100000000000001"
    package static let displayPhoneNumber = "15550001111"
    package static let wabaID = "200000000000001"
    /// The demo tenant's catalog signing secret when `LIORA_DEMO_CATALOG_SECRET` is not set
    /// (documented in the README; never use it for a real tenant).
    package static let defaultCatalogSecret = "whsec_bGlvcmEtZGVtby1jYXRhbG9nLXNpZ25pbmcta2V5ISE="

    /// The demo tenant's owner, who can sign in to the admin API.
    package static let ownerEmail = "owner@demo.test"
    /// The owner's password when `LIORA_DEMO_PASSWORD` is not set.
    package static let defaultOwnerPassword = "demo-password"

    /// Whether the demo owner signs in with `password` (one bcrypt check): `serve --demo` beyond
    /// loopback refuses to start while it still opens with the README's default.
    package static func ownerOpens(store: any LioraStore, password: String) async throws -> Bool {
        let hashes = try await store.loginLookup(email: ownerEmail).filter { $0.tenantID == tenantID && $0.active }.compactMap(\.passwordHash)
        for hash in hashes where await offCooperativePool({ Bcrypt.verify(password, hash: hash) }) { return true }
        return false
    }

    /// Creates the demo owner (`ownerEmail`, active, with `password`) unless the demo tenant has a
    /// user with that address: the password is set when the owner is created, and a later run
    /// with another `LIORA_DEMO_PASSWORD` leaves it. Returns whether it was created.
    @discardableResult
    package static func ensureOwner(store: any LioraStore, password: String, bcryptCost: UInt8 = 12, now: Date) async throws -> Bool {
        let exists = try await store.withTenant(tenantID) { s in
            try await s.adminUsers().contains { $0.email.lowercased() == ownerEmail }
        }
        if exists { return false }
        // Hashed before the transaction: bcrypt takes a quarter of a second at cost 12.
        let passwordHash = await offCooperativePool { AdminAuth.hashPassword(password, cost: bcryptCost) }
        let invitation = AdminAuth.randomBytes(32).map { String(format: "%02x", $0) }.joined()
        let id = UUID.timeOrdered(at: now)
        return try await store.withTenant(tenantID) { s in
            guard try await !s.adminUsers().contains(where: { $0.email.lowercased() == ownerEmail }) else { return false }
            _ = try await s.inviteUser(AdminUser(id: id, tenantID: tenantID, email: ownerEmail, name: "Demo Owner", role: .owner,
                                             status: .invited, createdAt: now, lastLoginAt: nil),
                                   invitationHash: AdminAuth.hash(invitation), expiresAt: now.addingTimeInterval(60), actor: "system:demo",
                                   now: now)
            guard try await s.acceptInvitation(userID: id, invitationHash: AdminAuth.hash(invitation), passwordHash: passwordHash,
                                               now: now) else {
                throw LioraError(.storage, "the demo owner could not be activated")
            }
            return true
        }
    }

    /// Creates the demo tenant and its WhatsApp number unless they exist. Idempotent.
    package static func ensure(store: any LioraStore, now: Date) async throws {
        let exists = try await store.withTenant(tenantID) { try await $0.tenant() } != nil
        if !exists {
            _ = try await store.createTenant(NewTenant(id: tenantID, slug: slug, name: "Demo Store", plan: "demo"),
                                             actor: "system:demo", now: now)
        }
        if try await store.route(phoneNumberID: phoneNumberID) == nil {
            _ = try await store.withTenant(tenantID) { session in
                try await session.addWabaAccount(
                    NewWabaAccount(wabaID: wabaID, phoneNumberID: phoneNumberID, displayPhoneNumber: displayPhoneNumber),
                    actor: "system:demo", now: now)
            }
        }
    }

    /// Gives the demo tenant its catalog signing secret (`secret`, else the documented default)
    /// unless it has one, and publishes and activates `catalogBody` unless a catalog is active.
    /// Returns the active catalog's version.
    @discardableResult
    package static func ensureCatalog(store: any LioraStore, vault: SecretVault, secret: String?, catalogBody: [UInt8]?,
                                      indexes: CatalogIndexCache?, now: Date) async throws -> Int? {
        let secret = secret ?? defaultCatalogSecret
        var installed: (Int, CatalogCheck.Valid)?
        let version = try await store.withTenant(tenantID) { session -> Int? in
            if try await session.catalogSecrets(validAt: now).isEmpty {
                try await CatalogSecrets.issue(in: session, vault: vault, secret: secret, overlap: 0, now: now)
            }
            if let active = try await session.activeCatalog() { return active.version }
            guard let catalogBody else { return nil }
            let valid: CatalogCheck.Valid
            switch CatalogCheck.run(catalogBody) {
            case .valid(let v): valid = v
            case .invalid(let problems):
                throw LioraError(.invalidInput, "the demo catalog is invalid: " + problems.prefix(3).map { "\($0.path) \($0.message)" }.joined(separator: "; "))
            }
            let hash = SHA256.hex(catalogBody)
            let stored: CatalogSnapshotInfo
            if let existing = try await session.catalogSnapshot(contentHash: hash) {
                stored = existing
            } else {
                stored = try await session.addCatalogSnapshot(NewCatalogSnapshot(
                    id: UUID.timeOrdered(at: now), contentHash: hash, body: catalogBody, productCount: valid.productCount,
                    categoryCount: valid.categoryCount, currency: valid.currency, locale: valid.locale, webhookID: nil), now: now)
            }
            _ = try await session.activateCatalog(version: stored.version, actor: "system:demo", now: now)
            installed = (stored.version, valid)
            return stored.version
        }
        if let (v, valid) = installed { indexes?.install(tenantID: tenantID, version: v, index: valid.index()) }
        return version
    }
}
