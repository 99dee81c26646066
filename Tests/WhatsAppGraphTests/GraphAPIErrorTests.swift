import Foundation
import Testing
import WhatsApp
import WhatsAppGraph

@Suite("GraphAPIError")
struct GraphAPIErrorTests {
    static let retryable: [GraphAPIError] = [
        .timeout,
        .transport("URLError -1004: Could not connect to the server."),
        .rejected(status: 500, code: nil, subcode: nil, message: nil),
        .rejected(status: 502, code: 131000, subcode: nil, message: nil),
        .rejected(status: 429, code: nil, subcode: nil, message: nil),
        .rejected(status: 400, code: 4, subcode: nil, message: "(#4) Application request limit reached"),
        .rejected(status: 400, code: 80007, subcode: nil, message: nil),
        .rejected(status: 400, code: 130429, subcode: nil, message: nil),
        .rejected(status: 400, code: 131048, subcode: nil, message: nil),
        .rejected(status: 400, code: 131056, subcode: nil, message: nil),
        // The number is unusable for up to a minute while Meta upgrades its throughput.
        .rejected(status: 400, code: 131057, subcode: nil, message: "(#131057) Account in maintenance mode"),
        .rejected(status: 400, code: 1, subcode: nil, message: nil),
        .rejected(status: 400, code: 2, subcode: nil, message: nil),
        // Graph's rate limits: per user (the spec's `user_rate_limit`, `is_transient: true`), calls
        // per time (613), calls to one WhatsApp Business account (80004); a request timeout.
        .rejected(status: 400, code: 17, subcode: 2446079, message: "User request limit reached"),
        .rejected(status: 400, code: 613, subcode: nil, message: nil),
        .rejected(status: 400, code: 80004, subcode: nil, message: nil),
        .rejected(status: 408, code: nil, subcode: nil, message: nil),
    ]

    static let final: [GraphAPIError] = [
        .rejected(status: 400, code: 100, subcode: nil, message: "Invalid parameter"),
        .rejected(status: 400, code: 131026, subcode: nil, message: nil),
        .rejected(status: 401, code: 190, subcode: 463, message: nil),
        .rejected(status: 400, code: 131047, subcode: nil, message: nil),
        .rejected(status: 400, code: 131051, subcode: nil, message: nil),
        .rejected(status: 404, code: nil, subcode: nil, message: nil),
        // Meta's code decides over the HTTP status: a token without the messaging permission
        // (code 3) comes back as a 500 and fails the same way every time.
        .rejected(status: 500, code: 3, subcode: nil, message: "Capability or permissions issue"),
        .invalidPayload(.init(field: "text.body", problem: .empty)),
        .malformedResponse,
    ]

    @Test(arguments: retryable)
    func transientFailuresAreRetryable(_ error: GraphAPIError) {
        #expect(error.isRetryable)
    }

    @Test(arguments: final)
    func failuresThatWouldRepeatAreNot(_ error: GraphAPIError) {
        #expect(!error.isRetryable)
    }

    @Test func descriptionHasStatusAndCodesAndDebugDescriptionAddsMetasMessage() {
        let error = GraphAPIError.rejected(status: 400, code: 131047, subcode: nil, message: "Re-engagement message")
        #expect(error.description == "Graph API rejected the request: HTTP 400, code 131047")
        #expect(error.debugDescription == "Graph API rejected the request: HTTP 400, code 131047: Re-engagement message")
        #expect(GraphAPIError.invalidPayload(.init(field: "image.link", problem: .invalidURL)).description
            == "not sent, invalid payload: image.link is not an http(s) URL")
    }

    @Test func sentMessageParsesMetasResponseExamples() throws {
        for name in ["send-text-message", "send-reply-button", "send-list-message"] {
            let sent = try JSONDecoder().decode(SentMessage.self, from: Fixture.response(name))
            #expect(sent.messageID.hasPrefix("wamid."))
        }
        let listAnswer = try JSONDecoder().decode(SentMessage.self, from: Fixture.response("send-list-message"))
        #expect(listAnswer == SentMessage(messageID: "wamid.ID", recipientWaID: "<WHATSAPP_ID>"))
        #expect(throws: DecodingError.self) {
            try JSONDecoder().decode(SentMessage.self, from: Data(#"{"messages":[]}"#.utf8))
        }
    }
}
