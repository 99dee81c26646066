import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOConcurrencyHelpers
import NIOCore
import Testing

let jwtSecret = "test-jwt-secret-0123456789abcdefghijklmnop"

/// An admin API client over a test harness.
struct AdminClient {
    let h: Harness

    func call(_ method: HTTPRequest.Method, _ path: String, token: String? = nil, json: [String: Any]? = nil,
              headers extra: [String: String] = [:]) async throws -> TestResponse {
        var headers: HTTPFields = [.contentType: "application/json"]
        if let token { headers[.authorization] = "Bearer \(token)" }
        for (k, v) in extra { headers[HTTPField.Name(k)!] = v }
        let body = try json.map { try JSONSerialization.data(withJSONObject: $0) } ?? Data()
        return try await h.client.execute(uri: path, method: method, headers: headers, body: ByteBuffer(bytes: body))
    }

    static func object(_ r: TestResponse) -> [String: Any] {
        (try? JSONSerialization.jsonObject(with: Data(r.text.utf8))) as? [String: Any] ?? [:]
    }

    /// Creates a platform admin directly and logs in; returns the access token.
    func platformAdmin(email: String = "ops@liora.test", password: String = "Platform-admin-2026!") async throws -> String {
        try await h.store.createPlatformAdmin(id: UUID(), email: email, name: "Ops", passwordHash: Bcrypt4.hash(password), now: t0)
        return try await login(email, password)
    }

    func login(_ email: String, _ password: String) async throws -> String {
        let r = try await call(.post, "/auth/login", json: ["email": email, "password": password])
        #expect(r.status == .ok, "\(r.text)")
        return Self.object(r)["access_token"] as? String ?? ""
    }

    /// A tenant created by the platform admin: its id and its catalog signing secret.
    func createTenant(_ admin: String, slug: String, plan: String = "starter") async throws -> (id: String, secret: String) {
        let created = try await call(.post, "/clientes", token: admin, json: ["slug": slug, "name": "Shop \(slug)", "plan": plan])
        #expect(created.status == .created, "\(created.text)")
        let body = Self.object(created)
        return (body["id"] as? String ?? "", body["catalog_signing_secret"] as? String ?? "")
    }

    /// A tenant created by the platform admin, with an owner who accepted the invitation.
    func tenant(_ admin: String, slug: String, plan: String = "starter", owner: String) async throws -> (id: String, owner: String) {
        let id = try await createTenant(admin, slug: slug, plan: plan).id
        let token = try await invite(admin, tenant: id, email: owner, role: "owner")
        #expect(try await call(.post, "/auth/accept-invite", json: ["invitation_token": token, "password": "Colibri-Azul-2026!"]).status == .ok)
        return (id, try await login(owner, "Colibri-Azul-2026!"))
    }

    func invite(_ token: String, tenant: String, email: String, role: String) async throws -> String {
        let r = try await call(.post, "/clientes/\(tenant)/usuarios", token: token, json: ["email": email, "name": "User", "role": role])
        #expect(r.status == .created, "\(r.text)")
        return Self.object(r)["invitation_token"] as? String ?? ""
    }
}

/// bcrypt at the tests' cost, for accounts created directly in the store.
enum Bcrypt4 {
    static func hash(_ password: String) -> String {
        AdminAuth.hashPassword(password, cost: 4)
    }
}

@Suite("Admin API: auth")
struct AdminAuthTests {
    /// A platform admin with `email` (password "Platform-admin-2026!"), and the login service
    /// over `clock` (bcrypt cost 4, for speed).
    static func platformAdmin(_ h: Harness, email: String, name: String, clock: any LioraClock) async throws -> AdminAuth {
        try await h.store.createPlatformAdmin(id: UUID(), email: email, name: name, passwordHash: Bcrypt4.hash("Platform-admin-2026!"), now: t0)
        var options = AdminAuthOptions()
        options.bcryptCost = 4
        return AdminAuth(secret: Secret(jwtSecret), store: h.store, clock: clock, options: options)
    }

    @Test("login returns a short-lived HS256 JWT with the documented claims and a refresh token that rotates",
          arguments: TestBackend.available)
    func login(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            try await h.store.createPlatformAdmin(id: UUID(), email: "ops@liora.test", name: "Ops",
                                                  passwordHash: Bcrypt4.hash("Platform-admin-2026!"), now: t0)
            let r = try await c.call(.post, "/auth/login", json: ["email": "OPS@liora.test", "password": "Platform-admin-2026!"])
            #expect(r.status == .ok)
            let body = AdminClient.object(r)
            #expect(body["token_type"] as? String == "Bearer")
            #expect(body["expires_in"] as? Int == 900)
            let access = try #require(body["access_token"] as? String)
            let parts = access.split(separator: ".").map(String.init)
            #expect(parts.count == 3)
            let header = try JSONSerialization.jsonObject(with: AdminAuthTestsSupport.b64(parts[0])) as? [String: Any]
            #expect(header?["alg"] as? String == "HS256")
            #expect((header?["kid"] as? String)?.hasPrefix("hs256-") == true)
            let claims = try JSONSerialization.jsonObject(with: AdminAuthTestsSupport.b64(parts[1])) as? [String: Any] ?? [:]
            for key in ["usuario_id", "rol", "iss", "aud", "exp", "iat", "jti"] { #expect(claims[key] != nil, "\(key)") }
            #expect(claims["rol"] as? String == "platform_admin")
            #expect(try await c.call(.get, "/clientes", token: access).status == .ok)
            // Refresh rotates; the spent token never works again, and its reuse logs the session out.
            let refresh1 = try #require(body["refresh_token"] as? String)
            let r2 = try await c.call(.post, "/auth/refresh", json: ["refresh_token": refresh1])
            #expect(r2.status == .ok)
            let refresh2 = try #require(AdminClient.object(r2)["refresh_token"] as? String)
            // The same token again at once (two tabs refreshing, a retried request): refused, but
            // the session stays.
            #expect(try await c.call(.post, "/auth/refresh", json: ["refresh_token": refresh1]).status == .unauthorized)
            let r3 = try await c.call(.post, "/auth/refresh", json: ["refresh_token": refresh2])
            #expect(r3.status == .ok)
            let refresh3 = try #require(AdminClient.object(r3)["refresh_token"] as? String)
            // Later, a spent token means someone has a copy: the whole session is logged out.
            clock.advance(by: 11)
            #expect(try await c.call(.post, "/auth/refresh", json: ["refresh_token": refresh2]).status == .unauthorized)
            #expect(try await c.call(.post, "/auth/refresh", json: ["refresh_token": refresh3]).status == .unauthorized)
            // A token issued in a family revoked meanwhile (the reuse landed while it was being
            // issued) is not stored; a new family is.
            let family = UUID()
            func token(_ family: UUID) -> RefreshTokenRecord {
                RefreshTokenRecord(id: UUID(), tokenHash: UUID().uuidString, subjectID: UUID(), tenantID: nil, role: .platformAdmin,
                                   familyID: family, expiresAt: t0.addingTimeInterval(3600), createdAt: t0)
            }
            #expect(try await h.store.addRefreshToken(token(family)))
            try await h.store.revokeRefreshFamily(family, now: t0)
            #expect(try await h.store.addRefreshToken(token(family)) == false)
            // One that got in anyway (its INSERT raced the revocation on PostgreSQL) cannot be used.
            let raced = token(family)
            try await h.test.asOwner { c in
                try await c.query("""
                    INSERT INTO refresh_tokens (id, token_hash, subject_kind, subject_id, family_id, expires_at, created_at)
                    VALUES ($1, $2, 'platform_admin', $3, $4, $5, $6)
                    """, [.uuid(raced.id), .text(raced.tokenHash), .uuid(raced.subjectID), .uuid(family), .date(raced.expiresAt), .date(t0)])
            }
            #expect(try await h.store.useRefreshToken(id: raced.id, now: t0) == false)
            #expect(try await h.store.addRefreshToken(token(UUID())))
            // A subject's expired tokens go when it signs in again; its live ones stay.
            let subject = UUID()
            func session(expires: Date, created: Date) -> RefreshTokenRecord {
                RefreshTokenRecord(id: UUID(), tokenHash: UUID().uuidString, subjectID: subject, tenantID: nil, role: .platformAdmin,
                                   familyID: UUID(), expiresAt: expires, createdAt: created)
            }
            let expired = session(expires: t0.addingTimeInterval(-1), created: t0.addingTimeInterval(-7200))
            let live = session(expires: t0.addingTimeInterval(3600), created: t0.addingTimeInterval(-60))
            #expect(try await h.store.addRefreshToken(expired))
            #expect(try await h.store.addRefreshToken(live))
            #expect(try await h.store.refreshToken(hash: expired.tokenHash) != nil)
            #expect(try await h.store.addRefreshToken(session(expires: t0.addingTimeInterval(3600), created: t0)))
            #expect(try await h.store.refreshToken(hash: expired.tokenHash) == nil)
            #expect(try await h.store.refreshToken(hash: live.tokenHash) != nil)
            // The access token expires.
            clock.advance(by: 901)
            #expect(try await c.call(.get, "/clientes", token: access).status == .unauthorized)
        }
    }

