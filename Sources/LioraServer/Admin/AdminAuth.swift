import Crypto
import HTTPTypes
package import Foundation
import HummingbirdBcrypt
import JWTKit
package import LioraCore
import NIOConcurrencyHelpers

/// The caller of an admin route, from a verified access token.
package struct Principal: Sendable, Equatable {
    package var subjectID: UUID
    /// nil for a platform admin.
    package var tenantID: UUID?
    package var role: Role

    /// How the audit trail names this caller.
    package var actor: String {
        (role == .platformAdmin ? "platform_admin:" : "usuario:") + subjectID.uuidString.lowercased()
    }
}

/// Tokens issued by a login or a refresh.
package struct IssuedTokens: Sendable, Equatable {
    package var accessToken: String
    package var refreshToken: String
    package var expiresIn: Int
    /// Issued by a login only: the device token (see `AdminAuth.deviceToken`), which the client
    /// keeps and sends with its next logins to the same e-mail.
    package var deviceToken: String?
}

/// Settings of the admin API's authentication.
package struct AdminAuthOptions: Sendable {
    package var issuer = "liora"
    package var audience = "liora-admin"
    package var accessTokenLifetime: TimeInterval = 15 * 60
    package var refreshTokenLifetime: TimeInterval = 30 * 24 * 3600
    /// bcrypt cost of stored passwords (at least 12 in production; tests may lower it).
    package var bcryptCost: UInt8 = 12
    /// Failed logins allowed for one account from one client address within `rateWindow`.
    package var maxFailuresPerAccount = 5
    /// Failed logins allowed for one account from all addresses together within `rateWindow`
    /// (guessing spread over many addresses). A client with a valid device token from an earlier
    /// login to the e-mail (any instance), or an address that signed in to it before (this
    /// instance), is not held by it, so nobody can lock an owner out from elsewhere.
    package var maxFailuresPerAccountEverywhere = 20
    package var maxAttemptsPerAddress = 30
    package var rateWindow: TimeInterval = 15 * 60
    /// How long a device token (issued at each login) exempts its holder from the account-wide
    /// limit. Failed logins sent with one are counted against it: after `maxFailuresPerAccount`
    /// within `rateWindow` it exempts nobody until they age out.
    package var deviceTokenLifetime: TimeInterval = 180 * 24 * 3600
    package var invitationLifetime: TimeInterval = 7 * 24 * 3600

    package init() {}
}

/// Access JWT claims (HS256, `kid` in the header).
struct AccessClaims: JWTPayload {
    var usuario_id: String
    var cliente_id: String?
    var rol: String
    var iss: IssuerClaim
    var aud: AudienceClaim
    var exp: ExpirationClaim
    var iat: IssuedAtClaim
    var jti: IDClaim

    func verify(using algorithm: some JWTAlgorithm) async throws {}  // times and audience are checked by AdminAuth with its clock
}

