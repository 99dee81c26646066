package import Foundation
import HTTPTypes
import Hummingbird
package import LioraCore
import LioraStore
package import NIOCore

/// `GET /clientes/{cliente_id}/logs`: the tenant's conversation logs, filtered (`from`, `to` ISO
/// 8601; `wa_id`; `direction`; `intent`) and keyset-paged (`limit` ≤ 500, opaque `cursor`) as
/// JSON, or streamed as CSV with `Accept: text/csv` (or `?format=csv`). A bulk CSV export (not
/// narrowed to one user or to 31 days, `ConversationLogFilter.isBulk`) is `export_conversations`,
/// which may need approval (see `Approvals`); the approved download uses the requested filter.
struct LogsRoutes: Sendable {
    let gate: AdminGate
    let store: any LioraStore
    let clock: any LioraClock

    func register(on router: Router<LioraRequestContext>) {
        router.get("/clientes/{cliente_id}/logs") { request, context in try await logs(request, try CatalogRoutes.tenantID(context)) }
    }

    func logs(_ request: Request, _ id: UUID) async throws -> Response {
        let (principal, _) = try await gate.authorize(request.headers, .logsRead, tenantID: id)
        let q = request.uri.queryParameters
        let filter = try Self.filter(
            from: q["from"].map(String.init), to: q["to"].map(String.init), waID: q["wa_id"].map(String.init),
            direction: q["direction"].map(String.init), intent: q["intent"].map(String.init))
        if let format = q["format"].map(String.init), format != "csv" {
            throw APIError(.badRequest, "invalid_format", "format must be csv (or left out for JSON)")
        }
        let csv = q["format"].map(String.init) == "csv" || (request.headers[.accept]?.lowercased().contains("text/csv") ?? false)
        if csv {
            let now = clock.now
            let store = store
            let export: @Sendable () async throws -> Response = {
                try await store.withTenant(id) { s in
                    try await s.record(TenantEvent(tenantID: id, actor: principal.actor, action: "logs.exported",
                                                   payloadJSON: Self.paramsJSON(filter), createdAt: now))
                }
                return Self.csvResponse(store: store, tenantID: id, filter: filter)
            }
            guard filter.isBulk else { return try await export() }
            return try await Approvals(store: store, clock: clock).requestOrRun(action: .exportConversations, params: Self.params(filter),
                                                                               principal: principal, tenantID: id, run: export)
        }
        var limit = 100
        if let raw = q["limit"] {
            guard let n = Int(String(raw)), (1...500).contains(n) else {
                throw APIError(.badRequest, "invalid_limit", "limit must be a whole number from 1 to 500")
            }
            limit = n
        }
        // A cursor is bound to the read it continues (the caller and the filter): a forged or
        // borrowed one would page without the read's audit event, or under another filter.
        let binding = principal.actor + "\n" + Self.canonical(Self.params(filter))
        var cursor: ConversationLogCursor?
        if let raw = q["cursor"], !raw.isEmpty {
            guard let c = Self.decodeCursor(String(raw), tag: { gate.auth.tag($0 + "\n" + binding) }) else {
                throw APIError(.badRequest, "invalid_cursor", "cursor must be a next_cursor returned by this endpoint for the same filter")
            }
            cursor = c
        }
        let now = clock.now
        let rows = try await store.withTenant(id) { s in
            // Paging is not the four-eyes export (an agent reads one user's conversation to help
            // them), but who started reading what is in the audit trail: once per read, at its
            // first page, with the filter (an end user's number written as `one_user`).
            if cursor == nil {
                try await s.record(TenantEvent(tenantID: id, actor: principal.actor, action: "logs.read",
                                               payloadJSON: Self.paramsJSON(filter), createdAt: now))
            }
            return try await s.conversationLogs(filter: filter, after: cursor, limit: limit + 1)
        }
        struct Page: Encodable { var logs: [LogOutput]; var nextCursor: String? }
        let page = rows.prefix(limit)
        let next = rows.count > limit ? page.last.map { Self.encodeCursor($0.cursor, tag: { gate.auth.tag($0 + "\n" + binding) }) } : nil
        return try CatalogRoutes.json(status: .ok, Page(logs: page.map(LogOutput.init), nextCursor: next))
    }

    // MARK: Filters and cursors

