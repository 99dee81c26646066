import Foundation
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOConcurrencyHelpers
import Testing
import WhatsApp
import WhatsAppGraph

@Suite("Outbox sender: concurrent, in order per user")
struct OutboxSenderConcurrencyTests {
    @Test("each user's read receipt and answer parts go out in queued order while users are served in parallel, across claims",
          arguments: TestBackend.available)
    func perUserOrder(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            // 12 users, each a read receipt and 3 parts, queued interleaved (as several webhooks'
            // messages are), so a user's replies are spread over several small claims.
            let users = (0..<12).map { "3460000\(String(format: "%04d", $0))" }
            var entries: [OutboxEntry] = []
            for step in 0..<4 {
                for user in users {
                    let at = t0.addingTimeInterval(Double(entries.count) / 1000)
                    entries.append(step == 0 ? readEntry(tenant, account, to: user, at: at)
                                             : textEntry(tenant, account, to: user, body: "\(user) part \(step)", at: at))
                }
            }
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }

            let graph = ShufflingGraphAPI(seed: 7)
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")),
                                      clock: ManualClock(t0), concurrency: 4, claimLimit: 5, logger: TestDatabases.logger)
            #expect(try await sender.sendDue() == 48)
            #expect(try await sender.sendDue() == 0)

            let calls = graph.calls
            #expect(calls.count == 48)
            for user in users {
                #expect(calls.filter { $0.to == user }.map(\.label) == ["read", "\(user) part 1", "\(user) part 2", "\(user) part 3"])
            }
            #expect(graph.peakInFlight <= 4)
            #expect(graph.peakInFlight > 1, "users were not served in parallel")

            try await t.store.withTenant(tenant.id) { s throws in
                let rows = try await s.outbox(limit: 100)
                #expect(rows.count == 48)
                #expect(rows.allSatisfy { $0.state == .sent && $0.attempts == 1 && $0.waMessageID != nil })
                let logs = try await s.conversationLogs(limit: 100)
                #expect(logs.count == 36)  // the answers; read receipts are not conversation messages
                #expect(logs.allSatisfy { $0.direction == .outbound && $0.status == "accepted" })
            }
        }
    }

    @Test("a reply that marks its message read sends the receipt just before it; a refused receipt does not hold the answer back",
          arguments: TestBackend.available)
    func receiptsRideOnTheFirstPart(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            var entries: [OutboxEntry] = []
            for user in ["34600000001", "34600000002"] {
                for part in 1...2 {
                    var e = textEntry(tenant, account, to: user, body: "\(user) part \(part)", at: t0.addingTimeInterval(Double(entries.count) / 1000))
                    e.marksRead = part == 1
                    entries.append(e)
                }
            }
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }
            let graph = FakeGraphAPI()
            graph.failNextMarkReads(1, with: .rejected(status: 400, code: 100, subcode: nil, message: "bad receipt"))
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")),
                                      clock: ManualClock(t0), concurrency: 1, logger: TestDatabases.logger)
            #expect(try await sender.sendDue() == 4)
            // One receipt per answer (not per part), each for the message answered.
            #expect(graph.markReadCalls.map(\.markRead.messageID) == ["wamid.IN.34600000001", "wamid.IN.34600000002"])
            #expect(graph.markReadCalls.allSatisfy { $0.markRead.showsTypingIndicator })
            #expect(graph.sent.count == 4)
            try await t.store.withTenant(tenant.id) { s throws in
                #expect(try await s.outbox(limit: 10).allSatisfy { $0.state == .sent && $0.attempts == 1 })
                #expect(try await s.outbox(limit: 10).map(\.marksRead) == [true, false, true, false])
            }
        }
    }

    @Test("no more Graph API requests are in flight than the configured concurrency, and it is reached")
    func concurrencyBound() async throws {
        try await TestDatabases.withStore(.sqlite) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            let entries = (0..<20).map { i in
                textEntry(tenant, account, to: "4915100000\(String(format: "%03d", i))", body: "hola \(i)",
                          at: t0.addingTimeInterval(Double(i) / 1000))
            }
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }
            // Holds requests until as many as the bound are waiting (or all that are left), then lets one go.
            let graph = GatedGraphAPI(bound: 4, total: 20)
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")),
                                      clock: ManualClock(t0), concurrency: 4, logger: TestDatabases.logger)
            // A sender that never reaches the bound would wait here forever: after 10 s without
            // progress the gate opens, and the test fails instead of hanging.
            let watchdog = Task {
                var last = -1
                while !Task.isCancelled {
                    try await Task.sleep(for: .seconds(10))
                    let now = graph.released
                    if now == last { graph.open(); return }
                    last = now
                }
            }
            defer { watchdog.cancel() }
            #expect(try await sender.sendDue() == 20)
            #expect(!graph.opened, "the sender stalled below the bound")
            #expect(graph.peakInFlight == 4)
            #expect(Set(graph.fake.sent.map(\.message.to)).count == 20)
        }
    }

    @Test("several tenants' replies all go out in one pass, each with its own number", arguments: TestBackend.available)
    func severalTenants(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            var expected: [String: String] = [:]  // wa_id → the tenant's phone number id
            for k in 0..<3 {
                let (tenant, account) = try await makeSenderTenant(t.store)
                let entries = (0..<5).map { i in
                    textEntry(tenant, account, to: "3470\(k)0000\(i)", body: "hola \(i)", at: t0.addingTimeInterval(Double(i) / 1000))
                }
                for e in entries { expected[e.toWaID] = account.phoneNumberID }
                try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }
            }
            let graph = FakeGraphAPI()
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")),
                                      clock: ManualClock(t0), concurrency: 4, claimLimit: 2, logger: TestDatabases.logger)
            #expect(try await sender.sendDue() == 15)
            #expect(Dictionary(uniqueKeysWithValues: graph.sent.map { ($0.message.to, $0.phoneNumberID) }) == expected)
            #expect(try await sender.sendDue() == 0)
        }
    }

    @Test("a reply that will be retried holds back the user's later replies, which then follow it in order; a permanent failure does not",
          arguments: TestBackend.available)
    func retryKeepsOrder(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let (tenant, account) = try await makeSenderTenant(t.store)
            let user = "5215511112222"
            let entries = [readEntry(tenant, account, to: user, at: t0)] + (1...3).map {
                textEntry(tenant, account, to: user, body: "part \($0)", at: t0.addingTimeInterval(Double($0) / 1000))
            }
            try await t.store.withTenant(tenant.id) { try await $0.enqueueReplies(entries) }
            let graph = FakeGraphAPI()
            let clock = ManualClock(t0)
            let sender = OutboxSender(store: t.store, graph: graph, tokens: FixedAccessTokenSource(Secret("token-x")),
                                      clock: clock, concurrency: 8, logger: TestDatabases.logger)

            graph.failNextSends(1, with: .rejected(status: 503, code: nil, subcode: nil, message: "try later"))
            #expect(try await sender.sendDue() == 2)  // the read receipt and part 1; parts 2 and 3 wait
            #expect(graph.sendCalls.map(\.message.textBody) == ["part 1"])
            let waiting = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(waiting.map(\.state) == [.sent, .pending, .pending, .pending])
            #expect(waiting[1].lastError?.contains("503") == true)
            #expect(waiting[2].nextAttemptAt == waiting[1].nextAttemptAt)
            #expect(waiting[3].nextAttemptAt == waiting[1].nextAttemptAt)
            #expect(waiting[1].nextAttemptAt > t0)
            #expect(try await sender.sendDue() == 0)  // nothing is due before the retry

            clock.advance(by: 2)  // past the first back-off (1 s ± 20 %)
            // Part 1 now fails for good: parts 2 and 3 go out after it anyway.
            graph.failNextSends(1, with: .rejected(status: 400, code: 131026, subcode: nil, message: "undeliverable"))
            #expect(try await sender.sendDue() == 3)
            #expect(graph.sendCalls.map(\.message.textBody) == ["part 1", "part 1", "part 2", "part 3"])
            let rows = try await t.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(rows.map(\.state) == [.sent, .failed, .sent, .sent])
            #expect(rows[1].attempts == 2)
            let logs = try await t.store.withTenant(tenant.id) { try await $0.conversationLogs(limit: 10) }
            #expect(logs.map(\.status).sorted() == ["accepted", "accepted", "failed"])
        }
    }
}

