import Logging
import Foundation
import LioraCore
import WhatsApp

/// Turns the engine's replies into WhatsApp payloads that respect Meta's limits (repaired,
/// split if needed) and outbox rows, one per message to send.
/// Where a reply part that could not be fitted to Meta's limits is reported.
private let droppedLogger = Logger(label: "liora.replies")

enum ReplyComposer {
    static func messages(for reply: BotReply, to waID: String, replyTo: String?, intent: String? = nil) -> [OutboundMessage] {
        let message: OutboundMessage
        switch reply {
        case .text(let text):
            message = OutboundMessage(to: waID, kind: .text(body: text, previewURL: text.containsASCII("https://")), replyTo: replyTo)
        case .buttons(let body, let buttons):
            message = OutboundMessage(
                to: waID, kind: .replyButtons(body: body, buttons: buttons.map { .init(id: $0.id, title: $0.title) }), replyTo: replyTo)
        case .list(let body, let button, let rows):
            message = OutboundMessage(
                to: waID, kind: .list(body: body, buttonText: button,
                                      sections: [.init(rows: rows.map { .init(id: $0.id, title: $0.title, description: $0.description) })]),
                replyTo: replyTo)
        case .product(let card):
            message = OutboundMessage(
                to: waID, kind: .ctaURL(body: card.body, displayText: card.buttonTitle, url: card.url, headerImageURL: card.imageURL),
                replyTo: replyTo)
        }
        // Checked here, before it is queued: the sender posts the stored JSON as it is. `fitted()`
        // only returns valid messages; one that still failed would be dropped, never sent broken.
        return message.fitted().compactMap { part in
            var m = part
            m.callbackData = intent
            do {
                try m.validate()
                return m
            } catch {
                // Never sent broken; said, so a regression in fitting is not silent. The field and
                // the limit only: never the text.
                droppedLogger.error("a reply part broke a limit of Meta's and was not queued",
                                    metadata: ["intent": "\(intent ?? "none")", "field": "\((error as? OutboundLimitError)?.field ?? "?")"])
                return nil
            }
        }
    }

    static func outboxEntries(for replies: [BotReply], tenantID: UUID, userContextID: UUID, wabaAccountID: UUID, to waID: String,
                              intent: String?, replyTo: String?, now: Date) throws -> [OutboxEntry] {
        var entries: [OutboxEntry] = []
        for reply in replies {
            for message in messages(for: reply, to: waID, replyTo: replyTo, intent: intent) {
                let json = message.json
                entries.append(OutboxEntry(
                    tenantID: tenantID, userContextID: userContextID, wabaAccountID: wabaAccountID, toWaID: waID,
                    kind: message.graphType, payloadJSON: json, summary: String(reply.summary.prefix(4096)), intent: intent,
                    replyTo: replyTo, nextAttemptAt: now, createdAt: now))  // ordered when queued (`ConversationResponder.queuedAt`)
            }
        }
        return entries
    }

    /// The outbox kind of a read receipt queued as a row of its own (rows written before the
    /// first part of an answer carried it, `OutboxEntry.marksRead`; still sent when found).
    static let readKind = "read"
}
