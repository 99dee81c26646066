import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOConcurrencyHelpers
import Testing
import Yams
import WhatsApp
import WhatsAppGraph

@Suite("The bot answers through the outbox")
struct ConversationTests {
    static let engine: ConversationEngine = {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        return ConversationEngine(router: IntentRouter(catalog: try! SkillCatalog.load(directory: root.appendingPathComponent("skills"))))
    }()

    static func setup(_ graph: FakeGraphAPI) -> ConversationSetup {
        ConversationSetup(engine: engine, graph: graph, tokens: FixedAccessTokenSource(Secret("token-canary-91")), runSender: false)
    }

    @Test("a greeting gets exactly one answer, in the user's language, logged with its intent", arguments: TestBackend.available)
    func greeting(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        try await Harness.run(backend, conversation: Self.setup(graph)) { h in
            let (tenant, phone, _) = try await h.tenant()
            let body = WebhookBuilder.text(phoneNumberID: phone, from: "5215511112222", id: "wamid.G1", body: "hola, buenas tardes")
            #expect(try await h.post(body).status == .ok)
            #expect(try await h.post(body).status == .ok)  // Meta retries: still one answer
            try await h.process()
            let sender = try #require(h.components.sender)
            #expect(try await sender.sendDue() >= 1)
            #expect(try await sender.sendDue() == 0)
            let sent = graph.sent
            #expect(!sent.isEmpty)
            // The message was marked read, with the typing indicator, before the answer went out.
            #expect(graph.markReadCalls.map(\.markRead) == [MarkRead(messageID: "wamid.G1", showsTypingIndicator: true)])
            #expect(sent.allSatisfy { $0.phoneNumberID == phone && $0.message.to == "5215511112222" && $0.accessToken == "token-canary-91" })
            try await h.store.withTenant(tenant.id) { s throws in
                let logs = try await s.conversationLogs(limit: 20)
                let inbound = try #require(logs.first { $0.direction == .inbound })
                #expect(inbound.intent == "core.saludo")
                var outbound: [ConversationLogEntry] = []
                for row in logs where row.direction == .outbound { outbound.append(row) }
                #expect(outbound.count == sent.count)
                for row in outbound {
                    #expect(row.status == "accepted")
                    #expect(row.intent == "core.saludo")
                    #expect(row.waMessageID?.isEmpty == false)
                }
                let ctx = try #require(try await s.userContext(waID: "5215511112222"))
                #expect(ctx.language == "es")
                #expect(ctx.lastIntent == "core.saludo")
            }
        }
    }

