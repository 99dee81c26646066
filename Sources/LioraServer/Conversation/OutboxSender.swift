package import Foundation
import WhatsApp
package import LioraCore
package import Logging
import NIOConcurrencyHelpers
import Prometheus
import ServiceLifecycle
package import WhatsAppGraph

/// Where the sender finds a WhatsApp account's access token (decrypted in memory only).
package protocol AccessTokenSource: Sendable {
    func accessToken(tenantID: UUID, wabaAccountID: UUID) async throws -> Secret?
}

/// One token for every account (the demo, and tests).
package struct FixedAccessTokenSource: AccessTokenSource {
    package let token: Secret
    package init(_ token: Secret) { self.token = token }
    package func accessToken(tenantID: UUID, wabaAccountID: UUID) async throws -> Secret? { token }
}

/// Delivers queued replies through the Graph API: claims due replies per tenant under a lease,
/// sends them, and records each attempt — sent (with Meta's message id, also in the
/// conversation log), retried later with exponential back-off and jitter (5xx, timeouts,
/// throttling), or failed for good (permanent errors, or out of attempts).
package final class OutboxSender: Service, Sendable {
    private let store: any LioraStore
    private let graph: any GraphAPIClient
    private let tokens: any AccessTokenSource
    private let clock: any LioraClock
    private let policy: RetryPolicy
    private let logger: Logger
    private let random: NIOLockedValueBox<any RandomNumberGenerator & Sendable>
    private let loop: WakeableLoop

    package init(store: any LioraStore, graph: any GraphAPIClient, tokens: any AccessTokenSource, clock: any LioraClock,
                 policy: RetryPolicy = .init(), random: any RandomNumberGenerator & Sendable = SystemRandomNumberGenerator(),
                 idlePoll: Duration = .milliseconds(500), logger: Logger) {
        self.store = store
        self.graph = graph
        self.tokens = tokens
        self.clock = clock
        self.policy = policy
        self.logger = logger
        self.random = NIOLockedValueBox(random)
        self.loop = WakeableLoop(idlePoll: idlePoll)
    }

    /// Tells the sender replies were queued.
    package func wake() { loop.wake() }

    package func run() async throws {
        await loop.run(logger: logger, failure: "sending replies failed") { try await self.sendDue() }
    }

    /// Sends everything due now; returns how many replies it attempted.
    @discardableResult
    package func sendDue(limitPerTenant: Int = 50) async throws -> Int {
        let now = clock.now
        var attempted = 0
        for tenantID in try await store.tenantsWithDueReplies(now: now, limit: 100) {
            let (claimed, accounts) = try await store.withTenant(tenantID) { s in
                (try await s.claimDueReplies(now: now, limit: limitPerTenant, lease: 60), try await s.wabaAccounts())
            }
            let phoneByAccount = Dictionary(uniqueKeysWithValues: accounts.map { ($0.id, $0.phoneNumberID) })
            for entry in claimed {
                attempted += 1
                let outcome = await send(entry, phoneNumberID: phoneByAccount[entry.wabaAccountID], tenantID: tenantID)
                let at = clock.now
                try await store.withTenant(tenantID) { s in
                    switch outcome {
                    case .sent(let wamid):
                        try await s.markReplySent(entry, waMessageID: wamid, now: at)
                    case .failed(let reason, let retryable):
                        let attempt = entry.attempts + 1
                        let delay = retryable ? random.withLockedValue { g in policy.delay(afterAttempt: attempt, using: &g) } : nil
                        try await s.markReplyAttemptFailed(entry, error: reason, retryAt: delay.map { at.addingTimeInterval($0) }, now: at)
                    }
                }
            }
        }
        return attempted
    }

    private enum Outcome { case sent(String), failed(String, retryable: Bool) }

    private func send(_ entry: OutboxEntry, phoneNumberID: String?, tenantID: UUID) async -> Outcome {
        guard let phoneNumberID else { return .failed("the WhatsApp account is gone", retryable: false) }
        let token: Secret?
        do {
            token = try await tokens.accessToken(tenantID: tenantID, wabaAccountID: entry.wabaAccountID)
        } catch {
            return .failed("access token unavailable", retryable: true)
        }
        guard let token else { return .failed("no access token for the WhatsApp account", retryable: false) }
        if entry.kind == ReplyComposer.readKind {
            do {
                try await graph.markRead(try ReplyComposer.decodeReadReceipt(entry), phoneNumberID: phoneNumberID, accessToken: token.value)
                return .sent(entry.replyTo ?? "")
            } catch let error as GraphAPIError {
                return .failed(error.description, retryable: error.isRetryable)
            } catch {
                return .failed("stored payload unreadable", retryable: false)
            }
        }
        let message: OutboundMessage
        do {
            message = try ReplyComposer.decode(entry)
        } catch {
            return .failed("stored payload unreadable", retryable: false)
        }
        do {
            let sent = try await graph.send(message, phoneNumberID: phoneNumberID, accessToken: token.value)
            return .sent(sent.messageID)
        } catch {
            logger.warning("reply not accepted", metadata: ["cliente_id": "\(tenantID)", "outbox_id": "\(entry.id)",
                                                            "error": "\(error)", "retryable": "\(error.isRetryable)"])
            return .failed(error.description, retryable: error.isRetryable)
        }
    }
}
