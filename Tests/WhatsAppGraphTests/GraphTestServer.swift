import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOConcurrencyHelpers
import Testing

/// What the fake Graph API server saw of one request.
struct RecordedRequest: Sendable {
    var method: String
    var path: String
    var authorization: String?
    var contentType: String?
    var body: String
}

/// The requests a `GraphTestServer` received, in order.
actor RequestLog {
    private(set) var requests: [RecordedRequest] = []

    func append(_ request: RecordedRequest) {
        requests.append(request)
    }
}

/// A stand-in for graph.facebook.com on 127.0.0.1 (a random port), answering
/// `POST /{version}/{phone_number_id}/messages` as scripted by the phone number id.
enum GraphTestServer {
    /// The business number that gets Meta's documented success answers.
    static let okPhoneNumberID = "100000000000001"
    /// How long the `slow` number takes to answer, unless the test ends first (then at once, so
    /// the server's shutdown does not wait for it).
    static let slowAnswer: Duration = .seconds(20)

    /// Meta's error body.
    static func error(code: Int, subcode: Int? = nil, message: String) -> String {
        let subcode = subcode.map { #","error_subcode":\#($0)"# } ?? ""
        return #"{"error":{"message":"\#(message)","type":"OAuthException","code":\#(code)\#(subcode),"error_data":{"messaging_product":"whatsapp","details":"\#(message)"},"fbtrace_id":"AbCdEf"}}"#
    }

    /// The scripted answer for a phone number id: status and body.
    static func answer(phoneNumberID: String, body: String, authorization: String?) throws -> (Int, String) {
        switch phoneNumberID {
        case okPhoneNumberID where body.contains(#""status":"read""#):
            return (200, String(decoding: try Fixture.response("send-typing-indicator-and-read-receipt"), as: UTF8.self))
        case okPhoneNumberID, "slow":
            return (200, String(decoding: try Fixture.response("send-text-message"), as: UTF8.self))
        case "undeliverable":
            return (400, error(code: 131026, subcode: 2494010, message: "(#131026) Message Undeliverable."))
        case "invalidparameter":
            return (400, error(code: 100, message: "(#100) Invalid parameter"))
        case "reengagement":
            return (400, error(code: 131047, message: "Re-engagement message"))
        case "throughput":
            return (400, error(code: 130429, message: "(#130429) Rate limit hit"))
        case "pairlimit":
            return (400, error(code: 131056, message: "(#131056) Pair rate limit hit"))
        case "apprate":
            return (429, error(code: 4, message: "(#4) Application request limit reached"))
        case "servererror":
            return (500, "Internal Server Error")
        case "unavailable":
            return (503, error(code: 2, message: "Service temporarily unavailable"))
        case "expired":
            // Echoes the token back, as a careless upstream might: errors must still not show it.
            return (401, error(code: 190, subcode: 463, message: "Error validating access token \(authorization ?? "")"))
        case "echo":
            // A message id naming the recipient: tells concurrent answers apart.
            let to = (try? JSONSerialization.jsonObject(with: Data(body.utf8)) as? [String: Any])?["to"] as? String ?? "?"
            return (200, #"{"messaging_product":"whatsapp","contacts":[{"input":"\#(to)","wa_id":"\#(to)"}],"messages":[{"id":"wamid.\#(to)"}]}"#)
        case "compact":
            // Meta's read answer without whitespace (the client checks these bytes without decoding).
            return (200, #"{"success":true}"#)
        case "notsuccess":
            return (200, #"{"success":false}"#)
        case "garbage":
            return (200, "<html>not json</html>")
        case "nomessages":
            return (200, #"{"messaging_product":"whatsapp","messages":[]}"#)
        default:
            return (404, error(code: 803, message: "Unknown phone number id"))
        }
    }

    /// Runs the server for the duration of `body`, which gets its base URL and request log.
    static func run(_ body: @Sendable @escaping (URL, RequestLog) async throws -> Void) async throws {
        let log = RequestLog()
        let finished = NIOLockedValueBox(false)
        let router = Router()
        router.post("/:version/:phone/messages") { request, context -> Response in
            let phone = context.parameters.get("phone") ?? ""
            let buffer = try await request.body.collect(upTo: 1 << 20)
            let text = String(buffer: buffer)
            let authorization = request.headers[.authorization]
            await log.append(RecordedRequest(
                method: request.method.rawValue, path: request.uri.path, authorization: authorization,
                contentType: request.headers[.contentType], body: text))
            if phone == "slow" {
                let until = ContinuousClock.now + slowAnswer
                while ContinuousClock.now < until, !finished.withLockedValue({ $0 }) { try await Task.sleep(for: .milliseconds(20)) }
            }
            let (status, json) = try answer(phoneNumberID: phone, body: text, authorization: authorization)
            return Response(status: .init(code: status), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            defer { finished.withLockedValue { $0 = true } }
            try await body(try #require(URL(string: "http://127.0.0.1:\(port)")), log)
        }
    }
}
