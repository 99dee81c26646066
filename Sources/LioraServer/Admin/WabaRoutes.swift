import Crypto
package import Foundation
import HTTPTypes
import Hummingbird
package import LioraCore
import Logging
import NIOConcurrencyHelpers
import NIOCore
package import WhatsAppGraph

/// `/clientes/{cliente_id}/waba`: a tenant's WhatsApp Business accounts. Secrets (access token,
/// app secret, verify token) are sealed with the tenant's data key, bound to the row and column,
/// and never returned or logged: responses show the token's last four characters only.
struct WabaRoutes: Sendable {
    let gate: AdminGate
    let service: WabaService

    init(gate: AdminGate, store: any LioraStore, vault: SecretVault?, clock: any LioraClock, graph: (any GraphAPIClient)?) {
        self.gate = gate
        self.service = WabaService(store: store, vault: vault, clock: clock, graph: graph)
    }

    /// Who may read the accounts (agents too) and who may change them (see `Permission.table`).
    static let readPermission = Permission.wabaRead
    static let managePermission = Permission.wabaManage

    func register(on router: Router<LioraRequestContext>) {
        router.get("/clientes/{cliente_id}/waba") { request, context in try await list(request, try CatalogRoutes.tenantID(context)) }
        router.post("/clientes/{cliente_id}/waba") { request, context in try await create(request, try CatalogRoutes.tenantID(context)) }
        router.put("/clientes/{cliente_id}/waba/{waba_account_id}/token") { request, context in
            try await replaceToken(request, try CatalogRoutes.tenantID(context), try Self.accountID(context))
        }
        router.post("/clientes/{cliente_id}/waba/{waba_account_id}/verify") { request, context in
            try await verify(request, try CatalogRoutes.tenantID(context), try Self.accountID(context))
        }
        router.delete("/clientes/{cliente_id}/waba/{waba_account_id}") { request, context in
            try await delete(request, try CatalogRoutes.tenantID(context), try Self.accountID(context))
        }
    }

    static func accountID(_ context: some RequestContext) throws -> UUID {
        try context.uuidParameter("waba_account_id")
    }

    // MARK: JSON

    struct AccountOutput: Encodable {
        var id: String
        var wabaId: String
        var phoneNumberId: String
        var displayPhoneNumber: String
        var status: String
        var accessTokenLast4: String?
        var hasAppSecret: Bool
        var hasVerifyToken: Bool
        /// Only for an account with its own Meta app secret.
        var webhookPath: String?
        var verifiedAt: Date?
        var verificationStatus: String?
        var verificationError: String?
        var createdAt: Date
        var updatedAt: Date

        init(_ a: WabaAccountRecord) {
            id = a.id.uuidString.lowercased(); wabaId = a.wabaID; phoneNumberId = a.phoneNumberID
            displayPhoneNumber = a.displayPhoneNumber; status = a.status.rawValue; accessTokenLast4 = a.accessTokenLast4
            hasAppSecret = a.secrets.appSecret != nil; hasVerifyToken = a.secrets.verifyToken != nil
            webhookPath = hasAppSecret ? "/webhook/meta/\(id)" : nil
            verifiedAt = a.verifiedAt; verificationStatus = a.verificationStatus; verificationError = a.verificationError
            createdAt = a.createdAt; updatedAt = a.updatedAt
        }
    }

    struct CreateInput: Decodable {
        var wabaId: String?
        var phoneNumberId: String?
        var displayPhoneNumber: String?
        var accessToken: String?
        var appSecret: String?
        var verifyToken: String?
    }

    static let createExample = #"{"waba_id": "…", "phone_number_id": "…", "display_phone_number": "…", "access_token": "…", "app_secret": "… (optional)", "verify_token": "… (optional)"}"#

    struct TokenInput: Decodable { var accessToken: String? }


    // MARK: Handlers

    func list(_ request: Request, _ tenantID: UUID) async throws -> Response {
        _ = try await gate.authorize(request.headers, Self.readPermission, tenantID: tenantID)
        let accounts = try await service.list(tenantID: tenantID)
        return try CatalogRoutes.json(status: .ok, ["waba_accounts": accounts.map(AccountOutput.init)])
    }