/// Login, refresh, logout and access-token verification for the admin API. Passwords are bcrypt
/// (cost 12); access tokens are short-lived HS256 JWTs whose algorithm is pinned on
/// verification; refresh tokens are opaque, stored as SHA-256, single-use (rotated), and a reused
/// one revokes its whole family.
package final class AdminAuth: Sendable {
    package let options: AdminAuthOptions
    private let store: any LioraStore
    private let clock: any LioraClock
    private let keys: JWTKeyCollection
    private let secret: Secret
    private let keysReady = NIOLockedValueBox(false)
    private let kid: String
    private let limiter: LoginRateLimiter
    /// A hash to compare against when the account does not exist (same time either way).
    private let dummyHash: String

    package init(secret: Secret, store: any LioraStore, clock: any LioraClock, options: AdminAuthOptions = .init()) {
        self.options = options
        self.store = store
        self.clock = clock
        self.secret = secret
        let digest = SHA256.hash(data: Array(secret.value.utf8)).prefix(4).map { String(format: "%02x", $0) }.joined()
        self.kid = "hs256-" + digest
        self.keys = JWTKeyCollection()
        self.limiter = LoginRateLimiter(options: options)
        self.dummyHash = Bcrypt.hash("liora-no-such-account", cost: options.bcryptCost)
    }

    /// The key collection with Liora's one HS256 key (added on first use; adding it twice is harmless).
    private func keyCollection() async -> JWTKeyCollection {
        if !keysReady.withLockedValue({ $0 }) {
            await keys.add(hmac: HMACKey(from: secret.value), digestAlgorithm: .sha256, kid: JWKIdentifier(string: kid))
            keysReady.withLockedValue { $0 = true }
        }
        return keys
    }

    package func hashPassword(_ password: String) async -> String {
        let cost = options.bcryptCost
        return await offCooperativePool { Self.hashPassword(password, cost: cost) }
    }

    package static func hashPassword(_ password: String, cost: UInt8 = 12) -> String { Bcrypt.hash(password, cost: cost) }

    /// The most bytes (UTF-8) of a password bcrypt reads: it ignores the rest.
    package static let maxPasswordBytes = 72

    /// Whether bcrypt reads all of `password`: at most `maxPasswordBytes` bytes and no NUL (the C
    /// code stops there). Only such a password is set, or checked at login, so no password is
    /// matched by its beginning alone.
    static func bcryptReadsAll(_ password: String) -> Bool {
        password.utf8.count <= maxPasswordBytes && !password.utf8.contains(0)
    }

    /// Refuses weak passwords, and those bcrypt would not read whole, with a reason the user can act on.
    package static func checkPasswordStrength(_ password: String, email: String? = nil) throws {
        guard password.utf8.count <= maxPasswordBytes else {
            throw APIError(.badRequest, "password_too_long",
                           "password must be at most \(maxPasswordBytes) bytes in UTF-8 (72 ASCII characters; an accented letter takes 2 bytes, an emoji 4)")
        }
        guard !password.utf8.contains(0) else {
            throw APIError(.badRequest, "invalid_password", "password must not contain the NUL character (U+0000)")
        }
        // Each refusal names the rule it broke (one fixed text listed rules a refused password met).
        func weak(_ rule: String) -> APIError { APIError(.badRequest, "weak_password", "passwords need \(rule)") }
        guard password.count >= 12 else { throw weak("at least 12 characters") }
        let letters = password.contains { $0.isLetter }
        let others = password.contains { !$0.isLetter }
        guard letters, others else { throw weak("letters and also digits or symbols") }
        guard Set(password).count >= 5 else { throw weak("at least 5 different characters") }
        if let local = email?.split(separator: "@").first, local.count >= 4, password.lowercased().contains(local.lowercased()) {
            throw weak("not to contain the e-mail's name")
        }
        for common in ["password", "contraseña", "123456", "qwerty", "liora"] where password.lowercased().contains(common) {
            throw weak("not to contain a common word or run such as \"\(common)\"")
        }
    }

    // MARK: Login

    /// How many password checks every login makes: one per account with the e-mail (an e-mail
    /// may have an account in several tenants), padded with a dummy hash, so the time taken says
    /// nothing about how many accounts the address has. An address with accounts in more tenants
    /// than this signs in naming its tenant.
    static let passwordChecksPerLogin = 3

    /// Logs in with an e-mail and password. An e-mail is unique within a tenant only: when the
    /// password opens accounts in several tenants, the request must name one (`tenantID`), else
    /// 409 `tenant_required` (told only to whoever knows the password).
    ///
    /// `deviceToken` is the one an earlier login to this e-mail returned: a client sending a valid
    /// one is not held by the limit on failures from all addresses, on any instance (the token is
    /// signed, nothing about it is stored). One that is malformed, expired, signed under another
    /// JWT secret or for another e-mail is ignored.
    package func login(email: String, password: String, tenantID: UUID? = nil, address: String?,
                       deviceToken: String? = nil) async throws -> IssuedTokens {
        let now = clock.now
        let account = email.trimmingCharacters(in: .whitespaces).lowercased()
        let device = deviceToken.flatMap { verifyDeviceToken($0, account: account, now: now) }
        if let wait = limiter.refusal(account: account, address: address, device: device, now: now) {
            throw APIError.tooManyRequests("too_many_attempts", "too many login attempts; try again later", retryAfter: wait)
        }
        let records = Array(try await store.loginLookup(email: account)
            .filter { ($0.tenantID == tenantID || tenantID == nil) && $0.passwordHash != nil && $0.active }
            .prefix(Self.passwordChecksPerLogin))
        // Always the same number of bcrypt checks, at once, so a missing account takes as long as
        // a wrong password, and one account as long as three. A password bcrypt would not read
        // whole (past 72 bytes, or with a NUL) is checked all the same, and opens nothing: its
        // first 72 bytes must not open an account on their own.
        let dummy = dummyHash
        let readable = Self.bcryptReadsAll(password)
        let opened = await withTaskGroup(of: LoginRecord?.self) { group in
            for i in 0..<Self.passwordChecksPerLogin {
                let record = i < records.count ? records[i] : nil
                group.addTask {
                    await offCooperativePool { Bcrypt.verify(password, hash: record?.passwordHash ?? dummy) && readable ? record : nil }
                }
            }
            var opened: [LoginRecord] = []
            for await r in group { if let r { opened.append(r) } }
            return opened.sorted { $0.subjectID.uuidString < $1.subjectID.uuidString }
        }
        // A platform admin who shares the address and password with a tenant account signs in as
        // the admin unless the request names the tenant.
        guard let record = opened.first(where: { $0.role == .platformAdmin }) ?? opened.first else {
            throw APIError(.unauthorized, "invalid_credentials", "e-mail or password is wrong")  // counted by `refusal`
        }
        limiter.succeeded(account: account, address: address, device: device, allowedAt: now)
        guard opened.count == 1 || record.role == .platformAdmin else {
            let ids = opened.compactMap { $0.tenantID?.uuidString.lowercased() }.sorted().joined(separator: ", ")
            throw APIError(.conflict, "tenant_required", "this e-mail and password sign in to several tenants; send cliente_id, one of: \(ids)")
        }
        if let tenantID = record.tenantID {
            try await store.withTenant(tenantID) { try await $0.recordLogin(userID: record.subjectID, now: now) }
        }
        // Failures are not forgiven by a success: the address may sign in to several tenants, and
        // one account's success must not reset the count of guesses at another's password.
        var tokens = try await issue(subjectID: record.subjectID, tenantID: record.tenantID, role: record.role, family: UUID(), now: now)
        tokens.deviceToken = issueDeviceToken(account: account, now: now)
        return tokens
    }

    // MARK: Device tokens

    /// The key device tokens are signed with, derived from the JWT secret (every instance agrees;
    /// a new secret ends every device token, which only brings the account-wide limit back).
    private var deviceKey: SymmetricKey {
        SymmetricKey(data: SHA256.hash(data: Array("liora-device-token\n\(secret.value)".utf8)))
    }

    /// The signed part of a device token: the e-mail it was issued for, its nonce and issue time.
    private static func deviceMessage(account: String, nonce: some Collection<UInt8>, issuedAt: some Collection<UInt8>) -> [UInt8] {
        Array("liora-device-v1\n\(account)\n".utf8) + Array(nonce) + Array(issuedAt)
    }

    /// A device token for `account` (a lowercased e-mail): `ldt_` and base64url of a random
    /// 16-byte nonce, the issue time (8 bytes, seconds, big-endian) and an HMAC-SHA256 of both with
    /// the e-mail. Holding one proves a password of that e-mail was given from this device.
    func issueDeviceToken(account: String, now: Date) -> String {
        let nonce = Self.randomBytes(16)
        let issuedAt = withUnsafeBytes(of: Int64(now.timeIntervalSince1970.rounded(.down)).bigEndian, Array.init)
        let mac = HMAC<SHA256>.authenticationCode(for: Self.deviceMessage(account: account, nonce: nonce, issuedAt: issuedAt), using: deviceKey)
        return "ldt_" + (Data(nonce + issuedAt) + Data(mac)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The nonce (hex) of a valid device token for `account`, or nil: malformed, signed for
    /// another e-mail or with another secret (compared in constant time), issued in the future or
    /// more than `deviceTokenLifetime` ago.
    func verifyDeviceToken(_ token: String, account: String, now: Date) -> String? {
        guard token.hasPrefix("ldt_"), token.utf8.count <= 100, let raw = Self.base64URL(String(token.dropFirst(4))), raw.count == 56 else { return nil }
        let bytes = [UInt8](raw)
        let nonce = bytes[0..<16], issuedAt = bytes[16..<24], mac = bytes[24..<56]
        guard HMAC<SHA256>.isValidAuthenticationCode(Array(mac), authenticating: Self.deviceMessage(account: account, nonce: nonce, issuedAt: issuedAt),
                                                     using: deviceKey) else { return nil }
        let seconds = issuedAt.reduce(Int64(0)) { $0 << 8 | Int64($1) }
        let issued = Date(timeIntervalSince1970: TimeInterval(seconds))
        guard issued <= now.addingTimeInterval(60), now.timeIntervalSince(issued) <= options.deviceTokenLifetime else { return nil }
        return nonce.map { String(format: "%02x", $0) }.joined()
    }

    private func issue(subjectID: UUID, tenantID: UUID?, role: Role, family: UUID, now: Date) async throws -> IssuedTokens {
        // NumericDate (RFC 7519 §2) in whole seconds, as everything else here; tokens issued with
        // fractions before are still read (a JSON number either way).
        let issuedAt = Self.wholeSeconds(now)
        let claims = AccessClaims(
            usuario_id: subjectID.uuidString.lowercased(), cliente_id: tenantID?.uuidString.lowercased(), rol: role.rawValue,
            iss: IssuerClaim(value: options.issuer), aud: AudienceClaim(value: [options.audience]),
            exp: ExpirationClaim(value: issuedAt.addingTimeInterval(options.accessTokenLifetime.rounded(.down))),
            iat: IssuedAtClaim(value: issuedAt), jti: IDClaim(value: UUID().uuidString.lowercased()))
        let access = try await keyCollection().sign(claims, kid: JWKIdentifier(string: kid))
        let refresh = "lrt_" + Data(Self.randomBytes(32)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
        guard try await store.addRefreshToken(RefreshTokenRecord(
            id: UUID.timeOrdered(at: now), tokenHash: Self.hash(refresh), subjectID: subjectID, tenantID: tenantID, role: role,
            familyID: family, expiresAt: now.addingTimeInterval(options.refreshTokenLifetime), createdAt: now)) else {
            // The session was logged out (a spent refresh token came back) while this one was issued.
            throw APIError(.unauthorized, "invalid_refresh_token", "the refresh token is not valid; log in again")
        }
        return IssuedTokens(accessToken: access, refreshToken: refresh, expiresIn: Int(options.accessTokenLifetime))
    }

    /// `date` rounded down to a whole second.
    static func wholeSeconds(_ date: Date) -> Date { Date(timeIntervalSince1970: date.timeIntervalSince1970.rounded(.down)) }

    /// SHA-256 hex of a token: how refresh and invitation tokens are stored.
    static func hash(_ token: String) -> String { SHA256.hex(Array(token.utf8)) }

    /// `count` bytes from the system's cryptographically secure generator.
    static func randomBytes(_ count: Int) -> [UInt8] {
        var rng = SystemRandomNumberGenerator()
        return (0..<count).map { _ in UInt8.random(in: 0...255, using: &rng) }
    }

    // MARK: Refresh and logout

    /// A refresh token spent this recently may come back from the same client without logging
    /// the session out (it is still refused).
    static let concurrentRefreshGrace: TimeInterval = 10

    package func refresh(_ token: String) async throws -> IssuedTokens {
        let now = clock.now
        let invalid = APIError(.unauthorized, "invalid_refresh_token", "the refresh token is not valid; log in again")
        guard token.hasPrefix("lrt_"), token.utf8.count < 100, let record = try await store.refreshToken(hash: Self.hash(token)) else { throw invalid }
        guard record.revokedAt == nil, record.expiresAt > now else { throw invalid }
        guard try await store.useRefreshToken(id: record.id, now: now) else {
            // Spent within the last seconds: two refreshes at once from one client (two tabs, a
            // retried request whose answer was lost). Refused, without logging the session out.
            if let again = try await store.refreshToken(hash: Self.hash(token)), again.revokedAt == nil,
               let used = again.usedAt, now.timeIntervalSince(used) < Self.concurrentRefreshGrace {
                throw invalid
            }
            // A spent token came back later: someone has a copy. Log the whole session out.
            try await store.revokeRefreshFamily(record.familyID, now: now)
            throw invalid
        }
        // The role may have changed since login: read it again.
        var role = Role.platformAdmin
        if let tenantID = record.tenantID {
            guard let user = try await store.withTenant(tenantID, { try await $0.adminUser(id: record.subjectID) }),
                  user.status == .active else { throw invalid }
            role = user.role
        } else {
            guard try await store.platformAdminExists(id: record.subjectID) else { throw invalid }
        }
        return try await issue(subjectID: record.subjectID, tenantID: record.tenantID, role: role, family: record.familyID, now: now)
    }

    package func logout(_ token: String) async throws {
        guard let record = try await store.refreshToken(hash: Self.hash(token)) else { return }
        try await store.revokeRefreshFamily(record.familyID, now: clock.now)
    }

    // MARK: Verification

    /// The token of an `Authorization: Bearer <token>` header (the scheme's name in any case,
    /// RFC 9110 §11.1), or nil for another scheme.
    package static func bearerToken(_ authorization: String?) -> String? {
        guard let authorization, authorization.utf8.count > 7,
              authorization.prefix(7).lowercased() == "bearer " else { return nil }
        return String(authorization.dropFirst(7)).trimmingCharacters(in: .whitespaces)
    }

    /// The caller of a request with `Authorization: Bearer <access token>`; 401 otherwise.
    package func principal(authorization: String?) async throws -> Principal {
        let unauthorized = APIError(.unauthorized, "unauthorized", "a valid access token is required (Authorization: Bearer …)")
        guard let token = Self.bearerToken(authorization) else { throw unauthorized }
        // Pin the algorithm and key id before any verification.
        guard let headerPart = token.split(separator: ".").first, let headerData = Self.base64URL(String(headerPart)),
              let header = try? JSONSerialization.jsonObject(with: headerData) as? [String: Any],
              header["alg"] as? String == "HS256", header["kid"] as? String == kid else { throw unauthorized }
        guard let claims = try? await keyCollection().verify(token, as: AccessClaims.self) else { throw unauthorized }
        let now = clock.now
        guard claims.iss.value == options.issuer, claims.aud.value.contains(options.audience),
              claims.exp.value > now, claims.iat.value <= now.addingTimeInterval(60),
              let subject = UUID(uuidString: claims.usuario_id), let role = Role(rawValue: claims.rol) else { throw unauthorized }
        let tenant = claims.cliente_id.flatMap(UUID.init(uuidString:))
        guard (role == .platformAdmin) == (tenant == nil) else { throw unauthorized }
        // A deactivated account loses access at once, not when its token expires; invited again
        // and back (its `createdAt` is then the renewal's), its tokens from before stay dead.
        if let tenant {
            guard let user = try await store.withTenant(tenant, { try await $0.adminUser(id: subject) }), user.status == .active,
                  claims.iat.value >= Self.wholeSeconds(user.createdAt) else {
                throw unauthorized
            }
            return Principal(subjectID: subject, tenantID: tenant, role: user.role)
        }
        guard try await store.platformAdminExists(id: subject) else { throw unauthorized }
        return Principal(subjectID: subject, tenantID: nil, role: .platformAdmin)
    }

    /// A tag binding `text` to this deployment (HMAC-SHA256 under a key derived from the JWT
    /// secret, so every instance agrees): 32 hex digits.
    package func tag(_ text: String) -> String {
        let key = SymmetricKey(data: SHA256.hash(data: Array("liora-logs-cursor\n\(secret.value)".utf8)))
        return HMAC<SHA256>.authenticationCode(for: Array(text.utf8), using: key).prefix(16).map { String(format: "%02x", $0) }.joined()
    }

    static func base64URL(_ s: String) -> Data? {
        var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b.count % 4 != 0 { b += "=" }
        return Data(base64Encoded: b)
    }
}

/// Login attempts in a sliding window: failures per account and client address (the limit a
/// guesser meets), failures per account from everywhere (a larger limit, for guessing spread over
/// many addresses, which a client with a valid device token, or an address that signed in to the
/// account before on this instance, is exempt from), and failed attempts per client address (on
/// any account; an attempt counts from its start and a success takes it back). In
/// memory, per instance: with N instances behind a balancer an attacker gets at most N times the
/// budget, which is still bounded; the device token is what keeps the owner in across instances
/// and restarts. Before, failures were
/// counted per account only, so five wrong passwords from anywhere locked the owner out, and one
/// address could keep several accounts locked for good.
final class LoginRateLimiter: Sendable {
    private struct State {
        var failures: [String: [Date]] = [:]
        var pairFailures: [String: [Date]] = [:]
        var attempts: [String: [Date]] = [:]
        /// Failures sent with each device token (by nonce): a stolen one stops exempting.
        var deviceFailures: [String: [Date]] = [:]
        /// Failures sent with any device token, per account: device tokens are minted by every
        /// login to the e-mail, and an invitation does not prove the address (a tenant admin can
        /// make an account with someone else's e-mail), so together they exempt at most
        /// `maxFailuresPerAccountEverywhere` more failures per window, not 5 per token.
        var deviceAccountFailures: [String: [Date]] = [:]
        /// Addresses that signed in to each account (at most 16 per account).
        var trusted: [String: Set<String>] = [:]
    }
    private let state = NIOLockedValueBox(State())
    private let options: AdminAuthOptions

    init(options: AdminAuthOptions) { self.options = options }

    private static func pair(_ account: String, _ address: String?) -> String { account + "\u{0}" + (address ?? "") }

    /// nil when an attempt may go ahead; else the seconds until every limit that holds it has let
    /// go, when the same attempt can (for `Retry-After`; a refused attempt is not counted). An
    /// allowed attempt counts as a failure from the start (`succeeded` takes it back), so guesses
    /// sent in parallel — from many addresses — are all counted before any of them is checked.
    ///
    /// `device` is the nonce of a valid device token for the account (`AdminAuth.verifyDeviceToken`).
    func refusal(account: String, address: String?, device: String? = nil, now: Date) -> TimeInterval? {
        state.withLockedValue { s in
            let since = now.addingTimeInterval(-options.rateWindow)
            let pair = Self.pair(account, address)
            s.failures[account] = s.failures[account]?.filter { $0 > since }
            s.pairFailures[pair] = s.pairFailures[pair]?.filter { $0 > since }
            // When a full window lets go: once enough of its oldest entries have aged out.
            func freed(_ entries: [Date]?, limit: Int) -> TimeInterval? {
                guard let entries, entries.count >= limit else { return nil }
                return entries.sorted()[entries.count - limit].addingTimeInterval(options.rateWindow).timeIntervalSince(now)
            }
            var waits: [TimeInterval] = []
            if let wait = freed(s.pairFailures[pair], limit: options.maxFailuresPerAccount) { waits.append(wait) }
            if let device {
                s.deviceFailures[device] = s.deviceFailures[device]?.filter { $0 > since }
                s.deviceAccountFailures[account] = s.deviceAccountFailures[account]?.filter { $0 > since }
            }
            let knownDevice = device.map {
                (s.deviceFailures[$0]?.count ?? 0) < options.maxFailuresPerAccount
                    && (s.deviceAccountFailures[account]?.count ?? 0) < options.maxFailuresPerAccountEverywhere
            } ?? false
            let knownAddress = address.map { s.trusted[account]?.contains($0) == true } ?? false
            if !knownAddress, !knownDevice, let wait = freed(s.failures[account], limit: options.maxFailuresPerAccountEverywhere) {
                waits.append(wait)
            }
            if let address {
                s.attempts[address] = s.attempts[address]?.filter { $0 > since }
                if let wait = freed(s.attempts[address], limit: options.maxAttemptsPerAddress) { waits.append(wait) }
            }
            if let wait = waits.max() { return wait }
            if let address { s.attempts[address, default: []].append(now) }
            s.failures[account, default: []].append(now)
            s.pairFailures[pair, default: []].append(now)
            if let device {
                s.deviceFailures[device, default: []].append(now)
                s.deviceAccountFailures[account, default: []].append(now)
            }
            // Bounded memory.
            if s.deviceFailures.count > 100_000 { s.deviceFailures.removeAll() }
            if s.deviceAccountFailures.count > 100_000 { s.deviceAccountFailures.removeAll() }
            if s.attempts.count > 100_000 { s.attempts.removeAll() }
            if s.failures.count > 100_000 { s.failures.removeAll() }
            if s.pairFailures.count > 100_000 { s.pairFailures.removeAll() }
            return nil
        }
    }

    /// The attempt allowed at `now` opened an account: it is not a failure, and `address` is
    /// known to the account from now on.
    func succeeded(account: String, address: String?, device: String? = nil, allowedAt now: Date) {
        state.withLockedValue { s in
            if let i = s.failures[account]?.lastIndex(of: now) { s.failures[account]?.remove(at: i) }
            let pair = Self.pair(account, address)
            if let i = s.pairFailures[pair]?.lastIndex(of: now) { s.pairFailures[pair]?.remove(at: i) }
            if let device, let i = s.deviceFailures[device]?.lastIndex(of: now) { s.deviceFailures[device]?.remove(at: i) }
            if device != nil, let i = s.deviceAccountFailures[account]?.lastIndex(of: now) { s.deviceAccountFailures[account]?.remove(at: i) }
            if let address {
                // The per-address limit is on failed attempts: 30 sign-ins from one office (or one
                // proxy) in 15 minutes must not lock everyone there out.
                if let i = s.attempts[address]?.lastIndex(of: now) { s.attempts[address]?.remove(at: i) }
                if s.trusted.count > 100_000 { s.trusted.removeAll() }
                if (s.trusted[account]?.count ?? 0) < 16 { s.trusted[account, default: []].insert(address) }
            }
        }
    }
}