    @Test("forged, re-signed and algorithm-swapped tokens are refused", arguments: [TestBackend.sqlite])
    func forged(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let access = try await c.platformAdmin()
            let parts = access.split(separator: ".").map(String.init)
            let none = AdminAuthTestsSupport.b64url(#"{"alg":"none","typ":"JWT"}"#) + "." + parts[1] + "."
            let tampered = parts[0] + "." + AdminAuthTestsSupport.b64url(#"{"usuario_id":"x","rol":"platform_admin"}"#) + "." + parts[2]
            let otherKey = await AdminAuthTestsSupport.tokenSigned(with: "another-secret-0123456789abcdefghijkl", h: h)
            for bad in [none, tampered, otherKey, "not-a-jwt", ""] {
                let r = try await c.call(.get, "/clientes", token: bad)
                #expect(r.status == .unauthorized, "\(bad)")
                #expect(r.errorCode == "unauthorized")
            }
            #expect(try await c.call(.get, "/clientes").status == .unauthorized)
        }
    }

    @Test("wrong passwords are refused alike for unknown accounts, and attempts are rate-limited per account",
          arguments: [TestBackend.sqlite])
    func rateLimit(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            _ = try await c.platformAdmin()
            let unknown = try await c.call(.post, "/auth/login", json: ["email": "nobody@x.test", "password": "whatever-1234"])
            #expect(unknown.status == .unauthorized)
            #expect(unknown.errorCode == "invalid_credentials")
            for _ in 0..<5 {
                let r = try await c.call(.post, "/auth/login", json: ["email": "ops@liora.test", "password": "wrong-password-1"])
                #expect(r.errorCode == "invalid_credentials")
            }
            let blocked = try await c.call(.post, "/auth/login", json: ["email": "ops@liora.test", "password": "Platform-admin-2026!"])
            #expect(blocked.status == .tooManyRequests)
            #expect(try await c.call(.post, "/auth/login", json: ["email": "x"]).status == .badRequest)

            // Guesses sent all at once (say from many addresses) are counted before any is checked:
            // five are tried, not twelve.
            let auth = try await Self.platformAdmin(h, email: "ops2@liora.test", name: "Ops 2", clock: FixedClock(now: t0))
            let codes = await withTaskGroup(of: String.self) { group in
                for n in 0..<12 {
                    group.addTask {
                        do {
                            _ = try await auth.login(email: "ops2@liora.test", password: "guess-\(n)-0000", address: nil)
                            return "ok"
                        } catch let e as APIError {
                            return e.code
                        } catch {
                            return "\(error)"
                        }
                    }
                }
                return await group.reduce(into: [String]()) { $0.append($1) }
            }
            #expect(codes.filter { $0 == "invalid_credentials" }.count == 5, "\(codes)")
            #expect(codes.filter { $0 == "too_many_attempts" }.count == 7, "\(codes)")
        }
    }

    @Test("a refused login says in Retry-After when a retry can succeed, and it then does")
    func loginRetryAfter() async throws {
        let clock = ManualClock(t0)
        try await Harness.run(.sqlite, clock: clock, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            _ = try await c.platformAdmin()
            func login(_ password: String) async throws -> TestResponse {
                try await c.call(.post, "/auth/login", json: ["email": "ops@liora.test", "password": password])
            }
            // Five wrong passwords a minute apart: the fifth at t0 + 240 s fills the window (15 minutes).
            for n in 0..<5 {
                #expect(try await login("wrong-password-\(n)").errorCode == "invalid_credentials")
                clock.advance(by: 60)
            }
            // At t0 + 300 s the first failure ages out at t0 + 900 s.
            let blocked = try await login("Platform-admin-2026!")
            #expect(blocked.status == .tooManyRequests && blocked.headers[.retryAfter] == "600", "\(blocked.headers)")
            clock.advance(by: 599)
            #expect(try await login("Platform-admin-2026!").headers[.retryAfter] == "1")
            clock.advance(by: 1)
            #expect(try await login("Platform-admin-2026!").status == .ok)
        }
    }

