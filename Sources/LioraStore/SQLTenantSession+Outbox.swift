import Foundation
import LioraCore

extension SQLTenantSession {
    private static let outboxColumns = """
        id, cliente_id, user_context_id, waba_account_id, to_wa_id, kind, payload, summary, intent, reply_to, marks_read, state,
        attempts, next_attempt_at, last_error, wa_message_id, created_at, claimed_until
        """

    private static func entry(_ r: any SQLRow) throws -> OutboxEntry {
        OutboxEntry(
            id: try r.required("id", r.uuid), tenantID: try r.required("cliente_id", r.uuid),
            userContextID: try r.uuid("user_context_id"), wabaAccountID: try r.required("waba_account_id", r.uuid),
            toWaID: try r.required("to_wa_id", r.string), kind: try r.required("kind", r.string),
            payloadJSON: try r.required("payload", r.string), summary: try r.string("summary"), intent: try r.string("intent"),
            replyTo: try r.string("reply_to"), marksRead: try r.bool("marks_read") ?? false, state: OutboxEntry.State(rawValue: try r.required("state", r.string)) ?? .failed,
            attempts: Int(try r.required("attempts", r.int)), nextAttemptAt: try r.required("next_attempt_at", r.date),
            lastError: try r.string("last_error"), waMessageID: try r.string("wa_message_id"),
            createdAt: try r.required("created_at", r.date), claimedUntil: try r.date("claimed_until"))
    }

    /// `outbox` rows: the id, the tenant (`$1`), then the 14 other columns.
    private static let outboxRows = RowValues(shared: 1, [.own(1), .shared(1)] + (2...15).map { .own($0) })

    func enqueueReplies(_ entries: [OutboxEntry]) async throws {
        for chunk in entries.chunked(200) {
            var binds: [SQLValue] = [.uuid(tenantID)]
            binds.reserveCapacity(1 + 15 * chunk.count)
            for e in chunk {
                precondition(e.tenantID == tenantID, "reply for another tenant")
                binds += [.uuid(e.id), .optional(e.userContextID), .uuid(e.wabaAccountID), .text(e.toWaID), .text(e.kind),
                          .text(e.payloadJSON), .optional(e.summary), .optional(e.intent), .optional(e.replyTo), .bool(e.marksRead),
                          .text(e.state.rawValue), .int(Int64(e.attempts)), .date(e.nextAttemptAt), .date(e.createdAt),
                          .date(e.createdAt)]
            }
            try await c.query("""
                INSERT INTO outbox (id, cliente_id, user_context_id, waba_account_id, to_wa_id, kind, payload, summary, intent,
                    reply_to, marks_read, state, attempts, next_attempt_at, created_at, updated_at)
                VALUES \(Self.outboxRows.list(rows: chunk.count))
                """, binds)
        }
        // Each reply is in the conversation log from the moment it is queued, under its outbox id:
        // next to the message it answers (one page of the per-user index for both), and the
        // sender only updates it.
        try await appendLogs(entries.filter { $0.kind != "read" }.map { e in
            ConversationLogEntry(
                id: e.id, tenantID: tenantID, userContextID: e.userContextID, wabaAccountID: e.wabaAccountID, direction: .outbound,
                waMessageID: nil, messageType: e.kind, body: e.summary, intent: e.intent, status: "queued", createdAt: e.createdAt)
        })
    }

