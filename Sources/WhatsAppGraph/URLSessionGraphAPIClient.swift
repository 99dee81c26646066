public import Foundation
public import WhatsApp
#if canImport(FoundationNetworking)
public import FoundationNetworking
#endif

/// The Graph API over `URLSession` (libcurl on Linux): JSON `POST {baseURL}/{apiVersion}/{phone_number_id}/messages`
/// with `Authorization: Bearer <token>`.
///
/// Before sending, a message goes through `OutboundMessage.preparedForSending()`: a valid message
/// is sent as is, one that `fitted()` repairs into a single message is sent repaired, and one that
/// would need several messages throws `.invalidPayload` without sending (fit it and send the parts
/// yourself). Every call is bounded by `timeout`, connection included.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/message-api)
public struct URLSessionGraphAPIClient: GraphAPIClient {
    public let baseURL: URL
    /// The Graph API version in the path, e.g. `v23.0`.
    public let apiVersion: String
    /// The most one call may take before it throws `.timeout`.
    public let timeout: Duration
    private let session: URLSession

    public init(
        baseURL: URL = URL(string: "https://graph.facebook.com")!,
        apiVersion: String = "v23.0",
        timeout: Duration = .seconds(15),
        session: URLSession = URLSessionGraphAPIClient.defaultSession
    ) {
        self.baseURL = baseURL
        self.apiVersion = apiVersion
        self.timeout = timeout
        self.session = session
    }

    /// One session for every client: up to 64 connections to the Graph API host (the shared
    /// session allows 6, which caps a sender at ~60 requests/s against Meta's latency), no cache,
    /// no cookies (each costs CPU per request and the API needs neither).
    public static let defaultSession: URLSession = {
        let configuration = URLSessionConfiguration.ephemeral
        configuration.httpMaximumConnectionsPerHost = 64
        configuration.urlCache = nil
        configuration.httpCookieStorage = nil
        configuration.httpShouldSetCookies = false
        return URLSession(configuration: configuration)
    }()

    public func send(_ message: OutboundMessage, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
        let prepared: OutboundMessage
        do {
            prepared = try message.preparedForSending()
        } catch {
            throw .invalidPayload(error)
        }
        let data = try await post(prepared, phoneNumberID: phoneNumberID, accessToken: accessToken)
        guard let sent = try? JSONDecoder().decode(SentMessage.self, from: data) else { throw .malformedResponse }
        return sent
    }

    public func markRead(_ m: MarkRead, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
        do {
            try m.validate()
        } catch {
            throw .invalidPayload(error)
        }
        let data = try await post(m, phoneNumberID: phoneNumberID, accessToken: accessToken)
        guard (try? JSONDecoder().decode(Success.self, from: data))?.success == true else { throw .malformedResponse }
    }

    /// `GET {baseURL}/{apiVersion}/{phone_number_id}?fields=display_phone_number,verified_name`
    /// with the bearer token: Meta answers only when the token may use that number.
    public func phoneNumber(phoneNumberID: String, accessToken: String) async throws -> PhoneNumberInfo {
        try Self.checkPath(phoneNumberID: phoneNumberID, accessToken: accessToken)
        var components = URLComponents(url: baseURL.appendingPathComponent(apiVersion).appendingPathComponent(phoneNumberID),
                                       resolvingAgainstBaseURL: false)
        components?.queryItems = [URLQueryItem(name: "fields", value: "display_phone_number,verified_name")]
        guard let url = components?.url else { throw GraphAPIError.malformedResponse }
        var request = URLRequest(url: url)
        request.httpMethod = "GET"
        request.timeoutInterval = timeout.timeInterval
        request.setValue("Bearer \(accessToken)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let (data, response) = try await perform(request, accessToken: accessToken)
        guard let http = response as? HTTPURLResponse else { throw GraphAPIError.malformedResponse }
        guard (200..<300).contains(http.statusCode) else {
            throw Self.rejection(status: http.statusCode, body: data, accessToken: accessToken)
        }
        guard let info = try? JSONDecoder().decode(PhoneNumberInfo.self, from: data) else { throw GraphAPIError.malformedResponse }
        return info
    }

    /// The id goes into the path: only digits and letters, so it cannot name another endpoint.
    private static func checkPath(phoneNumberID: String, accessToken: String) throws(GraphAPIError) {
        if phoneNumberID.isEmpty {
            throw .invalidPayload(OutboundLimitError(field: "phone_number_id", problem: .empty))
        }
        if !phoneNumberID.allSatisfy({ $0.isASCII && ($0.isLetter || $0.isNumber) }) {
            throw .invalidPayload(OutboundLimitError(field: "phone_number_id", problem: .invalidCharacters))
        }
        if accessToken.allSatisfy(\.isWhitespace) {
            throw .invalidPayload(OutboundLimitError(field: "access_token", problem: .empty))
        }
    }

    /// The URL messages for `phoneNumberID` are posted to.
    public func messagesURL(phoneNumberID: String) -> URL {
        baseURL.appendingPathComponent(apiVersion).appendingPathComponent(phoneNumberID).appendingPathComponent("messages")
    }

    /// POSTs `body` as JSON; returns the body of a 2xx answer.
    private func post(_ body: some Encodable, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> Data {
        try Self.checkPath(phoneNumberID: phoneNumberID, accessToken: accessToken)
        var request = URLRequest(url: messagesURL(phoneNumberID: phoneNumberID))
        request.httpMethod = "POST"
        request.timeoutInterval = timeout.timeInterval
        request.setValue("Bearer \(accessToken)", forHTTPHeaderField: "Authorization")
        request.setValue("application/json", forHTTPHeaderField: "Content-Type")
        request.setValue("application/json", forHTTPHeaderField: "Accept")
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        do {
            request.httpBody = try encoder.encode(body)
        } catch {
            throw .malformedResponse
        }
        let (data, response) = try await perform(request, accessToken: accessToken)
        guard let http = response as? HTTPURLResponse else { throw .malformedResponse }
        guard (200..<300).contains(http.statusCode) else {
            throw Self.rejection(status: http.statusCode, body: data, accessToken: accessToken)
        }
        return data
    }

    /// Runs `request`, racing it against `timeout` (libcurl's own timeout only bounds idle time).
    private func perform(_ request: URLRequest, accessToken: String) async throws(GraphAPIError) -> (Data, URLResponse) {
        let session = session
        let timeout = timeout
        let outcome: Result<(Data, URLResponse), any Error>
        do {
            let answer = try await withThrowingTaskGroup(of: (Data, URLResponse)?.self) { group in
                group.addTask { try await session.data(for: request) }
                group.addTask {
                    try await Task.sleep(for: timeout)
                    return nil
                }
                defer { group.cancelAll() }
                return try await group.next() ?? nil
            }
            guard let answer else { throw GraphAPIError.timeout }
            outcome = .success(answer)
        } catch {
            outcome = .failure(error)
        }
        switch outcome {
        case .success(let answer):
            return answer
        case .failure(let error as GraphAPIError):
            throw error
        case .failure(let error as URLError) where error.code == .timedOut:
            throw .timeout
        case .failure(let error as URLError):
            throw .transport(Self.scrub("URLError \(error.code.rawValue): \(error.localizedDescription)", accessToken))
        case .failure(is CancellationError):
            throw .transport("cancelled")
        case .failure(let error):
            throw .transport(Self.scrub(String(describing: type(of: error)), accessToken))
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

extension Duration {
    /// This duration in seconds, as Foundation wants it.
    fileprivate var timeInterval: TimeInterval {
        Double(components.seconds) + Double(components.attoseconds) * 1e-18
    }
}
