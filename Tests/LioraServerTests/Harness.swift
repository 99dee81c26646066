import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import Logging
import NIOConcurrencyHelpers
import NIOCore

let appSecret = "test-app-secret-0123456789"
let verifyToken = "verify-me-please"
let t0 = Date(timeIntervalSince1970: 1_790_000_000)
/// LIORA_MASTER_KEY of the test servers.
let testMasterKey = Data(repeating: 42, count: 32).base64EncodedString()

struct FixedClock: LioraClock { var now: Date }

/// A running Liora on 127.0.0.1 (random port) over a fresh database of `backend`.
struct Harness {
    let client: any TestClientProtocol
    let components: LioraComponents
    let test: TestStore

    var store: SQLStore { test.store }

    static func run(
        _ backend: TestBackend, appSecret: String? = appSecret, verifyToken: String? = verifyToken,
        runProcessor: Bool = false, logs: LogRecorder = LogRecorder(), clock: any LioraClock = FixedClock(now: t0),
        conversation: ConversationSetup? = nil, jwtSecret: String? = nil, trustedProxies: TrustedProxies = .none,
        webhookBodies: BodyBudget? = nil, catalogBodies: BodyBudget? = nil, idleTimeout: Duration? = nil, configure: @Sendable (inout Configuration) -> Void = { _ in },
        _ body: @Sendable @escaping (Harness) async throws -> Void
    ) async throws {
        try await TestDatabases.withStore(backend) { test in
            var config = Configuration(host: "127.0.0.1", port: 0, metaAppSecret: appSecret.map(Secret.init),
                                       metaVerifyToken: verifyToken.map(Secret.init), masterKey: Secret(testMasterKey),
                                       jwtSecret: jwtSecret.map(Secret.init))
            config.trustedProxies = trustedProxies
            configure(&config)
            var options = LioraAppOptions(runProcessor: runProcessor, conversation: conversation)
            options.adminAuth.bcryptCost = 4  // fast tests; production uses 12 (tested separately)
            options.processorIdlePoll = .milliseconds(50)
            if let webhookBodies { options.webhookBodies = webhookBodies }
            if let idleTimeout { options.idleTimeout = idleTimeout }
            if let catalogBodies { options.catalogBodies = catalogBodies }
            // Registering a WhatsApp number asks Meta whether the token can use it; without a bot
            // (whose Graph API tests script), Meta says yes to any token.
            if conversation == nil { options.wabaGraph = PhoneCheckingGraph(goodTokens: nil) }
            let (app, components) = buildApplication(
                configuration: config, store: test.store, databaseDialect: test.database.dialect,
                clock: clock, options: options, logger: logs.logger())
            try await app.test(.live) { client in
                try await body(Harness(client: client, components: components, test: test))
            }
        }
    }

    /// POSTs a body to /webhook/meta signed with `secret` (or with the given raw header).
    func post(_ body: Data, secret: String? = appSecret, signature: String? = nil, path: String = "/webhook/meta")
        async throws -> TestResponse
    {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let signature {
            headers[HTTPField.Name("X-Hub-Signature-256")!] = signature
        } else if let secret {
            headers[HTTPField.Name("X-Hub-Signature-256")!] = WebhookSignatureVerifier.signature(for: body, secret: Secret(secret))
        }
        return try await client.execute(uri: path, method: .post, headers: headers, body: ByteBuffer(bytes: body))
    }

    /// POSTs a signed webhook over a connection of its own. The harness's `client` has one
    /// connection and pipelines its requests, so the server answers them one after another;
    /// tests of concurrent deliveries use this instead, one connection per request.
    func postOnOwnConnection(_ body: Data, path: String = "/webhook/meta") async throws -> HTTPResponse.Status {
        guard let port = client.port else { throw TestClient.Error.connectionNotOpen }
        var headers: HTTPFields = [.contentType: "application/json"]
        headers[HTTPField.Name("X-Hub-Signature-256")!] = WebhookSignatureVerifier.signature(for: body, secret: Secret(appSecret))
        let request = TestClient.Request(path, method: .post, headers: headers, body: ByteBuffer(bytes: body))
        return try await TestClient.withClient(host: "localhost", port: port, configuration: .init(timeout: .seconds(60))) { c in
            try await c.execute(request).status
        }
    }

    /// Processes everything stored (deterministic stand-in for the background service).
    @discardableResult
    func process() async throws -> Int { try await components.processor.runUntilIdle() }

    /// A tenant with one WhatsApp number.
    func tenant(status: TenantStatus = .active) async throws -> (tenant: Tenant, phone: String, account: WabaAccount) {
        let id = UUID()
        let tenant = try await store.createTenant(
            NewTenant(id: id, slug: "shop-\(id.uuidString.prefix(8).lowercased())", name: "Shop", status: status),
            actor: "test", now: t0)
        let phone = String(UInt64.random(in: 100_000_000_000_000...999_999_999_999_999))
        let account = try await store.withTenant(id) { s throws in
            try await s.addWabaAccount(NewWabaAccount(wabaID: "200000000000001", phoneNumberID: phone, displayPhoneNumber: "15550001111"),
                                       actor: "test", now: t0)
        }
        return (tenant, phone, account)
    }
}

extension TestResponse {
    var text: String { String(buffer: body) }

    /// The `error.code` of a JSON error body.
    var errorCode: String? {
        struct E: Decodable { struct I: Decodable { let code: String; let message: String }; let error: I }
        return try? JSONDecoder().decode(E.self, from: Data(text.utf8)).error.code
    }
}
