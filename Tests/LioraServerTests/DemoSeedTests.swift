import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import Testing

@Suite("Demo tenant")
struct DemoSeedTests {
    @Test("the demo tenant of DESIGN.md: its owner signs in with the demo password and sees the tenant; seeding again changes nothing",
          arguments: TestBackend.available)
    func ownerSignsIn(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            for _ in 0..<2 {
                try await DemoSeed.ensure(store: h.store, now: t0)
            }
            #expect(try await DemoSeed.ensureOwner(store: h.store, password: "Demo-Pass-0042", bcryptCost: 4, now: t0))
            // A later run with another password keeps the owner and their password.
            #expect(try await !DemoSeed.ensureOwner(store: h.store, password: "another-password", bcryptCost: 4, now: t0))
            let c = AdminClient(h: h)
            let token = try await c.login(DemoSeed.ownerEmail, "Demo-Pass-0042")
            let tenant = DemoSeed.tenantID.uuidString.lowercased()
            let users = try await c.call(.get, "/clientes/\(tenant)/usuarios", token: token)
            #expect(users.status == .ok, "\(users.text)")
            let listed = AdminClient.object(users)["usuarios"] as? [[String: Any]] ?? []
            #expect(listed.map { $0["email"] as? String } == [DemoSeed.ownerEmail])
            #expect(listed.first?["role"] as? String == "owner")
            let wrong = try await c.call(.post, "/auth/login", json: ["email": DemoSeed.ownerEmail, "password": "another-password"])
            #expect(wrong.status == .unauthorized)
            #expect(try await h.store.route(phoneNumberID: DemoSeed.phoneNumberID)?.tenantID == DemoSeed.tenantID)
        }
    }
}
