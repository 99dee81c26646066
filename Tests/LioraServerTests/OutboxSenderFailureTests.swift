import Foundation
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import Testing
import WhatsApp
import WhatsAppGraph

@Suite("Outbox sender: replies that fail for good are logged and counted")
struct OutboxSenderFailureTests {
    @Test("a permanent Graph error, attempts run out and a missing token each log one warning (tenant, outbox id, reason; no number, text or token) and count as failed; the rest count as sent",
          arguments: TestBackend.available)
    func failuresForGoodAreVisible(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let id = UUID()
            let tenant = try await t.store.createTenant(NewTenant(id: id, slug: "fail-\(id.uuidString.prefix(8).lowercased())", name: "Shop"),
                                                        actor: "test", now: t0)
            let (withToken, withoutToken) = try await t.store.withTenant(id) { s throws in
                (try await s.addWabaAccount(NewWabaAccount(wabaID: "200000000000001", phoneNumberID: Self.randomPhoneID(),
                                                           displayPhoneNumber: "15550001111"), actor: "test", now: t0),
                 try await s.addWabaAccount(NewWabaAccount(wabaID: "200000000000002", phoneNumberID: Self.randomPhoneID(),
                                                           displayPhoneNumber: "15550002222"), actor: "test", now: t0))
            }
            // Three users on the account with a token (one accepted, one refused for good, one
            // timing out with no attempt left) and one on the account without a token.
            let entries = [
                Self.text(tenant, withToken, to: "34611110001", body: "secret words one", at: t0),
                Self.text(tenant, withToken, to: "34611110002", body: "secret words two", at: t0.addingTimeInterval(0.001)),
                Self.text(tenant, withToken, to: "34611110003", body: "secret words three", at: t0.addingTimeInterval(0.002)),
                Self.text(tenant, withoutToken, to: "34611110004", body: "secret words four", at: t0.addingTimeInterval(0.003)),
            ]
            try await t.store.withTenant(id) { try await $0.enqueueReplies(entries) }
            let graph = FakeGraphAPI()
            graph.failNextSends(1, with: .rejected(status: 400, code: 131026, subcode: nil, message: "undeliverable to 34611110002"))
            graph.failNextSends(1, with: .timeout)
            let logs = LogRecorder()
            let metrics = LioraMetrics()
            let sender = OutboxSender(store: t.store, graph: graph, tokens: OneAccountTokens(accountID: withToken.id),
                                      clock: ManualClock(t0), policy: RetryPolicy(maxAttempts: 1), concurrency: 1,
                                      metrics: metrics, logger: logs.logger())
            #expect(try await sender.sendDue() == 4)

            let rows = try await t.store.withTenant(id) { try await $0.outbox(limit: 10) }
            let failed = rows.filter { $0.state == .failed }
            #expect(rows.filter { $0.state == .sent }.count == 1)
            #expect(failed.count == 3)
            #expect(Set(failed.compactMap(\.lastError)) == ["Graph API rejected the request: HTTP 400, code 131026",
                                                             "Graph API request timed out",
                                                             "no access token for the WhatsApp account"])

            let warnings = logs.all.filter { $0.contains("reply failed for good") }
            #expect(warnings.count == 3)
            for row in failed {
                // Ids in the lowercase form the admin API shows, so a log search with an id copied from it finds them.
                let line = try #require(warnings.first { $0.contains(row.id.uuidString.lowercased()) }, "no warning for outbox \(row.id)")
                #expect(line.hasPrefix("warning "))
                #expect(line.contains("\"cliente_id\": \(id.uuidString.lowercased())"))
                #expect(!line.contains(id.uuidString) && !line.contains(row.id.uuidString))
                #expect(line.contains(row.lastError ?? "-"))
            }
            for line in logs.all {
                #expect(!line.contains("3461111000"), "an end user's number was logged: \(line)")
                #expect(!line.contains("secret words"), "message text was logged: \(line)")
                #expect(!line.contains("token-ok"), "the access token was logged: \(line)")
            }

            let exposition = String(decoding: metrics.exposition(), as: UTF8.self)
            #expect(exposition.contains(#"liora_outbox_replies_total{result="sent"} 1"#))
            #expect(exposition.contains(#"liora_outbox_replies_total{result="failed"} 3"#))
        }
    }

    private static func randomPhoneID() -> String { String(UInt64.random(in: 100_000_000_000_000...999_999_999_999_999)) }

    private static func text(_ tenant: Tenant, _ account: WabaAccount, to waID: String, body: String, at: Date) -> OutboxEntry {
        let json = String(decoding: try! JSONEncoder().encode(OutboundMessage(to: waID, kind: .text(body: body))), as: UTF8.self)
        return OutboxEntry(tenantID: tenant.id, userContextID: nil, wabaAccountID: account.id, toWaID: waID, kind: "text",
                           payloadJSON: json, summary: body, intent: "core.saludo", replyTo: "wamid.IN.\(waID)",
                           nextAttemptAt: t0, createdAt: at)
    }
}

/// A token for one account only: the other accounts have none stored.
private struct OneAccountTokens: AccessTokenSource {
    let accountID: UUID
    func accessToken(tenantID: UUID, wabaAccountID: UUID) async throws -> Secret? {
        wabaAccountID == accountID ? Secret("token-ok") : nil
    }
}
