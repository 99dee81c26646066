import Foundation
import LioraCore
import LioraStore

/// A fixed clock for exact timestamps.
struct FixedClock: LioraClock {
    var now: Date
}

let t0 = Date(timeIntervalSince1970: 1_790_000_000)

/// Creates an active tenant with one WhatsApp number; unique per call.
func makeTenant(_ store: SQLStore, slug: String? = nil, status: TenantStatus = .active) async throws -> (Tenant, WabaAccount) {
    let id = UUID()
    let tenant = try await store.createTenant(
        NewTenant(id: id, slug: slug ?? "t-\(id.uuidString.prefix(8).lowercased())", name: "Shop \(id.uuidString.prefix(4))", status: status),
        actor: "test", now: t0)
    let phone = String(UInt64.random(in: 100_000_000_000_000...999_999_999_999_999))
    let account = try await store.withTenant(id) { s throws in
        try await s.addWabaAccount(NewWabaAccount(wabaID: "waba-\(phone)", phoneNumberID: phone, displayPhoneNumber: "1555\(phone.suffix(7))"),
                                   actor: "test", now: t0.addingTimeInterval(0.001))
    }
    return (tenant, account)
}

func delivery(_ keys: [String], phone: String? = "100", at: Date = t0) -> WebhookDelivery {
    WebhookDelivery(receivedAt: at, body: Array("{\"k\":\(keys.count)}".utf8), items: keys.map {
        IngestItem(kind: $0.hasPrefix("s:") ? .status : .message, key: $0, field: "messages", phoneNumberID: phone, wabaID: "w")
    })
}
