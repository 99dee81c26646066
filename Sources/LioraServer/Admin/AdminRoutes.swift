import Crypto
import Foundation
import HTTPTypes
package import Hummingbird
import LioraCore
import LioraStore
import Logging
import NIOCore

/// The request context of Liora's router: the basics plus the peer's address (the client's, or
/// a trusted proxy's: see `TrustedProxies.clientAddress`), for per-address limits.
package struct LioraRequestContext: RequestContext {
    package var coreContext: CoreRequestContextStorage
    package let remoteAddress: String?

    package init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
        remoteAddress = source.channel.remoteAddress?.ipAddress
    }
}

/// The admin API: `/auth/…`, `/plans`, `/clientes` (tenants), `/clientes/{id}/usuarios`,
/// `/clientes/{id}/events`. JSON field names are snake_case; errors are the usual envelope.
struct AdminRoutes: Sendable {
    let auth: AdminAuth
    let gate: AdminGate
    let store: any LioraStore
    let vault: SecretVault?
    let clock: any LioraClock
    /// Whose `X-Forwarded-For` names the client (login limits count per client address).
    var proxies: TrustedProxies = .none

    func register(on router: Router<LioraRequestContext>) {
        router.post("/auth/login") { request, context in try await login(request, context: context) }
        router.post("/auth/refresh") { request, _ in try await refresh(request) }
        router.post("/auth/logout") { request, _ in try await logout(request) }
        router.post("/auth/accept-invite") { request, _ in try await acceptInvite(request) }
        router.get("/plans") { request, _ in try await plans(request) }
        router.get("/clientes") { request, _ in try await listTenants(request) }
        router.post("/clientes") { request, _ in try await createTenant(request) }
        router.get("/clientes/{cliente_id}") { request, context in try await getTenant(request, try CatalogRoutes.tenantID(context)) }
        router.patch("/clientes/{cliente_id}") { request, context in try await updateTenant(request, try CatalogRoutes.tenantID(context)) }
        router.delete("/clientes/{cliente_id}") { request, context in try await deleteTenant(request, try CatalogRoutes.tenantID(context)) }
        router.post("/clientes/{cliente_id}/suspend") { request, context in
            try await setStatus(request, try CatalogRoutes.tenantID(context), .suspended)
        }
        router.post("/clientes/{cliente_id}/resume") { request, context in
            try await setStatus(request, try CatalogRoutes.tenantID(context), .active)
        }
        router.get("/clientes/{cliente_id}/usuarios") { request, context in try await listUsers(request, try CatalogRoutes.tenantID(context)) }
        router.post("/clientes/{cliente_id}/usuarios") { request, context in try await inviteUser(request, try CatalogRoutes.tenantID(context)) }
        router.patch("/clientes/{cliente_id}/usuarios/{usuario_id}") { request, context in
            try await changeRole(request, try CatalogRoutes.tenantID(context), try Self.userID(context))
        }
        router.delete("/clientes/{cliente_id}/usuarios/{usuario_id}") { request, context in
            try await deactivateUser(request, try CatalogRoutes.tenantID(context), try Self.userID(context))
        }
        router.get("/clientes/{cliente_id}/events") { request, context in try await events(request, try CatalogRoutes.tenantID(context)) }
    }

    /// Without `LIORA_JWT_SECRET` every admin route answers 503 (fail closed).
    static func registerUnavailable(on router: Router<LioraRequestContext>) {
        let error = APIError(.serviceUnavailable, "admin_api_not_configured", "LIORA_JWT_SECRET is not set; the admin API is off")
        for path in ["/auth/login", "/auth/refresh", "/auth/logout", "/auth/accept-invite", "/clientes"] {
            router.post(RouterPath(path)) { _, _ -> Response in throw error }
        }
        for path in ["/plans", "/clientes", "/clientes/{cliente_id}", "/clientes/{cliente_id}/usuarios", "/clientes/{cliente_id}/events"] {
            router.get(RouterPath(path)) { _, _ -> Response in throw error }
        }
    }

    static func userID(_ context: some RequestContext) throws -> UUID {
        try context.uuidParameter("usuario_id")
    }

    // MARK: JSON in and out

