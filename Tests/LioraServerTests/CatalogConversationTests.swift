import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOConcurrencyHelpers
import Testing
import WhatsApp

/// A Bitly stand-in: counts calls, answers a fixed link or fails.
final class FakeBitly: ExternalLinkShortener {
    let calls = NIOLockedValueBox<[String]>([])
    let failing: Bool
    init(failing: Bool) { self.failing = failing }

    func shorten(longURL: String, token: Secret, domain: String?, groupGUID: String?) async throws -> URL {
        calls.withLockedValue { $0.append(longURL) }
        if failing { throw BitlyError.rejected(status: 500, message: "boom", description: nil) }
        #expect(token.value == "bitly-token-0001")
        return URL(string: "https://bit.ly/demo\(calls.withLockedValue { $0.count })")!
    }
}

@Suite("Product replies with tracked links")
struct CatalogConversationTests {
    static func setup(_ graph: FakeGraphAPI, bitly: FakeBitly? = nil) -> ConversationSetup {
        var s = ConversationSetup(engine: ConversationTests.engine, graph: graph, tokens: FixedAccessTokenSource(Secret("t")), runSender: false)
        s.externalShortener = bitly
        return s
    }

    /// Publishes the demo store for a new tenant; returns the tenant, its phone and its secret.
    static func shop(_ h: Harness) async throws -> (UUID, String, String) {
        let (tenant, phone, _) = try await h.tenant()
        let vault = try #require(h.components.vault)
        let secret = try await h.store.withTenant(tenant.id) { s throws in try await CatalogSecrets.issue(in: s, vault: vault, overlap: 0, now: t0) }
        let r = try await CatalogAPITests.send(h, .post, "/publish", tenant: tenant.id, body: CatalogAPITests.demoStore, secret: secret)
        #expect(r.status == .created)
        return (tenant.id, phone, secret)
    }

    /// Sends the messages in order (processing each) and returns what the bot sent for the last one.
    static func chat(_ h: Harness, _ graph: FakeGraphAPI, phone: String, _ messages: [Data]) async throws -> [OutboundMessage] {
        var before = 0
        for m in messages {
            before = graph.sent.count
            #expect(try await h.post(m).status == .ok)
            try await h.process()
            try await h.components.sender!.sendDue()
        }
        return graph.sent.dropFirst(before).map(\.message)
    }

