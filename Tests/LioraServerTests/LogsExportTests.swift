import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOCore
import Testing

/// Seeds and reads conversation logs for the logs API tests.
enum LogsFixture {
    static let users = ["5215550000001", "5215550000002"]
    static let tricky = "=SUM(A1), \"quoted\"\nline two"

    /// `count` log rows in `tenant`: three per instant (so keyset paging must break ties by id),
    /// alternating direction, two users, every fifth with intent `catalog.search`.
    @discardableResult
    static func seed(_ store: SQLStore, tenant: UUID, count: Int, bodyPrefix: String = "msg") async throws -> [ConversationLogEntry] {
        try await store.withTenant(tenant) { s in
            let touched = try await s.touchUserContexts(users.map { UserContextTouch(waID: $0, profileName: nil, messageAt: t0) }, now: t0)
            var entries: [ConversationLogEntry] = []
            for i in 0..<count {
                let user = touched[users[(i / 2) % 2]]!.context
                let body = i == 0 ? tricky : (i == 1 ? "-1 @home +more" : "\(bodyPrefix) \(i)")
                entries.append(ConversationLogEntry(
                    tenantID: tenant, userContextID: user.id, wabaAccountID: nil, direction: i % 2 == 0 ? .inbound : .outbound,
                    waMessageID: "wamid.\(tenant.uuidString.prefix(8)).\(i)", messageType: "text", body: body,
                    intent: i % 5 == 0 ? "catalog.search" : "greeting", status: i % 2 == 0 ? "received" : "sent",
                    // Arbitrary microseconds, as real clocks give (a cursor must come back to the very row).
                    createdAt: t0.addingTimeInterval(Double(i / 3) * 1.000_007 + 0.123_457)))
            }
            try await s.appendLogs(entries)
            return entries
        }
    }

    /// Every page of a JSON read (`query` without `limit`/`cursor`), in order.
    static func pages(_ c: AdminClient, tenant: String, token: String, query: String = "", limit: Int) async throws -> (rows: [[String: Any]], pages: Int) {
        var rows: [[String: Any]] = []
        var cursor: String?
        var pages = 0
        repeat {
            var path = "/clientes/\(tenant)/logs?limit=\(limit)" + (query.isEmpty ? "" : "&" + query)
            if let cursor { path += "&cursor=\(cursor)" }
            let r = try await c.call(.get, path, token: token)
            #expect(r.status == .ok, "\(r.text)")
            let body = AdminClient.object(r)
            let page = body["logs"] as? [[String: Any]] ?? []
            #expect(page.count <= limit)
            rows += page
            cursor = body["next_cursor"] as? String
            pages += 1
        } while cursor != nil && pages < 1000
        return (rows, pages)
    }

    /// RFC 4180 parser (quoted cells, doubled quotes, CRLF or LF inside quotes).
    static func parseCSV(_ text: String) -> [[String]] {
        var rows: [[String]] = []
        var row: [String] = []
        var cell = ""
        var quoted = false
        var chars = Array(text.unicodeScalars)[...]
        while let ch = chars.popFirst() {
            if quoted {
                if ch == "\"" {
                    if chars.first == "\"" { cell.unicodeScalars.append("\""); chars.removeFirst() } else { quoted = false }
                } else {
                    cell.unicodeScalars.append(ch)
                }
            } else if ch == "\"" {
                quoted = true
            } else if ch == "," {
                row.append(cell); cell = ""
            } else if ch == "\r" {
                continue
            } else if ch == "\n" {
                row.append(cell); cell = ""; rows.append(row); row = []
            } else {
                cell.unicodeScalars.append(ch)
            }
        }
        if !cell.isEmpty || !row.isEmpty { row.append(cell); rows.append(row) }
        return rows
    }

    /// A JSON value as its CSV cell is expected to read (formula-looking cells get a quote).
    static func csvExpected(_ value: Any?) -> String {
        let s: String
        switch value {
        case let v as String: s = v
        case let v as Int: s = String(v)
        default: s = ""
        }
        if let first = s.unicodeScalars.first, ["=", "+", "-", "@"].contains(first) { return "'" + s }
        return s
    }
}

