import Foundation
import LioraCore
import LioraStore
import LioraTestSupport
import Testing

/// One contract, run against SQLite and PostgreSQL.
@Suite("Store contract")
struct StoreContractTests {
    @Test("tenants: created with an audit record; slug unique case-insensitively; bad slug refused", arguments: TestBackend.available)
    func tenants(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, _) = try await makeTenant(t.store, slug: "acme-shop")
            #expect(tenant.status == .active)
            #expect(tenant.slug == "acme-shop")
            let reread = try await t.store.withTenant(tenant.id) { try await $0.tenant() }
            #expect(reread == tenant)
            let events = try await t.store.withTenant(tenant.id) { try await $0.tenantEvents(limit: 10) }
            #expect(events.map(\.action) == ["tenant.created", "waba.registered"])
            #expect(events[0].actor == "test")

            await #expect(throws: LioraError(.conflict, "a tenant with this slug already exists")) {
                _ = try await t.store.createTenant(NewTenant(slug: "acme-shop", name: "Other"), actor: "test", now: t0)
            }
            await #expect(throws: LioraError.self) {
                _ = try await t.store.createTenant(NewTenant(slug: "Acme Shop!", name: "Bad"), actor: "test", now: t0)
            }
        }
    }

    @Test("tenant status changes are stored and audited", arguments: TestBackend.available)
    func tenantStatus(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeTenant(t.store)
            try await t.store.withTenant(tenant.id) { try await $0.setTenantStatus(.suspended, actor: "admin", now: t0.addingTimeInterval(1)) }
            let route = try await t.store.route(phoneNumberID: account.phoneNumberID)
            #expect(route == PhoneNumberRoute(wabaAccountID: account.id, tenantID: tenant.id, tenantStatus: .suspended))
            let actions = try await t.store.withTenant(tenant.id) { try await $0.tenantEvents(limit: 10) }.map(\.action)
            #expect(actions.last == "tenant.status_changed")
        }
    }

    @Test("a phone number id belongs to one live account across all tenants", arguments: TestBackend.available)
    func phoneNumberUnique(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (_, account) = try await makeTenant(t.store)
            let (other, _) = try await makeTenant(t.store)
            await #expect(throws: LioraError(.conflict, "this phone number is already registered")) {
                _ = try await t.store.withTenant(other.id) { s throws in
                    try await s.addWabaAccount(NewWabaAccount(wabaID: "x", phoneNumberID: account.phoneNumberID, displayPhoneNumber: "1"),
                                               actor: "test", now: t0)
                }
            }
            #expect(try await t.store.route(phoneNumberID: "no-such-number") == nil)
        }
    }

    @Test("user context: created once per tenant and wa_id, then updated", arguments: TestBackend.available)
    func userContexts(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (a, _) = try await makeTenant(t.store)
            let (b, _) = try await makeTenant(t.store)
            let first = try await t.store.withTenant(a.id) {
                try await $0.touchUserContext(waID: "5215550001", profileName: "Ana", messageAt: t0, now: t0)
            }
            #expect(first.created)
            #expect(first.context.messageCount == 1)
            #expect(first.context.windowStartedAt == t0)
            let later = t0.addingTimeInterval(3600)
            let second = try await t.store.withTenant(a.id) {
                try await $0.touchUserContext(waID: "5215550001", profileName: nil, messageAt: later, now: later)
            }
            #expect(!second.created)
            #expect(second.context.id == first.context.id)
            #expect(second.context.messageCount == 2)
            #expect(second.context.profileName == "Ana")
            #expect(second.context.windowStartedAt == later)
            #expect(second.context.isWindowOpen(at: later.addingTimeInterval(23 * 3600)))
            #expect(!second.context.isWindowOpen(at: later.addingTimeInterval(25 * 3600)))
            // An older, late-arriving message never moves the window back.
            let late = try await t.store.withTenant(a.id) {
                try await $0.touchUserContext(waID: "5215550001", profileName: nil, messageAt: t0, now: later)
            }
            #expect(late.context.windowStartedAt == later)
            // The same person messaging another business has a separate context there.
            let inB = try await t.store.withTenant(b.id) {
                try await $0.touchUserContext(waID: "5215550001", profileName: "Ana B", messageAt: t0, now: t0)
            }
            #expect(inB.created)
            #expect(inB.context.id != first.context.id)
            #expect(try await t.store.withTenant(a.id) { try await $0.userContexts() }.count == 1)
        }
    }

    @Test("monthly conversations: users are admitted up to the limit from a running total, counted once for older months",
          arguments: TestBackend.available)
    func monthlyAdmission(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (a, _) = try await makeTenant(t.store)
            let (b, _) = try await makeTenant(t.store)
            func admit(_ tenant: UUID, _ users: [String], month: String = "2026-11", limit: Int = 3) async throws -> Set<String> {
                try await t.store.withTenant(tenant) { try await $0.admitConversations(users, month: month, limit: limit, now: t0) }
            }
            // Another tenant's users never count against this one's plan.
            #expect(try await admit(b.id, ["b1", "b2", "b3"]) == ["b1", "b2", "b3"])
            #expect(try await admit(a.id, ["u1", "u2"]) == ["u1", "u2"])
            #expect(try await admit(a.id, ["u1"]) == ["u1"])  // already admitted: not counted again
            #expect(try await admit(a.id, ["u1", "u3", "u4"]) == ["u1", "u3"])  // u3 is the third and last
            #expect(try await admit(a.id, ["u5", "u2"]) == ["u2"])
            let reached = try await t.store.withTenant(a.id) { try await $0.tenantEvents(limit: 50) }
                .filter { $0.action == "quota.monthly_conversations_reached" }
            #expect(reached.count == 1)
            // A month admitted before the running totals existed is counted once, then kept.
            #expect(try await admit(a.id, ["o1", "o2"], month: "2026-10") == ["o1", "o2"])
            _ = try await t.database.tenantTransaction(a.id) { c in
                try await c.query("DELETE FROM monthly_usage_totals WHERE cliente_id = $1 AND month = '2026-10'", [.uuid(a.id)])
            }
            #expect(try await admit(a.id, ["o3", "o4"], month: "2026-10") == ["o3"])
            #expect(try await admit(a.id, ["o5"], month: "2026-10") == [])
        }
    }

    @Test("conversation states of several users are saved at once, each its own; no intent keeps the last one; other tenants untouched",
          arguments: TestBackend.available)
    func saveConversations(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (a, _) = try await makeTenant(t.store)
            let (b, _) = try await makeTenant(t.store)
            let other = try await t.store.withTenant(b.id) {
                try await $0.touchUserContext(waID: "5215550009", profileName: nil, messageAt: t0, now: t0)
            }.context
            let (ana, bea) = try await t.store.withTenant(a.id) { s in
                (try await s.touchUserContext(waID: "5215550001", profileName: nil, messageAt: t0, now: t0).context,
                 try await s.touchUserContext(waID: "5215550002", profileName: nil, messageAt: t0, now: t0).context)
            }
            try await t.store.withTenant(a.id) { s in
                try await s.saveConversations([ConversationSave(contextID: bea.id, language: "es", lastIntent: "core.saludo",
                                                                conversationJSON: #"{"misses":1}"#)], now: t0)
                try await s.saveConversations([
                    ConversationSave(contextID: ana.id, language: "en", lastIntent: "reciclaje.vidrio", conversationJSON: #"{"slot":"material"}"#),
                    ConversationSave(contextID: bea.id, language: "en", lastIntent: nil, conversationJSON: #"{"misses":2}"#),
                    ConversationSave(contextID: other.id, language: "en", lastIntent: "x.y", conversationJSON: #"{"foreign":true}"#),
                ], now: t0.addingTimeInterval(5))
            }
            let stored = try await t.store.withTenant(a.id) { try await $0.userContexts() }
            let savedAna = try #require(stored.first { $0.id == ana.id })
            let savedBea = try #require(stored.first { $0.id == bea.id })
            #expect(savedAna.language == "en" && savedAna.lastIntent == "reciclaje.vidrio")
            #expect(savedAna.conversationJSON?.contains("material") == true)
            #expect(savedBea.language == "en" && savedBea.lastIntent == "core.saludo")
            #expect(savedBea.conversationJSON?.contains("2") == true)
            let untouched = try await t.store.withTenant(b.id) { try await $0.userContexts() }
            #expect(untouched.count == 1 && untouched[0].lastIntent == nil && untouched[0].conversationJSON?.contains("foreign") != true)
        }
    }

    @Test("ensuring user contexts creates the missing ones uncounted and leaves existing ones as they were",
          arguments: TestBackend.available)
    func ensureUserContexts(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (a, _) = try await makeTenant(t.store)
            let (b, _) = try await makeTenant(t.store)
            let known = try await t.store.withTenant(a.id) {
                try await $0.touchUserContext(waID: "5215550001", profileName: "Ana", messageAt: t0, now: t0)
            }.context
            // The same number in another tenant is not "known" in this one.
            _ = try await t.store.withTenant(b.id) {
                try await $0.touchUserContext(waID: "5215550002", profileName: "Bea", messageAt: t0, now: t0)
            }
            let later = t0.addingTimeInterval(600)
            let ensured = try await t.store.withTenant(a.id) {
                try await $0.ensureUserContexts([
                    UserContextTouch(waID: "5215550001", profileName: "Ana María", messageAt: later),
                    UserContextTouch(waID: "5215550002", profileName: "Bea", messageAt: later),
                    UserContextTouch(waID: "5215550002", profileName: nil, messageAt: later),
                ], now: later)
            }
            #expect(ensured.count == 2)
            #expect(ensured["5215550001"]?.created == false)
            #expect(ensured["5215550001"]?.context.id == known.id)
            #expect(ensured["5215550002"]?.created == true)
            let stored = try await t.store.withTenant(a.id) { try await $0.userContexts() }
            let ana = try #require(stored.first { $0.waID == "5215550001" })
            // Read, not written: no message counted, the name and the window untouched.
            #expect(ana.messageCount == 1)
            #expect(ana.profileName == "Ana")
            #expect(ana.lastMessageAt == t0)
            let bea = try #require(stored.first { $0.waID == "5215550002" })
            #expect(bea.messageCount == 0)
            #expect(bea.profileName == "Bea")
            #expect(bea.id != known.id)
            // More users than one statement takes (500): every one is read or created.
            let many = (0..<1_200).map { UserContextTouch(waID: "52155510\(String(format: "%05d", $0))", profileName: nil, messageAt: later) }
            let first = try await t.store.withTenant(a.id) { try await $0.ensureUserContexts(Array(many.prefix(700)), now: later) }
            #expect(first.count == 700 && first.values.allSatisfy(\.created))
            let renamed = many.map { var t = $0; t.profileName = "Nuevo"; return t }
            let all = try await t.store.withTenant(a.id) { try await $0.ensureUserContexts(renamed, now: later) }
            #expect(all.count == 1_200)
            #expect(all.values.filter(\.created).count == 500)
            #expect(Set(all.values.map(\.context.id)).count == 1_200)
            // The 700 that existed were read, not written (their name is untouched), in every chunk.
            #expect(all.values.filter { !$0.created }.allSatisfy { $0.context.profileName == nil })
            #expect(all.values.filter(\.created).allSatisfy { $0.context.profileName == "Nuevo" })
        }
    }

    @Test("counting users' messages records them as touching does, across statements, without reading contexts back",
          arguments: TestBackend.available)
    func countUserMessages(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (a, _) = try await makeTenant(t.store)
            let (b, _) = try await makeTenant(t.store)
            _ = try await t.store.withTenant(b.id) {
                try await $0.touchUserContext(waID: "5215550001", profileName: "Otra", messageAt: t0, now: t0)
            }
            // 600 users (two statements), one of them twice in the batch.
            let users = (0..<600).map { "52155520\(String(format: "%04d", $0))" }
            let ensured = try await t.store.withTenant(a.id) {
                try await $0.ensureUserContexts(users.map { UserContextTouch(waID: $0, profileName: nil, messageAt: t0) }, now: t0)
            }
            let later = t0.addingTimeInterval(90)
            var touches = users.map { UserContextTouch(waID: $0, profileName: "N", messageAt: later) }
            touches.append(UserContextTouch(waID: users[7], profileName: nil, messageAt: t0))
            try await t.store.withTenant(a.id) { try await $0.countUserMessages(touches, now: later) }
            let stored = try await t.store.withTenant(a.id) { try await $0.userContexts() }
            #expect(stored.count == 600)
            #expect(Set(stored.map(\.id)) == Set(ensured.values.map(\.context.id)))
            for c in stored {
                #expect(c.messageCount == (c.waID == users[7] ? 2 : 1))
                #expect(c.lastMessageAt == later && c.profileName == "N")
            }
            // The other tenant's user of the same number is untouched.
            let other = try await t.store.withTenant(b.id) { try await $0.userContexts() }
            #expect(other.map(\.messageCount) == [1])
        }
    }

    @Test("conversation log: a message is logged once; statuses never move backwards", arguments: TestBackend.available)
    func conversationLog(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeTenant(t.store)
            try await t.store.withTenant(tenant.id) { s throws in
                let ctx = try await s.touchUserContext(waID: "34600111222", profileName: nil, messageAt: t0, now: t0).context
                let entry = ConversationLogEntry(tenantID: tenant.id, userContextID: ctx.id, wabaAccountID: account.id,
                                                 direction: .inbound, waMessageID: "wamid.IN1", messageType: "text",
                                                 body: "hola", status: "received", createdAt: t0)
                #expect(try await s.appendLog(entry))
                #expect(try await s.appendLog(ConversationLogEntry(
                    tenantID: tenant.id, userContextID: ctx.id, wabaAccountID: account.id, direction: .inbound,
                    waMessageID: "wamid.IN1", messageType: "text", body: "hola", status: "received", createdAt: t0)) == false)
                #expect(try await s.appendLog(ConversationLogEntry(
                    tenantID: tenant.id, userContextID: ctx.id, wabaAccountID: account.id, direction: .outbound,
                    waMessageID: "wamid.OUT1", messageType: "text", body: "¡Hola!", status: "accepted", createdAt: t0)))
                #expect(try await s.updateOutboundStatus(.init(waMessageID: "wamid.OUT1", status: "read", rank: 3, at: t0)))
                #expect(try await s.updateOutboundStatus(.init(waMessageID: "wamid.OUT1", status: "delivered", rank: 2, at: t0)) == false)
                #expect(try await s.updateOutboundStatus(.init(waMessageID: "wamid.NOPE", status: "read", rank: 3, at: t0)) == false)
                // Inbound rows are never touched by statuses.
                #expect(try await s.updateOutboundStatus(.init(waMessageID: "wamid.IN1", status: "read", rank: 3, at: t0)) == false)
                let logs = try await s.conversationLogs(limit: 10)
                #expect(logs.count == 2)
                let out = try #require(logs.first { $0.direction == .outbound })
                #expect(out.status == "read")
                #expect(out.body == "¡Hola!")
            }
        }
    }

    @Test("inbox: stores bodies and items in one go; a retried item is not stored twice", arguments: TestBackend.available)
    func inboxDedup(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let counts = try await t.store.store([delivery(["m:1", "m:2"]), delivery(["m:2", "s:9:read"]), delivery(["m:1"])])
            #expect(counts == [2, 1, 0])
            #expect(try await t.store.payloadCount() == 3)
            let events = try await t.store.webhookEvents(limit: 10)
            #expect(events.map(\.key) == ["m:1", "m:2", "s:9:read"])
            #expect(events.allSatisfy { $0.state == "pending" })
            #expect(try await t.store.store([delivery(["m:1", "m:2"])]) == [0])
        }
    }

    @Test("inbox: claims in order under a lease, re-claims after the lease, retries then fails", arguments: TestBackend.available)
    func inboxClaims(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let d = delivery(["m:a", "m:b", "m:c"])
            _ = try await t.store.store([d])
            let claimed = try await t.store.claimPendingEvents(limit: 2, now: t0, lease: 60)
            #expect(claimed.map(\.key) == ["m:a", "m:b"])
            #expect(claimed.map(\.itemIndex) == [0, 1])
            #expect(claimed.allSatisfy { $0.payloadID == d.id && $0.attempts == 1 })
            // Leased items are not handed out again while the lease runs...
            #expect(try await t.store.claimPendingEvents(limit: 10, now: t0.addingTimeInterval(1), lease: 60).map(\.key) == ["m:c"])
            // ...but are after it runs out (the worker crashed).
            let again = try await t.store.claimPendingEvents(limit: 10, now: t0.addingTimeInterval(61), lease: 60)
            #expect(again.map(\.key) == ["m:a", "m:b"])
            #expect(again.allSatisfy { $0.attempts == 2 })
            #expect(try await t.store.payloadBodies([d.id]) == [d.id: d.body])

            try await t.store.finishEvents([.init(again[0], state: .ignored, outcome: "unknown_phone_number")],
                                           now: t0.addingTimeInterval(62))
            try await t.store.failEvents([again[1]], error: "boom", now: t0.addingTimeInterval(62), maxAttempts: 3)
            // A failed item waits out its back-off (m:c's lease has run out meanwhile)...
            #expect(try await t.store.claimPendingEvents(limit: 10, now: t0.addingTimeInterval(63), lease: 60).map(\.key) == ["m:c"])
            // ...then is retried, and becomes `failed` at maxAttempts.
            let retry = try await t.store.claimPendingEvents(limit: 10, now: t0.addingTimeInterval(200), lease: 60)
            #expect(retry.map(\.key) == ["m:b", "m:c"])
            try await t.store.failEvents([retry[0]], error: "boom", now: t0.addingTimeInterval(200), maxAttempts: 3)
            let records = try await t.store.webhookEvents(limit: 10)
            #expect(records.map(\.state) == ["ignored", "failed", "pending"])
            #expect(records[0].outcome == "unknown_phone_number")
        }
    }

    @Test("concurrent transactions touching the same users in different orders all commit (no deadlock)",
          arguments: TestBackend.available)
    func touchesInAnyOrder(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let tenant = try await t.store.createTenant(NewTenant(slug: "orden", name: "Orden"), actor: "test", now: t0)
            let users = (0..<40).map { "52155000\(1000 + $0)" }
            try await withThrowingTaskGroup(of: Void.self) { group in
                for worker in 0..<8 {
                    var random = SeededGenerator(seed: UInt64(worker + 1))
                    let order = users.shuffled(using: &random)
                    group.addTask {
                        for _ in 0..<5 {
                            try await t.store.withTenant(tenant.id) { s in
                                _ = try await s.touchUserContexts(order.map { UserContextTouch(waID: $0, profileName: nil, messageAt: t0) },
                                                                  now: t0)
                            }
                        }
                    }
                }
                try await group.waitForAll()
            }
            try await t.store.withTenant(tenant.id) { s throws in
                #expect(try await s.userContext(waID: users[0])?.messageCount == 40)
            }
        }
    }

    @Test("inbox: a worker whose lease ran out and was re-claimed can neither finish nor fail those items",
          arguments: TestBackend.available)
    func inboxStaleClaim(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            _ = try await t.store.store([delivery(["m:a", "m:b"])])
            let stale = try await t.store.claimPendingEvents(limit: 10, now: t0, lease: 60, maxAttempts: 5)
            // The first worker stalls past its lease; another claims the items and finishes one.
            let fresh = try await t.store.claimPendingEvents(limit: 10, now: t0.addingTimeInterval(61), lease: 60, maxAttempts: 5)
            #expect(fresh.map(\.key) == ["m:a", "m:b"])
            try await t.store.finishEvents([.init(fresh[0], state: .processed, outcome: "stored")], now: t0.addingTimeInterval(62))
            // The stale worker's outcomes are refused, for both items, and change nothing.
            await #expect(throws: (any Error).self) {
                try await t.store.finishEvents([.init(stale[1], state: .ignored, outcome: "stale")], now: t0.addingTimeInterval(63))
            }
            await #expect(throws: (any Error).self) {
                try await t.store.finishEvents([.init(stale[0], state: .ignored, outcome: "stale")], now: t0.addingTimeInterval(63))
            }
            // Its failure does not put the finished item back, nor move the other's lease.
            try await t.store.failEvents(stale, error: "stale", now: t0.addingTimeInterval(63), maxAttempts: 5)
            var records = try await t.store.webhookEvents(limit: 10)
            #expect(records.map(\.state) == ["processed", "pending"])
            #expect(records.map(\.outcome) == ["stored", nil])
            #expect(try await t.store.claimPendingEvents(limit: 10, now: t0.addingTimeInterval(64), lease: 60, maxAttempts: 5).isEmpty)
            // The current claim still finishes its item.
            try await t.store.finishEvents([.init(fresh[1], state: .processed, outcome: "stored")], now: t0.addingTimeInterval(65))
            records = try await t.store.webhookEvents(limit: 10)
            #expect(records.map(\.state) == ["processed", "processed"])
        }
    }

    @Test("inbox: an item claimed maxAttempts times without ever finishing is failed, not handed out again",
          arguments: TestBackend.available)
    func inboxExhausted(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            _ = try await t.store.store([delivery(["m:poison"])])
            // Each claim's worker crashes (or stalls) before finishing: the lease runs out.
            for i in 0..<3 {
                let claimed = try await t.store.claimPendingEvents(limit: 10, now: t0.addingTimeInterval(Double(i) * 61), lease: 60,
                                                                   maxAttempts: 3)
                #expect(claimed.map(\.attempts) == [i + 1])
            }
            #expect(try await t.store.claimPendingEvents(limit: 10, now: t0.addingTimeInterval(183), lease: 60, maxAttempts: 3).isEmpty)
            let record = try #require(try await t.store.webhookEvents(limit: 10).first)
            #expect(record.state == "failed")
            #expect(record.outcome == "attempts_exhausted")
            #expect(try await t.store.claimPendingEvents(limit: 10, now: t0.addingTimeInterval(999), lease: 60, maxAttempts: 3).isEmpty)
        }
    }

    @Test("inbox: claimed items given back are claimable at once, uncounted; another claim's items are not touched",
          arguments: TestBackend.available)
    func inboxRelease(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            _ = try await t.store.store([delivery(["m:a", "m:b", "m:c", "m:d"])])
            let first = try await t.store.claimPendingEvents(limit: 3, now: t0, lease: 60)
            #expect(first.map(\.key) == ["m:a", "m:b", "m:c"])
            // m:a is finished meanwhile: it stays finished.
            try await t.store.finishEvents([.init(eventID: first[0].id, state: .ignored, outcome: "unknown_phone_number")], now: t0)
            #expect(try await t.store.releaseEvents(first) == 2)
            // Given back: claimable now, not a minute later, and the unused claim is no attempt.
            let second = try await t.store.claimPendingEvents(limit: 10, now: t0, lease: 60)
            #expect(second.map(\.key) == ["m:b", "m:c", "m:d"])
            #expect(second.allSatisfy { $0.attempts == 1 })
            // The first claim, given back again (its items now the second claim's, claimed at the
            // same instant with the same lease), gives back nothing.
            #expect(try await t.store.releaseEvents(first) == 0)
            #expect(try await t.store.claimPendingEvents(limit: 10, now: t0.addingTimeInterval(1), lease: 60).isEmpty)
            let records = try await t.store.webhookEvents(limit: 10)
            #expect(records.map(\.state) == ["ignored", "pending", "pending", "pending"])
            #expect(records.map(\.attempts) == [1, 1, 1, 1])
            // A binary from before claim tokens takes m:d once the second claim's lease ran out (its
            // token stays on the row): the second claim's late release gives back only its own two.
            try await t.database.transaction { c in
                try await c.query("UPDATE webhook_events SET claimed_until = $1, attempts = attempts + 1 WHERE event_key = 'm:d'",
                                  [.date(t0.addingTimeInterval(121))])
            }
            #expect(try await t.store.releaseEvents(second) == 2)
            #expect(try await t.store.claimPendingEvents(limit: 10, now: t0.addingTimeInterval(62), lease: 60).map(\.key) == ["m:b", "m:c"])
            #expect(try await t.store.webhookEvents(limit: 10).map(\.attempts) == [1, 1, 1, 2])
        }
    }
}

