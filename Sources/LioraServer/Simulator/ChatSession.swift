package import Foundation
package import LioraCore
package import WhatsApp
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One simulated WhatsApp user talking to a running Liora: turns what they type into signed
/// webhooks posted over HTTP, and renders the bot's replies (buttons and list rows numbered, so
/// typing the number picks them).
package final class ChatSession: @unchecked Sendable {  // used from one task at a time
    package let webhookURL: URL
    package let appSecret: Secret
    package let phoneNumberID: String
    package let waID: String
    private var sequence = 0
    /// The id of the last message this user sent (the bot's replies name it as their context).
    package private(set) var lastMessageID: String?
    private var picks: [(id: String, title: String, isList: Bool)] = []
    private let session = URLSession(configuration: .ephemeral)

    package init(webhookURL: URL, appSecret: Secret, phoneNumberID: String, waID: String = "5215550100000") {
        self.webhookURL = webhookURL
        self.appSecret = appSecret
        self.phoneNumberID = phoneNumberID
        self.waID = waID
    }

    /// Posts what the user typed: a number picks the matching button or list row of the last reply.
    @discardableResult
    package func say(_ input: String) async throws -> Int {
        sequence += 1
        let id = "wamid.SIMIN\(Int(Date().timeIntervalSince1970))\(sequence)"
        lastMessageID = id
        let ts = Int(Date().timeIntervalSince1970)
        let body: Data
        let trimmed = input.trimmingCharacters(in: .whitespaces)
        if let n = Int(trimmed), n >= 1, n <= picks.count {
            let pick = picks[n - 1]
            body = pick.isList
                ? WebhookBuilder.listReply(phoneNumberID: phoneNumberID, from: waID, id: id, replyID: pick.id, title: pick.title, timestamp: ts)
                : WebhookBuilder.buttonReply(phoneNumberID: phoneNumberID, from: waID, id: id, replyID: pick.id, title: pick.title, timestamp: ts)
        } else {
            body = WebhookBuilder.text(phoneNumberID: phoneNumberID, from: waID, id: id, body: input, timestamp: ts)
        }
        return try await post(body)
    }

    /// Shares a location, as WhatsApp's location message.
    @discardableResult
    package func shareLocation(latitude: Double, longitude: Double) async throws -> Int {
        sequence += 1
        let ts = Int(Date().timeIntervalSince1970)
        lastMessageID = "wamid.SIMLOC\(ts)\(sequence)"
        return try await post(WebhookBuilder.location(phoneNumberID: phoneNumberID, from: waID, id: "wamid.SIMLOC\(ts)\(sequence)",
                                                      latitude: latitude, longitude: longitude, timestamp: ts))
    }

    /// Posts a raw webhook body, signed like Meta does; returns the HTTP status.
    package func post(_ body: Data) async throws -> Int {
        var request = URLRequest(url: webhookURL)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(WebhookSignatureVerifier.signature(for: body, secret: appSecret), forHTTPHeaderField: "X-Hub-Signature-256")
        let (_, response) = try await session.data(for: request)
        return (response as? HTTPURLResponse)?.statusCode ?? 0
    }

    /// Renders a reply for the terminal and remembers its buttons/rows for number picks.
    package func render(_ message: OutboundMessage) -> String {
        switch message.kind {
        case .text(let body, _):
            return "bot: " + body
        case .replyButtons(let body, let buttons, _, _):
            picks = buttons.map { ($0.id, $0.title, false) }
            return "bot: " + body + "\n" + buttons.enumerated().map { "     [\($0.offset + 1)] \($0.element.title)" }.joined(separator: "\n")
        case .list(let body, let buttonText, let sections, _, _):
            let rows = sections.flatMap(\.rows)
            picks = rows.map { ($0.id, $0.title, true) }
            var lines = ["bot: " + body + "  (\(buttonText))"]
            for (i, row) in rows.enumerated() {
                lines.append("     [\(i + 1)] \(row.title)" + (row.description.map { " — \($0)" } ?? ""))
            }
            return lines.joined(separator: "\n")
        case .ctaURL(let body, let displayText, let url, _, _):
            return "bot: " + body + "\n     → \(displayText): \(url)"
        case .image(let link, let caption):
            return "bot: [image \(link)]" + (caption.map { " " + $0 } ?? "")
        }
    }
}
