import Foundation
import Testing
import WhatsApp
import WhatsAppGraph

private let token = "test-access-token"
private let user = "16505551234"

private func client(_ baseURL: URL, timeout: Duration = .seconds(5)) -> LibcurlGraphAPIClient {
    LibcurlGraphAPIClient(baseURL: baseURL, apiVersion: "v23.0", timeout: timeout)
}

/// Runs `body` expecting it to throw a `GraphAPIError`, and returns that error.
private func graphError(_ body: () async throws -> Void, sourceLocation: SourceLocation = #_sourceLocation) async -> GraphAPIError? {
    do {
        try await body()
        Issue.record("expected a GraphAPIError", sourceLocation: sourceLocation)
    } catch let error as GraphAPIError {
        return error
    } catch {
        Issue.record("expected a GraphAPIError, got \(error)", sourceLocation: sourceLocation)
    }
    return nil
}

/// A scripted answer and how the client must report it.
struct RejectionCase: Sendable, CustomTestStringConvertible {
    var phoneNumberID: String
    var status: Int
    var code: Int?
    var retryable: Bool
    var testDescription: String { "HTTP \(status), code \(code.map(String.init) ?? "none") (\(phoneNumberID))" }
}

@Suite("LibcurlGraphAPIClient against a local Graph API")
struct LibcurlGraphAPIClientTests {
    @Test func sendPostsTheMessageWithTheBearerTokenAndReturnsTheWamid() async throws {
        try await GraphTestServer.run { baseURL, log in
            let message = OutboundMessage(to: user, kind: .replyButtons(
                body: "¿Confirmas tu pedido? https://liora.test/o/1", buttons: [.init(id: "yes", title: "Sí"), .init(id: "no", title: "No")]))
            let sent = try await client(baseURL).send(message, phoneNumberID: GraphTestServer.okPhoneNumberID, accessToken: token)
            // Meta's "Send Text Message" response example.
            #expect(sent == SentMessage(messageID: "wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww", recipientWaID: "48XXXXXXXXX "))

            let requests = await log.requests
            try #require(requests.count == 1)
            #expect(requests[0].method == "POST")
            #expect(requests[0].path == "/v23.0/100000000000001/messages")
            #expect(requests[0].authorization == "Bearer \(token)")
            #expect(requests[0].contentType == "application/json")
            #expect(try JSON(Data(requests[0].body.utf8)) == JSON(encoding: message))
            #expect(requests[0].body.contains("https://liora.test/o/1"), "slashes escaped: \(requests[0].body)")
        }
    }

