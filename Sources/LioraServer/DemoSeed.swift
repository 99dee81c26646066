package import Foundation
package import LioraCore

/// The demo tenant of DESIGN.md, created when missing (`liora serve --demo`, `liora demo`).
package enum DemoSeed {
    package static let tenantID = UUID(uuidString: "00000000-0000-4000-8000-000000000001")!
    package static let slug = "demo"
    package static let phoneNumberID = "100000000000001"
    package static let displayPhoneNumber = "15550001111"
    package static let wabaID = "200000000000001"

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
}
