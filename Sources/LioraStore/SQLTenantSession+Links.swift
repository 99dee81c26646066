import Foundation
import LioraCore

extension SQLTenantSession {
    private static let linkColumns = "id, cliente_id, code, long_url, intent, created_at"

    private static func link(_ r: any SQLRow) throws -> ShortLink {
        ShortLink(id: try r.required("id", r.uuid), tenantID: try r.required("cliente_id", r.uuid),
                  code: try r.required("code", r.string), longURL: try r.required("long_url", r.string),
                  intent: try r.string("intent"), createdAt: try r.required("created_at", r.date))
    }

    /// The condition that finds `long_url = $n`: on PostgreSQL through the URL's SHA-256 key (the
    /// unique index holds the hash, not the URL, whose length a btree entry cannot always hold).
    func longURLMatches(_ n: Int) -> String {
        c.dialect == .postgres ? "liora_url_key(long_url) = liora_url_key($\(n)) AND long_url = $\(n)" : "long_url = $\(n)"
    }

    func shortLink(longURL: String, intent: String?, makeCode: @Sendable () -> String, now: Date) async throws -> ShortLink {
        for _ in 0..<5 {
            // Any conflict inserts nothing (a unique violation would abort a PostgreSQL transaction,
            // and with it the rest of the batch): the URL's row, when it is there, is read back;
            // when it is not, the code was taken (by any tenant) and another is drawn.
            let rows = try await c.query("""
                INSERT INTO short_links (id, cliente_id, code, long_url, intent, created_at) VALUES ($1, $2, $3, $4, $5, $6)
                ON CONFLICT DO NOTHING RETURNING \(Self.linkColumns)
                """, [.uuid(UUID.timeOrdered(at: now)), .uuid(tenantID), .text(makeCode()), .text(longURL), .optional(intent), .date(now)])
            if let r = rows.first { return try Self.link(r) }
            let existing = try await c.query(
                "SELECT \(Self.linkColumns) FROM short_links WHERE cliente_id = $1 AND \(longURLMatches(2))",
                [.uuid(tenantID), .text(longURL)])
            if let r = existing.first { return try Self.link(r) }
        }
        throw LioraError(.conflict, "could not find a free short code")
    }

    func shortLink(id: UUID) async throws -> ShortLink? {
        try await c.query("SELECT \(Self.linkColumns) FROM short_links WHERE cliente_id = $1 AND id = $2",
                          [.uuid(tenantID), .uuid(id)]).first.map(Self.link)
    }

    /// At most 512 bytes of a user agent, cut at a character boundary: a count of characters
    /// would let one character with thousands of combining marks through whole.
    static func storedUserAgent(_ ua: String) -> String {
        let bytes = Array(ua.utf8.prefix(513))
        guard bytes.count > 512 else { return ua }
        var end = 512
        while end > 0, bytes[end] & 0xC0 == 0x80 { end -= 1 }  // byte `end` continues a character: cut before it
        return String(decoding: bytes[..<end], as: UTF8.self)
    }

    func recordClick(_ click: LinkClick) async throws {
        precondition(click.tenantID == tenantID, "click for another tenant")
        try await c.query("""
            INSERT INTO link_clicks (id, cliente_id, short_link_id, user_context_id, intent, is_bot, user_agent, clicked_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            """, [.uuid(click.id), .uuid(tenantID), .uuid(click.shortLinkID), .optional(click.userContextID), .optional(click.intent),
                  .bool(click.isBot), .optional(click.userAgent.map(Self.storedUserAgent)), .date(click.clickedAt)])
    }

    func linkClicks(limit: Int) async throws -> [LinkClick] {
        try await c.query("""
            SELECT id, cliente_id, short_link_id, user_context_id, intent, is_bot, user_agent, clicked_at FROM link_clicks
            WHERE cliente_id = $1 ORDER BY clicked_at, id LIMIT $2
            """, [.uuid(tenantID), .int(Int64(limit))]).map { r in
            LinkClick(id: try r.required("id", r.uuid), tenantID: try r.required("cliente_id", r.uuid),
                      shortLinkID: try r.required("short_link_id", r.uuid), userContextID: try r.uuid("user_context_id"),
                      intent: try r.string("intent"), isBot: try r.bool("is_bot") ?? true, userAgent: try r.string("user_agent"),
                      clickedAt: try r.required("clicked_at", r.date))
        }
    }
}