    static let decoder: JSONDecoder = {
        let d = JSONDecoder()
        d.keyDecodingStrategy = .convertFromSnakeCase
        return d
    }()

    /// What a route that takes no input accepts: no body, or `{}`.
    private struct NoInput: Decodable {}

    /// For routes that take no input: an empty body or `{}` passes; anything else is refused as
    /// `decode` refuses it (400 `unknown_field` naming the field, `malformed_body`,
    /// 413), so `{"force": true}` is never taken to mean something.
    static func refuseInput(_ request: Request) async throws {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 64 * 1024)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "payload_too_large", "admin API bodies are limited to 64 KB")
        }
        guard buffer.readableBytes > 0 else { return }
        var collected = request
        collected.body = RequestBody(buffer: buffer)
        _ = try await decode(NoInput.self, collected, example: "{}")
    }

    /// Decodes a JSON object body of at most 64 KB (413 above), refusing unknown fields (400
    /// `unknown_field`) so a typo never passes silently, a field given twice (400
    /// `duplicate_key`) and JSON that only Foundation's lenient parsers take, such as a trailing
    /// comma (400 `malformed_body`); the allowed fields come from `example`. A field missing or
    /// of the wrong type is 400 `malformed_body` naming it and what it must be.
    static func decode<T: Decodable>(_ type: T.Type, _ request: Request, example: String) async throws -> T {
        let buffer: ByteBuffer
        do {
            buffer = try await request.body.collect(upTo: 64 * 1024)
        } catch is NIOTooManyBytesError {
            throw APIError(.contentTooLarge, "payload_too_large", "admin API bodies are limited to 64 KB")
        }
        return try decode(type, from: Array(buffer.readableBytesView), example: example)
    }

    /// `decode`'s rules for a body already read (the signed catalog routes read theirs first,
    /// to check its signature).
    static func decode<T: Decodable>(_ type: T.Type, from body: [UInt8], example: String) throws -> T {
        let data = Data(body)
        guard let object = try? JSONSerialization.jsonObject(with: data) as? [String: Any] else {
            throw APIError(.badRequest, "malformed_body", "the body must be a JSON object like \(example)")
        }
        try APIError.refuseAmbiguousJSON(in: body, example: example)
        let exampleObject = (try? JSONSerialization.jsonObject(with: Data(example.utf8)) as? [String: Any]) ?? [:]
        if let unknown = object.keys.sorted().first(where: { exampleObject[$0] == nil }) {
            throw APIError(.badRequest, "unknown_field", "unknown field \"\(unknown)\"; expected \(example)")
        }
        do {
            return try decoder.decode(T.self, from: data)
        } catch {
            let problem = (error as? DecodingError).flatMap(AdminInput.problem)
                ?? AdminInput.unrepresentableNumber(in: object)
            throw APIError(.badRequest, "malformed_body", problem.map { "\($0); expected \(example)" }
                           ?? "the body must be JSON like \(example) with the right types")
        }
    }

    // MARK: Auth

    struct LoginInput: Decodable {
        var email: String
        var password: String
        /// Which tenant, when the e-mail and password open accounts in several.
        var clienteId: String?
        /// The device token an earlier login returned (exempts from the account-wide limit).
        var deviceToken: String?
    }
    struct TokenOutput: Encodable {
        var accessToken: String
        var refreshToken: String
        var tokenType = "Bearer"
        var expiresIn: Int
        /// Login only.
        var deviceToken: String?
        init(_ t: IssuedTokens) {
            accessToken = t.accessToken; refreshToken = t.refreshToken; expiresIn = t.expiresIn; deviceToken = t.deviceToken
        }
    }

    func login(_ request: Request, context: LioraRequestContext) async throws -> Response {
        let input = try await Self.decode(LoginInput.self, request,
                                          example: #"{"email": "…", "password": "…", "cliente_id": "(optional)", "device_token": "(optional)"}"#)
        let address = proxies.clientAddress(peer: context.remoteAddress, forwardedFor: request.headers[values: .xForwardedFor])
            .map(TrustedProxies.limitKey)
        var tenantID: UUID?
        if let raw = input.clienteId {
            guard let id = UUID(uuidString: raw) else { throw APIError(.badRequest, "invalid_cliente_id", "cliente_id must be a UUID") }
            tenantID = id
        }
        let tokens = try await auth.login(email: input.email, password: input.password, tenantID: tenantID, address: address,
                                          deviceToken: input.deviceToken)
        return try CatalogRoutes.json(status: .ok, TokenOutput(tokens))
    }

    struct RefreshInput: Decodable { var refreshToken: String }

    func refresh(_ request: Request) async throws -> Response {
        let input = try await Self.decode(RefreshInput.self, request, example: #"{"refresh_token": "…"}"#)
        return try CatalogRoutes.json(status: .ok, TokenOutput(try await auth.refresh(input.refreshToken)))
    }

    func logout(_ request: Request) async throws -> Response {
        let input = try await Self.decode(RefreshInput.self, request, example: #"{"refresh_token": "…"}"#)
        try await auth.logout(input.refreshToken)
        return Response(status: .noContent)
    }

    struct AcceptInput: Decodable { var invitationToken: String; var password: String }

    func acceptInvite(_ request: Request) async throws -> Response {
        let input = try await Self.decode(AcceptInput.self, request, example: #"{"invitation_token": "…", "password": "…"}"#)
        let invalid = APIError(.badRequest, "invalid_invitation", "the invitation is not valid or has expired")
        let hash = AdminAuth.hash(input.invitationToken)
        guard input.invitationToken.hasPrefix("inv_"), let (userID, tenantID) = try await store.invitationLookup(tokenHash: hash) else { throw invalid }
        let user = try await store.withTenant(tenantID) { try await $0.adminUser(id: userID) }
        try AdminAuth.checkPasswordStrength(input.password, email: user?.email)
        let passwordHash = await auth.hashPassword(input.password)
        let now = clock.now
        guard try await store.withTenant(tenantID, { try await $0.acceptInvitation(userID: userID, invitationHash: hash, passwordHash: passwordHash, now: now) })
        else { throw invalid }
        return try CatalogRoutes.json(status: .ok, ["usuario_id": userID.uuidString.lowercased(), "status": "active"])
    }

    // MARK: Plans and tenants

    struct PlanOutput: Encodable {
        var id: String
        var name: String
        var maxUsers: Int
        var maxWabaAccounts: Int
        var monthlyConversations: Int
        var skills: [String]?
        init(_ p: Plan) {
            id = p.id; name = p.name; maxUsers = p.maxUsers; maxWabaAccounts = p.maxWabaAccounts
            monthlyConversations = p.monthlyConversations; skills = p.skills.map { $0.sorted() }
        }
    }

    func plans(_ request: Request) async throws -> Response {
        _ = try await gate.authorize(request.headers, .tenantRead)
        return try CatalogRoutes.json(status: .ok, ["plans": try await store.plans().map(PlanOutput.init)])
    }

    struct TenantOutput: Encodable {
        var id: String
        var slug: String
        var name: String
        var plan: String
        var status: String
        var createdAt: Date
        var updatedAt: Date
        init(_ t: Tenant) {
            id = t.id.uuidString.lowercased(); slug = t.slug; name = t.name; plan = t.plan; status = t.status.rawValue
            createdAt = t.createdAt; updatedAt = t.updatedAt
        }
    }

    func listTenants(_ request: Request) async throws -> Response {
        _ = try await gate.authorize(request.headers, .tenantsManage)
        let q = request.uri.queryParameters
        let limit = min(max(q["limit"].flatMap { Int(String($0)) } ?? 50, 1), 200)
        let search = q["search"].map(String.init).flatMap { $0.isEmpty ? nil : String($0.prefix(100)) }
        let rows = try await store.listTenants(search: search, after: q["after"].map(String.init), limit: limit)
        struct Page: Encodable { var clientes: [TenantOutput]; var nextAfter: String? }
        return try CatalogRoutes.json(status: .ok, Page(clientes: rows.map(TenantOutput.init), nextAfter: rows.count == limit ? rows.last?.slug : nil))
    }

    struct CreateTenantInput: Decodable { var slug: String; var name: String; var plan: String? }

    func createTenant(_ request: Request) async throws -> Response {
        let (principal, _) = try await gate.authorize(request.headers, .tenantsManage)
        let input = try await Self.decode(CreateTenantInput.self, request, example: #"{"slug": "mi-tienda", "name": "Mi Tienda", "plan": "starter"}"#)
        // Taken in any case, stored lowercased (the store's rule is on the stored form).
        let slug = input.slug.lowercased()
        guard SlugRule.isValid(slug) else {
            throw APIError(.badRequest, "invalid_slug",
                           "slug must be 2–63 letters a–z (either case; stored lowercased), digits or hyphens, not starting with a hyphen")
        }
        let name = try AdminInput.name(input.name)
        let plan = input.plan ?? "free"
        guard try await store.plan(id: plan) != nil else { throw APIError(.badRequest, "unknown_plan", "no plan named \(plan); see GET /plans") }
        guard let vault else {
            throw APIError(.serviceUnavailable, "encryption_not_configured", "LIORA_MASTER_KEY is not set; tenants' secrets cannot be stored")
        }
        let now = clock.now
        // One transaction: a tenant never exists without its catalog signing secret.
        let (tenant, secret) = try await store.createTenant(
            NewTenant(slug: slug, name: name, plan: plan, status: .active), actor: principal.actor, now: now
        ) { s in try await CatalogSecrets.issue(in: s, vault: vault, overlap: 0, now: now) }
        struct Created: Encodable { var id: String; var cliente: TenantOutput; var catalogSigningSecret: String }
        return try CatalogRoutes.json(status: .created, Created(id: tenant.id.uuidString.lowercased(), cliente: TenantOutput(tenant),
                                                                catalogSigningSecret: secret))
    }

    func getTenant(_ request: Request, _ id: UUID) async throws -> Response {
        let (_, tenant) = try await gate.authorize(request.headers, .tenantRead, tenantID: id)
        return try CatalogRoutes.json(status: .ok, TenantOutput(tenant!))
    }

    struct UpdateTenantInput: Decodable { var name: String?; var plan: String? }

    func updateTenant(_ request: Request, _ id: UUID) async throws -> Response {
        let input = try await Self.decode(UpdateTenantInput.self, request, example: #"{"name": "…", "plan": "pro"}"#)
        let (principal, _) = try await gate.authorize(request.headers, input.plan != nil ? .tenantsManage : .tenantRename, tenantID: id)
        let name = try input.name.map(AdminInput.name)
        if let plan = input.plan, try await store.plan(id: plan) == nil {
            throw APIError(.badRequest, "unknown_plan", "no plan named \(plan); see GET /plans")
        }
        let now = clock.now
        let tenant = try await store.withTenant(id) { s -> Tenant? in
            try await s.updateTenant(name: name, plan: input.plan, actor: principal.actor, now: now)
            return try await s.tenant()
        }
        guard let tenant else { throw APIError(.notFound, "tenant_not_found", "no such tenant") }
        return try CatalogRoutes.json(status: .ok, TenantOutput(tenant))
    }

    func setStatus(_ request: Request, _ id: UUID, _ status: TenantStatus) async throws -> Response {
        let (principal, tenant) = try await gate.authorize(request.headers, .tenantsManage, tenantID: id)
        try await Self.refuseInput(request)  // takes no input: {"reason": …} is not kept anywhere
        guard let tenant else { throw APIError.notFound }
        let from: TenantStatus = status == .suspended ? .active : .suspended
        guard tenant.status == from else {
            throw APIError(.conflict, "invalid_transition", status == .suspended
                           ? "only an active tenant can be suspended; this one is \(tenant.status.rawValue)"
                           : "only a suspended tenant can be resumed; this one is \(tenant.status.rawValue)")
        }
        let now = clock.now
        let updated = try await store.withTenant(id) { s -> Tenant? in
            try await s.setTenantStatus(status, actor: principal.actor, now: now)
            return try await s.tenant()
        }
        return try CatalogRoutes.json(status: .ok, TenantOutput(updated!))
    }

    /// 204 at once, or 202 with a pending approval when the tenant's settings require one for
    /// `delete_tenant` (the default); the tenant stays active until a second person approves.
    func deleteTenant(_ request: Request, _ id: UUID) async throws -> Response {
        let (principal, _) = try await gate.authorize(request.headers, .tenantsManage, tenantID: id)
        try await Self.refuseInput(request)
        return try await Approvals(store: store, clock: clock).requestOrRun(action: .deleteTenant, principal: principal, tenantID: id) {
            [store, clock] in
            let now = clock.now
            try await store.withTenant(id) { s in try await s.deleteTenant(actor: principal.actor, now: now) }
            return Response(status: .noContent)
        }
    }

    // MARK: Users

    struct UserOutput: Encodable {
        var id: String
        var email: String
        var name: String
        var role: String
        var status: String
        var createdAt: Date
        var lastLoginAt: Date?
        init(_ u: AdminUser) {
            id = u.id.uuidString.lowercased(); email = u.email; name = u.name; role = u.role.rawValue; status = u.status.rawValue
            createdAt = u.createdAt; lastLoginAt = u.lastLoginAt
        }
    }

    func listUsers(_ request: Request, _ id: UUID) async throws -> Response {
        _ = try await gate.authorize(request.headers, .usersRead, tenantID: id)
        let users = try await store.withTenant(id) { try await $0.adminUsers() }
        return try CatalogRoutes.json(status: .ok, ["usuarios": users.map(UserOutput.init)])
    }

    struct InviteInput: Decodable { var email: String; var name: String; var role: String }

    func inviteUser(_ request: Request, _ id: UUID) async throws -> Response {
        let (caller, _) = try await gate.authorize(request.headers, .usersManage, tenantID: id)
        let input = try await Self.decode(InviteInput.self, request, example: #"{"email": "ana@shop.mx", "name": "Ana", "role": "agent"}"#)
        guard let role = Role(rawValue: input.role), Role.tenantRoles.contains(role) else {
            throw APIError(.badRequest, "invalid_role", "role must be owner, admin or agent")
        }
        try Self.checkOwnerGrant(role, by: caller)
        let email = try AdminInput.email(input.email)
        let name = try AdminInput.name(input.name)
        let token = "inv_" + AdminAuth.randomBytes(32).map { String(format: "%02x", $0) }.joined()
        let now = clock.now
        let expires = now.addingTimeInterval(auth.options.invitationLifetime)
        var user = AdminUser(id: UUID.timeOrdered(at: now), tenantID: id, email: email, name: name, role: role, status: .invited,
                             createdAt: now, lastLoginAt: nil)
        user.id = try await store.withTenant(id) { s in
            try await s.lockForAdminChange()
            let principal = try await caller.current(.usersManage, in: s)
            try Self.checkOwnerGrant(role, by: principal)
            // The invitation first, the seats after: an address already in the tenant is a 409
            // conflict whether or not the plan is full (a 403 would send the caller to upgrade
            // for a user they already have). Over the quota, throwing rolls the invitation back.
            let invited = try await s.inviteUser(user, invitationHash: AdminAuth.hash(token), expiresAt: expires, actor: principal.actor, now: now)
            // Expired invitations hold no seat (renewing one takes its seat back). The plan as it
            // is under the lock: a plan change waits for it, or went first.
            if let plan = try await s.plan(), try await s.seatedUserCount(now: now) > plan.maxUsers {
                throw APIError(.forbidden, "quota_exceeded", "the \(plan.name) plan allows \(plan.maxUsers) users")
            }
            return invited
        }
        struct Invited: Encodable { var id: String; var invitationToken: String; var invitationExpiresAt: Date; var usuario: UserOutput }
        return try CatalogRoutes.json(status: .created, Invited(id: user.id.uuidString.lowercased(), invitationToken: token,
                                                                invitationExpiresAt: expires, usuario: UserOutput(user)))
    }

    /// Only an owner (or a platform admin) makes another owner.
    private static func checkOwnerGrant(_ role: Role, by principal: Principal) throws {
        if role == .owner, principal.role != .owner, principal.role != .platformAdmin {
            throw APIError(.forbidden, "forbidden", "only an owner can make another owner")
        }
    }

    struct RoleInput: Decodable { var role: String }

    func changeRole(_ request: Request, _ id: UUID, _ userID: UUID) async throws -> Response {
        let (caller, _) = try await gate.authorize(request.headers, .usersManage, tenantID: id)
        let input = try await Self.decode(RoleInput.self, request, example: #"{"role": "admin"}"#)
        guard let role = Role(rawValue: input.role), Role.tenantRoles.contains(role) else {
            throw APIError(.badRequest, "invalid_role", "role must be owner, admin or agent")
        }
        let now = clock.now
        let user = try await store.withTenant(id) { s -> AdminUser? in
            try await s.lockForAdminChange()
            let principal = try await caller.current(.usersManage, in: s)
            let users = try await s.adminUsers()
            // A deactivated user is gone (as for DELETE): their role is not changed, nor audited.
            guard let target = users.first(where: { $0.id == userID }), target.status != .deactivated else { return nil }
            if (role == .owner || target.role == .owner), principal.role != .owner, principal.role != .platformAdmin {
                throw APIError(.forbidden, "forbidden", "only an owner can grant or take away the owner role")
            }
            if target.role == .owner, role != .owner,
               users.filter({ $0.role == .owner && $0.status == .active }).count <= 1, target.status == .active {
                throw APIError(.conflict, "last_owner", "a tenant keeps at least one active owner")
            }
            try await s.setUserRole(userID, role: role, actor: principal.actor, now: now)
            return try await s.adminUser(id: userID)
        }
        guard let user else { throw APIError(.notFound, "user_not_found", "no such user") }
        return try CatalogRoutes.json(status: .ok, UserOutput(user))
    }

    func deactivateUser(_ request: Request, _ id: UUID, _ userID: UUID) async throws -> Response {
        let (caller, _) = try await gate.authorize(request.headers, .usersManage, tenantID: id)
        try await Self.refuseInput(request)
        let now = clock.now
        try await store.withTenant(id) { s in
            try await s.lockForAdminChange()
            let principal = try await caller.current(.usersManage, in: s)
            let users = try await s.adminUsers()
            guard let target = users.first(where: { $0.id == userID }), target.status != .deactivated else {
                throw APIError(.notFound, "user_not_found", "no such user")
            }
            if target.role == .owner, principal.role != .owner, principal.role != .platformAdmin {
                throw APIError(.forbidden, "forbidden", "only an owner can remove an owner")
            }
            if target.role == .owner, users.filter({ $0.role == .owner && $0.status == .active }).count <= 1, target.status == .active {
                throw APIError(.conflict, "last_owner", "a tenant keeps at least one active owner")
            }
            try await s.deactivateUser(userID, actor: principal.actor, now: now)
        }
        return Response(status: .noContent)
    }

    // MARK: Audit

    func events(_ request: Request, _ id: UUID) async throws -> Response {
        _ = try await gate.authorize(request.headers, .auditRead, tenantID: id)
        let q = request.uri.queryParameters
        let limit = min(max(q["limit"].flatMap { Int(String($0)) } ?? 50, 1), 500)
        var before: (createdAt: Date, id: UUID)?
        if let raw = q["before"].map(String.init), !raw.isEmpty {
            // The cursor is "<microseconds since 1970>_<event id>" from the previous page's next_before.
            let parts = raw.split(separator: "_")
            guard parts.count == 2, let us = Int64(parts[0]), ConversationLogCursor.plausibleMicroseconds.contains(us),
                  let eventID = UUID(uuidString: String(parts[1])) else {
                throw APIError(.badRequest, "invalid_cursor", "before must be a next_before returned by this endpoint")
            }
            before = (Date(timeIntervalSince1970: Double(us) / 1_000_000), eventID)
        }
        let page = try await store.withTenant(id) { try await $0.tenantEventsPage(limit: limit, before: before) }
        struct Event: Encodable { var id: String; var actor: String; var action: String; var payload: String; var createdAt: Date }
        struct Page: Encodable { var events: [Event]; var nextBefore: String? }
        let next = page.count == limit ? page.last.map { "\($0.createdAt.microsecondsSince1970)_\($0.id.uuidString.lowercased())" } : nil
        return try CatalogRoutes.json(status: .ok, Page(events: page.map {
            Event(id: $0.id.uuidString.lowercased(), actor: $0.actor, action: $0.action, payload: $0.payloadJSON, createdAt: $0.createdAt)
        }, nextBefore: next))
    }
}