// MARK: - Helpers

private func makeSenderTenant(_ store: SQLStore) async throws -> (Tenant, WabaAccount) {
    let id = UUID()
    let tenant = try await store.createTenant(NewTenant(id: id, slug: "send-\(id.uuidString.prefix(8).lowercased())", name: "Shop"),
                                              actor: "test", now: t0)
    let phone = String(UInt64.random(in: 100_000_000_000_000...999_999_999_999_999))
    let account = try await store.withTenant(id) { s throws in
        try await s.addWabaAccount(NewWabaAccount(wabaID: "200000000000001", phoneNumberID: phone, displayPhoneNumber: "15550001111"),
                                   actor: "test", now: t0)
    }
    return (tenant, account)
}

private func textEntry(_ tenant: Tenant, _ account: WabaAccount, to waID: String, body: String, at: Date) -> OutboxEntry {
    let json = String(decoding: try! JSONEncoder().encode(OutboundMessage(to: waID, kind: .text(body: body))), as: UTF8.self)
    return OutboxEntry(tenantID: tenant.id, userContextID: nil, wabaAccountID: account.id, toWaID: waID, kind: "text",
                       payloadJSON: json, summary: body, intent: "core.saludo", replyTo: "wamid.IN.\(waID)",
                       nextAttemptAt: t0, createdAt: at)
}

