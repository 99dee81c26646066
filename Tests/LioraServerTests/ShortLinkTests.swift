import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOConcurrencyHelpers
import Testing

@Suite("Short links")
struct ShortLinkTests {
    @Test("UTM parameters are added and the link's own kept; old values of the UTM parameters Liora sets replaced, other UTM parameters kept")
    func utm() throws {
        let out = LinkShortener.withUTM("https://shop.example/p/42?color=red&utm_source=old", campaign: "catalogo.buscar", content: "SKU-42")
        let items = try #require(URLComponents(string: out)?.queryItems)
        let dict = Dictionary(items.map { ($0.name, $0.value ?? "") }, uniquingKeysWith: { a, _ in a })
        #expect(dict == ["color": "red", "utm_source": "whatsapp", "utm_medium": "chatbot",
                         "utm_campaign": "catalogo.buscar", "utm_content": "SKU-42"])
        #expect(out.hasPrefix("https://shop.example/p/42?"))
        // The shop's other UTM parameters stay, and so do a campaign and content Liora has none for.
        let kept = LinkShortener.withUTM("https://shop.mx/p?utm_term=verano&utm_id=42&utm_campaign=rebajas&utm_content=banner&utm_source=ig",
                                         campaign: nil, content: nil)
        #expect(kept == "https://shop.mx/p?utm_term=verano&utm_id=42&utm_campaign=rebajas&utm_content=banner&utm_source=whatsapp&utm_medium=chatbot")
        let replaced = LinkShortener.withUTM("https://shop.mx/p?utm_term=verano&utm_campaign=rebajas", campaign: "catalogo.buscar", content: nil)
        #expect(replaced == "https://shop.mx/p?utm_term=verano&utm_source=whatsapp&utm_medium=chatbot&utm_campaign=catalogo.buscar")
    }

    @Test("the link's own query is kept byte for byte: an encoded plus, a Latin-1 value, a fragment; our values are encoded")
    func utmKeepsTheQueryAsWritten() {
        let signed = LinkShortener.withUTM("https://s.example/p?sig=ab%2Bcd&utm_medium=x#top", campaign: "catalogo.detalle", content: "A+B&C")
        #expect(signed == "https://s.example/p?sig=ab%2Bcd&utm_source=whatsapp&utm_medium=chatbot&utm_campaign=catalogo.detalle&utm_content=A%2BB%26C#top")
        let latin1 = LinkShortener.withUTM("https://t.mx/buscar?q=caf%E9&UTM_Source=old", campaign: nil, content: nil)
        #expect(latin1 == "https://t.mx/buscar?q=caf%E9&utm_source=whatsapp&utm_medium=chatbot")
        #expect(LinkShortener.withUTM("https://t.mx/p", campaign: "core.ayuda", content: nil)
                == "https://t.mx/p?utm_source=whatsapp&utm_medium=chatbot&utm_campaign=core.ayuda")
        #expect(LinkShortener.withUTM("not a url", campaign: nil, content: nil) == "not a url")
    }

    @Test("codes are 12 base-62 characters and do not repeat")
    func codes() {
        let codes = (0..<2000).map { _ in LinkShortener.randomCode() }
        #expect(Set(codes).count == codes.count)
        #expect(codes.allSatisfy { $0.count == 12 && LinkShortener.isWellFormed($0) })
        #expect(!LinkShortener.isWellFormed("../etc"))
        #expect(!LinkShortener.isWellFormed(""))
    }

    @Test("bots and link previews are told apart from people")
    func bots() {
        #expect(UserAgentClassifier.isBot("facebookexternalhit/1.1 (+http://www.facebook.com/externalhit_uatext.php)"))
        #expect(UserAgentClassifier.isBot("WhatsApp/2.23.20.0 A"))
        #expect(UserAgentClassifier.isBot("Mozilla/5.0 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)"))
        #expect(UserAgentClassifier.isBot(nil))
        #expect(!UserAgentClassifier.isBot("Mozilla/5.0 (iPhone; CPU iPhone OS 17_0 like Mac OS X) AppleWebKit/605.1.15 Mobile/15E148"))
        // A phone whose brand contains "bot" is a person; crawlers write "bot" as a product token.
        #expect(!UserAgentClassifier.isBot("Mozilla/5.0 (Linux; Android 10; CUBOT X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"))
        #expect(!UserAgentClassifier.isBot("Mozilla/5.0 (Linux; Android 10; CUBOT_X30) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 Mobile Safari/537.36"))
        #expect(!UserAgentClassifier.isBot("Mozilla/5.0 (Linux; Android 9; CUBOT-NOTE Build/PPR1) AppleWebKit/537.36 Chrome/119.0 Mobile Safari/537.36"))
        #expect(!UserAgentClassifier.isBot("Mozilla/5.0 (Linux; Android 11; CUBOT) AppleWebKit/537.36 Chrome/120.0 Mobile Safari/537.36"))
        #expect(UserAgentClassifier.isBot("ExampleBot"))
        #expect(UserAgentClassifier.isBot("Googlebot-Image/1.0"))
        #expect(UserAgentClassifier.isBot("Mozilla/5.0 (compatible; Google-InspectionTool/1.0;)"))
        #expect(UserAgentClassifier.isBot("meta-externalagent/1.1 (+https://developers.facebook.com/docs/sharing/webmasters/crawler)"))
        #expect(UserAgentClassifier.isBot("Python-urllib/3.11"))
        #expect(UserAgentClassifier.isBot("okhttp/4.12.0"))
        #expect(!UserAgentClassifier.isBot("UCWEB/2.0 (Linux; U; Adr 9; es-LA; CUBOT_P30) U2/1.0.0 UCBrowser/13.4.0.1306 Mobile"))
        #expect(UserAgentClassifier.isBot("AdsBot-Google (+http://www.google.com/adsbot.html)"))
        #expect(UserAgentClassifier.isBot("DuckDuckBot-Https/1.1; (+https://duckduckgo.com/duckduckbot)"))
        #expect(UserAgentClassifier.isBot("Mozilla/5.0 (compatible; SemrushBot; +http://www.semrush.com/bot.html)"))
        #expect(UserAgentClassifier.isBot("Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)"))
        #expect(UserAgentClassifier.isBot("Mozilla/5.0 (compatible; AhrefsBot/7.0; +http://ahrefs.com/robot/)"))
        #expect(UserAgentClassifier.isBot("Slackbot-LinkExpanding 1.0 (+https://api.slack.com/robots)"))
        // Programs that fetch a link are not people opening it, whatever they call themselves.
        for ua in ["Python/3.11 aiohttp/3.9.1", "node-fetch", "PostmanRuntime/7.36.0", "Google-Safety", "Dalvik/2.1.0 (Linux; U; Android 13)",
                   "Viber/13.3.0.5 CFNetwork/1410.0.3 Darwin/22.6.0", "Go http package",
                   "Mozilla/5.0 (compatible; Iframely/1.3.1; +https://iframely.com/docs/about)",
                   "Mozilla/5.0 (compatible; Google-Apps-Script; beanserver; +https://script.google.com; id: UAEmdDd)", "YahooMailProxy; https://help.yahoo.com/kb/yahoo-mail-proxy-SLN28749.html"] {
            #expect(UserAgentClassifier.isBot(ua), "\(ua)")
        }
        // In-app browsers are people.
        for ua in ["Mozilla/5.0 (Linux; Android 13; SM-A536E Build/TP1A.220624.014; wv) AppleWebKit/537.36 (KHTML, like Gecko) Version/4.0 Chrome/119.0.6045.193 Mobile Safari/537.36 Instagram 309.0.0.40.113 Android",
                   "Mozilla/5.0 (iPhone; CPU iPhone OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) Mobile/15E148 [FBAN/FBIOS;FBAV/440.0.0.33.116]",
                   "Opera/9.80 (Android; Opera Mini/7.5.33361/191.227; U; es) Presto/2.12.423 Version/12.16",
                   "Mozilla/4.0 (compatible; MSIE 7.0; Windows NT 6.1)"] {
            #expect(!UserAgentClassifier.isBot(ua), "\(ua)")
        }
    }

    @Test("the same long URL in one tenant reuses its code; another tenant gets its own; a redirect records the click",
          arguments: TestBackend.available)
    func shortenAndRedirect(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let a = try await h.tenant()
            let b = try await h.tenant()
            let shortener = LinkShortener(publicBaseURL: URL(string: "https://lio.ra")!)
            let ctx = try await h.store.withTenant(a.tenant.id) { s in
                try await s.touchUserContext(waID: "5215500000000", profileName: nil, messageAt: t0, now: t0).context
            }
            let first = try await h.store.withTenant(a.tenant.id) { s in
                try await shortener.shorten("https://shop.example/p/1", intent: "catalogo.detalle", sku: "P1",
                                            userContextID: ctx.id, in: s, now: t0)
            }
            let again = try await h.store.withTenant(a.tenant.id) { s in
                try await shortener.shorten("https://shop.example/p/1", intent: "catalogo.detalle", sku: "P1",
                                            userContextID: nil, in: s, now: t0)
            }
            let other = try await h.store.withTenant(b.tenant.id) { s in
                try await shortener.shorten("https://shop.example/p/1", intent: "catalogo.detalle", sku: "P1",
                                            userContextID: nil, in: s, now: t0)
            }
            #expect(first.absoluteString.hasPrefix("https://lio.ra/s/"))
            #expect(first.path == again.path)
            #expect(first.path != other.path)

            let path = first.path + "?" + (first.query ?? "")
            let r = try await h.client.execute(uri: path, method: .get, headers: [.userAgent: "Mozilla/5.0 (Linux; Android 14) Mobile"])
            #expect(r.status == .found)
            let location = try #require(r.headers[.location])
            #expect(location.hasPrefix("https://shop.example/p/1?"))
            #expect(location.contains("utm_campaign=catalogo.detalle"))
            #expect(location.contains("utm_content=P1"))
            _ = try await h.client.execute(uri: path, method: .get, headers: [.userAgent: "facebookexternalhit/1.1"])
            // A link checker's HEAD gets the same redirect and is no click; an unknown code is 404 to it too.
            let probe = try await h.client.execute(uri: path, method: .head, headers: [.userAgent: "Mozilla/5.0 (Windows NT 10.0) Chrome/120.0"])
            #expect(probe.status == .found && probe.headers[.location] == location && probe.headers[.cacheControl] == "no-store")
            #expect(try await h.client.execute(uri: "/s/NoSuchCode12", method: .head).status == .notFound)
            // A user agent is stored cut to 512 bytes at a character boundary, however it is built
            // (one character with 3,000 combining marks is 6 KB).
            let heavy = "Mozilla/5.0 é" + String(repeating: "\u{301}", count: 3_000)
            _ = try await h.client.execute(uri: first.path, method: .get, headers: [.userAgent: heavy])  // no ?u=: another visitor

            let clicks = try await h.store.withTenant(a.tenant.id) { try await $0.linkClicks(limit: 10) }
            #expect(clicks.count == 3)
            // (Compared as bytes: as Swift strings, an "é" with 3,000 accents is one character.)
            let stored = try #require(clicks.compactMap(\.userAgent).first { $0.utf8.count > 100 })
            #expect(stored.utf8.count <= 512 && stored.utf8.count >= 510 && heavy.utf8.starts(with: stored.utf8))
            #expect(clicks.allSatisfy { $0.intent == "catalogo.detalle" })
            #expect(clicks.filter { $0.userAgent != stored }.allSatisfy { $0.userContextID == ctx.id })
            #expect(clicks.map(\.isBot).sorted { !$0 && $1 } == [false, false, true])
            #expect(try await h.store.withTenant(b.tenant.id) { try await $0.linkClicks(limit: 10) }.isEmpty)

            // A user context id from another tenant is not trusted.
            let foreign = other.path + "?u=" + ctx.id.uuidString.lowercased()
            #expect(try await h.client.execute(uri: foreign, method: .get).status == .found)
            let bClicks = try await h.store.withTenant(b.tenant.id) { try await $0.linkClicks(limit: 10) }
            #expect(bClicks.count == 1)
            #expect(bClicks[0].userContextID == nil)

            // A deleted tenant's links answer 404 and record nothing; the other tenant's still work.
            try await h.store.withTenant(a.tenant.id) { try await $0.deleteTenant(actor: "test", now: t0) }
            let gone = try await h.client.execute(uri: path, method: .get, headers: [.userAgent: "Mozilla/5.0 (Linux; Android 14) Mobile"])
            #expect(gone.status == .notFound)
            #expect(try await h.store.withTenant(a.tenant.id) { try await $0.linkClicks(limit: 10) }.count == 3)
            #expect(try await h.client.execute(uri: other.path, method: .get).status == .found)
        }
    }

    @Test("a 2,048-character URL in a non-Latin script is shortened once and reused; Bitly's link for it is kept",
          arguments: TestBackend.available)
    func longNonLatinURL(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let a = try await h.tenant()
            // About 6 KB of UTF-8 that does not compress (more than a PostgreSQL btree entry holds).
            var seed: UInt32 = 12_345
            let long = "https://tienda.example/" + String(String.UnicodeScalarView((0..<2_024).map { _ in
                seed = seed &* 1_103_515_245 &+ 12_345
                return Unicode.Scalar(0x4E00 + (seed >> 8) % 0x5000)!
            }))
            #expect(long.count == 2_047 && long.utf8.count > 6_000)
            let shortener = LinkShortener(publicBaseURL: URL(string: "https://lio.ra")!)
            let (first, again) = try await h.store.withTenant(a.tenant.id) { s in
                (try await shortener.shorten(long, intent: "catalogo.detalle", sku: "P1", userContextID: nil, in: s, now: t0),
                 try await shortener.shorten(long, intent: "catalogo.detalle", sku: "P1", userContextID: nil, in: s, now: t0))
            }
            #expect(first.path == again.path)
            let r = try await h.client.execute(uri: first.path, method: .get, headers: [.userAgent: "Mozilla/5.0 (iPhone)"])
            #expect(r.status == .found)
            let location = try #require(r.headers[.location])
            #expect(location.hasPrefix("https://tienda.example/") && location.contains("utm_campaign=catalogo.detalle"))

            try await h.store.withTenant(a.tenant.id) { s in
                try await s.saveExternalLink(provider: "bitly", longURL: long, shortURL: "https://bit.ly/one", now: t0)
                try await s.saveExternalLink(provider: "bitly", longURL: long, shortURL: "https://bit.ly/two", now: t0)
                #expect(try await s.externalLink(provider: "bitly", longURL: long) == "https://bit.ly/two")
                #expect(try await s.externalLink(provider: "bitly", longURL: long + "x") == nil)
            }
        }
    }

    @Test("a code another tenant already holds is drawn again, and the transaction goes on", arguments: TestBackend.available)
    func codeCollision(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let a = try await h.tenant()
            let b = try await h.tenant()
            let taken = LinkShortener(publicBaseURL: URL(string: "https://lio.ra")!, makeCode: { "TakenCode123" })
            let held = try await h.store.withTenant(b.tenant.id) { s in
                try await taken.shorten("https://b.example/p", intent: nil, sku: nil, userContextID: nil, in: s, now: t0)
            }
            #expect(held.path == "/s/TakenCode123")
            let draws = NIOLockedValueBox(["TakenCode123", "FreshCode456"])
            let colliding = LinkShortener(publicBaseURL: URL(string: "https://lio.ra")!,
                                          makeCode: { draws.withLockedValue { $0.count > 1 ? $0.removeFirst() : $0[0] } })
            let (link, later) = try await h.store.withTenant(a.tenant.id) { s in
                let link = try await colliding.shorten("https://a.example/p", intent: nil, sku: nil, userContextID: nil, in: s, now: t0)
                // The same transaction is still usable (on PostgreSQL a unique violation would have aborted it).
                return (link, try await s.shortLink(id: UUID()))
            }
            #expect(link.path == "/s/FreshCode456")
            #expect(later == nil)
            let r = try await h.client.execute(uri: "/s/TakenCode123", method: .get, headers: [.userAgent: "Mozilla/5.0 (iPhone)"])
            #expect(r.headers[.location]?.hasPrefix("https://b.example/p") == true)
        }
    }

    @Test("a click the database cannot store still redirects the person (SQLite: a trigger refuses the insert)")
    func clickNotStoredStillRedirects() async throws {
        try await Harness.run(.sqlite) { h in
            let a = try await h.tenant()
            let link = try await h.store.withTenant(a.tenant.id) { s in
                try await LinkShortener(publicBaseURL: URL(string: "https://lio.ra")!).shorten(
                    "https://shop.example/p/9", intent: "catalogo.detalle", sku: "P9", userContextID: nil, in: s, now: t0)
            }
            _ = try await h.test.database.transaction { c in
                try await c.query("CREATE TRIGGER no_clicks BEFORE INSERT ON link_clicks BEGIN SELECT RAISE(ABORT, 'disk full'); END")
            }
            let r = try await h.client.execute(uri: link.path, method: .get, headers: [.userAgent: "Mozilla/5.0 (iPhone)"])
            #expect(r.status == .found)
            #expect(r.headers[.location]?.hasPrefix("https://shop.example/p/9?") == true)
            #expect(try await h.store.withTenant(a.tenant.id) { try await $0.linkClicks(limit: 10) }.isEmpty)
            let metrics = try await h.client.execute(uri: "/metrics", method: .get)
            #expect(metrics.text.contains(#"liora_link_clicks_total{result="not_stored"} 1"#), "\(metrics.text.split(separator: "\n").filter { $0.contains("link_clicks") })")
        }
    }

    @Test("unknown and malformed codes get a JSON 404", arguments: ["/s/NoSuchCode12", "/s/..%2Fetc", "/s/a"])
    func unknown(path: String) async throws {
        try await Harness.run(.sqlite) { h in
            let r = try await h.client.execute(uri: path, method: .get)
            #expect(r.status == .notFound)
        }
    }

    @Test("repeats by the same client are one click; a client address records at most 60 clicks a minute; every request is redirected",
          arguments: TestBackend.available)
    func clicksAreThrottled(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock) { h in
            let a = try await h.tenant()
            let shortener = LinkShortener(publicBaseURL: URL(string: "https://lio.ra")!)
            let link = try await h.store.withTenant(a.tenant.id) { s in
                try await shortener.shorten("https://shop.example/p/9", intent: "catalogo.detalle", sku: "P9", userContextID: nil, in: s, now: t0)
            }
            let human: HTTPFields = [.userAgent: "Mozilla/5.0 (Linux; Android 14) Mobile"]
            func clicks() async throws -> Int { try await h.store.withTenant(a.tenant.id) { try await $0.linkClicks(limit: 500) }.count }
            // A double tap and a reload within 30 s: three redirects, one click.
            for _ in 0..<3 { #expect(try await h.client.execute(uri: link.path, method: .get, headers: human).status == .found) }
            #expect(try await clicks() == 1)
            clock.advance(by: 31)
            #expect(try await h.client.execute(uri: link.path, method: .get, headers: human).status == .found)
            #expect(try await clicks() == 2)

            // A script making up a new `?u=` each time is still one client: redirected, counted once.
            clock.advance(by: 60)
            for _ in 0..<10 {
                let r = try await h.client.execute(uri: link.path + "?u=" + UUID().uuidString.lowercased(), method: .get, headers: human)
                #expect(r.status == .found)
            }
            #expect(try await clicks() == 3)
            // Many real users behind one address (or a script that has their links): redirected
            // every time, recorded 60 times a minute.
            clock.advance(by: 60)
            let users = try await h.store.withTenant(a.tenant.id) { s in
                var ids: [UUID] = []
                for n in 0..<70 { ids.append(try await s.touchUserContext(waID: "52155000\(10_000 + n)", profileName: nil, messageAt: t0, now: t0).context.id) }
                return ids
            }
            for user in users {
                let r = try await h.client.execute(uri: link.path + "?u=" + user.uuidString.lowercased(), method: .get, headers: human)
                #expect(r.status == .found)
            }
            #expect(try await clicks() == 63)
            let metrics = try await h.client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"liora_link_clicks_total{result="over_limit"} 10"#))
            #expect(metrics.contains(#"liora_link_clicks_total{result="repeated"} 11"#))
        }
    }

    @Test("the click throttle: repeats fold, budgets per address (IPv6 per /64) reset each minute, a full map records nothing, old keys go")
    func throttleBounds() {
        let link = UUID()
        let throttle = ClickThrottle(repeatWindow: 30, perAddressLimit: 3, capacity: 6)
        let start = Date(timeIntervalSince1970: 1_800_000_000)  // on a minute boundary
        #expect(throttle.admit(link: link, client: "192.0.2.1", user: "u1", now: start) == .record)
        #expect(throttle.admit(link: link, client: "192.0.2.1", user: "u1", now: start.addingTimeInterval(29)) == .repeated)
        #expect(throttle.admit(link: link, client: "192.0.2.1", user: "u1", now: start.addingTimeInterval(29.9)) == .repeated)
        // Across a window boundary the previous window's keys still count.
        let crossing = ClickThrottle(repeatWindow: 30, perAddressLimit: 3, capacity: 6)
        #expect(crossing.admit(link: link, client: "192.0.2.9", user: "x", now: start.addingTimeInterval(29)) == .record)
        #expect(crossing.admit(link: link, client: "192.0.2.9", user: "x", now: start.addingTimeInterval(31)) == .repeated)
        #expect(crossing.admit(link: link, client: "192.0.2.9", user: "x", now: start.addingTimeInterval(60)) == .record)
        #expect(throttle.admit(link: link, client: "192.0.2.1", user: "u2", now: start.addingTimeInterval(1)) == .record)
        #expect(throttle.admit(link: link, client: "192.0.2.1", user: "u3", now: start.addingTimeInterval(2)) == .record)
        #expect(throttle.admit(link: link, client: "192.0.2.1", user: "u4", now: start.addingTimeInterval(3)) == .overLimit)
        // The addresses of one IPv6 /64 share a budget.
        for address in ["2001:db8:1:2::1", "2001:db8:1:2::ffff", "2001:db8:1:2:abcd::9"] {
            #expect(throttle.admit(link: link, client: address, user: "", now: start.addingTimeInterval(4)) == .record)
        }
        #expect(throttle.admit(link: link, client: "2001:db8:1:2::77", user: "", now: start.addingTimeInterval(5)) == .overLimit)
        // The map of this window is full (6 keys): nothing more is recorded, even from a fresh address.
        #expect(throttle.admit(link: link, client: "198.51.100.1", user: "", now: start.addingTimeInterval(6)) == .overLimit)
        // A minute later budgets are fresh; two windows later old keys are gone, so a repeat counts again.
        #expect(throttle.admit(link: link, client: "192.0.2.1", user: "u1", now: start.addingTimeInterval(61)) == .record)
        #expect(throttle.admit(link: link, client: "198.51.100.1", user: "", now: start.addingTimeInterval(62)) == .record)
        // A clock stepped back an hour does not freeze the maps: budgets and keys start over.
        let earlier = start.addingTimeInterval(-3600)
        for user in ["a", "b", "c"] { #expect(throttle.admit(link: link, client: "203.0.113.3", user: user, now: earlier) == .record) }
        #expect(throttle.admit(link: link, client: "203.0.113.3", user: "d", now: earlier) == .overLimit)
        #expect(throttle.admit(link: link, client: "203.0.113.4", user: "", now: earlier.addingTimeInterval(60)) == .record)
        #expect(TrustedProxies.limitKey("2001:db8:1:2::1") == "2001:0db8:0001:0002::/64")
        #expect(TrustedProxies.limitKey("192.0.2.1") == "192.0.2.1")
        #expect(TrustedProxies.limitKey("::ffff:192.0.2.1") == "192.0.2.1")
    }
}