    func claimDueReplies(now: Date, limit: Int, lease: TimeInterval, claimer: UUID) async throws -> [OutboxEntry] {
        let postgres = c.dialect == .postgres
        if postgres {
            // Claims of one tenant take turns across instances: this claim's snapshot is taken
            // after any other claim of the tenant committed, so it sees that claim's replies in
            // flight (and holds their users' later replies back). Claims take milliseconds; one
            // that hangs (a lost connection mid-transaction) delays this tenant's claims
            // elsewhere by at most `claimLockWait` each, not the senders' other tenants.
            let deadline = ContinuousClock.now + Self.claimLockWait
            while try await c.query("SELECT pg_try_advisory_xact_lock(\(Self.claimLockClass), hashtext($1)) AS got",
                                    [.text(tenantID.uuidString)]).first?.bool("got") != true {
                guard ContinuousClock.now < deadline else { return [] }
                try await Task.sleep(for: .milliseconds(5))
            }
        }
        let claimedUntil = now.addingTimeInterval(lease)
        let ordered = postgres ? Self.noOlderReplyHeld(tenant: "$3", now: "$2", claimer: "$5")
                               : Self.noOlderReplyWaits(tenant: "$3", now: "$2")
        return try await c.query("""
            UPDATE outbox SET claimed_until = $1, updated_at = $2\(postgres ? ", claimed_by = $5" : "")
            WHERE cliente_id = $3 AND id IN (
                SELECT o.id FROM outbox o WHERE o.cliente_id = $3 AND o.state = 'pending' AND o.next_attempt_at <= $2
                    AND (o.claimed_until IS NULL OR o.claimed_until < $2) AND \(ordered)
                ORDER BY o.created_at, o.id LIMIT $4\(postgres ? " FOR UPDATE SKIP LOCKED" : ""))
            RETURNING \(Self.outboxColumns)
            """, [.date(claimedUntil), .date(now), .uuid(tenantID), .int(Int64(limit))] + (postgres ? [.uuid(claimer)] : []))
            .map { r in
                var e = try Self.entry(r)
                e.claimedUntil = claimedUntil  // the value bound, so the fence compares it exactly
                return e
            }
            .sorted { $0.createdAt != $1.createdAt ? $0.createdAt < $1.createdAt : $0.id.orderedBefore($1.id) }
    }

    /// SQLite, one instance (its sender keeps in-flight replies in order itself): true for an
    /// outbox row `o` when no older reply to the same user waits for a later attempt
    /// (a retry, or put back behind one): a reply is never claimed ahead of such a one, in this
    /// round or any later. Waiting rows are found in the `outbox_waiting` index, by user. A
    /// legacy read-receipt row holds nothing back.
    static func noOlderReplyWaits(tenant: String, now: String) -> String {
        """
        NOT EXISTS (SELECT 1 FROM outbox w WHERE w.cliente_id = \(tenant) AND w.to_wa_id = o.to_wa_id AND w.state = 'pending'
            AND w.next_attempt_at > w.created_at AND w.claimed_until IS NULL AND w.next_attempt_at > \(now)
            AND (w.created_at < o.created_at OR (w.created_at = o.created_at AND w.id < o.id)) AND w.kind <> 'read')
        """
    }

    /// The first key of the transaction advisory lock a PostgreSQL claim takes for its tenant (the
    /// second is `hashtext` of the tenant id; the migrator's single-key lock is another key space).
    static let claimLockClass = 7_261_002
    /// How long a PostgreSQL claim waits for its tenant's turn before it claims nothing (the
    /// sender tries the tenant again later).
    static let claimLockWait: Duration = .seconds(2)

    /// PostgreSQL, where several instances send: true for an outbox row `o` when every older
    /// pending reply to the same user either could be claimed now as well (so, being older, it
    /// is taken first in the same claim) or is in flight under `claimer`'s own lease (that sender
    /// keeps its user's replies in order itself) — none waits for a later attempt or is in flight
    /// at another sender, or at this one's crashed predecessor. Found in the `outbox_user_pending`
    /// index, by user (migration 0013; `liora_tenants_with_due_outbox` agrees). A legacy
    /// read-receipt row holds nothing back.
    static func noOlderReplyHeld(tenant: String, now: String, claimer: String) -> String {
        """
        NOT EXISTS (SELECT 1 FROM outbox w WHERE w.cliente_id = \(tenant) AND w.to_wa_id = o.to_wa_id AND w.state = 'pending'
            AND w.kind <> 'read' AND (w.created_at, w.id) < (o.created_at, o.id)
            AND NOT (w.next_attempt_at <= \(now) AND (w.claimed_until IS NULL OR w.claimed_until < \(now)))
            AND NOT COALESCE(w.claimed_until >= \(now) AND w.claimed_by = \(claimer), false))
        """
    }

    /// The columns of a claim that gave its reply back (PostgreSQL also forgets the claimer, so
    /// whoever claims the row next, of any version, is the one it names).
    private var releasedClaim: String {
        c.dialect == .postgres ? "claimed_until = NULL, claimed_by = NULL" : "claimed_until = NULL"
    }

    /// `AND` the row is still held by the claim that handed `e` out (`$n` binds `e.claimedUntil`).
    private func heldByClaim(_ n: Int) -> String {
        c.dialect == .postgres ? "claimed_until IS NOT DISTINCT FROM $\(n)" : "claimed_until IS $\(n)"
    }