private func readEntry(_ tenant: Tenant, _ account: WabaAccount, to waID: String, at: Date) -> OutboxEntry {
    let json = String(decoding: try! JSONEncoder().encode(MarkRead(messageID: "wamid.IN.\(waID)", showsTypingIndicator: true)),
                      as: UTF8.self)
    return OutboxEntry(tenantID: tenant.id, userContextID: nil, wabaAccountID: account.id, toWaID: waID, kind: "read",
                       payloadJSON: json, replyTo: "wamid.IN.\(waID)", nextAttemptAt: t0, createdAt: at)
}

extension OutboundMessage {
    /// The body of a text message (nil for other kinds).
    fileprivate var textBody: String? {
        if case .text(let body, _) = kind { return body }
        return nil
    }
}

/// Counts requests in flight and their peak.
private struct InFlight {
    var now = 0
    var peak = 0
    mutating func enter() {
        now += 1
        peak = max(peak, now)
    }
}

/// A Graph API that answers every call, after yielding a pseudo-random number of times so that
/// concurrent calls finish in a scrambled order; records each call (who, what) as it is made.
private final class ShufflingGraphAPI: GraphAPIClient {
    struct Call: Sendable {
        var to: String
        var label: String
    }

    private struct State {
        var calls: [Call] = []
        var inFlight = InFlight()
        var generator: SeededGenerator
        var nextID = 1
    }

    private let state: NIOLockedValueBox<State>

    init(seed: UInt64) { state = NIOLockedValueBox(State(generator: SeededGenerator(seed: seed))) }

    var calls: [Call] { state.withLockedValue { $0.calls } }
    var peakInFlight: Int { state.withLockedValue { $0.inFlight.peak } }

    private func call(_ c: Call) async -> Int {
        let yields = state.withLockedValue { s in
            s.calls.append(c)
            s.inFlight.enter()
            return Int.random(in: 1...12, using: &s.generator)
        }
        for _ in 0..<yields { await Task.yield() }
        return state.withLockedValue { s in
            s.inFlight.now -= 1
            s.nextID += 1
            return s.nextID
        }
    }

    func send(_ message: OutboundMessage, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
        let id = await call(Call(to: message.to, label: message.textBody ?? "?"))
        return SentMessage(messageID: "wamid.out.\(id)", recipientWaID: message.to)
    }

    func markRead(_ m: MarkRead, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
        _ = await call(Call(to: String(m.messageID.dropFirst("wamid.IN.".count)), label: "read"))
    }
}

/// Holds every request until `bound` requests are waiting (or all that are left of `total`),
/// then lets the oldest go: a sender that respects the bound reaches it exactly, one that does
/// not goes past it.
private final class GatedGraphAPI: GraphAPIClient {
    let fake = FakeGraphAPI()
    private let bound: Int
    private let total: Int

    private struct State {
        var waiting: [CheckedContinuation<Void, Never>] = []
        var released = 0
        var opened = false
        var inFlight = InFlight()
    }

    private let state = NIOLockedValueBox(State())

    init(bound: Int, total: Int) {
        self.bound = bound
        self.total = total
    }

    var peakInFlight: Int { state.withLockedValue { $0.inFlight.peak } }
    var released: Int { state.withLockedValue { $0.released } }
    var opened: Bool { state.withLockedValue { $0.opened } }

    /// Lets every request through from now on.
    func open() {
        let go = state.withLockedValue { s in
            s.opened = true
            defer { s.waiting = [] }
            return s.waiting
        }
        for c in go { c.resume() }
    }

    func send(_ message: OutboundMessage, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
        await withCheckedContinuation { (c: CheckedContinuation<Void, Never>) in
            let go: [CheckedContinuation<Void, Never>] = state.withLockedValue { s in
                s.inFlight.enter()
                s.waiting.append(c)
                var go: [CheckedContinuation<Void, Never>] = []
                while !s.waiting.isEmpty && (s.opened || s.waiting.count >= min(bound, total - s.released)) {
                    go.append(s.waiting.removeFirst())
                    s.released += 1
                }
                return go
            }
            for c in go { c.resume() }
        }
        defer { state.withLockedValue { $0.inFlight.now -= 1 } }
        return try await fake.send(message, phoneNumberID: phoneNumberID, accessToken: accessToken)
    }

    func markRead(_ m: MarkRead, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
        try await fake.markRead(m, phoneNumberID: phoneNumberID, accessToken: accessToken)
    }
}
