import LioraServer
import LioraStore
import HTTPTypes
import Foundation
import HummingbirdTesting
import LioraCore
import LioraTestSupport
import Testing

@Suite("Meta webhook ingest, end to end over HTTP")
struct WebhookIngestTests {
    @Test("a signed message is stored before 200, then processed into the user's context and the log",
          arguments: TestBackend.available)
    func signedMessage(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, account) = try await h.tenant()
            let body = WebhookBuilder.text(phoneNumberID: phone, from: "5215512345678", id: "wamid.A1", body: "¿Tienen envío?")
            let r = try await h.post(body)
            #expect(r.status == .ok)
            #expect(r.text == #"{"received":1,"new":1}"#)
            // Stored durably before the answer; not yet processed.
            #expect(try await h.store.payloadCount() == 1)
            #expect(try await h.store.webhookEvents(limit: 10).map(\.state) == ["pending"])

            #expect(try await h.process() == 1)
            let events = try await h.store.webhookEvents(limit: 10)
            #expect(events.map(\.state) == ["processed"])
            #expect(events[0].tenantID == tenant.id)
            try await h.store.withTenant(tenant.id) { s throws in
                let ctx = try #require(try await s.userContext(waID: "5215512345678"))
                #expect(ctx.profileName == "Ana")
                #expect(ctx.messageCount == 1)
                #expect(ctx.windowStartedAt == Date(timeIntervalSince1970: 1_790_000_000))
                let logs = try await s.conversationLogs(limit: 10)
                #expect(logs.count == 1)
                #expect(logs[0].direction == .inbound)
                #expect(logs[0].body == "¿Tienen envío?")
                #expect(logs[0].waMessageID == "wamid.A1")
                #expect(logs[0].userContextID == ctx.id)
                #expect(logs[0].wabaAccountID == account.id)
            }
        }
    }

    @Test("unsigned, tampered, garbled and wrongly keyed POSTs get 401 and store nothing", arguments: TestBackend.available)
    func badSignatures(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (_, phone, _) = try await h.tenant()
            let body = WebhookBuilder.text(phoneNumberID: phone, from: "1", id: "wamid.S1")
            let good = WebhookSignatureVerifier.signature(for: body, secret: Secret(appSecret))
            var tampered = body
            tampered[tampered.count / 2] ^= 0x01

            let cases: [(Data, String?, String?, String)] = [
                (body, nil, nil, "signature_missing"),
                (tampered, nil, good, "signature_invalid"),
                (body, nil, "sha256=" + String(repeating: "zz", count: 32), "signature_malformed"),
                (body, nil, "sha1=" + String(good.dropFirst(7)), "signature_malformed"),
                (body, nil, String(good.dropLast(2)), "signature_malformed"),
                (body, "another-secret", nil, "signature_invalid"),
            ]
            for (payload, secret, header, code) in cases {
                let r = try await h.post(payload, secret: secret, signature: header)
                #expect(r.status == .unauthorized, "\(code)")
                #expect(r.errorCode == code)
            }
            #expect(try await h.store.payloadCount() == 0)
            #expect(try await h.store.webhookEvents(limit: 10).isEmpty)
        }
    }

    @Test("with no app secret configured every POST is refused (and Meta will retry)")
    func noSecretFailsClosed() async throws {
        try await Harness.run(.sqlite, appSecret: nil) { h in
            let body = WebhookBuilder.text(phoneNumberID: "1", from: "1", id: "wamid.X")
            let r = try await h.post(body, secret: "anything")
            #expect(r.status == .serviceUnavailable)
            #expect(r.errorCode == "webhook_not_configured")
            #expect(try await h.store.payloadCount() == 0)
        }
    }

    @Test("validly signed but malformed bodies get 400 and are stored nowhere", arguments: TestBackend.available)
    func malformed(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            for text in ["{not json", "[]", #"{"object":"whatsapp_business_account"}"#, #"{"entry":[]}"#, ""] {
                let r = try await h.post(Data(text.utf8))
                #expect(r.status == .badRequest, "\(text)")
                #expect(r.errorCode == "malformed_payload")
            }
            #expect(try await h.store.payloadCount() == 0)
        }
    }

    @Test("an id longer than any of WhatsApp's gets 400 and nothing of its delivery is stored; deliveries stored with it in one commit are not hurt",
          arguments: TestBackend.available)
    func oversizedIDs(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (_, phone, _) = try await h.tenant()
            let huge = "wamid." + String(repeating: "Ab9", count: 3_400)  // ~10 KB: no PostgreSQL btree entry holds it
            let bodies = [
                WebhookBuilder.text(phoneNumberID: phone, from: "5215512345678", id: huge),
                WebhookBuilder.text(phoneNumberID: phone, from: String(repeating: "5", count: 300), id: "wamid.LONGFROM"),
                WebhookBuilder.status(phoneNumberID: phone, messageID: huge, status: "delivered", recipient: "5215512345678"),
                WebhookBuilder.status(phoneNumberID: phone, messageID: "wamid.S", status: String(repeating: "x", count: 3_000),
                                      recipient: "5215512345678"),
            ]
            for body in bodies {
                let r = try await h.post(body)
                #expect(r.status == .badRequest)
                #expect(r.errorCode == "malformed_payload")
            }
            #expect(try await h.store.payloadCount() == 0)
            // Sent at the same time as a good one (one group commit): the good one is stored.
            async let bad = h.postOnOwnConnection(bodies[0])
            async let good = h.postOnOwnConnection(WebhookBuilder.text(phoneNumberID: phone, from: "5215512345678", id: "wamid.GOOD"))
            #expect(try await bad == .badRequest)
            #expect(try await good == .ok)
            #expect(try await h.store.payloadCount() == 1)
        }
    }

    @Test("bodies over 3 MB get 413 and are stored nowhere")
    func tooLarge() async throws {
        try await Harness.run(.sqlite) { h in
            let big = Data(repeating: UInt8(ascii: " "), count: 3 * 1024 * 1024 + 1)
            let r = try await h.post(big)
            #expect(r.status == .contentTooLarge)
            #expect(try await h.store.payloadCount() == 0)
        }
    }

    @Test("while other bodies being read hold the byte budget, a webhook gets 503 busy with Retry-After and is stored nowhere; then it is accepted")
    func bodyBudget() async throws {
        let budget = BodyBudget(limit: 1 << 20)
        try await Harness.run(.sqlite, webhookBodies: budget) { h in
            let (_, phone, _) = try await h.tenant()
            let body = WebhookBuilder.text(phoneNumberID: phone, from: "5215512345678", id: "wamid.BUSY", body: "hola")
            // Large bodies from others are being read: all but a few bytes of the budget are taken.
            let held = (1 << 20) - body.count + 1
            #expect(budget.reserve(held))
            let refused = try await h.post(body)
            #expect(refused.status == .serviceUnavailable)
            #expect(refused.errorCode == "busy")
            #expect(refused.headers[.retryAfter] == "1")
            #expect(try await h.store.payloadCount() == 0)
            let metrics = try await h.client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"liora_webhook_requests_total{result="busy"} 1"#))
            budget.release(held)
            let accepted = try await h.post(body)
            #expect(accepted.status == .ok)
            #expect(try await h.store.payloadCount() == 1)
            // Each request gives its reservation back once its body is read (refused or not). A body
            // larger than the whole budget could never be read: 413, not "busy".
            #expect(try await h.post(Data(repeating: UInt8(ascii: " "), count: 3 * 1024 * 1024 + 1)).status == .contentTooLarge)
            #expect(try await h.post(Data(repeating: UInt8(ascii: " "), count: (1 << 20) + 1)).status == .contentTooLarge)
            #expect(budget.inUse == 0)
        }
    }

    @Test("a batch: every entry × change × message is stored and reaches its own tenant", arguments: TestBackend.available)
    func batch(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let a = try await h.tenant()
            let b = try await h.tenant()
            let body = WebhookBuilder.batch([
                (a.phone, [("111", "wamid.B1", "uno"), ("111", "wamid.B2", "dos"), ("112", "wamid.B3", "tres")]),
                (b.phone, [("221", "wamid.B4", "four"), ("222", "wamid.B5", "five")]),
            ])
            let r = try await h.post(body)
            #expect(r.text == #"{"received":5,"new":5}"#)
            #expect(try await h.process() == 5)
            let aLogs = try await h.store.withTenant(a.tenant.id) { try await $0.conversationLogs(limit: 10) }
            let bLogs = try await h.store.withTenant(b.tenant.id) { try await $0.conversationLogs(limit: 10) }
            #expect(Set(aLogs.compactMap(\.waMessageID)) == ["wamid.B1", "wamid.B2", "wamid.B3"])
            #expect(Set(bLogs.compactMap(\.waMessageID)) == ["wamid.B4", "wamid.B5"])
            let aUsers = try await h.store.withTenant(a.tenant.id) { try await $0.userContexts() }
            #expect(Set(aUsers.map(\.waID)) == ["111", "112"])
            #expect(aUsers.first { $0.waID == "111" }?.messageCount == 2)
        }
    }

    @Test("a retried delivery is acknowledged but never processed twice", arguments: TestBackend.available)
    func duplicates(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, _) = try await h.tenant()
            let body = WebhookBuilder.text(phoneNumberID: phone, from: "333", id: "wamid.D1")
            #expect(try await h.post(body).text == #"{"received":1,"new":1}"#)
            #expect(try await h.post(body).text == #"{"received":1,"new":0}"#)
            #expect(try await h.process() == 1)
            // Meta retries again after processing: still once.
            #expect(try await h.post(body).status == .ok)
            #expect(try await h.process() == 0)
            try await h.store.withTenant(tenant.id) { s throws in
                #expect(try await s.conversationLogs(limit: 10).count == 1)
                #expect(try await s.userContext(waID: "333")?.messageCount == 1)
            }
        }
    }

    @Test("an unknown phone number is acknowledged, recorded and ignored", arguments: TestBackend.available)
    func unknownNumber(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let r = try await h.post(WebhookBuilder.text(phoneNumberID: "999000999000999", from: "1", id: "wamid.U1"))
            #expect(r.status == .ok)
            try await h.process()
            let events = try await h.store.webhookEvents(limit: 10)
            #expect(events.map(\.state) == ["ignored"])
            #expect(events[0].outcome == "unknown_phone_number")
            #expect(events[0].tenantID == nil)
        }
    }

    @Test("a suspended tenant's messages are not answered, and are logged for its team (no user context, no reply)", arguments: TestBackend.available)
    func suspendedTenant(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, _) = try await h.tenant()
            try await h.store.withTenant(tenant.id) { try await $0.setTenantStatus(.suspended, actor: "test", now: t0) }
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "444", id: "wamid.P1", body: "¿siguen abiertos?")).status == .ok)
            try await h.process()
            let events = try await h.store.webhookEvents(limit: 10)
            #expect(events.map(\.outcome) == ["tenant_suspended"])
            try await h.store.withTenant(tenant.id) { s throws in
                #expect(try await s.userContexts().isEmpty)
                let logs = try await s.conversationLogs(limit: 10)
                #expect(logs.map(\.waMessageID) == ["wamid.P1"])
                #expect(logs.first?.direction == .inbound && logs.first?.status == "received_while_suspended")
                #expect(logs.first?.body == "¿siguen abiertos?" && logs.first?.intent == nil)
                #expect(try await s.outbox(limit: 10).isEmpty)
            }
            // The same delivery again (Meta retries): still one line.
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "444", id: "wamid.P1", body: "¿siguen abiertos?")).status == .ok)
            try await h.process()
            #expect(try await h.store.withTenant(tenant.id) { try await $0.conversationLogs(limit: 10) }.count == 1)
        }
    }

    @Test("one user context per wa_id, however many messages", arguments: TestBackend.available)
    func contextOncePerUser(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let (tenant, phone, _) = try await h.tenant()
            for i in 0..<5 {
                let from = i.isMultiple(of: 2) ? "5550001" : "5550002"
                _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: from, id: "wamid.C\(i)", timestamp: 1_790_000_000 + i))
            }
            try await h.process()
            let users = try await h.store.withTenant(tenant.id) { try await $0.userContexts() }
            #expect(users.count == 2)
            #expect(users.first { $0.waID == "5550001" }?.messageCount == 3)
            #expect(users.first { $0.waID == "5550001" }?.lastMessageAt == Date(timeIntervalSince1970: 1_790_000_004))
            #expect(users.first { $0.waID == "5550002" }?.messageCount == 2)
        }
    }

    @Test("statuses update the matching outbound message and never move it backwards", arguments: TestBackend.available)
    func statuses(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock) { h in
            let (tenant, phone, account) = try await h.tenant()
            try await logOutbound(h, tenant: tenant.id, account: account.id, wamids: ["wamid.O1", "wamid.O2"])
            for (id, status) in [("wamid.O1", "sent"), ("wamid.O1", "read"), ("wamid.O1", "delivered")] {
                _ = try await h.post(WebhookBuilder.status(phoneNumberID: phone, messageID: id, status: status, recipient: "777"))
            }
            _ = try await h.post(WebhookBuilder.status(phoneNumberID: phone, messageID: "wamid.O2", status: "failed",
                                                       recipient: "777", errorCode: 131026))
            _ = try await h.post(WebhookBuilder.status(phoneNumberID: phone, messageID: "wamid.NONE", status: "read", recipient: "777"))
            try await h.process()
            let logs = try await h.store.withTenant(tenant.id) { try await $0.conversationLogs(limit: 10) }
            #expect(logs.first { $0.waMessageID == "wamid.O1" }?.status == "read")
            let failed = try #require(logs.first { $0.waMessageID == "wamid.O2" })
            #expect(failed.status == "failed")
            #expect(failed.errorCode == 131026)
            let events = try await h.store.webhookEvents(limit: 10)
            #expect(events.map(\.outcome) == ["status_applied", "status_applied", "status_no_change", "status_applied", "status_before_message"])
            // A status for a message not logged (yet) waits: 2 s, 10 s, then 60 s; after a fourth try it is dropped.
            #expect(events[4].state == "pending")
            clock.advance(by: 1)
            #expect(try await h.process() == 0)
            clock.advance(by: 1.5)
            #expect(try await h.process() == 1)
            #expect(try await h.store.webhookEvents(limit: 10)[4].outcome == "status_before_message")
            clock.advance(by: 10.5)
            #expect(try await h.process() == 1)
            #expect(try await h.store.webhookEvents(limit: 10)[4].state == "pending")
            clock.advance(by: 59)
            #expect(try await h.process() == 0)
            clock.advance(by: 1.5)
            #expect(try await h.process() == 1)
            let last = try await h.store.webhookEvents(limit: 10)[4]
            #expect(last.state == "processed" && last.outcome == "status_unknown_message" && last.attempts == 4)
        }
    }

    @Test("a status that arrives before the sender recorded Meta's id for the reply is applied once the id is there",
          arguments: TestBackend.available)
    func statusBeforeItsMessage(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock) { h in
            let (tenant, phone, account) = try await h.tenant()
            // Meta reports the reply delivered while the sender's record of it is still on its way.
            _ = try await h.post(WebhookBuilder.status(phoneNumberID: phone, messageID: "wamid.EARLY", status: "delivered", recipient: "777"))
            try await h.process()
            #expect(try await h.store.webhookEvents(limit: 10).map(\.state) == ["pending"])
            try await logOutbound(h, tenant: tenant.id, account: account.id, wamids: ["wamid.EARLY"])
            clock.advance(by: 2.5)
            #expect(try await h.process() == 1)
            let log = try await h.store.withTenant(tenant.id) { try await $0.conversationLogs(limit: 10) }
            #expect(log.map(\.status) == ["delivered"])
            let events = try await h.store.webhookEvents(limit: 10)
            #expect(events.map(\.state) == ["processed"] && events.map(\.outcome) == ["status_applied"])
        }
    }

    @Test("every fixture (all message types, statuses, errors, other fields) is accepted and processed",
          arguments: TestBackend.available)
    func allFixtures(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock) { h in
            let (_, phone, _) = try await h.tenant()
            for name in WebhookFixtures.allNames {
                var text = String(decoding: try WebhookFixtures.data(name), as: UTF8.self)
                for known in ["106540352242922", "107655443322110"] { text = text.replacingOccurrences(of: known, with: phone) }
                let r = try await h.post(Data(text.utf8))
                #expect(r.status == .ok, "\(name): \(r.text)")
            }
            try await h.process()
            // The fixtures' statuses are for messages this service never sent: tried four times.
            for wait in [2.5, 10.5, 60.5] {
                clock.advance(by: wait)
                try await h.process()
            }
            let events = try await h.store.webhookEvents(limit: 1000)
            #expect(!events.isEmpty)
            #expect(events.allSatisfy { $0.state == "processed" || $0.state == "ignored" }, "\(events.filter { $0.state != "processed" && $0.state != "ignored" })")
            #expect(events.contains { $0.kind == .message && $0.outcome == "stored" })
            #expect(events.contains { $0.kind == .status })
            #expect(events.contains { $0.kind == .error && $0.outcome == "error_reported" })
        }
    }

    @Test("the background processor picks up stored webhooks by itself", arguments: TestBackend.available)
    func backgroundProcessing(backend: TestBackend) async throws {
        try await Harness.run(backend, runProcessor: true) { h in
            let (tenant, phone, _) = try await h.tenant()
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "888", id: "wamid.BG1")).status == .ok)
            let deadline = ContinuousClock.now + .seconds(60)
            var found = false
            while ContinuousClock.now < deadline {
                if try await h.store.withTenant(tenant.id, { try await $0.userContext(waID: "888") }) != nil { found = true; break }
                try await Task.sleep(for: .milliseconds(20))
            }
            #expect(found)
        }
    }

    @Test("logs carry ids, never message text or phone numbers", arguments: TestBackend.available)
    func logsHoldNoPersonalData(backend: TestBackend) async throws {
        let logs = LogRecorder()
        try await Harness.run(backend, logs: logs) { h in
            let (_, phone, _) = try await h.tenant()
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "5215599887766", id: "wamid.L1", body: "mi secreto 42"))
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: "999111999111999", from: "5215599887766", id: "wamid.L2", body: "mi secreto 42"))
            _ = try await h.post(Data("{bad".utf8))
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "5215599887766", id: "wamid.L3"), secret: "wrong")
            try await h.process()
        }
        #expect(!logs.all.isEmpty)
        for line in logs.all {
            #expect(!line.contains("5215599887766"), "\(line)")
            #expect(!line.contains("mi secreto"), "\(line)")
            #expect(!line.contains(appSecret), "\(line)")
        }
    }
}

/// Logs outbound messages to user 777 with Meta's ids `wamids`, as the sender does once Meta accepted them.
private func logOutbound(_ h: Harness, tenant: UUID, account: UUID, wamids: [String]) async throws {
    try await h.store.withTenant(tenant) { s throws in
        let ctx = try await s.touchUserContext(waID: "777", profileName: nil, messageAt: t0, now: t0).context
        for id in wamids {
            try await s.appendLog(ConversationLogEntry(tenantID: tenant, userContextID: ctx.id, wabaAccountID: account,
                                                       direction: .outbound, waMessageID: id, messageType: "text",
                                                       body: "hi", status: "accepted", createdAt: t0))
        }
    }
}