@Suite("Creating a tenant with its set-up")
struct TenantCreationTests {
    @Test("a set-up that fails leaves no tenant behind: the slug is free and nothing was audited", arguments: TestBackend.available)
    func failedSetUpLeavesNothing(backend: TestBackend) async throws {
        struct SetUpFailed: Error {}
        try await TestDatabases.withStore(backend) { t in
            let id = UUID()
            await #expect(throws: SetUpFailed.self) {
                _ = try await t.store.createTenant(NewTenant(id: id, slug: "a-medias", name: "Half"), actor: "test", now: t0) { s in
                    try await s.record(TenantEvent(tenantID: id, actor: "test", action: "set_up.started", payloadJSON: "{}", createdAt: t0))
                    throw SetUpFailed()
                }
            }
            #expect(try await t.store.withTenant(id) { try await $0.tenant() } == nil)
            #expect(try await t.store.withTenant(id) { try await $0.tenantEvents(limit: 10) }.isEmpty)
            let (tenant, value) = try await t.store.createTenant(NewTenant(slug: "a-medias", name: "Whole"), actor: "test", now: t0) { _ in 42 }
            #expect(tenant.slug == "a-medias" && value == 42)
            // A conflict inside the set-up is the set-up's, not a taken slug.
            do {
                _ = try await t.store.createTenant(NewTenant(slug: "otro", name: "Other"), actor: "test", now: t0) { _ in
                    throw StoreError.uniqueViolation("catalog_secrets_pkey")
                }
                Issue.record("the set-up's error was swallowed")
            } catch let error as StoreError {
                guard case .uniqueViolation(let key) = error else { Issue.record("\(error)"); return }
                #expect(key == "catalog_secrets_pkey")
            }
            // A taken slug is still a conflict that says so.
            do {
                _ = try await t.store.createTenant(NewTenant(slug: "a-medias", name: "Again"), actor: "test", now: t0)
                Issue.record("a second live tenant with the same slug")
            } catch let error as LioraError {
                #expect(error.message.contains("slug"))
            }
        }
    }
}

@Suite("Errors in logs")
struct LoggableErrorTests {
    @Test("a PostgreSQL error is logged by its code and SQLSTATE, without the values its message and query carry",
          arguments: TestBackend.available.filter { $0 == .postgres })
    func postgresErrorsHideValues(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let phone = "5215550009999"
            do {
                _ = try await t.database.transaction { c in try await c.query("SELECT $1::integer AS n", [.text("x" + phone)]) }
                Issue.record("the cast should have failed")
            } catch {
                #expect(String(reflecting: error).contains(phone))  // what PostgresNIO's own description would log
                let logged = loggableDescription(error)
                #expect(!logged.contains(phone), "\(logged)")
                #expect(logged.contains("sqlState: 22P02"), "\(logged)")
            }
        }
    }
}
