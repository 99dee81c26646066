package import Foundation

/// Builds realistic Meta webhook bodies (the shapes of Meta's examples) for the simulator, the
/// demo and tests.
package enum WebhookBuilder {
    /// One inbound message of any shape: `message` is the JSON object of the message minus
    /// `from`, `id` and `timestamp`.
    package static func message(phoneNumberID: String, from: String, id: String, timestamp: Int = 1_790_000_000,
                                profileName: String = "Ana", type: String = "text",
                                content: [String: Any] = ["text": ["body": "hola"]]) -> [String: Any] {
        var msg: [String: Any] = ["from": from, "id": id, "timestamp": String(timestamp), "type": type]
        for (k, v) in content { msg[k] = v }
        return envelope(phoneNumberID: phoneNumberID, value: [
            "contacts": [["profile": ["name": profileName], "wa_id": from]],
            "messages": [msg],
        ])
    }

    /// A text message body.
    package static func text(phoneNumberID: String, from: String, id: String, body: String = "hola",
                             timestamp: Int = 1_790_000_000) -> Data {
        json(message(phoneNumberID: phoneNumberID, from: from, id: id, timestamp: timestamp,
                     content: ["text": ["body": body]]))
    }

    /// A status notification for an outbound message.
    package static func status(phoneNumberID: String, messageID: String, status: String, recipient: String,
                               timestamp: Int = 1_790_000_100, errorCode: Int? = nil) -> Data {
        var s: [String: Any] = ["id": messageID, "status": status, "timestamp": String(timestamp), "recipient_id": recipient]
        if let errorCode {
            s["errors"] = [["code": errorCode, "title": "Message undeliverable", "message": "Message undeliverable",
                            "error_data": ["details": "Message Undeliverable."]]]
        }
        return json(envelope(phoneNumberID: phoneNumberID, value: ["statuses": [s]]))
    }

    /// Several changes (one per phone number id) in one delivery, each with the given messages.
    package static func batch(_ changes: [(phoneNumberID: String, messages: [(from: String, id: String, body: String)])]) -> Data {
        let entries: [[String: Any]] = changes.map { change in
            ["id": "200000000000001", "changes": [[
                "field": "messages",
                "value": [
                    "messaging_product": "whatsapp",
                    "metadata": ["display_phone_number": "15550001111", "phone_number_id": change.phoneNumberID],
                    "contacts": change.messages.map { ["profile": ["name": "User"], "wa_id": $0.from] },
                    "messages": change.messages.map {
                        ["from": $0.from, "id": $0.id, "timestamp": "1790000000", "type": "text", "text": ["body": $0.body]]
                    },
                ] as [String: Any],
            ]]]
        }
        return json(["object": "whatsapp_business_account", "entry": entries])
    }

    package static func envelope(phoneNumberID: String, value: [String: Any]) -> [String: Any] {
        var v = value
        v["messaging_product"] = "whatsapp"
        v["metadata"] = ["display_phone_number": "15550001111", "phone_number_id": phoneNumberID]
        return ["object": "whatsapp_business_account",
                "entry": [["id": "200000000000001", "changes": [["field": "messages", "value": v]]]]]
    }

    /// A reply to one of the bot's buttons (`interactive.button_reply`).
    package static func buttonReply(phoneNumberID: String, from: String, id: String, replyID: String, title: String,
                                    timestamp: Int) -> Data {
        json(message(phoneNumberID: phoneNumberID, from: from, id: id, timestamp: timestamp, type: "interactive",
                     content: ["interactive": ["type": "button_reply", "button_reply": ["id": replyID, "title": title]]]))
    }

    /// A pick from one of the bot's lists (`interactive.list_reply`).
    package static func listReply(phoneNumberID: String, from: String, id: String, replyID: String, title: String,
                                  timestamp: Int) -> Data {
        json(message(phoneNumberID: phoneNumberID, from: from, id: id, timestamp: timestamp, type: "interactive",
                     content: ["interactive": ["type": "list_reply", "list_reply": ["id": replyID, "title": title]]]))
    }

    /// A shared location.
    package static func location(phoneNumberID: String, from: String, id: String, latitude: Double, longitude: Double,
                                 timestamp: Int) -> Data {
        json(message(phoneNumberID: phoneNumberID, from: from, id: id, timestamp: timestamp, type: "location",
                     content: ["location": ["latitude": latitude, "longitude": longitude]]))
    }

    package static func json(_ object: [String: Any]) -> Data {
        // Force-try: the inputs are literals built above.
        try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys])
    }
}