    @Test("a new user's first \"help\" is answered in English; a Spanish user's later \"help\" stays Spanish", arguments: [TestBackend.sqlite])
    func newUserLoanword(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        try await Harness.run(backend, conversation: Self.setup(graph)) { h in
            let (tenant, phone, _) = try await h.tenant()
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "447700900001", id: "wamid.L1", body: "help"))
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "5215500000001", id: "wamid.L2", body: "hola, buenos días"))
            try await h.process()
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "5215500000001", id: "wamid.L3", body: "help"))
            try await h.process()
            try await h.store.withTenant(tenant.id) { s throws in
                let english = try #require(try await s.userContext(waID: "447700900001"))
                #expect(english.language == "en")
                let spanish = try #require(try await s.userContext(waID: "5215500000001"))
                #expect(spanish.language == "es")
            }
        }
    }

    @Test("a 5xx is retried after a back-off; a permanent error fails for good; each attempt is recorded",
          arguments: TestBackend.available)
    func retries(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock, conversation: Self.setup(graph)) { h in
            let (tenant, phone, _) = try await h.tenant()
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "111", id: "wamid.R1", body: "gracias"))
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "222", id: "wamid.R2", body: "thank you so much"))
            try await h.process()
            let sender = try #require(h.components.sender)
            graph.failNextSends(1, with: .rejected(status: 503, code: nil, subcode: nil, message: "try later"))
            graph.failNextSends(1, with: .rejected(status: 400, code: 131026, subcode: nil, message: "undeliverable"))
            #expect(try await sender.sendDue() == 2)  // two replies, each marking its message read first
            #expect(graph.sent.isEmpty)
            // The receipts went out (best effort, not retried) even though both answers failed.
            #expect(Set(graph.markReadCalls.map(\.markRead.messageID)) == ["wamid.R1", "wamid.R2"])
            #expect(try await sender.sendDue() == 0)  // the retry is not due yet
            clock.advance(by: 2)
            #expect(try await sender.sendDue() == 1)
            #expect(graph.sent.count == 1)
            // The retry did not mark the message read again ("typing…" once, not per attempt).
            #expect(graph.markReadCalls.count == 2)
            let all = try await h.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(all.count == 2)
            #expect(all.allSatisfy { $0.marksRead })
            let rows = all
            #expect(rows.map(\.state).sorted { $0.rawValue < $1.rawValue } == [.failed, .sent])
            #expect(rows.first { $0.state == .sent }?.attempts == 2)
            let failed = try #require(rows.first { $0.state == .failed })
            #expect(failed.attempts == 1)
            #expect(failed.lastError?.contains("131026") == true)
            #expect(failed.lastError?.contains("token-canary-91") == false)
        }
    }

    /// A token store that fails while `failing` (a database or key problem on our side).
    final class FlakyTokens: AccessTokenSource {
        let failing = NIOLockedValueBox(true)
        func accessToken(tenantID: UUID, wabaAccountID: UUID) async throws -> Secret? {
            if failing.withLockedValue({ $0 }) { throw StoreError.unavailable("the token store is down") }
            return Secret("token-canary-92")
        }
    }

    @Test("a reply whose access token cannot be read waits, uncharged, and goes later with its read receipt",
          arguments: TestBackend.available)
    func unreadableToken(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        let clock = ManualClock(t0)
        let tokens = FlakyTokens()
        let setup = ConversationSetup(engine: Self.engine, graph: graph, tokens: tokens, runSender: false)
        try await Harness.run(backend, clock: clock, conversation: setup) { h in
            let (tenant, phone, _) = try await h.tenant()
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "111", id: "wamid.T1", body: "gracias"))
            try await h.process()
            let sender = try #require(h.components.sender)
            #expect(try await sender.sendDue() == 0)
            #expect(graph.sent.isEmpty && graph.markReadCalls.isEmpty)
            let waiting = try #require(try await h.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }.first)
            #expect(waiting.state == .pending && waiting.attempts == 0)
            // Still down when it is due again: it waits again, still uncharged.
            clock.advance(by: 16)
            #expect(try await sender.sendDue() == 0)
            #expect(try await h.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }.first?.attempts == 0)
            // The store is back: the reply goes, its message marked read first.
            tokens.failing.withLockedValue { $0 = false }
            #expect(try await sender.sendDue() == 0)  // not due yet
            clock.advance(by: 16)
            #expect(try await sender.sendDue() == 1)
            #expect(graph.sent.count == 1)
            #expect(graph.markReadCalls.map(\.markRead.messageID) == ["wamid.T1"])
            let sent = try #require(try await h.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }.first)
            #expect(sent.state == .sent && sent.attempts == 1)
            // Down for longer than retries last (the policy's span, about 18.5 min): the reply
            // fails for good, saying why, instead of waiting forever.
            tokens.failing.withLockedValue { $0 = true }
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "111", id: "wamid.T2", body: "gracias"))
            try await h.process()
            #expect(try await sender.sendDue() == 0)
            for _ in 0..<5 {
                clock.advance(by: 300)
                _ = try await sender.sendDue()
            }
            let rows = try await h.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            let late = try #require(rows.first { $0.replyTo == "wamid.T2" })
            #expect(late.state == .failed && late.lastError == "access token could not be read")
            #expect(graph.sent.count == 1)
        }
    }

    @Test("a reply held back while an earlier one to the same user is retried keeps its own retries",
          arguments: TestBackend.available)
    func heldBackKeepsItsRetries(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock, conversation: Self.setup(graph)) { h in
            let (tenant, phone, _) = try await h.tenant()
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "333", id: "wamid.H1", body: "gracias"))
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "333", id: "wamid.H2", body: "adios"))
            try await h.process()
            let sender = try #require(h.components.sender)
            // The first answer fails 7 times (Meta is down), then for good; the second, held back
            // behind it all that time, then meets one 503 of its own.
            graph.failNextSends(7, with: .rejected(status: 503, code: nil, subcode: nil, message: "try later"))
            graph.failNextSends(1, with: .rejected(status: 400, code: 131026, subcode: nil, message: "undeliverable"))
            graph.failNextSends(1, with: .rejected(status: 503, code: nil, subcode: nil, message: "try later"))
            for _ in 0..<10 {
                try await sender.sendDue()
                clock.advance(by: 400)  // past any back-off
            }
            // It was retried, not given up: being held back used none of its attempts.
            #expect(graph.sent.map(\.message.replyTo) == ["wamid.H2"])
            let rows = try await h.store.withTenant(tenant.id) { try await $0.outbox(limit: 10) }
            #expect(rows.first { $0.replyTo == "wamid.H1" }.map { [$0.state.rawValue, "\($0.attempts)"] } == ["failed", "8"])
            #expect(rows.first { $0.replyTo == "wamid.H2" }.map { [$0.state.rawValue, "\($0.attempts)"] } == ["sent", "2"])
        }
    }

    @Test("images, stickers and locations get a sensible answer or silence; reactions get silence; nothing malformed is sent",
          arguments: TestBackend.available)
    func oddMessages(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        try await Harness.run(backend, conversation: Self.setup(graph)) { h in
            let (_, phone, _) = try await h.tenant()
            let kinds: [(String, [String: Any])] = [
                ("image", ["image": ["id": "1", "mime_type": "image/jpeg", "sha256": "x"]]),
                ("sticker", ["sticker": ["id": "2", "mime_type": "image/webp", "sha256": "y", "animated": false]]),
                ("location", ["location": ["latitude": 19.4, "longitude": -99.1]]),
                ("reaction", ["reaction": ["message_id": "wamid.X", "emoji": "👍"]]),
                ("text", ["text": ["body": String(repeating: "á", count: 4096)]]),
                ("text", ["text": ["body": "🙂🙂🙂"]]),
            ]
            for (i, (type, content)) in kinds.enumerated() {
                let payload = WebhookBuilder.json(WebhookBuilder.message(phoneNumberID: phone, from: "3\(i)", id: "wamid.O\(i)",
                                                                         type: type, content: content))
                #expect(try await h.post(payload).status == .ok)
            }
            try await h.process()
            try await h.components.sender!.sendDue()
            #expect(!graph.sent.contains { $0.message.to == "33" })  // the reaction
            for s in graph.sent { #expect(throws: Never.self) { try s.message.validate() } }
        }
    }

    @Test("an album of photos gets one answer saying the bot reads text, never a hand-off; a caption is read as text; a time far ahead is not believed",
          arguments: TestBackend.available)
    func albumsAndCaptions(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        try await Harness.run(backend, clock: FixedClock(now: t0), conversation: Self.setup(graph)) { h in
            let (tenant, phone, _) = try await h.tenant()
            for i in 0..<5 {
                let photo = WebhookBuilder.message(phoneNumberID: phone, from: "5215550000071", id: "wamid.ALB\(i)",
                                                   timestamp: Int(t0.timeIntervalSince1970), type: "image",
                                                   content: ["image": ["id": "m\(i)", "mime_type": "image/jpeg", "sha256": "x"]])
                #expect(try await h.post(WebhookBuilder.json(photo)).status == .ok)
            }
            let captioned = WebhookBuilder.message(phoneNumberID: phone, from: "5215550000072", id: "wamid.CAP1",
                                                   timestamp: Int(t0.timeIntervalSince1970) + 86_400 * 365 * 60, type: "image",  // 2086
                                                   content: ["image": ["id": "m9", "mime_type": "image/jpeg", "sha256": "x",
                                                                       "caption": "quiero reciclar pilas"]])
            #expect(try await h.post(WebhookBuilder.json(captioned)).status == .ok)
            try await h.process()
            while try await h.components.sender!.sendDue() > 0 {}
            let album = graph.sent.filter { $0.message.to == "5215550000071" }
            #expect(album.count == 1, "\(album.map(\.message.kind))")
            if case .text(let body, _)? = album.first?.message.kind { #expect(body.contains("solo leo mensajes de texto")) }
            #expect(album.allSatisfy { $0.message.callbackData == nil })  // not a hand-off
            let answer = try #require(graph.sent.first { $0.message.to == "5215550000072" })
            #expect(answer.message.callbackData == "reciclaje.baterias")
            // The user's last message time is the receipt (give or take the skew), not 2086.
            let context = try #require(try await h.store.withTenant(tenant.id) { try await $0.userContext(waID: "5215550000072") })
            #expect(try #require(context.lastMessageAt) <= t0.addingTimeInterval(InboundMessage.clockSkewAllowed))
        }
    }

    @Test("an answer's parts keep their order in storage and on the wire, at an instant a Date cannot split into microseconds",
          arguments: TestBackend.available)
    func partsKeepTheirOrder(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        // Instants where rows 1 µs apart were stored as the same microsecond (SQLite rounds, PostgreSQL
        // truncates, and a Date near today resolves about 0.24 µs), so they went out in id order,
        // random within a millisecond. About 5 % of instants are like this on each database.
        let instant = Date(timeIntervalSinceReferenceDate: backend == .sqlite ? 800_025_685.340_098_4 : 800_099_679.067_982)
        try await Harness.run(backend, clock: FixedClock(now: instant), conversation: Self.setup(graph)) { h in
            let (tenant, phone, _) = try await h.tenant()
            let texts = ["hola", "ayuda", "como reciclo pilas", "gracias"]
            for (i, text) in texts.enumerated() {
                #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "5215500000088", id: "wamid.P\(i)", body: text,
                                                             timestamp: Int(instant.timeIntervalSince1970))).status == .ok)
            }
            try await h.process()
            let rows = try await h.store.withTenant(tenant.id) { s throws in try await s.outbox(limit: 100) }
            #expect(rows.count >= texts.count)
            #expect(Set(rows.map(\.createdAt)).count == rows.count, "\(rows.map { ($0.createdAt.timeIntervalSince1970 * 1e6, $0.replyTo ?? "") })")
            while try await h.components.sender!.sendDue() > 0 {}
            // Sent in the order queued: every answer after the one before it, each in one piece.
            let answered = graph.sent.compactMap(\.message.replyTo)
            #expect(answered == answered.sorted(), "\(answered)")
            #expect(Set(answered) == Set(texts.indices.map { "wamid.P\($0)" }))
            #expect(graph.sent.count == rows.count)
        }
    }

    @Test("a NUL in a message's id or text is stored as U+FFFD on both databases, and the message answered",
          arguments: TestBackend.available)
    func nulCharacters(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        try await Harness.run(backend, conversation: Self.setup(graph)) { h in
            let (tenant, phone, _) = try await h.tenant()
            // Before: PostgreSQL refused the text (the whole group commit answered 503, then the
            // tenant's batch failed 5 times); SQLite cut it at the NUL, so two ids could collide.
            let nul = WebhookBuilder.json(WebhookBuilder.message(phoneNumberID: phone, from: "5215500000055", id: "wamid.N\u{0}1",
                                                                 type: "text", content: ["text": ["body": "hola\u{0}que tal"]]))
            let other = WebhookBuilder.text(phoneNumberID: phone, from: "5215500000055", id: "wamid.N\u{0}2", body: "gracias")
            #expect(try await h.post(nul).status == .ok)
            #expect(try await h.post(other).status == .ok)
            #expect(try await h.process() == 2)
            #expect(try await h.components.sender!.sendDue() == 2)
            #expect(graph.sent.count == 2)
            try await h.store.withTenant(tenant.id) { s throws in
                let inbound = try await s.conversationLogs(limit: 20).filter { $0.direction == .inbound }
                #expect(Set(inbound.map(\.waMessageID)) == ["wamid.N\u{FFFD}1", "wamid.N\u{FFFD}2"])
                #expect(inbound.contains { $0.body == "hola\u{FFFD}que tal" })
            }
            #expect(try await h.store.webhookEvents(limit: 10).map(\.state) == ["processed", "processed"])
        }
    }

    @Test("a signed webhook with a timestamp or error code no column can hold is processed, and answered: no crash",
          arguments: TestBackend.available)
    func implausibleTimestamps(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        try await Harness.run(backend, conversation: Self.setup(graph)) { h in
            let (tenant, phone, _) = try await h.tenant()
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "5215500000077", id: "wamid.T1", body: "hola",
                                                         timestamp: 99_999_999_999_999)).status == .ok)
            #expect(try await h.post(WebhookBuilder.status(phoneNumberID: phone, messageID: "wamid.unknown", status: "failed",
                                                           recipient: "5215500000077", timestamp: -99_999_999_999,
                                                           errorCode: 99_999_999_999)).status == .ok)
            try await h.process()
            #expect(try await h.components.sender!.sendDue() >= 1)
            #expect(graph.sent.contains { $0.message.to == "5215500000077" })
            try await h.store.withTenant(tenant.id) { s throws in
                let ctx = try #require(try await s.userContext(waID: "5215500000077"))
                #expect(ctx.lastMessageAt == t0)
                let inbound = try await s.conversationLogs(limit: 20).filter { $0.direction == .inbound }
                #expect(inbound.map(\.createdAt) == [t0])
            }
            // The status names no message sent: it waits for one (a status can come before the record of its message).
            #expect(try await h.store.webhookEvents(limit: 10).map(\.state) == ["processed", "pending"])
        }
    }
}