    static func filter(from: String?, to: String?, waID: String?, direction: String?, intent: String?) throws -> ConversationLogFilter {
        var f = ConversationLogFilter()
        if let from, !from.isEmpty {
            guard let d = parseTime(from) else { throw APIError(.badRequest, "invalid_from", "from must be an ISO 8601 time such as 2026-01-31T00:00:00Z") }
            f.from = d
        }
        if let to, !to.isEmpty {
            guard let d = parseTime(to) else { throw APIError(.badRequest, "invalid_to", "to must be an ISO 8601 time such as 2026-01-31T00:00:00Z") }
            f.to = d
        }
        if let a = f.from, let b = f.to, a > b { throw APIError(.badRequest, "invalid_range", "from must not be after to") }
        if let waID, !waID.isEmpty {
            guard waID.utf8.count <= 64 else { throw APIError(.badRequest, "invalid_wa_id", "wa_id is too long") }
            f.waID = waID
        }
        if let direction, !direction.isEmpty {
            guard let d = MessageDirection(rawValue: direction) else {
                throw APIError(.badRequest, "invalid_direction", "direction must be inbound or outbound")
            }
            f.direction = d
        }
        if let intent, !intent.isEmpty {
            guard intent.utf8.count <= 200 else { throw APIError(.badRequest, "invalid_intent", "intent is too long") }
            f.intent = intent
        }
        return f
    }

    /// The filter as approval params (and back).
    static func params(_ f: ConversationLogFilter) -> [String: String] {
        var p: [String: String] = [:]
        if let from = f.from { p["from"] = formatTime(from) }
        if let to = f.to { p["to"] = formatTime(to) }
        if let waID = f.waID { p["wa_id"] = waID }
        if let d = f.direction { p["direction"] = d.rawValue }
        if let i = f.intent { p["intent"] = i }
        return p
    }

    static func filter(params p: [String: String]) throws -> ConversationLogFilter {
        try filter(from: p["from"], to: p["to"], waID: p["wa_id"], direction: p["direction"], intent: p["intent"])
    }

    /// The filter for the audit trail: an end user's number is not kept there (the audit trail
    /// outlives `LIORA_RETENTION_DAYS`), only that the export was about one user.
    static func paramsJSON(_ f: ConversationLogFilter) -> String {
        var p = params(f)
        if p["wa_id"] != nil { p["wa_id"] = "one_user" }
        let data = (try? JSONSerialization.data(withJSONObject: p, options: [.sortedKeys])) ?? Data("{}".utf8)
        return String(decoding: data, as: UTF8.self)
    }

    static func parseTime(_ s: String) -> Date? {
        if let d = try? Date(s, strategy: Date.ISO8601FormatStyle(includingFractionalSeconds: true)) { return d }
        return try? Date(s, strategy: Date.ISO8601FormatStyle())
    }

    /// ISO 8601 in UTC with microseconds (the precision both databases store).
    static func formatTime(_ d: Date) -> String {
        let us = Int64((d.timeIntervalSince1970 * 1_000_000).rounded())
        var seconds = us / 1_000_000
        var fraction = us % 1_000_000
        if fraction < 0 { seconds -= 1; fraction += 1_000_000 }
        let base = Date(timeIntervalSince1970: TimeInterval(seconds)).formatted(Date.ISO8601FormatStyle())  // …Z
        let digits = String(fraction)
        return String(base.dropLast()) + "." + String(repeating: "0", count: 6 - digits.count) + digits + "Z"
    }

