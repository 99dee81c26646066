import NIOConcurrencyHelpers
package import WhatsApp
package import WhatsAppGraph

/// A `GraphAPIClient` that sends nothing: it records every call, answers with generated wamids
/// (`wamid.fake.1`, `wamid.fake.2`…) and fails on script. It checks payloads as the real client
/// does (`preparedForSending()`, `MarkRead.validate()`), so a message Meta would refuse fails here too,
/// before any scripted outcome.
/// [Meta docs](https://developers.facebook.com/documentation/business-messaging/whatsapp/reference/whatsapp-business-phone-number/message-api)
package final class FakeGraphAPI: GraphAPIClient {
    /// One `send` call: what was asked, and how it ended.
    package struct Send: Sendable, Equatable {
        package var phoneNumberID: String
        /// The message as the caller passed it.
        package var message: OutboundMessage
        package var accessToken: String
        package var result: Result<SentMessage, GraphAPIError>

        /// The wamid it was answered with; nil when the call failed.
        package var messageID: String? { try? result.get().messageID }
    }

    /// One `markRead` call, and how it ended (nil error: success).
    package struct MarkReadCall: Sendable, Equatable {
        package var phoneNumberID: String
        package var markRead: MarkRead
        package var accessToken: String
        package var error: GraphAPIError?
    }

    /// No call matched within the time `waitForSends` was given.
    package struct WaitTimedOut: Error, CustomStringConvertible {
        package var wanted: Int
        package var got: Int
        package var description: String { "waited for \(wanted) sends, got \(got)" }
    }

    private struct State {
        var sends: [Send] = []
        var markReads: [MarkReadCall] = []
        var sendFailures: [GraphAPIError] = []
        var markReadFailures: [GraphAPIError] = []
        var nextID = 1
    }

    private let state = NIOLockedValueBox(State())

    package init() {}

    /// Every `send` call so far, failed ones included, in call order.
    package var sendCalls: [Send] { state.withLockedValue { $0.sends } }

    /// The sends that succeeded, in order.
    package var sent: [Send] { sendCalls.filter { $0.messageID != nil } }

    /// Every `markRead` call so far, in call order.
    package var markReadCalls: [MarkReadCall] { state.withLockedValue { $0.markReads } }

    /// The next `count` sends (with a valid payload) fail with `error`, then sends succeed again.
    /// Calls add up: `failNextSends(1, with: a)` then `failNextSends(1, with: b)` fails with `a`, then `b`.
    package func failNextSends(_ count: Int = 1, with error: GraphAPIError) {
        state.withLockedValue { $0.sendFailures += Array(repeating: error, count: count) }
    }

    /// The next `count` read receipts (with a valid payload) fail with `error`.
    package func failNextMarkReads(_ count: Int = 1, with error: GraphAPIError) {
        state.withLockedValue { $0.markReadFailures += Array(repeating: error, count: count) }
    }

    package func send(_ message: OutboundMessage, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) -> SentMessage {
        let result: Result<SentMessage, GraphAPIError> = state.withLockedValue { state in
            let result: Result<SentMessage, GraphAPIError>
            do throws(OutboundLimitError) {
                _ = try message.preparedForSending()
                if state.sendFailures.isEmpty {
                    result = .success(SentMessage(messageID: "wamid.fake.\(state.nextID)", recipientWaID: message.to))
                    state.nextID += 1
                } else {
                    result = .failure(state.sendFailures.removeFirst())
                }
            } catch {
                result = .failure(.invalidPayload(error))
            }
            state.sends.append(Send(phoneNumberID: phoneNumberID, message: message, accessToken: accessToken, result: result))
            return result
        }
        return try result.get()
    }

    package func markRead(_ m: MarkRead, phoneNumberID: String, accessToken: String) async throws(GraphAPIError) {
        let error: GraphAPIError? = state.withLockedValue { state in
            var failure: GraphAPIError?
            do throws(OutboundLimitError) {
                try m.validate()
                if !state.markReadFailures.isEmpty { failure = state.markReadFailures.removeFirst() }
            } catch {
                failure = .invalidPayload(error)
            }
            state.markReads.append(MarkReadCall(phoneNumberID: phoneNumberID, markRead: m, accessToken: accessToken, error: failure))
            return failure
        }
        if let error { throw error }
    }

    /// Waits until at least `count` sends have succeeded (or, with `includingFailures`, been made)
    /// and returns them; throws `WaitTimedOut` after `timeout`.
    @discardableResult
    package func waitForSends(count: Int, timeout: Duration = .seconds(5), includingFailures: Bool = false) async throws -> [Send] {
        let clock = ContinuousClock()
        let deadline = clock.now.advanced(by: timeout)
        while true {
            let calls = includingFailures ? sendCalls : sent
            if calls.count >= count { return calls }
            if clock.now >= deadline { throw WaitTimedOut(wanted: count, got: calls.count) }
            try await Task.sleep(for: .milliseconds(5))
        }
    }
}
