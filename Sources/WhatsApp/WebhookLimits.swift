extension WebhookPayload {
    /// The longest message, status, account or phone number id accepted, in bytes. Meta's are far
    /// shorter (a wamid is under 100 bytes, a number id under 20). Ids are keys of unique indexes
    /// (dedup, logs, contexts); one of kilobytes does not fit a PostgreSQL btree entry, and the
    /// group commit that tried to store it would fail for every delivery in it.
    public static let maxIDBytes = 256
    /// The longest status name accepted (`sent`, `delivered`, `read`, `failed`, … and any Meta
    /// adds), in bytes: it is part of the status's dedup key.
    public static let maxStatusBytes = 64

    /// The JSON name of the first id longer than its limit, or nil when every id fits.
    public var oversizedIdentifier: String? {
        func long(_ s: String?, _ limit: Int = Self.maxIDBytes) -> Bool { (s?.utf8.count ?? 0) > limit }
        for entry in entry {
            if long(entry.id) { return "entry.id" }
            for change in entry.changes {
                let value = change.value
                if long(value.metadata?.phoneNumberID) { return "metadata.phone_number_id" }
                for contact in value.contacts ?? [] where long(contact.waID) { return "contacts.wa_id" }
                for message in value.messages ?? [] {
                    if long(message.id) { return "messages.id" }
                    if long(message.from) { return "messages.from" }
                    if long(message.context?.id) { return "messages.context.id" }
                }
                for status in value.statuses ?? [] {
                    if long(status.id) { return "statuses.id" }
                    if long(status.recipientID) { return "statuses.recipient_id" }
                    if long(status.status.rawValue, Self.maxStatusBytes) { return "statuses.status" }
                }
            }
        }
        return nil
    }
}