@Suite("Simulator over real HTTP")
struct SimulatorTests {
    /// A script run against a real Liora whose bot is off (webhooks are accepted, nothing is
    /// answered); `reply` plays the bot: given the id of the message a turn sent, it may answer.
    static func runScript(_ yaml: String, reply: @escaping @Sendable (Int, String, AsyncStream<SimulatedGraphAPI.Delivery>.Continuation) -> Void)
        async throws -> (failures: [String], bodies: [String]) {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("script-\(UUID().uuidString).yaml")
        try Data(yaml.utf8).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let script = try ConversationScript.load(url)
        let result = NIOLockedValueBox<([String], [String])>(([], []))
        try await Harness.run(.sqlite) { h in
            let (_, phone, _) = try await h.tenant()
            let port = try #require(h.client.port)
            let session = ChatSession(webhookURL: URL(string: "http://127.0.0.1:\(port)/webhook/meta")!, appSecret: Secret(appSecret),
                                      phoneNumberID: phone)
            let (stream, continuation) = AsyncStream<SimulatedGraphAPI.Delivery>.makeStream()
            // The test's "bot" answers from the tenant's number (the runner ignores other numbers' replies).
            let (answers, bot) = AsyncStream<SimulatedGraphAPI.Delivery>.makeStream()
            let forwarder = Task {
                for await d in answers { continuation.yield(.init(phoneNumberID: phone, message: d.message)) }
            }
            defer { forwarder.cancel() }
            // Watch the session's messages and let the test's "bot" answer them.
            let watcher = Task {
                var seen: String?
                var turn = 0
                while !Task.isCancelled {
                    if let id = session.lastMessageID, id != seen { seen = id; turn += 1; reply(turn, id, bot) }
                    try? await Task.sleep(for: .milliseconds(10))
                }
            }
            var runner = ConversationScriptRunner()
            runner.firstReplyTimeout = .seconds(3)
            let failures = try await runner.run(script, session: session, replies: stream)
            watcher.cancel()
            let bodies = try await h.test.database.transaction { c in
                try await c.query("SELECT body FROM webhook_payloads ORDER BY received_at, id").map {
                    String(decoding: try $0.bytes("body") ?? [], as: UTF8.self)
                }
            }
            result.withLockedValue { $0 = (failures, bodies) }
        }
        return result.withLockedValue { $0 }
    }

