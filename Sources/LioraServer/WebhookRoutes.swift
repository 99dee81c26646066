import Logging
import Prometheus
import Crypto
import Foundation
import LioraStore
import HTTPTypes
import Hummingbird
import LioraCore
import Logging
import NIOCore
import WhatsApp

/// `GET/POST /webhook/meta`: Meta's subscription handshake and signed event deliveries.
struct WebhookRoutes: Sendable {
    /// Meta's documented ceiling for a webhook body is far below this; larger → 413.
    static let maxBodyBytes = 3 * 1024 * 1024

    let verifier: WebhookSignatureVerifier
    let verifyToken: Secret?
    let writer: IngestWriter
    let clock: any LioraClock
    let metrics: LioraMetrics
    /// Where the decoded items go for the processor (nil: it decodes the stored body itself).
    var decodedWebhooks: DecodedWebhooks? = nil
    /// Bytes of webhook bodies read at once before their signature is checked.
    var bodies = BodyBudget.forWebhooks()

    func register<Context: RequestContext>(on router: Router<Context>) {
        router.get("/webhook/meta") { request, _ in try handshake(request) }
        router.post("/webhook/meta") { request, context in try await receive(request, logger: context.logger) }
    }

    /// Answers `hub.challenge` when `hub.mode=subscribe` and `hub.verify_token` matches (constant time).
    func handshake(_ request: Request) throws -> Response {
        try handshake(request, expecting: verifyToken)
    }