    @Test("with several login limits holding an attempt, Retry-After is the latest of them, never less than a second")
    func loginRetryAfterIsTheLatestLimit() async throws {
        try await Harness.run(.sqlite, jwtSecret: jwtSecret) { h in
            let clock = ManualClock(t0)
            let auth = try await Self.platformAdmin(h, email: "ops4@liora.test", name: "Ops 4", clock: clock)
            func retryAfter(_ password: String, from address: String) async -> Int? {
                do {
                    _ = try await auth.login(email: "ops4@liora.test", password: password, address: address)
                    return nil
                } catch let e as APIError { return e.retryAfter } catch { return nil }
            }
            // 15 failures at t0 from three addresses, 5 at t0 + 100 s from a fourth: the account's
            // 20 are spent until t0 + 900 s, the fourth address's 5 until t0 + 1000 s.
            for a in 1...3 { for n in 0..<5 { #expect(await retryAfter("guess-\(a)-\(n)-xxxx", from: "198.51.100.\(a)") == nil) } }
            clock.advance(by: 100)
            for n in 0..<5 { #expect(await retryAfter("guess-4-\(n)-xxxx", from: "198.51.100.4") == nil) }
            clock.advance(by: 100)
            #expect(await retryAfter("Platform-admin-2026!", from: "198.51.100.4") == 800)  // both hold it
            #expect(await retryAfter("Platform-admin-2026!", from: "198.51.100.5") == 700)  // the account's limit only
            clock.advance(by: 699.5)
            #expect(await retryAfter("Platform-admin-2026!", from: "198.51.100.5") == 1)  // half a second, rounded up
        }
    }

    @Test("wrong passwords from one address do not lock the owner out from theirs; guessing spread over many addresses does, except where they signed in before")
    func loginLockoutIsPerAddress() async throws {
        try await Harness.run(.sqlite, jwtSecret: jwtSecret) { h in
            let auth = try await Self.platformAdmin(h, email: "ops3@liora.test", name: "Ops 3", clock: FixedClock(now: t0))
            func login(_ password: String, from address: String) async -> String {
                do {
                    _ = try await auth.login(email: "ops3@liora.test", password: password, address: address)
                    return "ok"
                } catch let e as APIError { return e.code } catch { return "\(error)" }
            }
            // The owner signs in from home once.
            #expect(await login("Platform-admin-2026!", from: "192.0.2.10") == "ok")
            // Someone guesses from one address: that address is held after 5…
            for n in 0..<5 { #expect(await login("guess-\(n)-xxxx", from: "198.51.100.1") == "invalid_credentials") }
            #expect(await login("Platform-admin-2026!", from: "198.51.100.1") == "too_many_attempts")
            // …but the owner still signs in, from anywhere.
            #expect(await login("Platform-admin-2026!", from: "203.0.113.9") == "ok")
            // Guessing from 3 more addresses reaches the account's limit (20): new addresses are
            // held, the one the owner signed in from before is not.
            for a in 2...4 { for n in 0..<5 { _ = await login("guess-\(a)-\(n)-xxxx", from: "198.51.100.\(a)") } }
            #expect(await login("Platform-admin-2026!", from: "198.51.100.99") == "too_many_attempts")
            #expect(await login("Platform-admin-2026!", from: "192.0.2.10") == "ok")
        }
    }

    @Test("the per-address limit counts failures only: 35 sign-ins from one office in the window do not lock the office out; 30 failures there do")
    func addressLimitCountsFailures() async throws {
        try await Harness.run(.sqlite, jwtSecret: jwtSecret) { h in
            for n in 0..<2 {
                try await h.store.createPlatformAdmin(id: UUID(), email: "office\(n)@liora.test", name: "Office \(n)",
                                                      passwordHash: Bcrypt4.hash("Platform-admin-2026!"), now: t0)
            }
            var options = AdminAuthOptions()
            options.bcryptCost = 4
            let auth = AdminAuth(secret: Secret(jwtSecret), store: h.store, clock: FixedClock(now: t0), options: options)
            func login(_ email: String, _ password: String, from address: String) async -> String {
                do {
                    _ = try await auth.login(email: email, password: password, address: address)
                    return "ok"
                } catch let e as APIError { return e.code } catch { return "\(error)" }
            }
            for _ in 0..<35 { #expect(await login("office0@liora.test", "Platform-admin-2026!", from: "192.0.2.50") == "ok") }
            #expect(await login("office1@liora.test", "Platform-admin-2026!", from: "192.0.2.50") == "ok")
            // Failures on many e-mails from one address still meet the limit.
            for n in 0..<30 { #expect(await login("nobody\(n)@liora.test", "guess-\(n)-xxxx", from: "198.51.100.70") == "invalid_credentials") }
            #expect(await login("office1@liora.test", "Platform-admin-2026!", from: "198.51.100.70") == "too_many_attempts")
        }
    }

    @Test("a device token from an earlier login keeps the owner in from a new address while guessing holds the account, on any instance; a forged, foreign, expired or much-failed one does not")
    func deviceTokenExemptsFromAccountWideLimit() async throws {
        try await Harness.run(.sqlite, jwtSecret: jwtSecret) { h in
            try await h.store.createPlatformAdmin(id: UUID(), email: "ops5@liora.test", name: "Ops 5",
                                                  passwordHash: Bcrypt4.hash("Platform-admin-2026!"), now: t0)
            try await h.store.createPlatformAdmin(id: UUID(), email: "other5@liora.test", name: "Other 5",
                                                  passwordHash: Bcrypt4.hash("Platform-other-2026!"), now: t0)
            var options = AdminAuthOptions()
            options.bcryptCost = 4
            let clock = ManualClock(t0)
            let first = AdminAuth(secret: Secret(jwtSecret), store: h.store, clock: clock, options: options)
            func login(_ auth: AdminAuth, _ password: String, from address: String, device: String? = nil,
                       email: String = "ops5@liora.test") async -> (code: String, device: String?) {
                do {
                    let t = try await auth.login(email: email, password: password, address: address, deviceToken: device)
                    return ("ok", t.deviceToken)
                } catch let e as APIError { return (e.code, nil) } catch { return ("\(error)", nil) }
            }
            // The owner signs in from home on one instance and keeps the device token.
            let home = await login(first, "Platform-admin-2026!", from: "192.0.2.10")
            let device = try #require(home.device)
            #expect(device.hasPrefix("ldt_"))
            let foreign = try #require(await login(first, "Platform-other-2026!", from: "192.0.2.11", email: "other5@liora.test").device)
            // Another instance (or this one after a restart): nothing in memory, same secret.
            let second = AdminAuth(secret: Secret(jwtSecret), store: h.store, clock: clock, options: options)
            for a in 1...4 { for n in 0..<5 { _ = await login(second, "guess-\(a)-\(n)-xxxx", from: "198.51.100.\(a)") } }
            // The account-wide limit holds a new address, and the address the owner used on the
            // first instance (this one never saw it)…
            #expect(await login(second, "Platform-admin-2026!", from: "203.0.113.7").code == "too_many_attempts")
            #expect(await login(second, "Platform-admin-2026!", from: "192.0.2.10").code == "too_many_attempts")
            // …but not the owner's device, from a new address; the login gives a fresh token.
            let travelling = await login(second, "Platform-admin-2026!", from: "203.0.113.8", device: device)
            #expect(travelling.code == "ok")
            #expect(travelling.device != nil && travelling.device != device)
            // A token altered by one character, one issued for another e-mail, one signed with
            // another JWT secret: ignored, the limit holds.
            var altered = Array(device)
            altered[10] = altered[10] == "A" ? "B" : "A"
            #expect(await login(second, "Platform-admin-2026!", from: "203.0.113.9", device: String(altered)).code == "too_many_attempts")
            #expect(await login(second, "Platform-admin-2026!", from: "203.0.113.10", device: foreign).code == "too_many_attempts")
            let elsewhere = AdminAuth(secret: Secret(jwtSecret + "-other"), store: h.store, clock: clock, options: options)
            let otherSecret = try #require(await login(elsewhere, "Platform-admin-2026!", from: "192.0.2.12").device)
            #expect(await login(second, "Platform-admin-2026!", from: "203.0.113.11", device: otherSecret).code == "too_many_attempts")
            #expect(await login(second, "Platform-admin-2026!", from: "203.0.113.12", device: "ldt_garbage").code == "too_many_attempts")
            // A stolen token is worth 5 guesses in the window (from any addresses), then nothing.
            for n in 0..<5 {
                #expect(await login(second, "thief-\(n)-xxxx", from: "198.18.0.\(n)", device: device).code == "invalid_credentials")
            }
            #expect(await login(second, "Platform-admin-2026!", from: "198.18.0.9", device: device).code == "too_many_attempts")
            // Many tokens (every login mints one, and an invited account can carry anyone's e-mail)
            // exempt at most 20 failures per window together, not 5 each.
            var minted: [String] = []
            for n in 0..<5 { minted.append(try #require(await login(second, "Platform-admin-2026!", from: "203.0.113.\(40 + n)", device: travelling.device).device)) }
            var exempted = 0
            for (t, token) in minted.enumerated() {
                for n in 0..<5 where await login(second, "burst-\(t)-\(n)-xxxx", from: "198.19.\(t).\(n)", device: token).code == "invalid_credentials" {
                    exempted += 1
                }
            }
            #expect(exempted == 15)  // 5 were spent above with the stolen token
            clock.advance(by: options.rateWindow + 1)
            // The fresh token still works; after its lifetime no token does.
            #expect(await login(second, "Platform-admin-2026!", from: "203.0.113.13", device: travelling.device).code == "ok")
            clock.advance(by: options.deviceTokenLifetime + 1)
            for a in 1...4 { for n in 0..<5 { _ = await login(second, "later-\(a)-\(n)-xxxx", from: "198.51.100.\(a)") } }
            #expect(await login(second, "Platform-admin-2026!", from: "203.0.113.14", device: travelling.device).code == "too_many_attempts")
        }
    }

    @Test("login over HTTP returns a device token, accepts it back, and ignores a malformed one", arguments: [TestBackend.sqlite])
    func deviceTokenOverHTTP(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            try await h.store.createPlatformAdmin(id: UUID(), email: "ops6@liora.test", name: "Ops 6",
                                                  passwordHash: Bcrypt4.hash("Platform-admin-2026!"), now: t0)
            let r = try await c.call(.post, "/auth/login", json: ["email": "ops6@liora.test", "password": "Platform-admin-2026!"])
            #expect(r.status == .ok)
            let device = try #require(AdminClient.object(r)["device_token"] as? String)
            #expect(device.hasPrefix("ldt_"))
            for token in [device, "ldt_not-a-token", ""] {
                let again = try await c.call(.post, "/auth/login", json: ["email": "ops6@liora.test", "password": "Platform-admin-2026!",
                                                                         "device_token": token])
                #expect(again.status == .ok, "\(token)")
            }
            // A refresh issues no device token.
            let refresh = try #require(AdminClient.object(r)["refresh_token"] as? String)
            let refreshed = try await c.call(.post, "/auth/refresh", json: ["refresh_token": refresh])
            #expect(refreshed.status == .ok)
            #expect(AdminClient.object(refreshed)["device_token"] == nil)
        }
    }

    @Test("behind a trusted proxy, login attempts are counted per client named in X-Forwarded-For; from anyone else the header is ignored",
          arguments: [TestBackend.sqlite])
    func rateLimitBehindProxy(backend: TestBackend) async throws {
        for trusted in [true, false] {
            try await Harness.run(backend, jwtSecret: jwtSecret, trustedProxies: trusted ? TrustedProxies(parsing: "127.0.0.1, ::1")! : .none) { h in
                let c = AdminClient(h: h)
                // The client's own claim first, then what the proxy appended.
                let attempt = { (client: String) async throws -> HTTPResponse.Status in
                    try await c.call(.post, "/auth/login", json: ["email": "nobody-\(UUID())@x.test", "password": "whatever-1234"],
                                     headers: ["X-Forwarded-For": "10.9.9.9, \(client)"]).status
                }
                for _ in 0..<30 {
                    let status = try await attempt("203.0.113.7")
                    #expect(status == .unauthorized)
                }
                let blocked = try await attempt("203.0.113.7")
                #expect(blocked == .tooManyRequests)
                // Another client behind the same proxy has its own budget, but only when the proxy is trusted.
                let other = try await attempt("198.51.100.4")
                #expect(other == (trusted ? .unauthorized : .tooManyRequests))
            }
        }
    }

    @Test("a lost catalog secret: the owner (or a platform admin) rotates it with an access token; an admin may not; the old one stops at once",
          arguments: TestBackend.available)
    func secretRotatedByOwner(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let platform = try await c.platformAdmin()
            let (tenant, original) = try await c.createTenant(platform, slug: "perdido")
            let tenantID = try #require(UUID(uuidString: tenant))
            #expect(try await CatalogAPITests.send(h, .get, "/snapshots", tenant: tenantID, secret: original).status == .ok)

            let ownerInvite = try await c.invite(platform, tenant: tenant, email: "duena@perdido.test", role: "owner")
            let adminInvite = try await c.invite(platform, tenant: tenant, email: "admin@perdido.test", role: "admin")
            for token in [ownerInvite, adminInvite] {
                #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": token, "password": "Colibri-Azul-2026!"]).status == .ok)
            }
            let owner = try await c.login("duena@perdido.test", "Colibri-Azul-2026!")
            let admin = try await c.login("admin@perdido.test", "Colibri-Azul-2026!")
            let path = "/clientes/\(tenant)/catalog/secret/rotate"

            let refused = try await c.call(.post, path, token: admin, json: ["overlap_seconds": 0])
            #expect(refused.status == .forbidden)
            #expect(try await c.call(.post, path, json: ["overlap_seconds": 0]).status == .unauthorized)  // neither token nor signature

            // No body: with a token the old secret stops at once (it may be in the wrong hands).
            let rotated = try await c.call(.post, path, token: owner)
            #expect(rotated.status == .created, "\(rotated.text)")
            let fresh = try #require(AdminClient.object(rotated)["secret"] as? String)
            #expect(fresh.hasPrefix("whsec_") && fresh != original)
            #expect(try await CatalogAPITests.send(h, .get, "/snapshots", tenant: tenantID, secret: original).status == .unauthorized)
            #expect(try await CatalogAPITests.send(h, .get, "/snapshots", tenant: tenantID, secret: fresh).status == .ok)
            // A platform admin may too.
            #expect(try await c.call(.post, path, token: platform, json: ["overlap_seconds": 0]).status == .created)
            let events = try await h.store.withTenant(tenantID) { try await $0.tenantEvents(limit: 50) }
            let rotations = events.filter { $0.action == "catalog.secret_rotated" }
            #expect(rotations.count == 2)
            #expect(rotations.allSatisfy { $0.actor.hasPrefix("usuario:") || $0.actor.hasPrefix("platform_admin:") })
            #expect(!events.contains { $0.payloadJSON.contains("whsec") })
        }
    }

    @Test("without LIORA_MASTER_KEY, rotating a catalog secret with an access token is 503 encryption_not_configured, not a 500",
          arguments: [TestBackend.sqlite])
    func rotationWithoutMasterKey(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret, configure: { $0.masterKey = nil }) { h in
            let c = AdminClient(h: h)
            let platform = try await c.platformAdmin()
            let (tenant, _, _) = try await h.tenant()
            let r = try await c.call(.post, "/clientes/\(tenant.id.uuidString.lowercased())/catalog/secret/rotate", token: platform)
            #expect(r.status == .serviceUnavailable, "\(r.text)")
            #expect(r.errorCode == "encryption_not_configured")
        }
    }

    @Test("without LIORA_JWT_SECRET the admin API answers 503", arguments: [TestBackend.sqlite])
    func notConfigured(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            let r = try await AdminClient(h: h).call(.post, "/auth/login", json: ["email": "a@b.c", "password": "x"])
            #expect(r.status == .serviceUnavailable)
            #expect(r.errorCode == "admin_api_not_configured")
        }
    }
}

enum AdminAuthTestsSupport {
    static func b64(_ s: String) -> Data {
        var b = s.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
        while b.count % 4 != 0 { b += "=" }
        return Data(base64Encoded: b) ?? Data()
    }

    static func b64url(_ s: String) -> String {
        Data(s.utf8).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
    }

    /// A well-formed token for an existing admin, signed with another secret.
    static func tokenSigned(with secret: String, h: Harness) async -> String {
        let other = AdminAuth(secret: Secret(secret), store: h.store, clock: FixedClock(now: t0))
        return (try? await other.login(email: "ops@liora.test", password: "Platform-admin-2026!", address: nil).accessToken) ?? "x.y.z"
    }
}

@Suite("Admin API: tenants, users, roles")
struct AdminTenantTests {
    @Test("a platform admin creates, lists, suspends, resumes and deletes tenants; the new tenant's signing secret works",
          arguments: TestBackend.available)
    func lifecycle(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let created = try await c.call(.post, "/clientes", token: admin, json: ["slug": "tienda-uno", "name": "Tienda Uno", "plan": "starter"])
            #expect(created.status == .created)
            let body = AdminClient.object(created)
            let id = try #require(body["id"] as? String)
            let secret = try #require(body["catalog_signing_secret"] as? String)
            #expect(secret.hasPrefix("whsec_"))
            let published = try await CatalogAPITests.send(h, .post, "/publish", tenant: UUID(uuidString: id)!, body: CatalogAPITests.small, secret: secret)
            #expect(published.status == .created)
            // With the admin API, the catalog reads also take an access token (platform admin, owner, admin).
            let snapshots = try await c.call(.get, "/clientes/\(id)/catalog/snapshots", token: admin)
            #expect(snapshots.status == .ok)
            #expect((AdminClient.object(snapshots)["snapshots"] as? [Any])?.count == 1)
            // A page cursor that is not a version number is refused, not read as the first page;
            // a lowercase "bearer" scheme is a bearer token all the same.
            let badCursor = try await c.call(.get, "/clientes/\(id)/catalog/snapshots?before=abc", token: admin)
            #expect(badCursor.status == .badRequest && badCursor.errorCode == "invalid_cursor", "\(badCursor.text)")
            let lower = try await h.client.execute(uri: "/clientes/\(id)/catalog/snapshots", method: .get,
                                                   headers: [.authorization: "bearer \(admin)"])
            #expect(lower.status == .ok)
            #expect(try await c.call(.get, "/clientes/\(id)/catalog/active", token: "forged").status == .unauthorized)
            // Slugs are unique case-insensitively among live tenants.
            #expect(try await c.call(.post, "/clientes", token: admin, json: ["slug": "tienda-uno", "name": "X"]).status == .conflict)
            #expect(try await c.call(.post, "/clientes", token: admin, json: ["slug": "Bad Slug!", "name": "X"]).status == .badRequest)
            #expect(try await c.call(.post, "/clientes", token: admin, json: ["slug": "otra", "name": "X", "plan": "gold"]).status == .badRequest)
            // 150 flags are 150 characters on screen and 300 code points in the database's CHECK: 400, not a 500.
            let flags = String(repeating: "🇲🇽", count: 150)
            #expect(try await c.call(.post, "/clientes", token: admin, json: ["slug": "banderas", "name": flags]).errorCode == "invalid_name")
            #expect(try await c.call(.patch, "/clientes/\(id)", token: admin, json: ["name": flags]).errorCode == "invalid_name")
            _ = try await c.call(.post, "/clientes", token: admin, json: ["slug": "zapateria", "name": "Zapatería Sol"])
            let search = try await c.call(.get, "/clientes?search=zapat", token: admin)
            #expect((AdminClient.object(search)["clientes"] as? [[String: Any]])?.map { $0["slug"] as? String } == ["zapateria"])
            let page = try await c.call(.get, "/clientes?limit=1", token: admin)
            #expect(AdminClient.object(page)["next_after"] as? String == "tienda-uno")
            // Owner of the tenant: suspended → 423 for them, not for the platform admin.
            let ownerToken = try await c.invite(admin, tenant: id, email: "owner@uno.test", role: "owner")
            #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": ownerToken, "password": "Colibri-Azul-2026!"]).status == .ok)
            let owner = try await c.login("owner@uno.test", "Colibri-Azul-2026!")
            #expect(try await c.call(.get, "/clientes/\(id)", token: owner).status == .ok)
            #expect(try await c.call(.get, "/clientes/\(id)/catalog/active", token: owner).status == .ok)
            // Suspend and resume take no input: a field is refused, not silently dropped; the tenant stays active.
            let withReason = try await c.call(.post, "/clientes/\(id)/suspend", token: admin, json: ["reason": "impago"])
            #expect(withReason.status == .badRequest && withReason.errorCode == "unknown_field", "\(withReason.text)")
            #expect(try await c.call(.get, "/clientes/\(id)", token: owner).status == .ok)
            #expect(try await c.call(.post, "/clientes/\(id)/suspend", token: admin).status == .ok)
            #expect(try await c.call(.get, "/clientes/\(id)", token: owner).status.code == 423)
            #expect(try await c.call(.get, "/clientes/\(id)", token: admin).status == .ok)
            #expect(try await c.call(.post, "/clientes/\(id)/suspend", token: admin).status == .conflict)
            #expect(try await c.call(.post, "/clientes/\(id)/resume", token: admin).status == .ok)
            #expect(try await c.call(.get, "/clientes/\(id)", token: owner).status == .ok)
            // Only platform admins manage tenants.
            #expect(try await c.call(.get, "/clientes", token: owner).status == .forbidden)
            #expect(try await c.call(.post, "/clientes/\(id)/suspend", token: owner).status == .forbidden)
            // Soft delete needs a second platform admin's approval (four eyes); then it is gone from
            // the API, the slug is free again and logins stop.
            let withBody = try await c.call(.delete, "/clientes/\(id)", token: admin, json: ["x": 1])  // takes no input: nothing requested
            #expect(withBody.status == .badRequest && withBody.errorCode == "unknown_field", "\(withBody.text)")
            let requested = try await c.call(.delete, "/clientes/\(id)", token: admin)
            #expect(requested.status == .accepted, "\(requested.text)")
            let approvalID = try #require(AdminClient.object(requested)["approval_id"] as? String)
            #expect(try await c.call(.get, "/clientes/\(id)", token: owner).status == .ok)
            #expect(try await c.call(.post, "/clientes/\(id)/approvals/\(approvalID)/approve", token: admin).status == .forbidden)
            let second = try await c.platformAdmin(email: "ops2@liora.test", password: "Second-admin-2026!")
            let approved = try await c.call(.post, "/clientes/\(id)/approvals/\(approvalID)/approve", token: second)
            #expect(approved.status == .ok, "\(approved.text)")
            #expect(try await c.call(.get, "/clientes/\(id)", token: admin).status == .notFound)
            #expect(try await c.call(.get, "/clientes/\(id)", token: owner).status == .unauthorized)
            #expect(try await c.call(.post, "/clientes", token: admin, json: ["slug": "TIENDA-UNO", "name": "Again"]).status == .created)
            let events = try await h.store.withTenant(UUID(uuidString: id)!) { try await $0.tenantEvents(limit: 50) }
            #expect(events.contains { $0.action == "tenant.deleted" && $0.actor.hasPrefix("platform_admin:") })
        }
    }

    @Test("owners and admins manage users; agents cannot; nobody reaches another tenant; the last owner stays",
          arguments: TestBackend.available)
    func users(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (a, ownerA) = try await c.tenant(admin, slug: "tienda-a", owner: "owner@a.test")
            let (b, ownerB) = try await c.tenant(admin, slug: "tienda-b", owner: "owner@b.test")
            // Weak passwords are refused; an invitation is single-use.
            let agentInvite = try await c.invite(ownerA, tenant: a, email: "agent@a.test", role: "agent")
            #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": agentInvite, "password": "short1"]).errorCode == "weak_password")
            #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": agentInvite, "password": "Nopal-Verde-4821"]).status == .ok)
            #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": agentInvite, "password": "Nopal-Verde-4821"]).status == .badRequest)
            let agent = try await c.login("agent@a.test", "Nopal-Verde-4821")
            let adminInvite = try await c.invite(ownerA, tenant: a, email: "admin@a.test", role: "admin")
            _ = try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": adminInvite, "password": "Maguey-Rojo-7730"])
            let adminA = try await c.login("admin@a.test", "Maguey-Rojo-7730")
            // Agents cannot manage or even list users.
            #expect(try await c.call(.post, "/clientes/\(a)/usuarios", token: agent, json: ["email": "x@a.test", "name": "X", "role": "agent"]).status == .forbidden)
            #expect(try await c.call(.get, "/clientes/\(a)/usuarios", token: agent).status == .forbidden)
            // Admins cannot create owners.
            #expect(try await c.call(.post, "/clientes/\(a)/usuarios", token: adminA, json: ["email": "o2@a.test", "name": "O", "role": "owner"]).status == .forbidden)
            // No one acts on another tenant, whatever X-Client-ID says.
            #expect(try await c.call(.get, "/clientes/\(b)/usuarios", token: ownerA).status == .forbidden)
            #expect(try await c.call(.get, "/clientes/\(b)/usuarios", token: ownerA, headers: ["X-Client-ID": b]).status == .forbidden)
            #expect(try await c.call(.get, "/clientes/\(a)/usuarios", token: ownerA, headers: ["X-Client-ID": b]).errorCode == "client_id_mismatch")
            #expect(try await c.call(.get, "/clientes/\(a)/usuarios", token: ownerA, headers: ["X-Client-ID": a]).status == .ok)
            let listB = try await c.call(.get, "/clientes/\(b)/usuarios", token: ownerB)
            #expect((AdminClient.object(listB)["usuarios"] as? [[String: Any]])?.compactMap { $0["email"] as? String } == ["owner@b.test"])
            // The last owner can be neither demoted nor removed.
            let users = AdminClient.object(try await c.call(.get, "/clientes/\(a)/usuarios", token: ownerA))["usuarios"] as? [[String: Any]] ?? []
            let ownerID = try #require(users.first { $0["email"] as? String == "owner@a.test" }?["id"] as? String)
            let agentID = try #require(users.first { $0["email"] as? String == "agent@a.test" }?["id"] as? String)
            #expect(try await c.call(.patch, "/clientes/\(a)/usuarios/\(ownerID)", token: ownerA, json: ["role": "admin"]).errorCode == "last_owner")
            #expect(try await c.call(.delete, "/clientes/\(a)/usuarios/\(ownerID)", token: ownerA).errorCode == "last_owner")
            // Role change and deactivation take effect at once.
            #expect(try await c.call(.patch, "/clientes/\(a)/usuarios/\(agentID)", token: adminA, json: ["role": "admin"]).status == .ok)
            #expect(try await c.call(.get, "/clientes/\(a)/usuarios", token: agent).status == .ok)
            #expect(try await c.call(.delete, "/clientes/\(a)/usuarios/\(agentID)", token: ownerA).status == .noContent)
            #expect(try await c.call(.get, "/clientes/\(a)/usuarios", token: agent).status == .unauthorized)
            // A deactivated user's role is not changed (nor audited as changed): 404, like deleting them again.
            let gone = try await c.call(.patch, "/clientes/\(a)/usuarios/\(agentID)", token: ownerA, json: ["role": "owner"])
            #expect(gone.status == .notFound && gone.errorCode == "user_not_found", "\(gone.text)")
            // B's owner cannot touch A's users by id.
            #expect(try await c.call(.delete, "/clientes/\(a)/usuarios/\(ownerID)", token: ownerB).status == .forbidden)
            // Everything above is in A's audit trail, with its actor, and readable by its owner only.
            let events = AdminClient.object(try await c.call(.get, "/clientes/\(a)/events", token: ownerA))["events"] as? [[String: Any]] ?? []
            let actions = events.compactMap { $0["action"] as? String }
            for action in ["user.invited", "user.role_changed", "user.deactivated", "tenant.created"] { #expect(actions.contains(action), "\(action)") }
            #expect(try await c.call(.get, "/clientes/\(a)/events", token: ownerB).status == .forbidden)
            // Paged, newest first, without gaps or repeats.
            var seen: [String] = []
            var cursor: String?
            repeat {
                let page = AdminClient.object(try await c.call(.get, "/clientes/\(a)/events?limit=2" + (cursor.map { "&before=\($0)" } ?? ""), token: ownerA))
                seen += (page["events"] as? [[String: Any]] ?? []).compactMap { $0["id"] as? String }
                cursor = page["next_before"] as? String
            } while cursor != nil && seen.count < 100
            #expect(seen == events.compactMap { $0["id"] as? String })
            #expect(try await c.call(.get, "/clientes/\(a)/events?before=nonsense", token: ownerA).errorCode == "invalid_cursor")
            // Hand-made cursors near Int64's ends are refused, and the server is still there.
            for us in ["-9223000000000000000", "9223000000000000000", "99999999999999999"] {
                let r = try await c.call(.get, "/clientes/\(a)/events?before=\(us)_\(UUID().uuidString)", token: ownerA)
                #expect(r.errorCode == "invalid_cursor", "\(us)")
            }
            #expect(try await c.call(.get, "/clientes/\(a)/events", token: ownerA).status == .ok)
        }
    }

    @Test("the plan's user quota is enforced with a clear code; an expired invitation holds no seat and is renewed by inviting again",
          arguments: TestBackend.available)
    func quota(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (a, owner) = try await c.tenant(admin, slug: "gratis", plan: "free", owner: "owner@free.test")  // free: 3 users
            _ = try await c.invite(owner, tenant: a, email: "u1@free.test", role: "agent")
            let first = try await c.call(.post, "/clientes/\(a)/usuarios", token: owner, json: ["email": "u2@free.test", "name": "U", "role": "agent"])
            let firstID = try #require(AdminClient.object(first)["id"] as? String)
            let lost = try #require(AdminClient.object(first)["invitation_token"] as? String)
            let over = try await c.call(.post, "/clientes/\(a)/usuarios", token: owner, json: ["email": "u3@free.test", "name": "U", "role": "agent"])
            #expect(over.status == .forbidden)
            #expect(over.errorCode == "quota_exceeded")
            // A week later both invitations expired unaccepted (a lost e-mail): they hold no seat…
            clock.advance(by: 8 * 24 * 3600)
            let owner2 = try await c.login("owner@free.test", "Colibri-Azul-2026!")
            #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": lost, "password": "Ocelote-Gris-5512"]).status
                    == .badRequest)
            // …and inviting the address again renews its invitation (same account, a new token).
            let again = try await c.call(.post, "/clientes/\(a)/usuarios", token: owner2,
                                         json: ["email": "U2@free.test", "name": "Ursula", "role": "admin"])
            #expect(again.status == .created, "\(again.text)")
            #expect(AdminClient.object(again)["id"] as? String == firstID)
            let renewed = try #require(AdminClient.object(again)["invitation_token"] as? String)
            #expect(renewed != lost)
            #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": renewed, "password": "Ocelote-Gris-5512"]).status
                    == .ok)
            let u3 = try await c.call(.post, "/clientes/\(a)/usuarios", token: owner2, json: ["email": "u3@free.test", "name": "U", "role": "agent"])
            #expect(u3.status == .created, "\(u3.text)")
        }
    }