    static func delivery(_ kind: OutboundMessage.Kind, answering id: String) -> SimulatedGraphAPI.Delivery {
        SimulatedGraphAPI.Delivery(phoneNumberID: "1", message: OutboundMessage(to: "5215550100000", kind: kind, replyTo: id))
    }

    @Test("a turn that expects silence fails when the bot answers it late, during the next turn or after the last")
    func lateAnswerBreaksSilence() async throws {
        for lastTurnSilent in [false, true] {
            let yaml = lastTurnSilent
                ? "name: late\nturns:\n  - say: gracias\n    expect: {silence: true}\n"
                : "name: late\nturns:\n  - say: gracias\n    expect: {silence: true}\n  - say: hola\n"
            let (failures, _) = try await Self.runScript(yaml) { turn, id, bot in
                guard turn == 1 else { return }
                Task {  // 1.5 s later: after the silence turn's own wait (1.2 s)
                    try? await Task.sleep(for: .milliseconds(1500))
                    bot.yield(Self.delivery(.text(body: "¡De nada!"), answering: id))
                }
            }
            // (On a loaded machine the reply may land inside the turn's own wait: a failure too.)
            #expect(failures == ["turn 1: expected silence, but a reply came later"] || failures == ["turn 1: expected silence, got 1 message(s)"],
                    "last turn silent: \(lastTurnSilent): \(failures)")
        }
    }

    @Test("in a script, say: \"2\" is text even after a reply with buttons; a pick the replies did not offer fails the turn")
    func sayAndPickAreDistinct() async throws {
        let yaml = """
            name: picks
            turns:
              - say: hola
                expect: {buttons: ["Dos"]}
              - say: "2"
              - pick: 3
            """
        let (failures, bodies) = try await Self.runScript(yaml) { turn, id, bot in
            guard turn == 1 else { return }
            bot.yield(Self.delivery(.replyButtons(body: "¿Qué necesitas?", buttons: [.init(id: "a", title: "Uno"), .init(id: "b", title: "Dos")]),
                                    answering: id))
        }
        #expect(failures == ["turn 3: pick 3: the replies to the last message offered 0 choice(s)"])
        #expect(bodies.count == 2)
        #expect(bodies.contains { $0.contains(#""body":"2""#) })
        #expect(!bodies.contains { $0.contains("interactive") })  // "2" was not taken as a press of button 2
    }

    @Test("a wrong app secret is explained; an unanswered message gets a hint about the number and the Graph address")
    func explanations() async throws {
        try await Harness.run(.sqlite) { h in
            let (_, phone, _) = try await h.tenant()
            let port = try #require(h.client.port)
            let wrong = ChatSession(webhookURL: URL(string: "http://127.0.0.1:\(port)/webhook/meta")!, appSecret: Secret("not-the-secret"),
                                    phoneNumberID: phone)
            let refused = try await wrong.say("hola")
            #expect(refused.status == 401)
            #expect(wrong.explain(refused).contains("--app-secret") && wrong.explain(refused).contains("signature"))
        }
        let (failures, _) = try await Self.runScript("name: none\nturns:\n  - say: hola\n    expect: {intent: core.saludo}\n") { _, _, _ in }
        #expect(failures.count == 1 && failures[0].hasPrefix("turn 1: no reply: is ") && failures[0].contains("LIORA_GRAPH_BASE_URL"), "\(failures)")
    }

    @Test("a reply's later lines are indented under the first, as in the README")
    func rendering() {
        let session = ChatSession(webhookURL: URL(string: "http://127.0.0.1:1")!, appSecret: Secret("s"), phoneNumberID: "1")
        #expect(session.render(OutboundMessage(to: "1", kind: .text(body: "🔋 *Pilas*\n\n• Nunca"))) == "bot: 🔋 *Pilas*\n\n     • Nunca")
    }

    @Test("the chat waits for the bot's answer before the next line: a number piped right after a message picks from its answer, even when Meta is slow")
    func chatWaitsForAnswers() async throws {
        try await withSimulatedBot(graphLatency: .milliseconds(500)) { _, graph, chat in
            let input = NIOLockedValueBox(["hola", "1"])
            let printed = NIOLockedValueBox<[String]>([])
            try await ChatLoop.run(session: chat, graph: graph, quiet: .milliseconds(700),
                                   lines: { input.withLockedValue { $0.isEmpty ? nil : $0.removeFirst() } }) { line in
                printed.withLockedValue { $0.append(line) }
            }
            let lines = printed.withLockedValue { $0 }
            // The greeting's buttons came before "1" was read: it picked the first one (help), not a search for "1".
            #expect(lines.first?.contains("[1]") == true, "\(lines)")
            #expect(lines.count >= 2)
            #expect(!lines.contains { $0.contains("“1”") || $0.contains("late reply") }, "\(lines)")
        }
    }

    @Test("a question sent from WhatsApp's product page (referred_product) is answered with that product's card")
    func productInquiry() async throws {
        try await withSimulatedBot { _, graph, chat in
            let replies = Replies(graph.deliveries)
            let message = WebhookBuilder.message(
                phoneNumberID: chat.phoneNumberID, from: chat.waID, id: "wamid.INQ\(UUID().uuidString.prefix(8))",
                timestamp: Int(Date().timeIntervalSince1970), type: "text",
                content: ["text": ["body": "Is this still available?"],
                          "context": ["from": "15550001111", "id": "wamid.PRODUCTPAGE",
                                      "referred_product": ["catalog_id": "194836987003835", "product_retailer_id": "ZAP-001"]]])
            #expect(try await chat.post(WebhookBuilder.json(message)).status == 200)
            let answer = try #require(await replies.next())
            guard case .ctaURL(let body, _, _, _, _) = answer.message.kind else { Issue.record("not a card: \(answer.message.kind)"); return }
            #expect(body.contains("Zapatillas Running Aire Roja"))
            #expect(answer.message.callbackData == "catalogo.detalle")
        }
    }

    @Test("a typed line becomes a signed webhook; the answer comes back through the simulated Graph API; a number picks a button")
    func chat() async throws {
        try await withSimulatedBot { h, graph, chat in
            let replies = Replies(graph.deliveries)
            #expect(try await chat.say("hola").status == 200)
            let first = try #require(await replies.next())
            #expect(first.phoneNumberID == chat.phoneNumberID)
            #expect(first.message.to == chat.waID)
            #expect(first.message.callbackData == "core.saludo")
            let rendered = chat.render(first.message)
            #expect(rendered.hasPrefix("bot: "))
            guard rendered.contains("[1]") else { return }
            // Picking button 1 sends an interactive button_reply with that button's id.
            #expect(try await chat.say("1").status == 200)
            let second = try #require(await replies.next())
            #expect(second.message.to == chat.waID)
        }
    }
}

