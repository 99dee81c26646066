package import Foundation
import HTTPTypes
import Hummingbird
package import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
package import WhatsApp

/// A stand-in for Meta's Graph API on 127.0.0.1, for the demo and the simulator: accepts
/// `POST /{version}/{phone_number_id}/messages`, checks the payload against Meta's limits (a
/// malformed one gets Meta's error shape), answers with a message id, and hands every message to
/// whoever listens.
package final class SimulatedGraphAPI: Sendable {
    package struct Delivery: Sendable {
        package var phoneNumberID: String
        package var message: OutboundMessage

        package init(phoneNumberID: String, message: OutboundMessage) {
            self.phoneNumberID = phoneNumberID
            self.message = message
        }
    }

    package let deliveries: AsyncStream<Delivery>
    private let continuation: AsyncStream<Delivery>.Continuation
    private let port: Int
    private let latency: Duration
    private let logger: Logger

    /// - Parameter latency: how long each request waits before it is answered (and its message
    ///   handed on), as Meta's own servers take.
    package init(port: Int = 0, latency: Duration = .zero, logger: Logger) {
        self.port = port
        self.latency = latency
        self.logger = logger
        (deliveries, continuation) = AsyncStream.makeStream(of: Delivery.self)
    }

    /// Serves until `body` returns; `body` gets the base URL to give Liora (`LIORA_GRAPH_BASE_URL`).
    package func run<T: Sendable>(_ body: @Sendable @escaping (URL) async throws -> T) async throws -> T {
        let router = Router()
        router.post("/{version}/{phone}/messages") { request, context in
            try await self.receive(request, phone: context.parameters.get("phone") ?? "")
        }
        let bound = NIOLockedValueBox<Int?>(nil)
        let (ready, readyContinuation) = AsyncStream.makeStream(of: Int.self)
        let app = Application(
            router: router, configuration: .init(address: .hostname("127.0.0.1", port: port), serverName: "liora-sim-graph"),
            onServerRunning: { channel in
                let p = channel.localAddress?.port ?? 0
                bound.withLockedValue { $0 = p }
                readyContinuation.yield(p)
            },
            logger: logger)
        // Its own service group, so it is shut down gracefully when `body` is done (cancelling it logs errors).
        let services = ServiceGroup(configuration: .init(services: [app], logger: logger))
        return try await withThrowingTaskGroup(of: T?.self) { group in
            group.addTask {
                // Ends the wait for the port below when the server stops (a port in use) before
                // it was listening, instead of waiting forever.
                defer { readyContinuation.finish() }
                try await services.run()
                return nil
            }
            var port: Int?
            for await p in ready { port = p; break }
            guard let port, let url = URL(string: "http://127.0.0.1:\(port)") else {
                _ = try? await group.next()
                throw LioraSimulatorError("the simulated Graph API could not listen on 127.0.0.1:\(self.port) (in use?); pick another with --graph-port")
            }
            let result: Result<T, any Error>
            do {
                result = .success(try await body(url))
            } catch {
                result = .failure(error)
            }
            // Shut down gracefully and wait until the server has stopped, whatever `body` did:
            // leaving the group by a throw would cancel the server while it shuts down, and
            // Hummingbird logs errors about its channels ("Waiting on child channel:
            // CancellationError()", "Server shutdown error: Already closed") that bury the lines
            // the caller has to say.
            await services.triggerGracefulShutdown()
            continuation.finish()
            _ = try? await group.next()
            return try result.get()
        }
    }

    private func receive(_ request: Request, phone: String) async throws -> Response {
        let body = Data(try await request.body.collect(upTo: 1 << 20).readableBytesView)
        if latency > .zero { try await Task.sleep(for: latency) }
        let invalid = Self.json(.badRequest, #"{"error":{"message":"(#100) Invalid parameter","type":"OAuthException","code":100}}"#)
        // A read receipt (with the typing indicator) goes to the same path; Meta answers it with
        // `{"success":true}`.
        if let receipt = try? JSONDecoder().decode(MarkRead.self, from: body) {
            guard (try? receipt.validate()) != nil else { return invalid }
            return Self.json(.ok, #"{"success":true}"#)
        }
        guard let message = try? JSONDecoder().decode(OutboundMessage.self, from: body), (try? message.validate()) != nil else {
            return invalid
        }
        continuation.yield(Delivery(phoneNumberID: phone, message: message))
        // Unique across runs: the demo's database outlives the process, and Liora logs each
        // reply under the id Meta gave it.
        let id = "wamid.SIM" + UUID().uuidString.replacingOccurrences(of: "-", with: "")
        let answer = SendAnswer(contacts: [.init(input: message.to, waID: message.to)], messages: [.init(id: id)])
        return Self.json(.ok, String(decoding: (try? JSONEncoder().encode(answer)) ?? Data("{}".utf8), as: UTF8.self))
    }

    /// Meta's answer to a sent message (`messaging_product`, `contacts`, `messages`).
    private struct SendAnswer: Encodable {
        struct Contact: Encodable {
            var input: String
            var waID: String
            enum CodingKeys: String, CodingKey { case input, waID = "wa_id" }
        }
        struct Message: Encodable { var id: String }
        var messagingProduct = "whatsapp"
        var contacts: [Contact]
        var messages: [Message]
        enum CodingKeys: String, CodingKey { case messagingProduct = "messaging_product", contacts, messages }
        init(contacts: [Contact], messages: [Message]) { self.contacts = contacts; self.messages = messages }
    }

    private static func json(_ status: HTTPResponse.Status, _ text: String) -> Response {
        Response(status: status, headers: [.contentType: "application/json"], body: .init(byteBuffer: ByteBuffer(string: text)))
    }
}

/// A simulator problem, shown to the developer as one line.
package struct LioraSimulatorError: Error, CustomStringConvertible {
    package var description: String
    package init(_ description: String) { self.description = description }
}
