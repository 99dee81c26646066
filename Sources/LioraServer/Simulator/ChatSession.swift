package import Foundation
package import LioraCore
package import WhatsApp
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// One simulated WhatsApp user talking to a running Liora: turns what they type into signed
/// webhooks posted over HTTP, and renders the bot's replies (buttons and list rows numbered, so
/// typing the number picks them).
package final class ChatSession: @unchecked Sendable {  // its mutable state is behind `lock`
    package let webhookURL: URL
    package let appSecret: Secret
    package let phoneNumberID: String
    package let waID: String
    /// The intents whose replies hand the chat to a person (the bot then answers nothing it does
    /// not understand): `core.humano` unless told more (`handOffIntents(in:)`).
    package let handOffIntents: Set<String>
    private let lock = NSLock()
    /// Whether any reply has come in this run (a silence before the first is a setup problem).
    private var answered = false
    /// Whether the latest reply that named an intent was a hand-off (replies that name none, like
    /// "a person will answer here", leave it as it was).
    private var handedOff = false
    /// Whether the setup hint was said (once is enough).
    private var setupHinted = false
    private var lastID: String?
    /// The buttons and rows of the bot's replies to the user's latest message (the number typed picks one).
    private var picks: [(id: String, title: String, isList: Bool)] = []
    /// The next reply is the first to the user's latest message: it replaces the choices.
    private var repliesStartOver = false
    private let session = URLSession(configuration: .ephemeral)

    package init(webhookURL: URL, appSecret: Secret, phoneNumberID: String, waID: String = "5215550100000",
                 handOffIntents: Set<String> = [ConversationEngine.handOffIntent]) {
        self.webhookURL = webhookURL
        self.appSecret = appSecret
        self.phoneNumberID = phoneNumberID
        self.waID = waID
        self.handOffIntents = handOffIntents
    }

    /// The intents of `catalog` that hand the chat to a person: asking for one, the urgent ones
    /// (`core.crisis`…) and the questions only a person answers (`hands_off`).
    package static func handOffIntents(in catalog: SkillCatalog) -> Set<String> {
        Set(catalog.intents.filter { $0.urgent || $0.handsOff }.map(\.id)).union([ConversationEngine.handOffIntent])
    }

    /// A WhatsApp id for a user nobody has been yet: a Mexican mobile number as WhatsApp writes
    /// it (521 55 and 8 random digits), so each scripted run starts a conversation of its own.
    package static func newWaID<R: RandomNumberGenerator>(using random: inout R) -> String {
        "52155" + String(format: "%08d", Int.random(in: 0...99_999_999, using: &random))
    }

    /// What Liora answered to a posted webhook.
    package struct Posted: Sendable {
        package var status: Int
        /// The `error.code` of an error answer (`signature_invalid`…), when it has one.
        package var errorCode: String?
    }

    /// The id of the last message this user sent (the bot's replies name it as their context).
    package var lastMessageID: String? { lock.withLock { lastID } }

    /// How many buttons or rows the replies to the latest message offered (none before a reply came).
    package var choiceCount: Int { lock.withLock { repliesStartOver ? 0 : picks.count } }

    /// Posts what the user typed in the terminal: a number picks the matching button or list row
    /// of the replies to their latest message; anything else is text.
    @discardableResult
    package func say(_ input: String) async throws -> Posted {
        if let n = Int(input.trimmingCharacters(in: .whitespaces)), n >= 1, n <= choiceCount { return try await pick(n) }
        return try await sendText(input)
    }

    /// Posts `text` as a text message, whatever it looks like ("2" included).
    @discardableResult
    package func sendText(_ text: String) async throws -> Posted {
        let (id, ts) = nextMessage(prefix: "SIMIN")
        return try await post(WebhookBuilder.text(phoneNumberID: phoneNumberID, from: waID, id: id, body: text, timestamp: ts))
    }

    /// Presses the `n`th button or list row (from 1) of the replies to the latest message.
    @discardableResult
    package func pick(_ n: Int) async throws -> Posted {
        guard let choice = choice(n) else {
            throw LioraSimulatorError("pick \(n): the replies to the last message offered \(choiceCount) choice(s)")
        }
        let (id, ts) = nextMessage(prefix: "SIMIN")
        let body = choice.isList
            ? WebhookBuilder.listReply(phoneNumberID: phoneNumberID, from: waID, id: id, replyID: choice.id, title: choice.title, timestamp: ts)
            : WebhookBuilder.buttonReply(phoneNumberID: phoneNumberID, from: waID, id: id, replyID: choice.id, title: choice.title, timestamp: ts)
        return try await post(body)
    }

    /// The `n`th button or list row (from 1) the replies to the latest message offered, as numbered
    /// by `render`: its reply id, title and whether it is a list row.
    package func choice(_ n: Int) -> (id: String, title: String, isList: Bool)? {
        lock.withLock { !repliesStartOver && n >= 1 && n <= picks.count ? picks[n - 1] : nil }
    }

    /// Shares a location, as WhatsApp's location message.
    @discardableResult
    package func shareLocation(latitude: Double, longitude: Double) async throws -> Posted {
        let (id, ts) = nextMessage(prefix: "SIMLOC")
        return try await post(WebhookBuilder.location(phoneNumberID: phoneNumberID, from: waID, id: id,
                                                      latitude: latitude, longitude: longitude, timestamp: ts))
    }

    private func nextMessage(prefix: String) -> (id: String, timestamp: Int) {
        let ts = Int(Date().timeIntervalSince1970)
        // Unique across runs and processes: Liora drops a message whose id it has seen as a
        // duplicate (a second, time-and-counter id from another run in the same second was).
        let unique = UUID().uuidString.replacingOccurrences(of: "-", with: "")
        return lock.withLock {
            let id = "wamid.\(prefix)\(unique)"
            lastID = id
            repliesStartOver = true
            return (id, ts)
        }
    }

    /// Posts a raw webhook body, signed like Meta does.
    package func post(_ body: Data) async throws -> Posted {
        var request = URLRequest(url: webhookURL)
        request.httpMethod = "POST"
        request.httpBody = body
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue(WebhookSignatureVerifier.signature(for: body, secret: appSecret), forHTTPHeaderField: "X-Hub-Signature-256")
        let (data, response) = try await session.data(for: request)
        struct ErrorBody: Decodable { struct Inner: Decodable { var code: String }; var error: Inner }
        return Posted(status: (response as? HTTPURLResponse)?.statusCode ?? 0,
                      errorCode: (try? JSONDecoder().decode(ErrorBody.self, from: data))?.error.code)
    }

    /// A one-line explanation of a webhook Liora did not accept, for the developer.
    package func explain(_ posted: Posted) -> String {
        switch (posted.status, posted.errorCode) {
        case (401, let code):
            return "Liora refused the webhook's signature (\(code ?? "HTTP 401")): --app-secret must be the LIORA_META_APP_SECRET it runs with"
        case (503, "webhook_not_configured"?):
            return "Liora answered HTTP 503 (webhook_not_configured): it runs without LIORA_META_APP_SECRET, so it refuses every "
                + "webhook; start it with LIORA_META_APP_SECRET set and pass the same value as --app-secret"
        case (let status, let code?):
            return "Liora answered HTTP \(status) (\(code)) to the webhook"
        case (let status, nil):
            return "Liora answered HTTP \(status) to the webhook"
        }
    }

    /// Why no reply may have come when none has come at all in this run: the number or the
    /// Graph address is wrong.
    package var noReplyHint: String {
        "no reply: is \(phoneNumberID) the phone_number_id of an active tenant's WhatsApp account, and does Liora send to this "
            + "simulator (LIORA_GRAPH_BASE_URL set to the simulated Graph API's address)?"
    }

    /// What to say about a message that got no reply within `waited`: `setupHint` (default
    /// `noReplyHint`) once, while nothing at all has been answered in this run; after a hand-off,
    /// that the bot leaves what it does not understand to a person (docs/decisions.md); else
    /// only that no reply came.
    package func explainSilence(waited: Duration, setupHint: String? = nil) -> String {
        let (toPerson, firstSilence) = lock.withLock { () -> (Bool, Bool) in
            let first = !answered && !setupHinted
            if first { setupHinted = true }
            return (handedOff, first)
        }
        if firstSilence { return setupHint ?? noReplyHint }
        if toPerson { return "no reply: the bot may have handed this chat to a person; type menú to go back to the bot" }
        let ms = waited.components.seconds * 1000 + waited.components.attoseconds / 1_000_000_000_000_000
        return "no reply within \(ms) ms"
    }

    /// Whether a reply that reached the simulated Graph API is for this user (sent from this
    /// number to this `wa_id`): another user's or tenant's replies are not shown nor picked.
    package func isForThisUser(_ delivery: SimulatedGraphAPI.Delivery) -> Bool {
        delivery.message.to == waID && delivery.phoneNumberID == phoneNumberID
    }

    /// Renders a reply for the terminal (lines after the first indented under it), remembers
    /// its buttons/rows for number picks and notes whether it handed the chat to a person. The replies to one message are numbered on from one
    /// another: a list split into two messages shows rows [1]–[10] and [11]–[20], and typing 11
    /// picks the second message's first row.
    package func render(_ message: OutboundMessage) -> String {
        // A reply to an earlier message (the bot was slow, or it is a previous run's): shown as
        // such, and its buttons are not the choices a number picks now.
        let late = message.replyTo != nil && message.replyTo != lastMessageID
        let offset = lock.withLock { () -> Int in
            answered = true
            if let intent = message.callbackData { handedOff = handOffIntents.contains(intent) }
            if late { return 0 }
            if repliesStartOver { picks = []; repliesStartOver = false }
            return picks.count
        }
        func indented(_ text: String) -> String {
            text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init).enumerated()
                .map { $0.offset == 0 || $0.element.isEmpty ? $0.element : "     " + $0.element }.joined(separator: "\n")
        }
        let choices: [(id: String, title: String, isList: Bool)]
        let text: String
        switch message.kind {
        case .text(let body, _):
            choices = []
            text = "bot: " + indented(body)
        case .replyButtons(let body, let buttons, _, _):
            choices = buttons.map { ($0.id, $0.title, false) }
            text = "bot: " + indented(body) + "\n" + buttons.enumerated().map { "     [\(offset + $0.offset + 1)] \($0.element.title)" }.joined(separator: "\n")
        case .list(let body, let buttonText, let sections, _, _):
            let rows = sections.flatMap(\.rows)
            choices = rows.map { ($0.id, $0.title, true) }
            var lines = ["bot: " + indented(body) + "  (\(buttonText))"]
            for (i, row) in rows.enumerated() {
                lines.append("     [\(offset + i + 1)] \(row.title)" + (row.description.map { " — \($0)" } ?? ""))
            }
            text = lines.joined(separator: "\n")
        case .ctaURL(let body, let displayText, let url, _, _):
            choices = []
            text = "bot: " + indented(body) + "\n     → \(displayText): \(url)"
        case .image(let link, let caption):
            choices = []
            text = "bot: [image \(link)]" + (caption.map { " " + indented($0) } ?? "")
        }
        if late {
            // Its numbers would pick nothing: shown without them.
            let unnumbered = text.replacingOccurrences(of: #"(?m)^     \[\d+\] "#, with: "     - ", options: .regularExpression)
            return "(late reply to an earlier message) " + unnumbered
        }
        lock.withLock { picks += choices }
        return text
    }

}