    /// PostgreSQL: the outbox rows of a batch of sent replies, `(id, wamid, at, claimed_until)`.
    private static let sentRows = RowValues(shared: 1, [.typed(1, "uuid"), .typed(2, "text"), .typed(3, "timestamptz"), .typed(4, "timestamptz")])
    /// PostgreSQL: their queued log rows, `(id, wamid, at)`.
    private static let sentLogRows = RowValues(shared: 1, [.typed(1, "uuid"), .typed(2, "text"), .typed(3, "timestamptz")])

    func markRepliesSent(_ sent: [SentReply]) async throws -> [UUID] {
        // On PostgreSQL every statement is a round trip while the transaction holds its rows: a
        // batch is two statements, not two per reply. (SQLite runs `UPDATE … FROM` through a
        // temporary table, slower than its in-process single-row updates: those stay.) A batch
        // naming a wamid or a reply twice (a reply sent again under a later claim, both records
        // written together after a failed write) takes the row-by-row path, whose order decides
        // which record is the lost one.
        if c.dialect == .postgres, sent.count > 1, Set(sent.map(\.waMessageID)).count == sent.count,
           Set(sent.map(\.entry.id)).count == sent.count {
            return try await markRepliesSentTogether(sent)
        }
        var unlogged: [SentReply] = []
        var lost: [UUID] = []
        for r in sent {
            let updated = try await c.query("""
                UPDATE outbox SET state = 'sent', attempts = attempts + 1, wa_message_id = $1, claimed_until = NULL,
                    last_error = NULL, updated_at = $2
                WHERE cliente_id = $3 AND id = $4 AND \(heldByClaim(5))
                RETURNING id
                """, [.text(r.waMessageID), .date(r.at), .uuid(tenantID), .uuid(r.entry.id), .optional(r.entry.claimedUntil)])
            if updated.isEmpty { lost.append(r.entry.id) }
            // A read receipt is not a message of the conversation.
            guard r.entry.kind != "read" else { continue }
            if try await !updateQueuedLog(id: r.entry.id, status: "accepted", waMessageID: r.waMessageID, at: r.at) {
                unlogged.append(r)
            }
        }
        try await logUnlogged(unlogged)
        return lost
    }

    private func markRepliesSentTogether(_ sent: [SentReply]) async throws -> [UUID] {
        var lost: [UUID] = []
        var unlogged: [SentReply] = []
        for chunk in sent.chunked(200) {
            var binds: [SQLValue] = [.uuid(tenantID)]
            binds.reserveCapacity(1 + 4 * chunk.count)
            for r in chunk { binds += [.uuid(r.entry.id), .text(r.waMessageID), .date(r.at), .optional(r.entry.claimedUntil)] }
            let updated = Set(try await c.query("""
                UPDATE outbox o SET state = 'sent', attempts = o.attempts + 1, wa_message_id = v.wamid, claimed_until = NULL,
                    last_error = NULL, updated_at = v.at
                FROM (VALUES \(Self.sentRows.list(rows: chunk.count))) AS v(id, wamid, at, claimed)
                WHERE o.cliente_id = $1 AND o.id = v.id AND o.claimed_until IS NOT DISTINCT FROM v.claimed
                RETURNING o.id
                """, binds).map { try $0.required("id", $0.uuid) })
            lost += chunk.lazy.map(\.entry.id).filter { !updated.contains($0) }
            let messages = chunk.filter { $0.entry.kind != "read" }  // a read receipt is not a message of the conversation
            guard !messages.isEmpty else { continue }
            var logBinds: [SQLValue] = [.uuid(tenantID)]
            logBinds.reserveCapacity(1 + 3 * messages.count)
            for r in messages { logBinds += [.uuid(r.entry.id), .text(r.waMessageID), .date(r.at)] }
            let logged = Set(try await c.query("""
                UPDATE conversation_logs l SET status = 'accepted', status_updated_at = v.at, wa_message_id = v.wamid
                FROM (VALUES \(Self.sentLogRows.list(rows: messages.count))) AS v(id, wamid, at)
                WHERE l.cliente_id = $1 AND l.id = v.id AND l.direction = 'outbound' AND l.status = 'queued'
                    AND NOT EXISTS (SELECT 1 FROM conversation_logs d
                        WHERE d.cliente_id = $1 AND d.direction = 'outbound' AND d.wa_message_id = v.wamid)
                RETURNING l.id
                """, logBinds).map { try $0.required("id", $0.uuid) })
            unlogged += messages.filter { !logged.contains($0.entry.id) }
        }
        try await logUnlogged(unlogged)
        return lost
    }

