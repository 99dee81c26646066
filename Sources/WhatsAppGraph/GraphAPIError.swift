public import WhatsApp

/// Why a Graph API call failed. `description` is safe to log: status and codes only, never the
/// access token or message text; `debugDescription` adds Meta's error message (with the token
/// scrubbed from it).
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/support/error-codes)
public enum GraphAPIError: Error, Sendable, Equatable, CustomStringConvertible, CustomDebugStringConvertible {
    /// Meta answered with a non-2xx status; `code` and `subcode` are the Graph error's `code` and
    /// `error_subcode`, `message` its `message`, when the body said.
    case rejected(status: Int, code: Int?, subcode: Int?, message: String?)
    /// The request did not complete (connection refused, reset, DNS…).
    case transport(String)
    /// No answer within the client's timeout. Meta may still have sent the message.
    case timeout
    /// The payload breaks a limit of Meta's; nothing was sent.
    case invalidPayload(OutboundLimitError)
    /// A 2xx answer whose body is not what Meta documents.
    case malformedResponse

    /// Graph error codes that mean "try again later": throttling (4 app rate limit, 17 user rate
    /// limit, 613 calls per time, 80004 calls to one WABA, 80007 WABA rate limit, 130429 throughput, 131048 spam rate limit, 131056 pair rate limit), temporary failures
    /// (131057 the number in maintenance for up to a minute while Meta raises its throughput,
    /// 1 unknown API error, 2 service unavailable, 131000 something went wrong, 131016 service
    /// overloaded, 133004 server temporarily unavailable).
    public static let retryableCodes: Set<Int> = [1, 2, 4, 17, 613, 80004, 80007, 130429, 131048, 131056, 131057, 131000, 131016, 133004]

    /// Whether the same request may succeed later: timeouts, transport errors, HTTP 429 and 408,
    /// the codes in `retryableCodes`, and a 5xx that names no code. When Meta names a code, the
    /// code decides, whatever the HTTP status: code 3 (a token without the messaging permission)
    /// comes back as a 500 and will fail the same way every time. Other rejections (100 invalid
    /// parameter, 131026 undeliverable, 190 expired token, 131047 re-engagement, 131051
    /// unsupported type…), invalid payloads and malformed answers will fail the same way again.
    public var isRetryable: Bool {
        switch self {
        case .timeout, .transport:
            return true
        case .rejected(let status, let code, _, _):
            if status == 429 || status == 408 { return true }
            if let code { return Self.retryableCodes.contains(code) }
            return status >= 500
        case .invalidPayload, .malformedResponse:
            return false
        }
    }

    public var description: String {
        switch self {
        case .rejected(let status, let code, let subcode, _):
            var text = "Graph API rejected the request: HTTP \(status)"
            if let code { text += ", code \(code)" }
            if let subcode { text += ", subcode \(subcode)" }
            return text
        case .transport(let detail):
            return "Graph API request failed: \(detail)"
        case .timeout:
            return "Graph API request timed out"
        case .invalidPayload(let error):
            return "not sent, invalid payload: \(error)"
        case .malformedResponse:
            return "Graph API answered with a body that is not Meta's documented response"
        }
    }

    public var debugDescription: String {
        if case .rejected(_, _, _, let message?) = self {
            return "\(description): \(message)"
        }
        return description
    }
}