    @Test("after a restart the catalog index is rebuilt outside the processor's transactions, and answers",
          arguments: TestBackend.available)
    func indexRebuiltOutsideTransactions(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        try await Harness.run(backend, conversation: Self.setup(graph)) { h in
            let (tenant, phone, _) = try await Self.shop(h)
            // A new process: nothing built yet. While it builds the index, another writer of the
            // same user's context must get through: a build inside the processor's transaction
            // would hold SQLite's one writer, or on PostgreSQL that row's lock.
            let others = NIOLockedValueBox<[Bool]>([])
            let store = h.store
            let cache = CatalogIndexCache(beforeBuild: {
                let through = await Self.otherWriterGetsThrough(store, tenant: tenant, waID: "5215500000009", within: .seconds(5))
                others.withLockedValue { $0.append(through) }
            })
            let restarted = WebhookProcessor(
                store: store, clock: FixedClock(now: t0), metrics: LioraMetrics(), logger: TestDatabases.logger,
                responder: ConversationResponder(engine: ConversationTests.engine, catalogs: cache),
                splitTransactions: backend == .sqlite)
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "5215500000009", id: "wamid.R1",
                                                        body: "busco zapatillas rojas")).status == .ok)
            #expect(try await restarted.runUntilIdle() == 1)
            #expect(others.withLockedValue { $0 } == [true])
            // The rebuilt index answered the search, and stays built for the next message.
            try await h.store.withTenant(tenant) { s throws in
                let replies = try await s.outbox(limit: 10).filter { $0.replyTo == "wamid.R1" }
                #expect(replies.contains { $0.payloadJSON.contains("sku:ZAP-001") }, "\(replies.map(\.payloadJSON))")
            }
            #expect(try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "5215500000009", id: "wamid.R2",
                                                        body: "busco zapatillas rojas")).status == .ok)
            #expect(try await restarted.runUntilIdle() == 1)
            #expect(others.withLockedValue { $0.count } == 1)
        }
    }

    @Test("a live catalog accepted before a newer publish rule still gets its index after a restart; a new publish of it is refused")
    func storedSnapshotOutlivesNewRules() async throws {
        let body = Array("""
            {"currency": "JPY", "locale": "ja-JP", "categories": [{"id": "cha", "name": "Cha"}],
             "products": [{"sku": "T-1", "name": "Matcha", "price": "1299.50", "url": "https://shop.example/p/t1", "category": "cha", "stock": 2}]}
            """.utf8)
        guard case .invalid(let problems) = CatalogCheck.run(body) else { Issue.record("a fractional JPY price was accepted"); return }
        #expect(problems.map(\.code) == ["bad_price"])
        let built = await CatalogIndexCache().build(tenantID: UUID(), version: 3, body: body)
        #expect(built?.version == 3)
        #expect(built?.index.search("matcha", limit: 1).first?.product.sku == "T-1")
    }

    @Test("a picked product comes as a card whose button is a tracked short link with UTM campaign and sku",
          arguments: TestBackend.available)
    func productCard(backend: TestBackend) async throws {
        let graph = FakeGraphAPI()
        try await Harness.run(backend, conversation: Self.setup(graph)) { h in
            let (tenant, phone, _) = try await Self.shop(h)
            let ts = Int(t0.timeIntervalSince1970)
            let list = try await Self.chat(h, graph, phone: phone, [
                WebhookBuilder.text(phoneNumberID: phone, from: "5215500000001", id: "wamid.C1", body: "busco zapatillas rojas", timestamp: ts)])
            guard case .list(_, _, let sections, _, _) = try #require(list.first).kind else { Issue.record("not a list: \(list)"); return }
            #expect(sections.first?.rows.first?.id == "sku:ZAP-001")
            for m in list { #expect(throws: Never.self) { try m.validate() } }
            let card = try await Self.chat(h, graph, phone: phone, [
                WebhookBuilder.listReply(phoneNumberID: phone, from: "5215500000001", id: "wamid.C2", replyID: "sku:ZAP-001",
                                         title: "Zapatillas Running…", timestamp: ts + 1)])
            guard case .ctaURL(let body, _, let url, let image, _) = try #require(card.first).kind else { Issue.record("not a card: \(card)"); return }
            #expect(body.contains("Zapatillas Running Aire Roja"))
            #expect(image == "https://tienda.demo.liora.dev/img/zap-001.jpg")
            #expect(url.hasPrefix("http://127.0.0.1:0/s/"))
            // The short link redirects to the product with UTM parameters, and the click is recorded.
            let path = String(url.dropFirst("http://127.0.0.1:0".count))
            let redirect = try await h.client.execute(uri: path, method: .get, headers: [.userAgent: "Mozilla/5.0 (iPhone)"])
            #expect(redirect.status == .found)
            let target = try #require(redirect.headers[.location])
            #expect(target.hasPrefix("https://tienda.demo.liora.dev/p/zap-001?"))
            #expect(target.contains("utm_source=whatsapp") && target.contains("utm_medium=chatbot"))
            #expect(target.contains("utm_campaign=catalogo.detalle") && target.contains("utm_content=ZAP-001"))
            try await h.store.withTenant(tenant) { s throws in
                let clicks = try await s.linkClicks(limit: 10)
                #expect(clicks.count == 1)
                #expect(clicks.first?.intent == "catalogo.detalle")
                #expect(clicks.first?.isBot == false)
                #expect(clicks.first?.userContextID != nil)
            }
        }
    }

    @Test("Bitly is called holding no transaction: a writer of the same user's context gets through while Bitly answers",
          arguments: TestBackend.available)
    func bitlyOutsideTransactions(backend: TestBackend) async throws {
        /// A Bitly that, while it answers, has another writer of the user's context try to get
        /// through (held back by SQLite's one writer, or on PostgreSQL by that row's lock).
        final class WatchingBitly: ExternalLinkShortener {
            let store = NIOLockedValueBox<(SQLStore, UUID)?>(nil)
            let otherWriterGotThrough = NIOLockedValueBox<[Bool]>([])
            func shorten(longURL: String, token: Secret, domain: String?, groupGUID: String?) async throws -> URL {
                guard let (store, tenant) = store.withLockedValue({ $0 }) else { throw BitlyError.rejected(status: 500, message: "x", description: nil) }
                let through = await CatalogConversationTests.otherWriterGetsThrough(store, tenant: tenant, waID: "5215500000005",
                                                                                    within: .seconds(3))
                otherWriterGotThrough.withLockedValue { $0.append(through) }
                return URL(string: "https://bit.ly/watched")!
            }
        }
        let graph = FakeGraphAPI()
        let bitly = WatchingBitly()
        var setup = Self.setup(graph)
        setup.externalShortener = bitly
        try await Harness.run(backend, conversation: setup) { h in
            let (tenant, phone, _) = try await Self.shop(h)
            try await Self.configureBitly(h, tenant: tenant)
            bitly.store.withLockedValue { $0 = (h.store, tenant) }
            let card = try await Self.chat(h, graph, phone: phone, [
                WebhookBuilder.listReply(phoneNumberID: phone, from: "5215500000005", id: "wamid.W1", replyID: "sku:AUD-001",
                                         title: "Audífonos", timestamp: Int(t0.timeIntervalSince1970))])
            guard case .ctaURL(_, _, let url, _, _) = try #require(card.first).kind else { Issue.record("not a card"); return }
            #expect(url == "https://bit.ly/watched")
            #expect(bitly.otherWriterGotThrough.withLockedValue { $0 } == [true])
        }
    }

    /// Whether another writer (touching `waID`'s context) commits within `within` while the caller waits.
    static func otherWriterGetsThrough(_ store: SQLStore, tenant: UUID, waID: String, within: Duration) async -> Bool {
        let done = NIOLockedValueBox(false)
        Task {
            try await store.withTenant(tenant) { s in
                _ = try await s.touchUserContexts([UserContextTouch(waID: waID, profileName: nil, messageAt: t0, messages: 0)], now: t0)
            }
            done.withLockedValue { $0 = true }
        }
        let deadline = ContinuousClock.now + within
        while !done.withLockedValue({ $0 }) && ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return done.withLockedValue { $0 }
    }

    /// Gives the tenant a Bitly account (token `bitly-token-0001`).
    static func configureBitly(_ h: Harness, tenant: UUID) async throws {
        let vault = try #require(h.components.vault)
        try await h.store.withTenant(tenant) { s throws in
            let sealed = try await vault.seal("bitly-token-0001", binding: EncryptionBinding(
                tenantID: tenant, table: "link_provider_settings", rowID: tenant.uuidString.lowercased(), column: "token_ciphertext"),
                in: s, now: t0)
            try await s.setLinkProviderSettings(LinkProviderSettings(
                provider: "bitly", tokenCiphertext: sealed.ciphertext, keyVersion: sealed.keyVersion, tokenLast4: "0001",
                domain: nil, groupGUID: nil, updatedAt: t0), actor: "test", now: t0)
        }
    }

    @Test("with a Bitly token the link comes from Bitly once and is reused; when Bitly fails the built-in link is used",
          arguments: TestBackend.available)
    func bitly(backend: TestBackend) async throws {
        for failing in [false, true] {
            let graph = FakeGraphAPI()
            let bitly = FakeBitly(failing: failing)
            try await Harness.run(backend, conversation: Self.setup(graph, bitly: bitly)) { h in
                let (tenant, phone, _) = try await Self.shop(h)
                try await Self.configureBitly(h, tenant: tenant)
                let ts = Int(t0.timeIntervalSince1970)
                var urls: [String] = []
                for (i, user) in ["5215500000002", "5215500000003"].enumerated() {
                    let card = try await Self.chat(h, graph, phone: phone, [
                        WebhookBuilder.listReply(phoneNumberID: phone, from: user, id: "wamid.B\(i)", replyID: "sku:AUD-001",
                                                 title: "Audífonos", timestamp: ts + i)])
                    guard case .ctaURL(_, _, let url, _, _) = try #require(card.first).kind else { Issue.record("not a card"); return }
                    urls.append(url)
                }
                if failing {
                    #expect(urls.allSatisfy { $0.hasPrefix("http://127.0.0.1:0/s/") })
                    #expect(bitly.calls.withLockedValue { $0.count } == 2)
                } else {
                    #expect(urls == ["https://bit.ly/demo1", "https://bit.ly/demo1"])
                    let calls = bitly.calls.withLockedValue { $0 }
                    #expect(calls.count == 1)
                    #expect(calls.first?.contains("utm_campaign=catalogo.detalle") == true)
                    #expect(calls.first?.contains("utm_content=AUD-001") == true)
                }
            }
        }
    }
}