    func handshake(_ request: Request, expecting verifyToken: Secret?) throws -> Response {
        let q = request.uri.queryParameters
        guard let expected = verifyToken, q["hub.mode"].map(String.init) == "subscribe",
              let token = q["hub.verify_token"], ConstantTime.equals(Array(token.utf8), expected.bytes),
              let challenge = q["hub.challenge"], !challenge.isEmpty, challenge.utf8.count <= 512 else {
            throw APIError(.forbidden, "verification_failed", "webhook verification failed")
        }
        return Response(status: .ok, headers: [.contentType: "text/plain; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: String(challenge))))
    }

    /// Verifies, decodes, stores durably (group commit), then answers 200.
    func receive(_ request: Request, logger: Logger) async throws -> Response {
        try await receive(request, verifier: verifier, account: nil, logger: logger)
    }

    /// The ingest path of both routes. With `account` (the per-account route), the body was
    /// signed with that account's app secret, and only items about its tenant's numbers are kept.
    func receive(_ request: Request, verifier: WebhookSignatureVerifier,
                 account: (id: UUID, secrets: WabaWebhookSecrets.Opened, fresh: @Sendable () async throws -> WabaWebhookSecrets.Opened?)?,
                 logger: Logger) async throws -> Response {
        let buffer: ByteBuffer
        do {
            buffer = try await bodies.withReservation(declared: request.headers[.contentLength], maxBytes: Self.maxBodyBytes) { size in
                try await request.body.collect(upTo: size)
            }
        } catch let e as APIError where e == BodyBudget.busy {
            metrics.webhookRejectedBusy.increment()
            throw e
        } catch let e as APIError where e == BodyBudget.timedOut {
            metrics.webhookRejectedTimeout.increment()
            throw e
        } catch is NIOTooManyBytesError {
            metrics.webhookRejectedTooLarge.increment()
            throw APIError(.contentTooLarge, "payload_too_large", "webhook bodies are limited to 3 MB")
        }
        let body = Array(buffer.readableBytesView)
        do {
            try verifier.verify(header: request.headers[.xHubSignature256], body: body)
        } catch {
            metrics.webhookRejectedSignature.increment()
            switch error {
            case .notConfigured:
                throw APIError(.serviceUnavailable, "webhook_not_configured", "no Meta app secret is configured; the delivery was not accepted")
            case .missing:
                throw APIError(.unauthorized, "signature_missing", "X-Hub-Signature-256 header is required")
            case .malformed:
                throw APIError(.unauthorized, "signature_malformed", "X-Hub-Signature-256 must be sha256=<64 hex digits>")
            case .mismatch:
                throw APIError(.unauthorized, "signature_invalid", "X-Hub-Signature-256 does not match the body")
            }
        }
        let payload: WebhookPayload
        do {
            payload = try WebhookDecoding.decode(Data(body))
        } catch {
            metrics.webhookRejectedMalformed.increment()
            throw APIError(.badRequest, "malformed_payload", "the body is not a WhatsApp webhook payload")
        }
        if let field = payload.oversizedIdentifier {
            metrics.webhookRejectedMalformed.increment()
            throw APIError(.badRequest, "malformed_payload", "\(field) is longer than any WhatsApp id; nothing was stored")
        }
        let unreadable = payload.entry.reduce(0) { $0 + $1.changes.reduce(0) { $0 + $1.value.unreadable } }
        if unreadable > 0 {
            logger.warning("statuses or change-level errors in a delivery could not be read and were left out (a field Meta changed?)",
                           metadata: ["left_out": "\(unreadable)"])
        }
        let decoded = payload.items
        var items = decoded.enumerated().map { n, i in
            IngestItem(kind: IngestItem.Kind(rawValue: i.kind.rawValue) ?? .error, key: i.key, field: i.field,
                       phoneNumberID: i.phoneNumberID, wabaID: i.wabaID, index: n)
        }
        if let account {
            // One tenant's app secret must not speak for another tenant's numbers.
            let all = items.count
            func belongs(_ item: IngestItem, to secrets: WabaWebhookSecrets.Opened) -> Bool {
                if let phone = item.phoneNumberID { return secrets.phoneNumberIDs.contains(phone) }
                return secrets.wabaIDs.contains(item.wabaID)
            }
            var known = account.secrets
            if items.contains(where: { !belongs($0, to: known) }), let fresh = try await account.fresh() {
                known = fresh  // a number registered since the list was cached is the tenant's too
            }
            items = items.filter { belongs($0, to: known) }
            if items.count < all {
                logger.warning("per-account webhook carried items of other numbers; they were dropped",
                               metadata: ["waba_account_id": "\(account.id.lowercasedText)", "dropped": "\(all - items.count)"])
            }
        }
        let delivery = WebhookDelivery(receivedAt: clock.now, wabaAccountID: account?.id, body: body, items: items)
        // Kept before the commit: the processor may claim the items as soon as it is done.
        decodedWebhooks?.keep(decoded, for: delivery.id, bytes: body.count)
        let new: Int
        do {
            new = try await writer.store(delivery)
        } catch {
            _ = decodedWebhooks?.take(delivery.id)
            metrics.webhookStoreFailed.increment()
            throw APIError(.serviceUnavailable, "storage_unavailable", "the delivery could not be stored; retry later")
        }
        if new == 0 { _ = decodedWebhooks?.take(delivery.id) }  // all seen before: nothing will claim them
        metrics.webhookAccepted.increment()
        metrics.itemsStored.increment(by: Int64(new))
        metrics.itemsDuplicate.increment(by: Int64(items.count - new))
        return Response(status: .ok, headers: [.contentType: "application/json"],
                        body: .init(byteBuffer: ByteBuffer(string: #"{"received":\#(items.count),"new":\#(new)}"#)))
    }
}

// MARK: Per-account webhooks

extension WebhookRoutes {
    /// `GET/POST /webhook/meta/{waba_account_id}`: the same handshake and ingest, checked with the
    /// account's own verify token and app secret (constant time, raw bytes before parsing). An
    /// unknown or deleted account, or one without its own secret, is 404.
    func registerAccountRoutes<Context: RequestContext>(on router: Router<Context>, secrets: WabaWebhookSecrets) {
        router.get("/webhook/meta/{waba_account_id}") { request, context in
            let (_, opened) = try await Self.account(context, secrets: secrets, logger: context.logger)
            guard let token = opened.verifyToken else { throw Self.accountNotFound }
            return try handshake(request, expecting: token)
        }
        router.post("/webhook/meta/{waba_account_id}") { request, context in
            let (id, opened) = try await Self.account(context, secrets: secrets, logger: context.logger)
            guard let appSecret = opened.appSecret else { throw Self.accountNotFound }
            return try await receive(request, verifier: WebhookSignatureVerifier(appSecret: appSecret),
                                     account: (id, opened, { try await secrets.secrets(accountID: id, fresh: true) }), logger: context.logger)
        }
    }

    static let accountNotFound = APIError(.notFound, "not_found", "no such webhook")

    private static func account(_ context: some RequestContext, secrets: WabaWebhookSecrets,
                                logger: Logger) async throws -> (UUID, WabaWebhookSecrets.Opened) {
        guard let raw = context.parameters.get("waba_account_id"), let id = UUID(uuidString: raw) else { throw accountNotFound }
        let opened: WabaWebhookSecrets.Opened?
        do {
            opened = try await secrets.secrets(accountID: id)
        } catch is WabaWebhookSecrets.NoMasterKey {
            // `liora serve` said so at start-up; one line per delivery would flood the log.
            throw APIError(.serviceUnavailable, "webhook_unavailable", "the delivery was not accepted; retry later")
        } catch {
            // Fail closed: a secret that cannot be read refuses the delivery (Meta retries).
            logger.error("a WhatsApp account's webhook secrets could not be read", metadata: ["waba_account_id": "\(id.lowercasedText)"])
            throw APIError(.serviceUnavailable, "webhook_unavailable", "the delivery was not accepted; retry later")
        }
        guard let opened else { throw accountNotFound }
        return (id, opened)
    }
}

extension HTTPField.Name {
    static let xHubSignature256 = Self("X-Hub-Signature-256")!
}

/// Comparison whose time does not depend on where the inputs differ.
enum ConstantTime {
    static func equals(_ a: [UInt8], _ b: [UInt8]) -> Bool {
        // Compare MACs of both sides: equal length, and timing independent of the contents.
        let key = SymmetricKey(size: .bits256)
        return HMAC<SHA256>.isValidAuthenticationCode(HMAC<SHA256>.authenticationCode(for: a, using: key),
                                                       authenticating: b, using: key)
    }
}