@Suite("Admin API: conversation logs")
struct LogsExportTests {
    @Test("filters, keyset paging without duplicates or gaps, validation, and no other tenant's rows", arguments: TestBackend.available)
    func filtersAndPaging(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (a, ownerA) = try await c.tenant(admin, slug: "logs-a", owner: "owner@logs-a.test")
            let (b, ownerB) = try await c.tenant(admin, slug: "logs-b", owner: "owner@logs-b.test")
            let entries = try await LogsFixture.seed(h.store, tenant: UUID(uuidString: a)!, count: 250)
            try await LogsFixture.seed(h.store, tenant: UUID(uuidString: b)!, count: 40, bodyPrefix: "secret-b")
            let expected = entries.sorted { ($0.createdAt, $0.id.uuidString.lowercased()) < ($1.createdAt, $1.id.uuidString.lowercased()) }
                .map { $0.id.uuidString.lowercased() }

            // Every row once, in (created_at, id) order, across pages.
            let all = try await LogsFixture.pages(c, tenant: a, token: ownerA, limit: 37)
            #expect(all.pages == 7)
            #expect(all.rows.compactMap { $0["id"] as? String } == expected)
            let first = try #require(all.rows.first)
            for key in ["id", "created_at", "direction", "wa_id", "user_context_id", "wa_message_id", "message_type", "body", "intent", "status"] {
                #expect(first[key] != nil, "\(key)")
            }
            let trickyID = entries[0].id.uuidString.lowercased()
            #expect(all.rows.first { $0["id"] as? String == trickyID }?["body"] as? String == LogsFixture.tricky)
            #expect(all.rows.allSatisfy { ($0["body"] as? String)?.hasPrefix("secret-b") != true })

            // Filters, alone and together.
            func count(_ query: String) async throws -> [[String: Any]] {
                try await LogsFixture.pages(c, tenant: a, token: ownerA, query: query, limit: 500).rows
            }
            let inbound = try await count("direction=inbound")
            #expect(inbound.count == 125 && inbound.allSatisfy { $0["direction"] as? String == "inbound" })
            let u1 = try await count("wa_id=\(LogsFixture.users[0])")
            #expect(u1.count == entries.indices.filter { ($0 / 2) % 2 == 0 }.count)
            #expect(u1.allSatisfy { $0["wa_id"] as? String == LogsFixture.users[0] })
            #expect(try await count("intent=catalog.search").count == 50)
            let from = LogsRoutesTime.iso(t0.addingTimeInterval(10)), to = LogsRoutesTime.iso(t0.addingTimeInterval(20))
            #expect(try await count("from=\(from)&to=\(to)").count == 30)
            let both = try await count("wa_id=\(LogsFixture.users[0])&direction=inbound&intent=catalog.search")
            #expect(both.count == entries.indices.filter { $0 % 4 == 0 && $0 % 5 == 0 }.count)
            #expect(try await count("wa_id=5219999999999").isEmpty)
            // A's filter values never reach B's rows.
            let bRows = try await LogsFixture.pages(c, tenant: b, token: ownerB, query: "wa_id=\(LogsFixture.users[0])", limit: 500).rows
            #expect(bRows.count == 20 && bRows.allSatisfy { ($0["body"] as? String)?.hasPrefix("secret-b") == true || ($0["body"] as? String) == LogsFixture.tricky || ($0["body"] as? String)?.hasPrefix("-1") == true })
            // Nor does A's cursor.
            let page1 = AdminClient.object(try await c.call(.get, "/clientes/\(a)/logs?limit=5", token: ownerA))
            let cursorA = try #require(page1["next_cursor"] as? String)
            let crossedResponse = try await c.call(.get, "/clientes/\(b)/logs?limit=500&cursor=\(cursorA)", token: ownerB)
            #expect(crossedResponse.errorCode == "invalid_cursor")  // bound to A's owner and filter
            let crossed = AdminClient.object(crossedResponse)
            #expect((crossed["logs"] as? [[String: Any]] ?? []).allSatisfy { ($0["body"] as? String)?.hasPrefix("msg") != true })
            // A cursor continues the read it came from: not under another filter, and a hand-made
            // one (which would skip the read's audit event) is refused.
            #expect(try await c.call(.get, "/clientes/\(a)/logs?limit=5&cursor=\(cursorA)", token: ownerA).status == .ok)
            #expect(try await c.call(.get, "/clientes/\(a)/logs?limit=5&direction=inbound&cursor=\(cursorA)", token: ownerA)
                .errorCode == "invalid_cursor")
            let handMade = Data("0.\(UUID().uuidString.lowercased())".utf8).base64EncodedString()
                .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
            #expect(try await c.call(.get, "/clientes/\(a)/logs?cursor=\(handMade)", token: ownerA).errorCode == "invalid_cursor")
            // The store itself, asked inside B's transaction, knows nothing of A.
            let direct = try await h.store.withTenant(UUID(uuidString: b)!) { try await $0.conversationLogs(filter: .init(), after: nil, limit: 10_000) }
            #expect(direct.count == 40 && direct.allSatisfy { $0.entry.tenantID == UUID(uuidString: b)! })