@Suite("Simulator rendering and scripts")
struct SimulatorRenderingTests {
    @Test("the replies to one message are numbered on across messages (a list split in two), and a number picks that row; another user's replies are not this user's")
    func numbersAcrossMessages() throws {
        let chat = ChatSession(webhookURL: URL(string: "http://127.0.0.1:9/webhook/meta")!, appSecret: Secret("s"), phoneNumberID: "PN1")
        func list(_ range: ClosedRange<Int>) -> OutboundMessage {
            OutboundMessage(to: chat.waID, kind: .list(body: "Categorías", buttonText: "Ver", sections: [
                .init(rows: range.map { .init(id: "cat:\($0)", title: "Categoría \($0)") })]), replyTo: nil)
        }
        let first = chat.render(list(1...10))
        let second = chat.render(list(11...14))
        #expect(first.contains("[1] Categoría 1") && first.contains("[10] Categoría 10"))
        #expect(second.contains("[11] Categoría 11") && second.contains("[14] Categoría 14") && !second.contains("[1] "))
        #expect(chat.choiceCount == 14)
        #expect(chat.choice(1)?.id == "cat:1")
        #expect(chat.choice(11)?.id == "cat:11" && chat.choice(11)?.isList == true)
        #expect(chat.choice(15) == nil)
        let buttons = OutboundMessage(to: chat.waID, kind: .replyButtons(body: "¿Algo más?", buttons: [.init(id: "intent:core.ayuda", title: "Ayuda")]))
        #expect(chat.render(buttons).contains("[15] Ayuda"))
        #expect(chat.choice(15)?.id == "intent:core.ayuda" && chat.choice(15)?.isList == false)
        // Deliveries to someone else, or from another number, are not this user's.
        #expect(chat.isForThisUser(.init(phoneNumberID: "PN1", message: buttons)))
        #expect(!chat.isForThisUser(.init(phoneNumberID: "PN2", message: buttons)))
        #expect(!chat.isForThisUser(.init(phoneNumberID: "PN1", message: OutboundMessage.text("hola", to: "5215550199999"))))
    }