    @Test("concurrent invitations for the last seat: exactly one gets it", arguments: TestBackend.available)
    func lastSeatRace(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (a, owner) = try await c.tenant(admin, slug: "carrera", plan: "free", owner: "owner@race.test")  // free: 3 users
            _ = try await c.invite(owner, tenant: a, email: "u1@race.test", role: "agent")
            let statuses = try await withThrowingTaskGroup(of: HTTPResponse.Status.self) { group in
                for i in 0..<8 {
                    group.addTask {
                        try await c.call(.post, "/clientes/\(a)/usuarios", token: owner,
                                         json: ["email": "r\(i)@race.test", "name": "R", "role": "agent"]).status
                    }
                }
                return try await group.reduce(into: []) { $0.append($1) }
            }
            #expect(statuses.filter { $0 == .created }.count == 1)
            #expect(statuses.filter { $0 == .forbidden }.count == 7)
            let users = try await h.store.withTenant(UUID(uuidString: a)!) { try await $0.adminUsers() }
            #expect(users.count == 3)
        }
    }
}

@Suite("Tenant row lock for admin changes")
struct AdminChangeLockTests {
    @Test("a second admin change of the same tenant waits for the first one's transaction to end", arguments: TestBackend.available)
    func secondWaits(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            let tenant = try await t.store.createTenant(NewTenant(id: UUID(), slug: "lock-test", name: "Lock"), actor: "test", now: t0)
            let order = NIOLockedValueBox<[String]>([])
            let first = Task {
                try await t.store.withTenant(tenant.id) { s in
                    try await s.lockForAdminChange()
                    order.withLockedValue { $0.append("first locked") }
                    try await Task.sleep(for: .milliseconds(300))
                    order.withLockedValue { $0.append("first done") }
                }
            }
            let deadline = ContinuousClock.now + .seconds(60)
            while order.withLockedValue({ $0.isEmpty }) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
            try #require(order.withLockedValue { $0 } == ["first locked"])
            try await t.store.withTenant(tenant.id) { s in
                try await s.lockForAdminChange()
                order.withLockedValue { $0.append("second locked") }
            }
            try await first.value
            #expect(order.withLockedValue { $0 } == ["first locked", "first done", "second locked"])
        }
    }
}

