public import Foundation
public import WhatsApp

/// The Graph API over libcurl: JSON `POST {baseURL}/{apiVersion}/{phone_number_id}/messages`
/// with `Authorization: Bearer <token>`.
///
/// Every client shares one libcurl multi driver (`CurlDriver`): a thread of its own runs all
/// transfers over pooled keep-alive connections (up to 64 to the Graph API host; HTTP/2 where the
/// server offers it), so a request costs the caller one suspension, not a thread.
///
/// Before sending, a message goes through `OutboundMessage.preparedForSending()`: a valid message
/// is sent as is, one that `fitted()` repairs into a single message is sent repaired, and one that
/// would need several messages throws `.invalidPayload` without sending (fit it and send the parts
/// yourself). Every call is bounded by `timeout`, connection included.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/message-api)
public struct LibcurlGraphAPIClient: GraphAPIClient {
    public let baseURL: URL
    /// The Graph API version in the path, e.g. `v23.0`.
    public let apiVersion: String
    /// The most one call may take before it throws `.timeout`.
    public let timeout: Duration
    public var requestTimeout: Duration? { timeout }

    public init(
        baseURL: URL = URL(string: "https://graph.facebook.com")!,
        apiVersion: String = "v23.0",
        timeout: Duration = .seconds(15)
    ) {
        self.baseURL = baseURL
        self.apiVersion = apiVersion
        self.timeout = timeout
    }

    /// The libcurl this process uses (e.g. `libcurl/7.88.1 OpenSSL/3.0.15 …`).
    public static var libcurlVersion: String { CurlDriver.version }

    public func send(_ message: OutboundMessage, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
        let prepared: OutboundMessage
        do {
            prepared = try message.preparedForSending()
        } catch {
            throw .invalidPayload(error)
        }
        return try await sendJSON(try Self.encode(prepared), phoneNumberID: phoneNumberID, accessToken: accessToken)
    }

    public func markRead(_ m: MarkRead, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
        do {
            try m.validate()
        } catch {
            throw .invalidPayload(error)
        }
        try await markReadJSON(Data(m.json.utf8), phoneNumberID: phoneNumberID, accessToken: accessToken)
    }

    /// Posts `json` as it is: it was checked against Meta's limits when it was encoded.
    public func send(encoded json: String, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
        try await sendJSON(Data(json.utf8), phoneNumberID: phoneNumberID, accessToken: accessToken)
    }

    /// Posts `json` (a read receipt) as it is.
    public func markRead(encoded json: String, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
        try await markReadJSON(Data(json.utf8), phoneNumberID: phoneNumberID, accessToken: accessToken)
    }

    /// `GET {baseURL}/{apiVersion}/{phone_number_id}?fields=display_phone_number,verified_name`
    /// with the bearer token: Meta answers only when the token may use that number.
    public func phoneNumber(phoneNumberID: String, accessToken: String) async throws -> PhoneNumberInfo {
        try Self.checkPath(phoneNumberID: phoneNumberID, accessToken: accessToken)
        var components = URLComponents(url: baseURL.appendingPathComponent(apiVersion).appendingPathComponent(phoneNumberID),
                                       resolvingAgainstBaseURL: false)
        components?.queryItems = [URLQueryItem(name: "fields", value: "display_phone_number,verified_name")]
        guard let url = components?.url else { throw GraphAPIError.malformedResponse }
        let data = try await perform(url: url, body: nil, accessToken: accessToken)
        guard let info = try? JSONDecoder().decode(PhoneNumberInfo.self, from: data) else { throw GraphAPIError.malformedResponse }
        return info
    }

    /// The id goes into the path: only digits and letters, so it cannot name another endpoint.
    private static func checkPath(phoneNumberID: String, accessToken: String) throws(GraphAPIError) {
        if phoneNumberID.isEmpty {
            throw .invalidPayload(OutboundLimitError(field: "phone_number_id", problem: .empty))
        }
        if !phoneNumberID.utf8.allSatisfy({ (0x30...0x39).contains($0) || (0x41...0x5A).contains($0) || (0x61...0x7A).contains($0) }) {
            throw .invalidPayload(OutboundLimitError(field: "phone_number_id", problem: .invalidCharacters))
        }
        if accessToken.isBlank {
            throw .invalidPayload(OutboundLimitError(field: "access_token", problem: .empty))
        }
        // It goes into a header line: a line break or NUL would end it early or add another header.
        if accessToken.unicodeScalars.contains(where: { $0.value < 0x20 || $0.value == 0x7F }) {
            throw .invalidPayload(OutboundLimitError(field: "access_token", problem: .invalidCharacters))
        }
    }