    /// base64url of "<microseconds since 1970>.<id>" of the last row read.
    /// `params` as one string, keys in order.
    static func canonical(_ params: [String: String]) -> String {
        params.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }.joined(separator: "&")
    }

    /// `<µs>.<id>.<tag>` in base64url, the tag binding the position to the read (see `logs`).
    static func encodeCursor(_ c: ConversationLogCursor, tag: (String) -> String) -> String {
        let position = "\(c.createdAt.microsecondsSince1970).\(c.id.uuidString.lowercased())"
        return Data("\(position).\(tag(position))".utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The position of a cursor made by `encodeCursor` with the same tag; nil for anything else.
    static func decodeCursor(_ s: String, tag: (String) -> String) -> ConversationLogCursor? {
        guard s.utf8.count <= 300, let data = AdminAuth.base64URL(s) else { return nil }
        let parts = String(decoding: data, as: UTF8.self).split(separator: ".").map(String.init)
        guard parts.count == 3, let us = Int64(parts[0]), ConversationLogCursor.plausibleMicroseconds.contains(us),
              let id = UUID(uuidString: parts[1]),
              ConstantTime.equals(Array(tag(parts[0] + "." + parts[1]).utf8), Array(parts[2].utf8)) else { return nil }
        return ConversationLogCursor(createdAt: Date(timeIntervalSince1970: TimeInterval(us) / 1_000_000), id: id)
    }

    // MARK: CSV

    /// A streamed CSV response: pages of `pageSize` rows are read (each in its own short
    /// transaction) and written as they come; the whole export is never in memory.
    static func csvResponse(store: any LioraStore, tenantID: UUID, filter: ConversationLogFilter, pageSize: Int = 500) -> Response {
        let name = "liora-logs-\(tenantID.uuidString.lowercased().prefix(8)).csv"
        return Response(
            status: .ok,
            headers: [.contentType: "text/csv; charset=utf-8", HTTPField.Name("Content-Disposition")!: "attachment; filename=\"\(name)\"",
                      .cacheControl: "no-store"],
            body: ResponseBody { writer in
                try await LogsCSV.stream(store: store, tenantID: tenantID, filter: filter, pageSize: pageSize) { try await writer.write($0) }
                try await writer.finish(nil)
            })
    }
}

/// One conversation-log row in the admin API.
struct LogOutput: Encodable {
    var id: String
    var createdAt: String
    var direction: String
    var waId: String?
    var userContextId: String?
    var wabaAccountId: String?
    var waMessageId: String?
    var messageType: String
    var body: String?
    var intent: String?
    var status: String
    var statusUpdatedAt: String?
    var errorCode: Int?

    init(_ r: ConversationLogRecord) {
        let e = r.entry
        id = e.id.uuidString.lowercased(); createdAt = LogsRoutes.formatTime(e.createdAt); direction = e.direction.rawValue
        waId = r.waID; userContextId = e.userContextID?.uuidString.lowercased(); wabaAccountId = e.wabaAccountID?.uuidString.lowercased()
        waMessageId = e.waMessageID; messageType = e.messageType; body = e.body; intent = e.intent; status = e.status
        statusUpdatedAt = e.statusUpdatedAt.map(LogsRoutes.formatTime); errorCode = e.errorCode
    }

    /// The CSV columns, in `LogsCSV.header` order.
    var cells: [String] {
        [id, createdAt, direction, waId ?? "", userContextId ?? "", wabaAccountId ?? "", waMessageId ?? "", messageType, body ?? "",
         intent ?? "", status, statusUpdatedAt ?? "", errorCode.map(String.init) ?? ""]
    }
}

/// RFC 4180 CSV of conversation logs, guarded against formula injection.
package enum LogsCSV {
    package static let header = ["id", "created_at", "direction", "wa_id", "user_context_id", "waba_account_id", "wa_message_id",
                                 "message_type", "body", "intent", "status", "status_updated_at", "error_code"]

    /// Writes the header, then one chunk per page of `pageSize` rows read by keyset paging.
    /// Returns how many rows were written.
    @discardableResult
    package static func stream(store: any LioraStore, tenantID: UUID, filter: ConversationLogFilter, pageSize: Int = 500,
                               write: (ByteBuffer) async throws -> Void) async throws -> Int {
        try await write(ByteBuffer(string: line(header)))
        var cursor: ConversationLogCursor?
        var total = 0
        while true {
            let after = cursor
            let rows = try await store.withTenant(tenantID) { try await $0.conversationLogs(filter: filter, after: after, limit: pageSize) }
            guard !rows.isEmpty else { break }
            var chunk = ""
            chunk.reserveCapacity(rows.count * 160)
            for r in rows { chunk += line(LogOutput(r).cells) }
            try await write(ByteBuffer(string: chunk))
            total += rows.count
            cursor = rows.last?.cursor
            if rows.count < pageSize { break }
        }
        return total
    }

    package static func line(_ cells: [String]) -> String {
        cells.map(cell).joined(separator: ",") + "\r\n"
    }

    /// A cell that a spreadsheet could run as a formula (= + - @, or a leading tab or carriage
    /// return) gets a leading single quote; a cell with a quote, comma or line break is quoted.
    package static func cell(_ value: String) -> String {
        var v = value
        if let first = v.unicodeScalars.first, ["=", "+", "-", "@", "\t", "\r"].contains(first) { v = "'" + v }
        guard v.contains(where: { $0 == "\"" || $0 == "," || $0 == "\n" || $0 == "\r" || $0 == "\r\n" }) else { return v }
        return "\"" + v.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