@Suite("Admin changes: the caller as they are under the lock")
struct AdminCallerUnderLockTests {
    @Test("an owner demoted while their request waits for the tenant lock cannot remove another owner once it gets it",
          arguments: TestBackend.available)
    func demotedWhileWaiting(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let t = try await ApprovalTeam.make(h, slug: "degradado")
            let c = t.c
            for email in ["second@degradado.test", "third@degradado.test"] {
                let invite = try await c.invite(t.owner, tenant: t.tenant, email: email, role: "owner")
                #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": invite, "password": "Maguey-Rojo-7730"]).status == .ok)
            }
            let second = try await c.login("second@degradado.test", "Maguey-Rojo-7730")
            let users = AdminClient.object(try await c.call(.get, "/clientes/\(t.tenant)/usuarios", token: t.owner))["usuarios"] as? [[String: Any]] ?? []
            func id(_ email: String) throws -> UUID {
                try #require(users.first { $0["email"] as? String == email }.flatMap { ($0["id"] as? String).flatMap(UUID.init(uuidString:)) })
            }
            let (secondID, thirdID) = (try id("second@degradado.test"), try id("third@degradado.test"))

            // Another change holds the tenant lock; meanwhile the second owner asks to remove the
            // third, passes the gate as an owner, and waits for the lock. The change demotes them.
            let r = try await Self.request(h, tenantID: t.tenantID, demoting: secondID) {
                try await c.call(.delete, "/clientes/\(t.tenant)/usuarios/\(thirdID)", token: second)
            }
            #expect(r.status == .forbidden, "\(r.text)")
            let after = try await h.store.withTenant(t.tenantID) { try await $0.adminUser(id: thirdID) }
            #expect(after?.status == .active && after?.role == .owner)
        }
    }
}

