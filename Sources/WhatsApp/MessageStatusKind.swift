/// The delivery state a status webhook reports for a message the business sent (`statuses[].status`).
/// Values Meta adds later decode as `.unknown` and encode back to the same string.
/// Equality and hashing compare `rawValue` (the standard library's `RawRepresentable` defaults),
/// so `.unknown("sent") == .sent`. Build values with `init(rawValue:)`, which never wraps a known
/// string in `.unknown`: a `switch` would still take the `.unknown` branch for one made by hand.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/webhooks/reference/messages/status)
public enum MessageStatusKind: Sendable, Hashable, Codable, RawRepresentable {
    case sent
    case delivered
    case read
    /// A voice message the recipient played.
    case played
    case failed
    /// Legacy (On-Premises API): the message was deleted.
    case deleted
    /// A status this version does not know; holds Meta's string unchanged.
    case unknown(String)

    /// Every status this version knows, in rank order.
    public static let known: [MessageStatusKind] = [.sent, .delivered, .read, .played, .failed, .deleted]

    public init(rawValue: String) {
        switch rawValue {
        case "sent": self = .sent
        case "delivered": self = .delivered
        case "read": self = .read
        case "played": self = .played
        case "failed": self = .failed
        case "deleted": self = .deleted
        default: self = .unknown(rawValue)
        }
    }

    public var rawValue: String {
        switch self {
        case .sent: "sent"
        case .delivered: "delivered"
        case .read: "read"
        case .played: "played"
        case .failed: "failed"
        case .deleted: "deleted"
        case .unknown(let value): value
        }
    }

    /// How far along a message is, so a status that arrives late never regresses a later one:
    /// replace the stored status only when the new `rank` is greater.
    ///
    /// `sent` 1 < `delivered` 2 < `read` 3 < `played` 4. Meta delivers webhooks out of order, so a
    /// `delivered` arriving after `read` ranks lower and is ignored.
    ///
    /// `failed` and `deleted` are terminal and rank 5: a failure outranks every progress state
    /// (a `sent` that turned into `failed` must show the failure) and a late `sent` or `delivered`
    /// never hides it. Between the two terminal states the first one stored stays.
    ///
    /// `unknown` ranks 0: a state this version cannot place never replaces a known one; record it as
    /// an event, do not move the message's state with it.
    public var rank: Int {
        switch self {
        case .unknown: 0
        case .sent: 1
        case .delivered: 2
        case .read: 3
        case .played: 4
        case .failed, .deleted: 5
        }
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        self.init(rawValue: try container.decode(String.self))
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(rawValue)
    }
}
