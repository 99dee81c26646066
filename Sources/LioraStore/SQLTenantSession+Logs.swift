import Foundation
import LioraCore

extension SQLTenantSession {
    func conversationLogs(filter: ConversationLogFilter, after cursor: ConversationLogCursor?, limit: Int) async throws -> [ConversationLogRecord] {
        var conditions = ["l.cliente_id = $1"]
        var binds: [SQLValue] = [.uuid(tenantID)]
        func bind(_ value: SQLValue) -> String {
            binds.append(value)
            return "$\(binds.count)"
        }
        if let from = filter.from { conditions.append("l.created_at >= \(bind(.date(from)))") }
        if let to = filter.to { conditions.append("l.created_at < \(bind(.date(to)))") }
        if let waID = filter.waID {
            // Through the user's context, so the (cliente_id, user_context_id, created_at, id) index serves it.
            conditions.append("l.user_context_id IN (SELECT uc.id FROM user_contexts uc WHERE uc.cliente_id = $1 AND uc.wa_id = \(bind(.text(waID))))")
        }
        if let direction = filter.direction { conditions.append("l.direction = \(bind(.text(direction.rawValue)))") }
        if let intent = filter.intent { conditions.append("l.intent = \(bind(.text(intent)))") }
        if let cursor {
            let at = bind(.date(cursor.createdAt))
            let id = bind(.uuid(cursor.id))
            conditions.append("(l.created_at > \(at) OR (l.created_at = \(at) AND l.id > \(id)))")
        }
        let limitParam = bind(.int(Int64(max(0, limit))))
        let rows = try await c.query("""
            SELECT l.id, l.cliente_id, l.user_context_id, l.waba_account_id, l.direction, l.wa_message_id, l.message_type, l.body,
                l.intent, l.status, l.status_rank, l.status_updated_at, l.error_code, l.created_at, u.wa_id
            FROM conversation_logs l
            LEFT JOIN user_contexts u ON u.cliente_id = l.cliente_id AND u.id = l.user_context_id
            WHERE \(conditions.joined(separator: " AND "))
            ORDER BY l.created_at, l.id
            LIMIT \(limitParam)
            """, binds)
        return try rows.map { r in
            ConversationLogRecord(entry: ConversationLogEntry(
                id: try r.required("id", r.uuid), tenantID: try r.required("cliente_id", r.uuid),
                userContextID: try r.uuid("user_context_id"), wabaAccountID: try r.uuid("waba_account_id"),
                direction: MessageDirection(rawValue: try r.required("direction", r.string)) ?? .inbound,
                waMessageID: try r.string("wa_message_id"), messageType: try r.required("message_type", r.string),
                body: try r.string("body"), intent: try r.string("intent"), status: try r.required("status", r.string),
                statusRank: Int(try r.required("status_rank", r.int)), statusUpdatedAt: try r.date("status_updated_at"),
                errorCode: try r.int("error_code").map(Int.init), createdAt: try r.required("created_at", r.date)),
                waID: try r.string("wa_id"))
        }
    }
}