extension AdminCallerUnderLockTests {
    /// Runs `request` while another change holds the tenant lock (so it passes the gate, then
    /// waits for the lock), and has that change demote `userID` to agent before releasing it.
    static func request(_ h: Harness, tenantID: UUID, demoting userID: UUID,
                        _ request: @escaping @Sendable () async throws -> TestResponse) async throws -> TestResponse {
        let locked = NIOLockedValueBox(false), release = NIOLockedValueBox(false)
        let demotion = Task {
            try await h.store.withTenant(tenantID) { s in
                try await s.lockForAdminChange()
                locked.withLockedValue { $0 = true }
                let deadline = ContinuousClock.now + .seconds(60)
                while !release.withLockedValue({ $0 }) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
                try await s.setUserRole(userID, role: .agent, actor: "test", now: t0)
            }
        }
        let deadline = ContinuousClock.now + .seconds(60)
        while !locked.withLockedValue({ $0 }) && ContinuousClock.now < deadline { try await Task.sleep(for: .milliseconds(5)) }
        let pending = Task { try await request() }
        try await Task.sleep(for: .milliseconds(300))
        release.withLockedValue { $0 = true }
        try await demotion.value
        return try await pending.value
    }
}

@Suite("Admin API: e-mails are unique within a tenant")
struct TenantEmailTests {
    private func claims(_ token: String) throws -> [String: Any] {
        let payload = try #require(token.split(separator: ".").dropFirst().first)
        return try JSONSerialization.jsonObject(with: AdminAuthTestsSupport.b64(String(payload))) as? [String: Any] ?? [:]
    }