    /// Rows queued before replies were logged at queue time have no log row yet (and a reply
    /// sent twice, after its lease ran out mid-send, gets a second row: both went out).
    private func logUnlogged(_ unlogged: [SentReply]) async throws {
        try await appendLogs(unlogged.map { r in
            ConversationLogEntry(
                tenantID: tenantID, userContextID: r.entry.userContextID, wabaAccountID: r.entry.wabaAccountID,
                direction: .outbound, waMessageID: r.waMessageID, messageType: r.entry.kind, body: r.entry.summary,
                intent: r.entry.intent, status: "accepted", statusUpdatedAt: r.at, createdAt: r.at)
        })
    }

    func markReplyAttemptFailed(_ e: OutboxEntry, error: String, retryAt: Date?, now: Date) async throws -> Bool {
        let updated = try await c.query("""
            UPDATE outbox SET attempts = attempts + 1, last_error = $1, \(releasedClaim), updated_at = $2,
                state = $3, next_attempt_at = $4
            WHERE cliente_id = $5 AND id = $6 AND \(heldByClaim(7))
            RETURNING id
            """, [.text(String(error.prefix(500))), .date(now), .text(retryAt == nil ? "failed" : "pending"),
                  .date(retryAt ?? now), .uuid(tenantID), .uuid(e.id), .optional(e.claimedUntil)])
        guard !updated.isEmpty else { return false }
        if retryAt == nil, e.kind != "read", try await !updateQueuedLog(id: e.id, status: "failed", waMessageID: nil, at: now) {
            // The final state is in the conversation log too; no wamid exists for a reply never accepted.
            try await appendLogs([ConversationLogEntry(
                tenantID: tenantID, userContextID: e.userContextID, wabaAccountID: e.wabaAccountID, direction: .outbound,
                waMessageID: nil, messageType: e.kind, body: e.summary, intent: e.intent, status: "failed",
                statusUpdatedAt: now, createdAt: now)])
        }
        return true
    }

    func deferReply(_ e: OutboxEntry, until: Date, now: Date) async throws -> Bool {
        try await !c.query("""
            UPDATE outbox SET \(releasedClaim), updated_at = $1, next_attempt_at = $2
            WHERE cliente_id = $3 AND id = $4 AND state = 'pending' AND \(heldByClaim(5))
            RETURNING id
            """, [.date(now), .date(until), .uuid(tenantID), .uuid(e.id), .optional(e.claimedUntil)]).isEmpty
    }

    /// Moves a reply's queued log row to `status` (with Meta's id once accepted); false when the
    /// reply has no queued row (queued by an earlier version) or Meta's id is already logged.
    private func updateQueuedLog(id: UUID, status: String, waMessageID: String?, at: Date) async throws -> Bool {
        let queued = "cliente_id = $3 AND id = $4 AND direction = 'outbound' AND status = 'queued'"
        guard let waMessageID else {
            return try await !c.query("UPDATE conversation_logs SET status = $1, status_updated_at = $2 WHERE \(queued) RETURNING id",
                                      [.text(status), .date(at), .uuid(tenantID), .uuid(id)]).isEmpty
        }
        return try await !c.query("""
            UPDATE conversation_logs SET status = $1, status_updated_at = $2, wa_message_id = $5
            WHERE \(queued) AND NOT EXISTS (SELECT 1 FROM conversation_logs d
                WHERE d.cliente_id = $3 AND d.direction = 'outbound' AND d.wa_message_id = $5)
            RETURNING id
            """, [.text(status), .date(at), .uuid(tenantID), .uuid(id), .text(waMessageID)]).isEmpty
    }

    func outbox(limit: Int) async throws -> [OutboxEntry] {
        try await c.query("SELECT \(Self.outboxColumns) FROM outbox WHERE cliente_id = $1 ORDER BY created_at, id LIMIT $2",
                          [.uuid(tenantID), .int(Int64(limit))]).map(Self.entry)
    }
}