    func create(_ request: Request, _ tenantID: UUID) async throws -> Response {
        let (principal, _) = try await gate.authorize(request.headers, Self.managePermission, tenantID: tenantID)
        let input = try await AdminRoutes.decode(CreateInput.self, request, example: Self.createExample)
        let registration = try WabaRegistration(input)
        let account = try await service.register(registration, tenantID: tenantID, principal: principal)
        struct Created: Encodable { var id: String; var wabaAccount: AccountOutput }
        return try CatalogRoutes.json(status: .created, Created(id: account.id.uuidString.lowercased(), wabaAccount: AccountOutput(account)))
    }

    func replaceToken(_ request: Request, _ tenantID: UUID, _ accountID: UUID) async throws -> Response {
        let (principal, _) = try await gate.authorize(request.headers, Self.managePermission, tenantID: tenantID)
        let input = try await AdminRoutes.decode(TokenInput.self, request, example: #"{"access_token": "…"}"#)
        let token = try WabaRegistration.accessToken(input.accessToken)
        let account = try await service.replaceToken(tenantID: tenantID, accountID: accountID, token: token, principal: principal)
        return try CatalogRoutes.json(status: .ok, AccountOutput(account))
    }

    func verify(_ request: Request, _ tenantID: UUID, _ accountID: UUID) async throws -> Response {
        _ = try await gate.authorize(request.headers, Self.managePermission, tenantID: tenantID)
        try await AdminRoutes.refuseInput(request)
        let result = try await service.verify(tenantID: tenantID, accountID: accountID)
        return try CatalogRoutes.json(status: .ok, result)
    }

    func delete(_ request: Request, _ tenantID: UUID, _ accountID: UUID) async throws -> Response {
        let (principal, _) = try await gate.authorize(request.headers, Self.managePermission, tenantID: tenantID)
        try await AdminRoutes.refuseInput(request)
        // Four eyes when the tenant requires it (202 + pending_deletion); otherwise at once.
        return try await Approvals(store: service.store, clock: service.clock).requestOrRun(
            action: .deleteWabaAccount, params: ["waba_account_id": accountID.uuidString.lowercased()],
            principal: principal, tenantID: tenantID) { [service] in
            try await service.delete(tenantID: tenantID, accountID: accountID, principal: principal)
            return Response(status: .noContent)
        }
    }
}

/// A validated registration (plaintext secrets in memory only).
struct WabaRegistration: Sendable {
    var wabaID: String
    var phoneNumberID: String
    var displayPhoneNumber: String
    var accessToken: Secret
    var appSecret: Secret?
    var verifyToken: Secret?

    init(_ input: WabaRoutes.CreateInput) throws {
        wabaID = try Self.digits(input.wabaId, field: "waba_id", code: "invalid_waba_id")
        phoneNumberID = try Self.digits(input.phoneNumberId, field: "phone_number_id", code: "invalid_phone_number_id")
        let display = (input.displayPhoneNumber ?? "").trimmingCharacters(in: .whitespaces)
        let allowed = Set("0123456789+-() ")
        guard (5...32).contains(display.count), display.allSatisfy(allowed.contains), display.filter(\.isNumber).count >= 5 else {
            throw APIError(.badRequest, "invalid_display_phone_number",
                           "display_phone_number is required: 5–32 characters of digits, spaces, +, - and parentheses")
        }
        displayPhoneNumber = display
        accessToken = try Self.accessToken(input.accessToken)
        appSecret = try input.appSecret.map {
            try Self.secret($0, lengths: 16...256, code: "invalid_app_secret", what: "app_secret")
        }
        verifyToken = try input.verifyToken.map {
            try Self.secret($0, lengths: 8...256, code: "invalid_verify_token", what: "verify_token")
        }
    }