    /// The URL messages for `phoneNumberID` are posted to.
    public func messagesURL(phoneNumberID: String) -> URL {
        baseURL.appendingPathComponent(apiVersion).appendingPathComponent(phoneNumberID).appendingPathComponent("messages")
    }

    /// Meta's JSON for `body` (slashes unescaped, so links read as written).
    private static func encode(_ body: some Encodable) throws(GraphAPIError) -> Data {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            return try encoder.encode(body)
        } catch {
            throw .malformedResponse
        }
    }

    /// POSTs a message's JSON; returns Meta's id for it.
    private func sendJSON(_ json: Data, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
        let data = try await post(json, phoneNumberID: phoneNumberID, accessToken: accessToken)
        guard let sent = try? JSONDecoder().decode(SentMessage.self, from: data) else { throw .malformedResponse }
        return sent
    }

    /// POSTs a read receipt's JSON; Meta answers `{"success": true}`.
    private func markReadJSON(_ json: Data, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
        let data = try await post(json, phoneNumberID: phoneNumberID, accessToken: accessToken)
        // Meta's answer, byte for byte, is checked without a decoder; anything else is decoded.
        guard data.elementsEqual(Self.success) || (try? JSONDecoder().decode(Success.self, from: data))?.success == true else {
            throw .malformedResponse
        }
    }

    /// POSTs `json` to the number's messages endpoint; returns the body of a 2xx answer.
    private func post(_ json: Data, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> Data {
        try Self.checkPath(phoneNumberID: phoneNumberID, accessToken: accessToken)
        return try await perform(url: messagesURL(phoneNumberID: phoneNumberID), body: json, accessToken: accessToken)
    }

    /// Runs one request through the shared libcurl driver; returns the body of a 2xx answer.
    private func perform(url: URL, body: Data?, accessToken: String) async throws(GraphAPIError) -> Data {
        let driver: CurlDriver
        switch CurlDriver.shared {
        case .success(let shared): driver = shared
        case .failure(let error): throw error
        }
        switch await driver.perform(url: url.absoluteString, authorization: "Bearer \(accessToken)", body: body, timeout: timeout) {
        case .answered(let status, let data) where (200..<300).contains(status):
            return data
        case .answered(let status, let data):
            throw Self.rejection(status: status, body: data, accessToken: accessToken)
        case .timedOut:
            throw .timeout
        case .failed(let code, let reason):
            throw .transport(Self.scrub("libcurl \(code): \(reason)", accessToken))
        }
    }

    /// The `.rejected` error for a non-2xx answer, from Meta's `{"error": {...}}` body when it has one.
    private static func rejection(status: Int, body: Data, accessToken: String) -> GraphAPIError {
        guard let error = try? JSONDecoder().decode(ErrorBody.self, from: body).error else {
            return .rejected(status: status, code: nil, subcode: nil, message: nil)
        }
        let message = [error.message, error.errorData?.details].compactMap { $0 }.joined(separator: ": ")
        return .rejected(status: status, code: error.code, subcode: error.errorSubcode,
                         message: message.isEmpty ? nil : scrub(message, accessToken))
    }

    /// `text` with every occurrence of the token replaced, so no error ever carries it.
    private static func scrub(_ text: String, _ accessToken: String) -> String {
        accessToken.isEmpty ? text : text.replacingOccurrences(of: accessToken, with: "[redacted]")
    }

    /// `{"success": true}`, Meta's answer to a read receipt.
    private static let success = Array(#"{"success":true}"#.utf8)

    private struct Success: Decodable {
        var success: Bool

        enum CodingKeys: String, CodingKey {
            case success
        }
    }

    /// Meta's error body: `{"error": {"message", "type", "code", "error_subcode", "error_data": {"details"}, "fbtrace_id"}}`.
    private struct ErrorBody: Decodable {
        var error: Detail

        enum CodingKeys: String, CodingKey {
            case error
        }

        struct Detail: Decodable {
            var message: String?
            var code: Int?
            var errorSubcode: Int?
            var errorData: ErrorData?

            enum CodingKeys: String, CodingKey {
                case message
                case code
                case errorSubcode = "error_subcode"
                case errorData = "error_data"
            }
        }

        struct ErrorData: Decodable {
            var details: String?

            enum CodingKeys: String, CodingKey {
                case details
            }
        }
    }
}
