/// One thing a webhook delivery reports — an inbound message, a status or a change-level error —
/// with the key that recognises it when Meta delivers it again.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/overview)
public struct WebhookItem: Sendable, Equatable {
    /// What the item is.
    public enum Kind: String, Sendable {
        case message
        case status
        case error
    }

    /// The decoded thing itself.
    public enum Content: Sendable, Equatable {
        /// An inbound message and its sender's entry in the change's `contacts` (profile name), if any.
        case message(InboundMessage, contact: WebhookContact?)
        case status(MessageStatus)
        /// A change-level error.
        case error(GraphError)
    }

    /// Dedup key: `m:<wamid>` for messages, `s:<status id>:<status>` for statuses (the raw status
    /// string, so an unknown status keeps its own key), and
    /// `e:<entry id>:<phone number id>:<code>:<change index>.<error index>` for change-level errors
    /// (the phone number id is empty when the change has no metadata).
    ///
    /// Change-level errors carry no id or timestamp, so their key is their position in the delivery:
    /// stable when Meta retries the same body, but two identical error notices in separate deliveries
    /// share a key and count as one.
    public var key: String
    /// The business phone number id from the change's metadata.
    public var phoneNumberID: String?
    /// The WhatsApp Business Account id (`entry.id`).
    public var wabaID: String
    /// The change's webhook field, e.g. `messages`.
    public var field: String
    public var content: Content

    /// What the item is, read from `content`.
    public var kind: Kind {
        switch content {
        case .message: .message
        case .status: .status
        case .error: .error
        }
    }

    public init(key: String, phoneNumberID: String?, wabaID: String, field: String, content: Content) {
        self.key = key
        self.phoneNumberID = phoneNumberID
        self.wabaID = wabaID
        self.field = field
        self.content = content
    }
}

extension WebhookPayload {
    /// Every message, status and change-level error in the delivery, flattened: entries in order,
    /// their changes in order, and within a change its messages, then its statuses, then its errors.
    /// The order is stable for a given body, so an item can be found again by its index.
    /// Nothing is deduplicated here; `key` is for the store to do that.
    public var items: [WebhookItem] {
        var result: [WebhookItem] = []
        for entry in self.entry {
            for (changeIndex, change) in entry.changes.enumerated() {
                let value = change.value
                let phoneNumberID = value.metadata?.phoneNumberID
                result.reserveCapacity(
                    result.count + (value.messages?.count ?? 0) + (value.statuses?.count ?? 0)
                        + (value.errors?.count ?? 0)
                )
                let senders = value.senders()
                for message in value.messages ?? [] {
                    result.append(WebhookItem(
                        key: "m:" + message.id, phoneNumberID: phoneNumberID, wabaID: entry.id, field: change.field,
                        content: .message(message, contact: senders.sender(of: message))
                    ))
                }
                for status in value.statuses ?? [] {
                    result.append(WebhookItem(
                        key: "s:" + status.id + ":" + status.status.rawValue,
                        phoneNumberID: phoneNumberID, wabaID: entry.id, field: change.field,
                        content: .status(status)
                    ))
                }
                for (errorIndex, error) in (value.errors ?? []).enumerated() {
                    result.append(WebhookItem(
                        key: "e:\(entry.id):\(phoneNumberID ?? ""):\(error.code):\(changeIndex).\(errorIndex)",
                        phoneNumberID: phoneNumberID, wabaID: entry.id, field: change.field,
                        content: .error(error)
                    ))
                }
            }
        }
        return result
    }
}

extension WebhookChangeValue {
    /// The `contacts` entry of a message's sender: the one whose `wa_id` is the message's `from`, or
    /// the only contact when there is exactly one (Meta sends one per sender).
    public func sender(of message: InboundMessage) -> WebhookContact? {
        senders().sender(of: message)
    }

    /// The senders of this change's messages, looked up in constant time: a signed body with
    /// thousands of messages and contacts costs one pass over each, not their product.
    func senders() -> SenderIndex { SenderIndex(contacts ?? []) }
}

/// A change's `contacts` by `wa_id` (the first entry of a repeated one wins, as a scan would find).
struct SenderIndex {
    private let contacts: [WebhookContact]
    private let byWaID: [String: Int]

    init(_ contacts: [WebhookContact]) {
        self.contacts = contacts
        var byWaID: [String: Int] = [:]
        // Meta sends one contact per sender; an index is only worth building for more.
        if contacts.count > 8 {
            byWaID.reserveCapacity(contacts.count)
            for (i, c) in contacts.enumerated() { if let id = c.waID, byWaID[id] == nil { byWaID[id] = i } }
        }
        self.byWaID = byWaID
    }

    func sender(of message: InboundMessage) -> WebhookContact? {
        if contacts.count > 8 {
            if let i = byWaID[message.from] { return contacts[i] }
        } else if let match = contacts.first(where: { $0.waID == message.from }) {
            return match
        }
        return contacts.count == 1 ? contacts[0] : nil
    }
}