    @Test("a reply to an earlier message is shown as late and its buttons are not the choices; message ids never repeat across sessions")
    func lateRepliesAndUniqueIDs() async throws {
        let chat = ChatSession(webhookURL: URL(string: "http://127.0.0.1:9/webhook/meta")!, appSecret: Secret("s"), phoneNumberID: "PN1")
        _ = try? await chat.sendText("hola")
        let earlier = try #require(chat.lastMessageID)
        _ = try? await chat.sendText("gracias")
        let latest = try #require(chat.lastMessageID)
        let old = OutboundMessage(to: chat.waID, kind: .replyButtons(body: "¡Hola!", buttons: [.init(id: "intent:core.ayuda", title: "Ayuda")]),
                                  replyTo: earlier)
        let shown = chat.render(old)
        #expect(shown.hasPrefix("(late reply to an earlier message) bot: ¡Hola!") && shown.contains("- Ayuda") && !shown.contains("[1]"), "\(shown)")
        #expect(chat.choiceCount == 0)
        let current = OutboundMessage(to: chat.waID, kind: .replyButtons(body: "¡De nada!", buttons: [.init(id: "intent:core.ayuda", title: "Más")]),
                                      replyTo: latest)
        #expect(chat.render(current).contains("[1] Más"))
        #expect(chat.choice(1)?.title == "Más")
        // Another session (another run, the same second) never reuses an id: Liora would drop its message as a duplicate.
        let other = ChatSession(webhookURL: URL(string: "http://127.0.0.1:9/webhook/meta")!, appSecret: Secret("s"), phoneNumberID: "PN1")
        _ = try? await other.sendText("hola")
        #expect(Set([earlier, latest, try #require(other.lastMessageID)]).count == 3)
    }