            // Precise 4xx for bad input; other tenants and platform admins are refused.
            #expect(try await c.call(.get, "/clientes/\(a)/logs?limit=501", token: ownerA).errorCode == "invalid_limit")
            #expect(try await c.call(.get, "/clientes/\(a)/logs?limit=0", token: ownerA).errorCode == "invalid_limit")
            #expect(try await c.call(.get, "/clientes/\(a)/logs?cursor=bm9wZQ", token: ownerA).errorCode == "invalid_cursor")
            for us in ["-9223000000000000000", "9223000000000000000"] {
                let cursor = Data("\(us).\(UUID().uuidString.lowercased())".utf8).base64EncodedString()
                    .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
                #expect(try await c.call(.get, "/clientes/\(a)/logs?cursor=\(cursor)", token: ownerA).errorCode == "invalid_cursor", "\(us)")
            }
            #expect(try await c.call(.get, "/clientes/\(a)/logs?direction=sideways", token: ownerA).errorCode == "invalid_direction")
            #expect(try await c.call(.get, "/clientes/\(a)/logs?from=yesterday", token: ownerA).errorCode == "invalid_from")
            #expect(try await c.call(.get, "/clientes/\(a)/logs?from=\(to)&to=\(from)", token: ownerA).errorCode == "invalid_range")
            #expect(try await c.call(.get, "/clientes/\(a)/logs", token: ownerB).status == .forbidden)
            #expect(try await c.call(.get, "/clientes/\(a)/logs", token: admin).status == .forbidden)
            #expect(try await c.call(.get, "/clientes/\(a)/logs").status == .unauthorized)
            // Agents may read.
            let invite = try await c.invite(ownerA, tenant: a, email: "agent@logs-a.test", role: "agent")
            _ = try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": invite, "password": "Nopal-Verde-4821"])
            let agent = try await c.login("agent@logs-a.test", "Nopal-Verde-4821")
            #expect(try await c.call(.get, "/clientes/\(a)/logs?direction=outbound", token: agent).status == .ok)
            // Each read is in the audit trail once, at its first page, without the end user's number.
            let reads = try await h.store.withTenant(UUID(uuidString: a)!) { try await $0.tenantEvents(limit: 1000) }.filter { $0.action == "logs.read" }
            // The 7-page read, 6 filtered reads, the 5-row page and the agent's read; refused
            // requests and later pages are not reads of their own.
            #expect(reads.count == 9, "\(reads.count)")
            #expect(reads.contains { $0.payloadJSON.contains("one_user") })
            #expect(!reads.contains { $0.payloadJSON.contains(LogsFixture.users[0]) })
            #expect(reads.contains { $0.actor.hasPrefix("usuario:") && $0.payloadJSON.contains("outbound") })
        }
    }

    @Test("the CSV export parses back to exactly the JSON rows, quoted and guarded against formulas", arguments: TestBackend.available)
    func csvEqualsJSON(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (a, ownerA) = try await c.tenant(admin, slug: "csv-a", owner: "owner@csv-a.test")
            let (b, _) = try await c.tenant(admin, slug: "csv-b", owner: "owner@csv-b.test")
            let entries = try await LogsFixture.seed(h.store, tenant: UUID(uuidString: a)!, count: 120)
            try await LogsFixture.seed(h.store, tenant: UUID(uuidString: b)!, count: 30, bodyPrefix: "secret-b")
            // 31 days: not a bulk export, so no approval is needed.
            let query = "from=\(LogsRoutesTime.iso(t0.addingTimeInterval(-60)))&to=\(LogsRoutesTime.iso(t0.addingTimeInterval(31 * 86_400 - 60)))"
            let json = try await LogsFixture.pages(c, tenant: a, token: ownerA, query: query, limit: 50).rows
            #expect(json.count == 120)
            let r = try await c.call(.get, "/clientes/\(a)/logs?\(query)", token: ownerA, headers: ["Accept": "text/csv"])
            #expect(r.status == .ok)
            #expect(r.headers[.contentType]?.hasPrefix("text/csv") == true)
            #expect(!r.text.contains("secret-b"))
            var rows = LogsFixture.parseCSV(r.text)
            let header = rows.removeFirst()
            #expect(header == LogsCSV.header)
            #expect(rows.count == json.count)
            for (csvRow, jsonRow) in zip(rows, json) {
                #expect(csvRow.count == header.count)
                for (i, column) in header.enumerated() {
                    #expect(csvRow[i] == LogsFixture.csvExpected(jsonRow[column]), "\(column)")
                }
            }
            // The tricky message: quoted, embedded quotes doubled, newline kept, formula neutralised.
            let body = header.firstIndex(of: "body")!
            func row(_ entry: ConversationLogEntry) -> [String]? { rows.first { $0[0] == entry.id.uuidString.lowercased() } }
            #expect(row(entries[0])?[body] == "'" + LogsFixture.tricky)
            #expect(r.text.contains("\"'=SUM(A1), \"\"quoted\"\"\nline two\""))
            #expect(row(entries[1])?[body] == "'-1 @home +more")
            // ?format=csv works too, and the export is audited.
            #expect(try await c.call(.get, "/clientes/\(a)/logs?\(query)&format=csv", token: ownerA).text == r.text)
            let xml = try await c.call(.get, "/clientes/\(a)/logs?\(query)&format=xml", token: ownerA)
            #expect(xml.status == .badRequest && xml.errorCode == "invalid_format", "\(xml.text)")
            var events = try await h.store.withTenant(UUID(uuidString: a)!) { try await $0.tenantEvents(limit: 100) }
            #expect(events.contains { $0.action == "logs.exported" && $0.actor.hasPrefix("usuario:") })
            // An export about one end user is audited without their number.
            let waID = try #require(json.compactMap { $0["wa_id"] as? String }.first)
            #expect(try await c.call(.get, "/clientes/\(a)/logs?\(query)&wa_id=\(waID)&format=csv", token: ownerA).status == .ok)
            events = try await h.store.withTenant(UUID(uuidString: a)!) { try await $0.tenantEvents(limit: 100) }
            #expect(events.contains { $0.action == "logs.exported" && $0.payloadJSON.contains("one_user") })
            #expect(!events.contains { $0.payloadJSON.contains(waID) })
        }
    }

    @Test("a 3,000-row export is read and written page by page, never all at once", arguments: TestBackend.available)
    func largeExportStreams(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (a, ownerA) = try await c.tenant(admin, slug: "big-a", owner: "owner@big-a.test")
            let tenant = UUID(uuidString: a)!
            try await LogsFixture.seed(h.store, tenant: tenant, count: 3000)
            // The writer gets the header, then one chunk per 500-row page.
            let chunks = ChunkCollector()
            let written = try await LogsCSV.stream(store: h.store, tenantID: tenant, filter: .init(), pageSize: 500) { await chunks.add($0) }
            #expect(written == 3000)
            let sizes = await chunks.lineCounts
            #expect(sizes.count == 7)
            #expect(sizes.first == 1)
            #expect(sizes.dropFirst().allSatisfy { $0 == 500 })
            // Over HTTP the same export arrives whole and in order.
            let week = "from=\(LogsRoutesTime.iso(t0))&to=\(LogsRoutesTime.iso(t0.addingTimeInterval(7 * 86_400)))"
            let r = try await c.call(.get, "/clientes/\(a)/logs?direction=inbound&\(week)", token: ownerA, headers: ["Accept": "text/csv"])
            #expect(r.status == .ok)
            let rows = LogsFixture.parseCSV(r.text)
            #expect(rows.count == 1501)
            #expect(Set(rows.dropFirst().map { $0[0] }).count == 1500)
        }
    }
}

/// The chunks a CSV writer produced.
actor ChunkCollector {
    private(set) var lineCounts: [Int] = []
    func add(_ buffer: ByteBuffer) {
        lineCounts.append(String(buffer: buffer).components(separatedBy: "\r\n").count - 1)
    }
}

enum LogsRoutesTime {
    /// ISO 8601 for query strings (no characters that need escaping).
    static func iso(_ d: Date) -> String { d.formatted(Date.ISO8601FormatStyle()) }
}