    @Test("a tenant inviting an address another tenant has learns nothing; login opens the account the password opens, or asks which tenant",
          arguments: TestBackend.available)
    func sharedAddress(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let platform = try await c.platformAdmin()
            var tenants: [(id: String, owner: String)] = []
            for slug in ["correo-a", "correo-b", "correo-c"] { tenants.append(try await c.tenant(platform, slug: slug, owner: "owner@\(slug).test")) }
            let (a, b, cc) = (tenants[0], tenants[1], tenants[2])
            let email = "ana@compartido.test"
            func join(_ t: (id: String, owner: String), password: String) async throws {
                let r = try await c.call(.post, "/clientes/\(t.id)/usuarios", token: t.owner, json: ["email": email, "name": "Ana", "role": "admin"])
                #expect(r.status == .created, "\(r.text)")
                let token = try #require(AdminClient.object(r)["invitation_token"] as? String)
                #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": token, "password": password]).status == .ok)
            }
            func login(_ password: String, tenant: String? = nil) async throws -> TestResponse {
                var body = ["email": "ANA@compartido.test", "password": password]
                if let tenant { body["cliente_id"] = tenant }
                return try await c.call(.post, "/auth/login", json: body)
            }
            try await join(a, password: "Maguey-Rojo-7730")
            // Tenant B invites the same address exactly as it would any other: no conflict tells it
            // that someone else has it.
            try await join(b, password: "Colibri-Verde-8841")
            // Within one tenant the address is still taken.
            let again = try await c.call(.post, "/clientes/\(a.id)/usuarios", token: a.owner, json: ["email": email, "name": "Ana", "role": "agent"])
            #expect(again.status == .conflict)

            // Each password opens its own tenant's account.
            let intoA = try await login("Maguey-Rojo-7730")
            #expect(intoA.status == .ok, "\(intoA.text)")
            #expect(try claims(AdminClient.object(intoA)["access_token"] as? String ?? "")["cliente_id"] as? String == a.id)
            let intoB = try await login("Colibri-Verde-8841")
            #expect(intoB.status == .ok, "\(intoB.text)")
            #expect(try claims(AdminClient.object(intoB)["access_token"] as? String ?? "")["cliente_id"] as? String == b.id)
            #expect(try await login("Wrong-password-0000").status == .unauthorized)

            // One password for two tenants: the request must say which.
            try await join(cc, password: "Maguey-Rojo-7730")
            let ambiguous = try await login("Maguey-Rojo-7730")
            #expect(ambiguous.status == .conflict && ambiguous.errorCode == "tenant_required", "\(ambiguous.text)")
            #expect(ambiguous.text.contains(a.id) && ambiguous.text.contains(cc.id) && !ambiguous.text.contains(b.id))
            let intoC = try await login("Maguey-Rojo-7730", tenant: cc.id)
            #expect(intoC.status == .ok, "\(intoC.text)")
            #expect(try claims(AdminClient.object(intoC)["access_token"] as? String ?? "")["cliente_id"] as? String == cc.id)
            // Naming a tenant the password does not open is a wrong password, like any other.
            #expect(try await login("Maguey-Rojo-7730", tenant: b.id).status == .unauthorized)
            #expect(try await login("Maguey-Rojo-7730", tenant: "not-a-uuid").status == .badRequest)

            // An address with a capital beyond ASCII signs in however it is typed (SQLite's
            // lower() folds ASCII only), and is one address within its tenant.
            let invited = try await c.call(.post, "/clientes/\(a.id)/usuarios", token: a.owner,
                                           json: ["email": "Álvaro@Tienda.mx", "name": "Álvaro", "role": "agent"])
            #expect(invited.status == .created, "\(invited.text)")
            let token = try #require(AdminClient.object(invited)["invitation_token"] as? String)
            #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": token, "password": "Ocelote-Gris-5512"]).status == .ok)
            for typed in ["Álvaro@Tienda.mx", "álvaro@tienda.mx", "ÁLVARO@TIENDA.MX"] {
                let r = try await c.call(.post, "/auth/login", json: ["email": typed, "password": "Ocelote-Gris-5512"])
                #expect(r.status == .ok, "\(typed): \(r.text)")
            }
            let twice = try await c.call(.post, "/clientes/\(a.id)/usuarios", token: a.owner,
                                         json: ["email": "álvaro@tienda.mx", "name": "Otro", "role": "agent"])
            #expect(twice.status == .conflict, "\(twice.text)")
        }
    }

    @Test("one account's successful login does not forgive guesses at another's password; a platform admin's address does not hide a tenant user's",
          arguments: [TestBackend.sqlite])
    func sharedAddressLimits(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let platform = try await c.platformAdmin()
            let a = try await c.tenant(platform, slug: "limite-a", owner: "owner@limite-a.test")
            let b = try await c.tenant(platform, slug: "limite-b", owner: "owner@limite-b.test")
            // The same address in both tenants: B's is the victim, A's belongs to whoever guesses.
            for (t, password) in [(a, "Maguey-Rojo-7730"), (b, "Colibri-Verde-8841")] {
                let token = try await c.invite(t.owner, tenant: t.id, email: "luis@limite.test", role: "admin")
                #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": token, "password": password]).status == .ok)
            }
            func login(_ email: String, _ password: String, tenant: String? = nil) async throws -> TestResponse {
                var body = ["email": email, "password": password]
                if let tenant { body["cliente_id"] = tenant }
                return try await c.call(.post, "/auth/login", json: body)
            }
            for round in 0..<2 {
                for _ in 0..<(round == 0 ? 4 : 1) {
                    #expect(try await login("luis@limite.test", "Guess-\(round)-0000", tenant: b.id).status == .unauthorized)
                }
                if round == 0 { #expect(try await login("luis@limite.test", "Maguey-Rojo-7730", tenant: a.id).status == .ok) }
            }
            // Five guesses in the window: even the right password waits.
            #expect(try await login("luis@limite.test", "Colibri-Verde-8841", tenant: b.id).status == .tooManyRequests)

            // A tenant user whose address is also a platform admin's still signs in.
            let invite = try await c.invite(a.owner, tenant: a.id, email: "ops@liora.test", role: "agent")
            #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": invite, "password": "Agave-Azul-5521"]).status == .ok)
            let agent = try await login("ops@liora.test", "Agave-Azul-5521")
            #expect(agent.status == .ok, "\(agent.text)")
            let claims = try claims(AdminClient.object(agent)["access_token"] as? String ?? "")
            #expect(claims["cliente_id"] as? String == a.id && claims["rol"] as? String == "agent")
            let ops = try await login("ops@liora.test", "Platform-admin-2026!")
            #expect(try self.claims(AdminClient.object(ops)["access_token"] as? String ?? "")["rol"] as? String == "platform_admin")
            // The same address and password as the platform admin: without a tenant named, the admin
            // signs in; naming the tenant, its account.
            let twin = try await c.invite(b.owner, tenant: b.id, email: "ops@liora.test", role: "agent")
            #expect(try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": twin, "password": "Platform-admin-2026!"]).status == .ok)
            let admin = try await login("ops@liora.test", "Platform-admin-2026!")
            #expect(try self.claims(AdminClient.object(admin)["access_token"] as? String ?? "")["rol"] as? String == "platform_admin")
            let inB = try await login("ops@liora.test", "Platform-admin-2026!", tenant: b.id)
            #expect(try self.claims(AdminClient.object(inB)["access_token"] as? String ?? "")["cliente_id"] as? String == b.id)
        }
    }
}