    @Test("a script that is not valid YAML for a script says where and what, in words")
    func readableScriptErrors() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-bad-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (yaml, words) in [("turns:\n  - say: hola\n    expect: {intent: core.saludo}\n", "the top level: \"name\" is missing"),
                              ("name: x\nturns:\n  - pick: uno\n    expect: {intent: core.saludo}\n", "turns[0].pick: expected a whole number"),
                              ("name: x\nturns: []\n", "the script has no turns"),
                              ("name: x\nturns:\n  - say: hola\n", "no turn has an expect"),
                              ("name: x\nturns:\n  - say: hola: que\n", "bad.yaml:3:14: not valid YAML: mapping values are not allowed")] {
            let file = dir.appendingPathComponent("bad.yaml")
            try Data(yaml.utf8).write(to: file)
            do {
                _ = try ConversationScript.load(file)
                Issue.record("loaded: \(yaml)")
            } catch {
                #expect("\(error)".contains(words) && !"\(error)".contains("DecodingError"), "\(error)")
            }
        }
    }

    @Test("a script whose expectations would pass whatever the bot says is refused when loaded, naming the turn")
    func vacuousExpectations() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-vacuous-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (i, (turn, words)) in [
            ("  - say: hola\n    expect: {silence: true, intent: core.saludo}\n", "silence cannot be checked together"),
            ("  - say: hola\n    expect: {contains: [\"\"]}\n", "empty string in contains"),
            ("  - say: hola\n    expect: {buttons: []}\n", "empty buttons list"),
            ("  - say: hola\n    expect: {}\n", "names nothing to check"),
            ("  - say: hola\n    expect: {silence: false}\n", "silence: true"),
            ("  - say: hola\n    pick: 1\n", "exactly one of say, pick or location"),
            ("  - say: \"\"\n    expect: {intent: core.saludo}\n", "the text to say is empty"),
            ("  - say:\n    expect: {intent: core.saludo}\n", "the text to say is empty"),
            ("  - say: \" \"\n    expect: {intent: core.saludo}\n", "the text to say is empty"),
        ].enumerated() {
            let file = dir.appendingPathComponent("s\(i).yaml")
            try Data("name: x\nturns:\n  - say: buenas\n\(turn)".utf8).write(to: file)
            do {
                _ = try ConversationScript.load(file)
                Issue.record("loaded: \(turn)")
            } catch {
                #expect("\(error)".contains("turn 2") && "\(error)".contains(words), "\(error)")
            }
        }
        // A file that is not there: a clear error naming it.
        do {
            _ = try ConversationScript.load(dir.appendingPathComponent("missing.yaml"))
            Issue.record("loaded a missing file")
        } catch {
            #expect("\(error)".contains("missing.yaml") && "\(error)".contains("cannot read"), "\(error)")
        }
    }

    @Test("a script against an address where no Liora runs fails its first turn saying so, and stops")
    func nobodyThere() async throws {
        let chat = ChatSession(webhookURL: URL(string: "http://127.0.0.1:9/webhook/meta")!, appSecret: Secret("s"), phoneNumberID: "PN1")
        let script = try YAMLDecoder().decode(ConversationScript.self, from: "name: x\nturns:\n  - say: hola\n  - say: adiós\n")
        let (stream, _) = AsyncStream<SimulatedGraphAPI.Delivery>.makeStream()
        let failures = try await ConversationScriptRunner().run(script, session: chat, replies: stream)
        #expect(failures.count == 1)
        #expect(failures.first?.hasPrefix("turn 1: could not post the webhook to http://127.0.0.1:9/webhook/meta") == true, "\(failures)")
    }
}

/// Replies from the simulated Graph API, waited for at most 10 s each.
final class Replies: @unchecked Sendable {
    private var iterator: AsyncStream<SimulatedGraphAPI.Delivery>.AsyncIterator
    init(_ stream: AsyncStream<SimulatedGraphAPI.Delivery>) { iterator = stream.makeAsyncIterator() }

    func next() async -> SimulatedGraphAPI.Delivery? {
        await withTaskGroup(of: SimulatedGraphAPI.Delivery?.self) { group in
            group.addTask { [self] in await self.iterator.next() }
            group.addTask { try? await Task.sleep(for: .seconds(10)); return nil }
            let first = await group.next() ?? nil
            group.cancelAll()
            return first
        }
    }
}

@Suite("Conversation scripts in Tests/conversations")
struct ConversationScriptTests {
    static let folder = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("conversations")
    static let files: [String] = (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?
        .filter { $0.hasSuffix(".yaml") }.sorted() ?? []

    @Test("the folder has a script per intent family")
    func coverage() throws {
        let intents = try Self.files.flatMap { try ConversationScript.load(Self.folder.appendingPathComponent($0)).turns.compactMap(\.expect?.intent) }
        for family in ["core.", "catalogo.", "vida_sana.", "reciclaje."] {
            #expect(intents.contains { $0.hasPrefix(family) }, "no script expects a \(family) intent")
        }
    }

    @Test("a script whose expectations are wrong reports each failure")
    func failingScript() async throws {
        let yaml = """
            name: wrong on purpose
            turns:
              - say: "hola"
                expect: {intent: reciclaje.vidrio, contains: ["zebra"], buttons: ["Nope"]}
              - say: "gracias"
                expect: {silence: true}
            """
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("wrong-\(UUID().uuidString).yaml")
        try yaml.write(to: file, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: file) }
        let script = try ConversationScript.load(file)
        try await withSimulatedBot { _, graph, chat in
            let failures = try await ConversationScriptRunner().run(script, session: chat, replies: graph.deliveries)
            #expect(failures.count == 4, "\(failures)")
            #expect(failures.contains { $0.contains("expected intent reciclaje.vidrio, got core.saludo") })
            #expect(failures.contains { $0.contains("\"zebra\"") })
            #expect(failures.contains { $0.contains("expected silence") })
        }
    }