    /// Meta's ids are positive numbers written without a leading zero: `0400…` is refused rather
    /// than stored as a number of its own beside `400…` (a webhook names the number as Meta writes it).
    static func digits(_ value: String?, field: String, code: String) throws -> String {
        guard let value, (1...32).contains(value.utf8.count), value.utf8.allSatisfy({ (48...57).contains($0) }),
              value.utf8.first != UInt8(ascii: "0") else {
            throw APIError(.badRequest, code, "\(field) is required: 1–32 digits without a leading zero, as Meta shows it")
        }
        return value
    }

    static func accessToken(_ value: String?) throws -> Secret {
        try secret(value ?? "", lengths: 20...2048, code: "invalid_access_token", what: "access_token")
    }

    /// Printable ASCII without spaces (tokens go into headers and HMAC keys as they are).
    static func secret(_ value: String, lengths: ClosedRange<Int>, code: String, what: String) throws -> Secret {
        guard lengths.contains(value.utf8.count), value.utf8.allSatisfy({ (33...126).contains($0) }) else {
            throw APIError(.badRequest, code, "\(what) must be \(lengths.lowerBound)–\(lengths.upperBound) printable characters without spaces")
        }
        return Secret(value)
    }
}

/// The WhatsApp-account operations behind the routes, each in one tenant transaction. Deletion
/// is `delete(…)`, the one function an approval flow calls once a deletion is approved.
package struct WabaService: Sendable {
    package let store: any LioraStore
    package let vault: SecretVault?
    package let clock: any LioraClock
    package let graph: (any GraphAPIClient)?

    package init(store: any LioraStore, vault: SecretVault?, clock: any LioraClock, graph: (any GraphAPIClient)?) {
        self.store = store
        self.vault = vault
        self.clock = clock
        self.graph = graph
    }

    static let notFound = APIError(.notFound, "waba_account_not_found", "no such WhatsApp account")
    static let phoneNumberTaken = APIError(.conflict, "phone_number_taken", "this phone number is already registered")

    private func requireVault() throws -> SecretVault {
        guard let vault else {
            throw APIError(.serviceUnavailable, "encryption_not_configured", "LIORA_MASTER_KEY is not set; tokens cannot be stored")
        }
        return vault
    }

    static func last4(_ token: Secret) -> String { String(token.value.suffix(4)) }

    /// Asks Meta whether `token` can use `phoneNumberID` before anything is stored: a number routes
    /// to the tenant that registers it, so registering one needs proof of access to it (without
    /// it, a tenant could claim a business's number before the business onboards and receive its
    /// customers' messages). 422 `phone_number_not_verified` when Meta says no; 503
    /// `graph_unavailable` when Meta cannot be asked (nothing stored; retry).
    private func confirmAccess(phoneNumberID: String, token: Secret) async throws {
        guard let graph else { throw APIError(.serviceUnavailable, "graph_not_configured", "no Graph API client is configured") }
        do {
            _ = try await graph.phoneNumber(phoneNumberID: phoneNumberID, accessToken: token.value)
        } catch {
            let code = Self.code(error)
            if code == "graph_unavailable" || code == "graph_timeout" {
                throw APIError(.serviceUnavailable, "graph_unavailable",
                               "Meta could not be asked whether this token can use the number; nothing was stored, retry", retryAfter: 5)
            }
            throw APIError(.unprocessableContent, "phone_number_not_verified",
                           "Meta did not confirm that this access token can use phone number id \(phoneNumberID) (\(code)); nothing was stored")
        }
    }

    package func list(tenantID: UUID) async throws -> [WabaAccountRecord] {
        try await store.withTenant(tenantID) { try await $0.wabaAccountRecords() }
    }

    /// Seals the secrets for row `id` under the tenant's newest data key.
    private func seal(accessToken: Secret, appSecret: Secret?, verifyToken: Secret?, id: UUID, in s: any TenantSession,
                      vault: SecretVault, now: Date) async throws -> WabaSealedSecrets {
        func binding(_ column: String) -> EncryptionBinding { WabaAccountRecord.binding(tenantID: s.tenantID, accountID: id, column: column) }
        let (token, version) = try await vault.seal(accessToken.value, binding: binding(WabaAccountRecord.accessTokenColumn), in: s, now: now)
        var app: [UInt8]?
        if let appSecret {
            let sealed = try await vault.seal(appSecret.value, binding: binding(WabaAccountRecord.appSecretColumn), in: s, now: now)
            precondition(sealed.keyVersion == version, "data key changed within one transaction")
            app = sealed.ciphertext
        }
        var verify: [UInt8]?
        if let verifyToken {
            let sealed = try await vault.seal(verifyToken.value, binding: binding(WabaAccountRecord.verifyTokenColumn), in: s, now: now)
            precondition(sealed.keyVersion == version, "data key changed within one transaction")
            verify = sealed.ciphertext
        }
        return WabaSealedSecrets(accessToken: token, appSecret: app, verifyToken: verify, keyVersion: version)
    }

    /// Registers an account for `principal`, re-read under the tenant lock (`Principal.current`:
    /// a role change that committed since the request was authorised counts).
    func register(_ r: WabaRegistration, tenantID: UUID, principal: Principal) async throws -> WabaAccountRecord {
        let vault = try requireVault()
        // A tenant at its quota is told so before Meta is asked (a bad token would otherwise answer
        // 422 for a registration that could never succeed); checked again under the lock below.
        try await store.withTenant(tenantID) { s in try await Self.checkQuota(in: s) }
        try await confirmAccess(phoneNumberID: r.phoneNumberID, token: r.accessToken)
        let now = clock.now
        let id = UUID.timeOrdered(at: now)
        let actor = principal.actor
        do {
            return try await store.withTenant(tenantID) { s in
                try await s.lockForAdminChange()
                _ = try await principal.current(WabaRoutes.managePermission, in: s)
                // The plan as it is under the lock: a plan change waits for it, or went first.
                try await Self.checkQuota(in: s)
                let secrets = try await seal(accessToken: r.accessToken, appSecret: r.appSecret, verifyToken: r.verifyToken, id: id, in: s,
                                             vault: vault, now: now)
                let account = WabaAccountRecord(id: id, tenantID: tenantID, wabaID: r.wabaID, phoneNumberID: r.phoneNumberID,
                                                displayPhoneNumber: r.displayPhoneNumber, secrets: secrets,
                                                accessTokenLast4: Self.last4(r.accessToken), createdAt: now, updatedAt: now)
                try await s.registerWabaAccount(account, actor: actor, now: now)
                try await s.recordWabaVerification(id: id, status: "ok", error: nil, now: now)
                return try await s.wabaAccountRecord(id: id) ?? account
            }
        } catch let e as LioraError where e.code == .conflict {
            throw Self.phoneNumberTaken
        }
    }

    /// 403 `quota_exceeded` when the tenant's live accounts already fill its plan.
    private static func checkQuota(in s: any TenantSession) async throws {
        if let plan = try await s.plan(), try await s.wabaAccountRecords().count >= plan.maxWabaAccounts {
            throw APIError(.forbidden, "quota_exceeded", "the \(plan.name) plan allows \(plan.maxWabaAccounts) WhatsApp accounts")
        }
    }

    /// Replaces the access token; the app secret and verify token are re-sealed with it, so all
    /// three stay under one data key version. `principal` is re-read under the tenant lock.
    func replaceToken(tenantID: UUID, accountID: UUID, token: Secret, principal: Principal) async throws -> WabaAccountRecord {
        let vault = try requireVault()
        guard let phoneNumberID = try await store.withTenant(tenantID, { try await $0.wabaAccountRecord(id: accountID)?.phoneNumberID }) else {
            throw Self.notFound
        }
        try await confirmAccess(phoneNumberID: phoneNumberID, token: token)
        let now = clock.now
        let actor = principal.actor
        return try await store.withTenant(tenantID) { s in
            try await s.lockForAdminChange()
            _ = try await principal.current(WabaRoutes.managePermission, in: s)
            guard let account = try await s.wabaAccountRecord(id: accountID) else { throw Self.notFound }
            let old = account.secrets
            func open(_ sealed: [UInt8]?, _ column: String) async throws -> Secret? {
                guard let sealed, let version = old.keyVersion else { return nil }
                return try await vault.open(sealed, keyVersion: version,
                                            binding: WabaAccountRecord.binding(tenantID: tenantID, accountID: accountID, column: column), in: s)
            }
            let appSecret = try await open(old.appSecret, WabaAccountRecord.appSecretColumn)
            let verifyToken = try await open(old.verifyToken, WabaAccountRecord.verifyTokenColumn)
            let secrets = try await seal(accessToken: token, appSecret: appSecret, verifyToken: verifyToken, id: accountID, in: s,
                                         vault: vault, now: now)
            guard try await s.replaceWabaSecrets(id: accountID, secrets: secrets, accessTokenLast4: Self.last4(token), actor: actor, now: now)
            else { throw Self.notFound }
            try await s.recordWabaVerification(id: accountID, status: "ok", error: nil, now: now)
            guard let updated = try await s.wabaAccountRecord(id: accountID) else { throw Self.notFound }
            return updated
        }
    }

    /// Soft-deletes the account (status `deleted`): its number stops routing at once and may be
    /// registered again. 404 when there is no such live account. `principal` is re-read under the
    /// tenant lock.
    package func delete(tenantID: UUID, accountID: UUID, principal: Principal) async throws {
        let now = clock.now
        let deleted = try await store.withTenant(tenantID) { s in
            try await s.lockForAdminChange()
            _ = try await principal.current(WabaRoutes.managePermission, in: s)
            return try await s.deleteWabaAccount(id: accountID, actor: principal.actor, now: now)
        }
        guard deleted else { throw Self.notFound }
    }

    struct VerifyOutput: Encodable, Sendable {
        var ok: Bool
        var displayPhoneNumber: String?
        var verifiedName: String?
        var error: String?
    }

    /// Asks Meta for the account's number with its stored token and records the outcome.
    func verify(tenantID: UUID, accountID: UUID) async throws -> VerifyOutput {
        let vault = try requireVault()
        guard let graph else { throw APIError(.serviceUnavailable, "graph_not_configured", "no Graph API client is configured") }
        let (phoneNumberID, token) = try await store.withTenant(tenantID) { s -> (String, Secret?) in
            guard let account = try await s.wabaAccountRecord(id: accountID) else { throw Self.notFound }
            guard let sealed = account.secrets.accessToken, let version = account.secrets.keyVersion else { return (account.phoneNumberID, nil) }
            let token = try await vault.open(sealed, keyVersion: version, binding: WabaAccountRecord.binding(
                tenantID: tenantID, accountID: accountID, column: WabaAccountRecord.accessTokenColumn), in: s)
            return (account.phoneNumberID, token)
        }
        var output: VerifyOutput
        if let token {
            do {
                let info = try await graph.phoneNumber(phoneNumberID: phoneNumberID, accessToken: token.value)
                output = VerifyOutput(ok: true, displayPhoneNumber: info.displayPhoneNumber, verifiedName: info.verifiedName)
            } catch {
                output = VerifyOutput(ok: false, error: Self.code(error))
            }
        } else {
            output = VerifyOutput(ok: false, error: "no_access_token")
        }
        let now = clock.now
        try await store.withTenant(tenantID) { s in
            try await s.recordWabaVerification(id: accountID, status: output.ok ? "ok" : "failed", error: output.error, now: now)
        }
        return output
    }

    /// A short, stable code for a failed check (Meta's own message may echo input; it is not kept).
    static func code(_ error: any Error) -> String {
        guard let error = error as? GraphAPIError else { return "graph_unavailable" }
        switch error {
        case .rejected(let status, let code, _, _):
            if code == 190 || status == 401 { return "token_invalid" }
            if code == 10 || code == 200 || status == 403 { return "permission_denied" }
            if code == 100 || code == 803 || status == 404 { return "phone_number_not_found" }
            if error.isRetryable { return "graph_unavailable" }
            return "graph_rejected"
        case .timeout: return "graph_timeout"
        case .transport(let detail): return detail.hasPrefix("unsupported") ? "graph_unsupported" : "graph_unavailable"
        case .invalidPayload: return "invalid_phone_number_id"
        case .malformedResponse: return "graph_malformed_response"
        }
    }
}

/// Decrypted per-account webhook secrets, kept at most `ttl` (60 s). Every request still reads
/// the account's row (the narrow cross-tenant lookup), so a deleted account stops at once and a
/// replaced secret is used at once; only the unwrap and decryption are saved.
package final class WabaWebhookSecrets: Sendable {
    package struct Opened: Sendable {
        package var tenantID: UUID
        package var appSecret: Secret?
        package var verifyToken: Secret?
        /// The tenant's live numbers and WABA ids: a delivery on this route may only carry their items.
        package var phoneNumberIDs: Set<String>
        package var wabaIDs: Set<String>
    }

    /// The server runs without `LIORA_MASTER_KEY`, so no account's secrets can be opened.
    package struct NoMasterKey: Error {}

    private struct Key: Hashable { var account: UUID; var digest: [UInt8] }
    private struct Entry { var opened: Opened; var expires: Date }

    private let store: any LioraStore
    private let vault: SecretVault?
    private let clock: any LioraClock
    private let ttl: TimeInterval
    private let cache = NIOLockedValueBox<[Key: Entry]>([:])

    package init(store: any LioraStore, vault: SecretVault?, clock: any LioraClock, ttl: TimeInterval = 60) {
        self.store = store
        self.vault = vault
        self.clock = clock
        self.ttl = min(max(ttl, 0), 60)
    }

    /// The account's opened secrets; nil for an unknown or deleted account, or one whose secrets
    /// cannot be opened. An account waiting for its deletion to be approved still receives (its
    /// number still routes until the deletion is done). `fresh` reads past the cache (a number
    /// the cached list does not know may have been registered since).
    /// Throws `NoMasterKey` for a live account with secrets when the server has no master key
    /// (they exist but cannot be opened: the delivery is refused for now, not unknown).
    package func secrets(accountID: UUID, fresh: Bool = false) async throws -> Opened? {
        guard let found = try await store.wabaWebhookLookup(accountID: accountID),
              found.status == "active" || found.status == "pending_deletion",
              let version = found.keyVersion, found.appSecret != nil || found.verifyToken != nil else { return nil }
        guard let vault else { throw NoMasterKey() }
        var hasher = SHA256()
        hasher.update(data: found.appSecret ?? [])
        hasher.update(data: [0])
        hasher.update(data: found.verifyToken ?? [])
        hasher.update(data: [UInt8(truncatingIfNeeded: version)])
        let key = Key(account: accountID, digest: Array(hasher.finalize()))
        let now = clock.now
        if !fresh, let hit = cache.withLockedValue({ $0[key] }), hit.expires > now { return hit.opened }
        let tenantID = found.tenantID
        let opened = try await store.withTenant(tenantID) { s -> Opened in
            func open(_ sealed: [UInt8]?, _ column: String) async throws -> Secret? {
                guard let sealed else { return nil }
                return try await vault.open(sealed, keyVersion: version,
                                            binding: WabaAccountRecord.binding(tenantID: tenantID, accountID: accountID, column: column), in: s)
            }
            let accounts = try await s.wabaAccountRecords()
            return Opened(tenantID: tenantID, appSecret: try await open(found.appSecret, WabaAccountRecord.appSecretColumn),
                          verifyToken: try await open(found.verifyToken, WabaAccountRecord.verifyTokenColumn),
                          phoneNumberIDs: Set(accounts.map(\.phoneNumberID)), wabaIDs: Set(accounts.map(\.wabaID)))
        }
        cache.withLockedValue { c in
            c = c.filter { $0.value.expires > now && $0.key.account != accountID }
            c[key] = Entry(opened: opened, expires: now.addingTimeInterval(ttl))
        }
        return opened
    }
}
