import Foundation
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import Testing
import WhatsApp

@Suite("Plan quotas in the bot")
struct PlanQuotaTests {
    @Test("at the plan's monthly conversations the bot stops starting new ones (messages are still logged); plan skills apply",
          arguments: TestBackend.available)
    func monthlyLimit(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        try await Harness.run(backend, conversation: ConversationTests.setup(graph)) { h in
            try await h.test.database.transaction { c in
                try await c.query("""
                    INSERT INTO plans (id, name, max_users, max_waba_accounts, monthly_conversations, skills)
                    VALUES ('tiny', 'Tiny', 1, 1, 2, 'core,recycling')
                    """)
            }
            let (tenant, phone, _) = try await h.tenant()
            try await h.store.withTenant(tenant.id) { s throws in try await s.updateTenant(name: nil, plan: "tiny", actor: "test", now: t0) }
            let ts = Int(t0.timeIntervalSince1970)
            for (i, user) in ["5215500000011", "5215500000012", "5215500000013"].enumerated() {
                _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: user, id: "wamid.Q\(i)", body: "hola", timestamp: ts + i))
            }
            // A user already counted this month keeps being answered.
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "5215500000011", id: "wamid.Q9", body: "gracias", timestamp: ts + 9))
            try await h.process()
            try await h.components.sender!.sendDue()
            let answered = Set(graph.sent.map(\.message.to))
            #expect(answered == ["5215500000011", "5215500000012"])
            #expect(graph.sent.filter { $0.message.to == "5215500000011" }.count >= 2)
            try await h.store.withTenant(tenant.id) { s throws in
                let inbound = try await s.conversationLogs(limit: 50).filter { $0.direction == .inbound }
                #expect(inbound.count == 4)  // nothing is lost
                #expect(try await s.tenantEvents(limit: 50).contains { $0.action == "quota.monthly_conversations_reached" })
            }
            // The plan has no ecommerce skill: a product question is not answered from the catalog.
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "5215500000012", id: "wamid.Q10", body: "busco zapatillas rojas",
                                                     timestamp: ts + 20))
            try await h.process()
            try await h.components.sender!.sendDue()
            #expect(!graph.sent.contains { $0.message.callbackData?.hasPrefix("catalogo.") == true })
        }
    }
}