    @Test func markReadPostsMetasReadReceipt() async throws {
        try await GraphTestServer.run { baseURL, log in
            let receipt = MarkRead(messageID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUYzMjEzNDM2RTZGQ0MzMDJBRgA=", showsTypingIndicator: true)
            try await client(baseURL).markRead(receipt, phoneNumberID: GraphTestServer.okPhoneNumberID, accessToken: token)
            let requests = await log.requests
            try #require(requests.count == 1)
            #expect(requests[0].authorization == "Bearer \(token)")
            #expect(try JSON(Data(requests[0].body.utf8)) == Fixture.request("send-typing-indicator-and-read-receipt"))
        }
    }

    static let rejections: [RejectionCase] = [
        RejectionCase(phoneNumberID: "undeliverable", status: 400, code: 131026, retryable: false),
        RejectionCase(phoneNumberID: "invalidparameter", status: 400, code: 100, retryable: false),
        RejectionCase(phoneNumberID: "reengagement", status: 400, code: 131047, retryable: false),
        RejectionCase(phoneNumberID: "expired", status: 401, code: 190, retryable: false),
        RejectionCase(phoneNumberID: "throughput", status: 400, code: 130429, retryable: true),
        RejectionCase(phoneNumberID: "pairlimit", status: 400, code: 131056, retryable: true),
        RejectionCase(phoneNumberID: "apprate", status: 429, code: 4, retryable: true),
        RejectionCase(phoneNumberID: "servererror", status: 500, code: nil, retryable: true),
        RejectionCase(phoneNumberID: "unavailable", status: 503, code: 2, retryable: true),
    ]

    @Test(arguments: rejections)
    func rejectionsCarryStatusAndCodeAndSayWhetherToRetry(_ rejection: RejectionCase) async throws {
        try await GraphTestServer.run { baseURL, _ in
            let error = await graphError {
                _ = try await client(baseURL).send(.text("hi", to: user), phoneNumberID: rejection.phoneNumberID, accessToken: token)
            }
            guard case .rejected(let status, let code, _, _)? = error else {
                Issue.record("expected .rejected, got \(String(describing: error))")
                return
            }
            #expect(status == rejection.status)
            #expect(code == rejection.code)
            #expect(error?.isRetryable == rejection.retryable)
        }
    }

    @Test func undeliverableKeepsMetasSubcodeAndMessage() async throws {
        try await GraphTestServer.run { baseURL, _ in
            let error = await graphError {
                _ = try await client(baseURL).send(.text("hi", to: user), phoneNumberID: "undeliverable", accessToken: token)
            }
            #expect(error == .rejected(status: 400, code: 131026, subcode: 2494010,
                                       message: "(#131026) Message Undeliverable.: (#131026) Message Undeliverable."))
            #expect(error?.description == "Graph API rejected the request: HTTP 400, code 131026, subcode 2494010")
        }
    }

    @Test func aSlowAnswerTimesOutWithinTheTimeout() async throws {
        try await GraphTestServer.run { baseURL, log in
            let clock = ContinuousClock()
            let start = clock.now
            let error = await graphError {
                _ = try await client(baseURL, timeout: .milliseconds(300)).send(.text("hi", to: user), phoneNumberID: "slow", accessToken: token)
            }
            let elapsed = clock.now - start
            #expect(error == .timeout)
            #expect(error?.isRetryable == true)
            // The answer would take 20 s; the 300 ms timeout ended the wait long before (the bound is
            // loose because a full test run on 2 cores can delay any task by a second or more).
            #expect(elapsed < .seconds(10), "took \(elapsed)")
            // The client never retries on its own (under load the request may not even have arrived yet).
            #expect(await log.requests.count <= 1)
        }
    }

    @Test func answersThatAreNotMetasShapeAreMalformed() async throws {
        try await GraphTestServer.run { baseURL, _ in
            for phone in ["garbage", "nomessages"] {
                let error = await graphError {
                    _ = try await client(baseURL).send(.text("hi", to: user), phoneNumberID: phone, accessToken: token)
                }
                #expect(error == .malformedResponse)
                #expect(error?.isRetryable == false)
            }
            for phone in ["garbage", "notsuccess"] {
                let error = await graphError {
                    try await client(baseURL).markRead(MarkRead(messageID: "wamid.A"), phoneNumberID: phone, accessToken: token)
                }
                #expect(error == .malformedResponse)
            }
            // Meta's answer with or without whitespace is a success.
            try await client(baseURL).markRead(MarkRead(messageID: "wamid.A"), phoneNumberID: "compact", accessToken: token)
            try await client(baseURL).markRead(MarkRead(messageID: "wamid.A"), phoneNumberID: GraphTestServer.okPhoneNumberID, accessToken: token)
        }
    }

    @Test func invalidPayloadsAreNeverSent() async throws {
        try await GraphTestServer.run { baseURL, log in
            let api = client(baseURL)
            let tooLong = OutboundMessage.text(String(repeating: "x", count: 10_000), to: user)
            let error = await graphError {
                _ = try await api.send(tooLong, phoneNumberID: GraphTestServer.okPhoneNumberID, accessToken: token)
            }
            #expect(error == .invalidPayload(.init(field: "text.body", problem: .tooLong(limit: 4096, length: 10_000))))
            #expect(error?.isRetryable == false)

            let pathEscape = await graphError {
                _ = try await api.send(.text("hi", to: user), phoneNumberID: "../../me", accessToken: token)
            }
            #expect(pathEscape == .invalidPayload(.init(field: "phone_number_id", problem: .invalidCharacters)))

            let noToken = await graphError {
                _ = try await api.send(.text("hi", to: user), phoneNumberID: GraphTestServer.okPhoneNumberID, accessToken: "")
            }
            #expect(noToken == .invalidPayload(.init(field: "access_token", problem: .empty)))

            // The token goes into a header line: a line break would add a header of the caller's choosing.
            let injected = await graphError {
                _ = try await api.send(.text("hi", to: user), phoneNumberID: GraphTestServer.okPhoneNumberID,
                                       accessToken: "abc\r\nX-Injected: 1")
            }
            #expect(injected == .invalidPayload(.init(field: "access_token", problem: .invalidCharacters)))

            let noMessageID = await graphError {
                try await api.markRead(MarkRead(messageID: ""), phoneNumberID: GraphTestServer.okPhoneNumberID, accessToken: token)
            }
            #expect(noMessageID == .invalidPayload(.init(field: "message_id", problem: .empty)))

            #expect(await log.requests.isEmpty)
        }
    }

    @Test func encodedPayloadsArePostedByteForByte() async throws {
        try await GraphTestServer.run { baseURL, log in
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
            let message = OutboundMessage(to: user, kind: .text(body: "Mira https://liora.test/s/abc", previewURL: true))
            let json = String(decoding: try encoder.encode(message), as: UTF8.self)
            let sent = try await client(baseURL).send(encoded: json, phoneNumberID: GraphTestServer.okPhoneNumberID, accessToken: token)
            #expect(sent.messageID == "wamid.gBGGSFcCNEOPAgkO_KJ55r4w_ww")
            let receipt = String(decoding: try encoder.encode(MarkRead(messageID: "wamid.IN1", showsTypingIndicator: true)), as: UTF8.self)
            try await client(baseURL).markRead(encoded: receipt, phoneNumberID: GraphTestServer.okPhoneNumberID, accessToken: token)
            let requests = await log.requests
            try #require(requests.count == 2)
            #expect(requests.map(\.body) == [json, receipt])
            #expect(requests.allSatisfy { $0.authorization == "Bearer \(token)" && $0.contentType == "application/json" })
            // The path and token checks still apply before anything is sent.
            let escape = await graphError {
                _ = try await client(baseURL).send(encoded: json, phoneNumberID: "../me", accessToken: token)
            }
            #expect(escape == .invalidPayload(.init(field: "phone_number_id", problem: .invalidCharacters)))
            #expect(await log.requests.count == 2)
        }
    }

    @Test func concurrentSendsEachGetTheirOwnAnswer() async throws {
        try await GraphTestServer.run { baseURL, log in
            // Each call's timeout covers its wait for a pooled connection; with the whole suite
            // running beside it on two cores, 300 calls can take longer than the usual 5 s. What is
            // tested here is that every caller gets its own answer, not how fast.
            let api = client(baseURL, timeout: .seconds(60))
            // More than the 64 pooled connections: the rest wait for one and still get their own answer.
            let recipients = (0..<300).map { "1650555\(String(format: "%04d", $0))" }
            let answers = try await withThrowingTaskGroup(of: (String, String).self) { group in
                for to in recipients {
                    group.addTask { (to, try await api.send(.text("hola \(to)", to: to), phoneNumberID: "echo", accessToken: token).messageID) }
                }
                return try await group.reduce(into: [String: String]()) { $0[$1.0] = $1.1 }
            }
            #expect(answers.count == recipients.count)
            for to in recipients { #expect(answers[to] == "wamid.\(to)") }
            #expect(await log.requests.count == recipients.count)
        }
    }

    @Test func aMessageFittedIntoOneIsSentRepaired() async throws {
        try await GraphTestServer.run { baseURL, log in
            let message = OutboundMessage(to: user, kind: .replyButtons(body: "Ready?", buttons: [
                .init(id: "a", title: "Schedule a delivery for tomorrow"), .init(id: "a", title: "Cancel"),
            ]))
            _ = try await client(baseURL).send(message, phoneNumberID: GraphTestServer.okPhoneNumberID, accessToken: token)
            let requests = await log.requests
            try #require(requests.count == 1)
            #expect(try JSON(Data(requests[0].body.utf8)) == JSON(encoding: message.fitted()[0]))
            #expect(requests[0].body.contains(#""title":"Schedule a delivery…""#))
            #expect(requests[0].body.contains(#""id":"a-2""#))
        }
    }

    @Test func errorsNeverShowTheAccessToken() async throws {
        let canary = "CANARY-EAAG-7f3a9c21d4-\(UUID().uuidString)"
        try await GraphTestServer.run { baseURL, log in
            let error = await graphError {
                _ = try await client(baseURL).send(.text("hi", to: user), phoneNumberID: "expired", accessToken: canary)
            }
            #expect(await log.requests.first?.authorization == "Bearer \(canary)")
            #expect(error?.isRetryable == false)
            guard let error, case .rejected(401, 190, 463, let message?) = error else {
                Issue.record("expected 401/190, got \(String(describing: error))")
                return
            }
            #expect(message.contains("[redacted]"))
            for text in [error.description, error.debugDescription, String(describing: error), String(reflecting: error), message] {
                #expect(!text.contains(canary))
                #expect(!text.contains("CANARY"))
            }
        }

        // Nothing listens on port 1: a transport error.
        let unreachable = await graphError {
            _ = try await client(URL(string: "http://127.0.0.1:1")!).send(.text("hi", to: user), phoneNumberID: "1", accessToken: canary)
        }
        guard case .transport? = unreachable else {
            Issue.record("expected .transport, got \(String(describing: unreachable))")
            return
        }
        #expect(unreachable?.isRetryable == true)
        #expect(!(unreachable.map { String(reflecting: $0) } ?? "").contains("CANARY"))
    }
}
