import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import Testing
import WhatsApp
import WhatsAppGraph

@Suite("Retention: history older than LIORA_RETENTION_DAYS")
struct RetentionTests {
    private static let day: TimeInterval = 86_400

    /// A click and a catalog ingest log row for `tenant` at `at`.
    private func clickAndIngestLog(_ h: Harness, _ tenant: UUID, at: Date, url: String) async throws {
        try await h.store.withTenant(tenant) { s throws in
            let link = try await s.shortLink(longURL: url, intent: "catalogo.buscar", makeCode: { UUID().uuidString }, now: at)
            try await s.recordClick(LinkClick(tenantID: tenant, shortLinkID: link.id, userContextID: nil, intent: "catalogo.buscar",
                                              isBot: false, userAgent: "Mozilla/5.0", clickedAt: at))
            try await s.recordIngest(IngestLogEntry(tenantID: tenant, operation: "publish", webhookID: "msg_\(at.timeIntervalSince1970)",
                                                    outcome: .accepted, reason: nil, httpStatus: 201, sizeBytes: 10, receivedAt: at))
        }
    }

    @Test("old finished webhooks, logs, sent replies, clicks and ingest logs are deleted for every tenant; newer rows and anything pending are kept",
          arguments: TestBackend.available)
    func deletesOnlyWhatIsOldAndFinished(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock, conversation: ConversationTests.setup(graph)) { h in
            let (a, phoneA, _) = try await h.tenant()
            let (b, phoneB, _) = try await h.tenant()
            let sender = try #require(h.components.sender)
            // 40 days ago: conversations in both tenants, answered; one of A's answers fails with a
            // 503 and is still waiting to be retried.
            let old = WebhookBuilder.text(phoneNumberID: phoneA, from: "111", id: "wamid.OLD1", body: "hola")
            #expect(try await h.post(old).status == .ok)
            #expect(try await h.post(old).status == .ok)  // Meta's retry: a body with no new item
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phoneA, from: "111", id: "wamid.OLD2", body: "gracias")).status == .ok)
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phoneB, from: "555", id: "wamid.OLDB", body: "hola")).status == .ok)
            try await h.process()
            #expect(try await sender.sendDue() == 3)
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phoneA, from: "222", id: "wamid.WAIT", body: "adios")).status == .ok)
            try await h.process()
            graph.failNextSends(1, with: .rejected(status: 503, code: nil, subcode: nil, message: "try later"))
            #expect(try await sender.sendDue() == 1)
            // Stored, not yet processed (a processor that stopped long ago).
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phoneA, from: "333", id: "wamid.STUCK", body: "hola")).status == .ok)
            try await clickAndIngestLog(h, a.id, at: t0, url: "https://shop.example/old")
            try await clickAndIngestLog(h, b.id, at: t0, url: "https://shop.example/old")

            // Export approvals filtered by an end user's number: one done long ago, one still pending.
            let (doneExport, pendingExport) = (UUID(), UUID())
            try await h.store.withTenant(a.id) { s throws in
                for (id, status) in [(doneExport, ApprovalStatus.executed), (pendingExport, .pending)] {
                    try await s.addApproval(ApprovalRecord(id: id, tenantID: a.id, action: .exportConversations,
                                                           params: ["wa_id": "5215512345678", "from": "2026-01-01T00:00:00Z"],
                                                           requestedBy: "owner@a", status: status, expiresAt: t0.addingTimeInterval(3600),
                                                           createdAt: t0))
                }
            }

            let oldReplies = try await h.store.withTenant(a.id) { try await $0.outbox(limit: 100) }.filter { $0.state == .sent }.count
                + h.store.withTenant(b.id) { try await $0.outbox(limit: 100) }.count
            #expect(oldReplies >= 3)

            clock.advance(by: 40 * Self.day)
            // STUCK is being worked on by another processor (claimed, still pending): it stays.
            #expect(try await h.store.claimPendingEvents(limit: 10, now: clock.now, lease: Self.day).count == 1)
            let now = Int(clock.now.timeIntervalSince1970)
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phoneA, from: "111", id: "wamid.NEW1", body: "hola", timestamp: now)).status == .ok)
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phoneB, from: "555", id: "wamid.NEWB", body: "gracias", timestamp: now)).status == .ok)
            try await h.process()
            try await clickAndIngestLog(h, a.id, at: clock.now, url: "https://shop.example/new")
            try await clickAndIngestLog(h, b.id, at: clock.now, url: "https://shop.example/new")
            let beforeA = try await h.store.withTenant(a.id) { try await $0.outbox(limit: 100) }
            let waiting = Set(beforeA.filter { $0.state == .pending }.map(\.id))
            #expect(beforeA.contains { $0.replyTo == "wamid.WAIT" && $0.state == .pending })

            // A product search kept in two users' conversation state: one has been quiet since
            // 40 days ago (222), the other wrote today (111).
            try await h.store.withTenant(a.id) { s throws in
                for waID in ["111", "222"] {
                    let context = try #require(try await s.userContext(waID: waID))
                    try await s.saveConversation(contextID: context.id, language: "es", lastIntent: "catalogo.buscar",
                                                 conversationJSON: #"{"no_match_streak":0,"catalog_browse":{"query":"regalo para María","shown":9}}"#,
                                                 now: clock.now)
                }
            }
            func usageMonths() async throws -> [String] {
                try await h.test.database.tenantTransaction(a.id) { c in
                    try await c.query("SELECT DISTINCT month FROM monthly_usage ORDER BY month").map { try $0.required("month", $0.string) }
                }
            }
            #expect(try await usageMonths() == ["2026-09", "2026-10"])

            let retention = RetentionService(store: h.store, clock: clock, days: 30, metrics: h.components.metrics,
                                             logger: TestDatabases.logger, batchSize: 1, pause: .zero)
            let report = try await retention.runOnce()

            // The inbox keeps what arrived in the last 30 days and the old item still pending, with
            // its body; the other bodies no item refers to are gone.
            let events = try await h.store.webhookEvents(limit: 100)
            #expect(events.count == 3)
            #expect(events.filter { !$0.key.contains("NEW") }.map(\.state) == ["pending"])
            #expect(events.first { $0.state == "pending" }?.key.contains("STUCK") == true)
            #expect(try await h.store.payloadCount() == 3)
            // OLD1, OLD2, OLDB and WAIT; their bodies and the retry's.
            #expect(report.events == 4 && report.payloads == 5)

            try await h.store.withTenant(a.id) { s throws in
                let logs = try await s.conversationLogs(limit: 100)
                // Old rows are gone, except the reply still waiting in the outbox (read one row
                // at a time, it does not stop the rows after it from going); the new
                // conversation is kept.
                let cutoff = clock.now.addingTimeInterval(-30 * Self.day)
                #expect(logs.filter { $0.createdAt < cutoff }.map(\.id) == beforeA.filter { $0.replyTo == "wamid.WAIT" }.map(\.id))
                #expect(logs.filter { $0.direction == .outbound }.allSatisfy { $0.createdAt >= cutoff || waiting.contains($0.id) })
                #expect(logs.contains { $0.direction == .inbound && $0.waMessageID == "wamid.NEW1" })
                #expect(!logs.contains { $0.waMessageID == "wamid.OLD1" || $0.waMessageID == "wamid.OLD2" })
                let outbox = try await s.outbox(limit: 100)
                #expect(outbox.contains { $0.replyTo == "wamid.WAIT" && $0.state == .pending })
                #expect(!outbox.contains { $0.replyTo == "wamid.OLD1" || $0.replyTo == "wamid.OLD2" })
                #expect(Set(outbox.map(\.id)) == Set(beforeA.filter { $0.createdAt >= cutoff || waiting.contains($0.id) }.map(\.id)))
                #expect(try await s.linkClicks(limit: 10).map(\.clickedAt) == [clock.now])
                #expect(try await s.ingestLogs(limit: 10).map(\.receivedAt) == [clock.now])
                // User contexts and short links are kept.
                #expect(try await s.userContext(waID: "111") != nil)
                // The quiet user's last search is forgotten (the rest of the state stays); the
                // active user's is kept.
                #expect(try await s.userContext(waID: "222")?.conversationJSON?.contains("catalog_browse") == false)
                #expect(try await s.userContext(waID: "222")?.conversationJSON?.contains("no_match_streak") == true)
                #expect(try await s.userContext(waID: "111")?.conversationJSON?.contains("regalo para María") == true)
                // Old approvals forget whose conversations they were about, and keep the rest of
                // their record (a request left pending lapsed long ago).
                #expect(try await s.approval(id: doneExport)?.params == ["from": "2026-01-01T00:00:00Z"])
                #expect(try await s.approval(id: doneExport)?.status == .executed)
                #expect(try await s.approval(id: pendingExport)?.params == ["from": "2026-01-01T00:00:00Z"])
            }
            try await h.store.withTenant(b.id) { s throws in
                #expect(!(try await s.conversationLogs(limit: 100)).contains { $0.waMessageID == "wamid.OLDB" })
                #expect(try await s.conversationLogs(limit: 100).contains { $0.waMessageID == "wamid.NEWB" })
                #expect(try await s.linkClicks(limit: 10).count == 1)
            }
            #expect(report.replies == oldReplies && report.approvals == 2 && report.searches == 1)
            // Who wrote in September is forgotten; October's users stay (quotas); the totals stay.
            #expect(try await usageMonths() == ["2026-10"])
            let metrics = try await h.client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"liora_retention_deleted_rows_total{table="outbox"} \#(oldReplies)"#))

            // A second pass finds nothing; the waiting reply still goes out and is logged.
            #expect(try await retention.runOnce().total == 0)
            #expect(try await sender.sendDue() >= 1)
            try await h.store.withTenant(a.id) { s throws in
                #expect(try await s.outbox(limit: 100).allSatisfy { $0.state == .sent })
                let waitLog = try await s.conversationLogs(limit: 100).filter { $0.direction == .outbound && $0.createdAt == t0 }
                #expect(waitLog.count == 1 && waitLog.first?.status == "accepted")
            }
        }
    }
}
