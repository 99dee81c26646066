import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LioraTestSupport
import NIOCore
import Testing
import WhatsApp
import WhatsAppGraph

/// A stand-in for `GET /{version}/{phone_number_id}?fields=…`: the good token reads the number,
/// any other is Meta's "invalid OAuth access token" (which echoes the token, as a careless
/// upstream might), an unknown number is Meta's 100.
private enum PhoneNumberServer {
    static let goodToken = "good-token-0123456789abcdef"
    static let number = "100000000000001"

    static func run(_ body: @Sendable @escaping (URL, RequestLog) async throws -> Void) async throws {
        let log = RequestLog()
        let router = Router()
        router.get("/:version/:phone") { request, context -> Response in
            let phone = context.parameters.get("phone") ?? ""
            let authorization = request.headers[.authorization]
            await log.append(RecordedRequest(method: request.method.rawValue, path: request.uri.path + "?" + (request.uri.query ?? ""),
                                             authorization: authorization, contentType: nil, body: ""))
            let (status, json): (Int, String)
            if authorization != "Bearer \(goodToken)" {
                (status, json) = (401, GraphTestServer.error(code: 190, message: "Invalid OAuth access token \(authorization ?? "")"))
            } else if phone == number {
                (status, json) = (200, #"{"display_phone_number":"+1 555-000-1111","verified_name":"Tienda Demo","id":"\#(number)"}"#)
            } else if phone == "garbage" {
                (status, json) = (200, "<html>")
            } else {
                (status, json) = (400, GraphTestServer.error(code: 100, subcode: 33, message: "Unsupported get request."))
            }
            return Response(status: .init(code: status), headers: [.contentType: "application/json"],
                            body: .init(byteBuffer: ByteBuffer(string: json)))
        }
        let app = Application(router: router, configuration: .init(address: .hostname("127.0.0.1", port: 0)))
        try await app.test(.live) { client in
            let port = try #require(client.port)
            try await body(try #require(URL(string: "http://127.0.0.1:\(port)")), log)
        }
    }
}

private func client(_ baseURL: URL) -> LibcurlGraphAPIClient {
    LibcurlGraphAPIClient(baseURL: baseURL, apiVersion: "v23.0", timeout: .seconds(5))
}

@Suite("Graph API: reading a phone number (token check)")
struct PhoneNumberInfoTests {
    @Test func readsTheNumberWithTheBearerToken() async throws {
        try await PhoneNumberServer.run { baseURL, log in
            let info = try await client(baseURL).phoneNumber(phoneNumberID: PhoneNumberServer.number, accessToken: PhoneNumberServer.goodToken)
            #expect(info == PhoneNumberInfo(id: PhoneNumberServer.number, displayPhoneNumber: "+1 555-000-1111", verifiedName: "Tienda Demo"))
            let requests = await log.requests
            try #require(requests.count == 1)
            #expect(requests[0].method == "GET")
            #expect(requests[0].path == "/v23.0/100000000000001?fields=display_phone_number,verified_name"
                || requests[0].path == "/v23.0/100000000000001?fields=display_phone_number%2Cverified_name")
            #expect(requests[0].authorization == "Bearer \(PhoneNumberServer.goodToken)")
        }
    }

    @Test func aBadTokenIsMetasCode190AndNeverInTheError() async throws {
        try await PhoneNumberServer.run { baseURL, _ in
            let bad = "bad-token-secret-canary-777"
            do {
                _ = try await client(baseURL).phoneNumber(phoneNumberID: PhoneNumberServer.number, accessToken: bad)
                Issue.record("expected a rejection")
            } catch let error as GraphAPIError {
                guard case .rejected(401, 190, _, _) = error else { Issue.record("got \(error)"); return }
                #expect(!String(describing: error).contains(bad))
                #expect(!String(reflecting: error).contains(bad))
                #expect(!error.isRetryable)
            }
        }
    }

    @Test func unknownNumbersGarbageAndBadIdsAreErrors() async throws {
        try await PhoneNumberServer.run { baseURL, log in
            let api = client(baseURL)
            await #expect(throws: GraphAPIError.rejected(status: 400, code: 100, subcode: 33, message: "Unsupported get request.: Unsupported get request.")) {
                try await api.phoneNumber(phoneNumberID: "999", accessToken: PhoneNumberServer.goodToken)
            }
            await #expect(throws: GraphAPIError.malformedResponse) {
                try await api.phoneNumber(phoneNumberID: "garbage", accessToken: PhoneNumberServer.goodToken)
            }
            // An id that would name another endpoint is refused before any request.
            let before = await log.requests.count
            await #expect(throws: GraphAPIError.self) { try await api.phoneNumber(phoneNumberID: "1/messages", accessToken: "t") }
            await #expect(throws: GraphAPIError.self) { try await api.phoneNumber(phoneNumberID: "1", accessToken: " ") }
            #expect(await log.requests.count == before)
        }
    }

    @Test func clientsWithoutItSayUnsupported() async throws {
        await #expect(throws: GraphAPIError.self) { try await FakeGraphAPI().phoneNumber(phoneNumberID: "1", accessToken: "t") }
    }
}