    @Test("each script passes through the simulator code path", arguments: files)
    func script(file: String) async throws {
        let script = try ConversationScript.load(Self.folder.appendingPathComponent(file))
        try await withSimulatedBot(waID: script.waID ?? "5215550100000") { _, graph, chat in
            let failures = try await ConversationScriptRunner().run(script, session: chat, replies: graph.deliveries)
            #expect(failures.isEmpty, "\(script.name): \(failures.joined(separator: "; "))")
        }
    }
}

/// A running Liora (SQLite, background processor and sender) answering as the bot through a
/// simulated Graph API on 127.0.0.1, with a chat session for a new tenant's number.
func withSimulatedBot(waID: String = "5215550100000", graphLatency: Duration = .zero,
                      _ body: @Sendable @escaping (Harness, SimulatedGraphAPI, ChatSession) async throws -> Void) async throws {
    let graph = SimulatedGraphAPI(latency: graphLatency, logger: TestDatabases.logger)
    try await graph.run { graphURL in
        var setup = ConversationSetup(engine: ConversationTests.engine, graph: LibcurlGraphAPIClient(baseURL: graphURL),
                                      tokens: FixedAccessTokenSource(Secret("t")))
        setup.senderIdlePoll = .milliseconds(50)
        try await Harness.run(.sqlite, runProcessor: true, clock: SystemClock(), conversation: setup) { h in
            let (tenant, phone, _) = try await h.tenant()
            // The tenant publishes the demo store through the signed catalog API, as a business would.
            let vault = try #require(h.components.vault)
            let secret = try await h.store.withTenant(tenant.id) { s throws in try await CatalogSecrets.issue(in: s, vault: vault, overlap: 0, now: Date()) }
            let published = try await CatalogAPITests.send(h, .post, "/publish", tenant: tenant.id, body: CatalogAPITests.demoStore, secret: secret,
                                                           timestamp: Int(Date().timeIntervalSince1970))
            #expect(published.status == .created)
            let port = try #require(h.client.port)
            let chat = ChatSession(webhookURL: URL(string: "http://127.0.0.1:\(port)/webhook/meta")!, appSecret: Secret(appSecret),
                                   phoneNumberID: phone, waID: waID)
            try await body(h, graph, chat)
        }
    }
}

@Suite("Simulated Graph API")
struct SimulatedGraphAPIPortTests {
    @Test("read receipts are answered as Meta does, not refused as malformed messages")
    func readReceipts() async throws {
        let graph = SimulatedGraphAPI(logger: TestDatabases.logger)
        try await graph.run { url in
            let client = LibcurlGraphAPIClient(baseURL: url)
            try await client.markRead(MarkRead(messageID: "wamid.X", showsTypingIndicator: true), phoneNumberID: "100", accessToken: "t")
            let sent = try await client.send(OutboundMessage(to: "5215550100000", kind: .text(body: "hola")), phoneNumberID: "100", accessToken: "t")
            #expect(sent.messageID.hasPrefix("wamid.SIM") && sent.messageID.count > 30)
            let again = try await client.send(OutboundMessage(to: "5215550100000", kind: .text(body: "hola")), phoneNumberID: "100", accessToken: "t")
            #expect(again.messageID != sent.messageID)
        }
    }

    @Test("a port already in use ends the run with an error naming it, instead of waiting forever")
    func portInUse() async throws {
        let first = SimulatedGraphAPI(logger: TestDatabases.logger)
        try await first.run { url in
            let taken = try #require(url.port)
            let second = SimulatedGraphAPI(port: taken, logger: TestDatabases.logger)
            let outcome = try await within(.seconds(20)) { () -> String in
                do {
                    try await second.run { _ in () }
                    return "ran"
                } catch {
                    return "\(error)"
                }
            }
            #expect(outcome.contains("could not listen on 127.0.0.1:\(taken)"), "\(outcome)")
        }
    }
}

@Suite("Conversation scripts")
struct ConversationScriptFormatTests {
    @Test("a misspelt key is an error naming it, not an expectation silently skipped; the shipped scripts load")
    func unknownKeys() throws {
        let dir = FileManager.default.temporaryDirectory.appendingPathComponent("liora-script-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: dir) }
        for (text, key) in [("name: x\nturns:\n  - say: hola\n    expect: {intnet: core.saludo}\n", "intnet"),
                            ("name: x\nturns:\n  - sey: hola\n", "sey"),
                            ("name: x\nwaid: '1'\nturns: []\n", "waid")] {
            let file = dir.appendingPathComponent("\(key).yaml")
            try Data(text.utf8).write(to: file)
            #expect(throws: LioraSimulatorError.self) { _ = try ConversationScript.load(file) }
            do { _ = try ConversationScript.load(file) } catch { #expect("\(error)".contains("unknown key \"\(key)\""), "\(error)") }
        }
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("conversations")
        for file in try FileManager.default.contentsOfDirectory(atPath: root.path) where file.hasSuffix(".yaml") {
            #expect(throws: Never.self) { _ = try ConversationScript.load(root.appendingPathComponent(file)) }
        }
    }
}
