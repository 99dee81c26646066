import Foundation
import HTTPTypes
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import Testing

extension TestResponse {
    /// The `error.message` of a JSON error body.
    var errorMessage: String? { (AdminClient.object(self)["error"] as? [String: Any])?["message"] as? String }
}

/// What a black-box review of the admin API found in its inputs: passwords past bcrypt's 72
/// bytes, loose e-mails, control characters in names, addresses blocked for good, vague 400s,
/// LIKE wildcards in the tenant search, fractional token times.
@Suite("Admin API: inputs")
struct AdminInputTests {
    @Test("a password longer than bcrypt's 72 bytes is refused when set, and a login with one opens nothing; stored hashes keep working",
          arguments: TestBackend.available)
    func passwordBytes(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (a, owner) = try await c.tenant(admin, slug: "claves", owner: "owner@claves.test")
            let invite = try await c.invite(owner, tenant: a, email: "ana@claves.test", role: "agent")
            func accept(_ password: String) async throws -> TestResponse {
                try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": invite, "password": password])
            }
            func login(_ email: String, _ password: String) async throws -> TestResponse {
                try await c.call(.post, "/auth/login", json: ["email": email, "password": password])
            }
            let head = "Colibri-Azul-2026!" + String(repeating: "x", count: 54)
            #expect(head.utf8.count == 72)
            let long = head + "-and-a-tail-0000000000"  // 94 characters
            // Too long, in bytes: 94 ASCII characters, or 43 characters of which 31 take two bytes.
            for password in [long, "Contraseña1-" + String(repeating: "ñ", count: 31)] {
                let refused = try await accept(password)
                #expect(refused.status == .badRequest && refused.errorCode == "password_too_long", "\(refused.text)")
                #expect(refused.errorMessage?.contains("72 bytes") == true, "\(refused.text)")
            }
            // bcrypt reads up to a NUL character too.
            let nul = try await accept("Colibri-Azul-2026!\u{0}tail")
            #expect(nul.status == .badRequest && nul.errorCode == "invalid_password", "\(nul.text)")
            // Nothing was changed: the invitation still takes a 72-byte password.
            #expect(try await accept(head).status == .ok)
            #expect(try await login("ana@claves.test", head).status == .ok)
            // The same first 72 bytes with any tail are a wrong password, answered as one.
            let tail = try await login("ana@claves.test", head + "-a-different-tail")
            #expect(tail.status == .unauthorized && tail.errorCode == "invalid_credentials", "\(tail.text)")
            #expect(tail.errorMessage == (try await login("ana@claves.test", "Wrong-password-0000")).errorMessage)
            let afterNul = try await login("owner@claves.test", "Colibri-Azul-2026!\u{0}anything")
            #expect(afterNul.status == .unauthorized && afterNul.errorCode == "invalid_credentials", "\(afterNul.text)")
            // A hash stored before the limit (of a 94-character password) is not rehashed or
            // refused: its first 72 bytes, all bcrypt ever checked, still sign in; the whole
            // password no longer does.
            try await h.store.createPlatformAdmin(id: UUID(), email: "old@liora.test", name: "Old", passwordHash: Bcrypt4.hash(long), now: t0)
            #expect(try await login("old@liora.test", long).status == .unauthorized)
            #expect(try await login("old@liora.test", head).status == .ok)
        }
    }

    @Test("an e-mail must be a plain address: line breaks, brackets, stray dots and hyphens, long parts and control characters are refused, and nothing is stored",
          arguments: TestBackend.available)
    func emails(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (a, owner) = try await c.tenant(admin, slug: "mi-tienda", owner: "admin@mi-tienda.mx")
            func invite(_ email: String) async throws -> TestResponse {
                try await c.call(.post, "/clientes/\(a)/usuarios", token: owner, json: ["email": email, "name": "U", "role": "agent"])
            }
            func users() async throws -> [String] {
                (AdminClient.object(try await c.call(.get, "/clientes/\(a)/usuarios", token: owner))["usuarios"] as? [[String: Any]] ?? [])
                    .compactMap { $0["email"] as? String }
            }
            let local64 = String(repeating: "l", count: 64)
            let label63 = String(repeating: "d", count: 63)
            let domain = label63 + "." + String(repeating: "e", count: 63) + "." + String(repeating: "f", count: 58) + ".mx"  // 189
            for bad in ["admin@mi-tienda.mx\n", "admin@mi-tienda.mx\r", "admin@mi-tienda.mx\t\n", "<a@x.com>", "a@x..com", "a@-x.com",
                        "a@x-.com", local64 + "l@x.com", "ctl\u{0}@x.com", "del\u{7f}@x.com", "nel\u{85}@x.com", ".a@x.com", "a.@x.com",
                        "a..b@x.com", "a@x", "a@@x.com", "a b@x.com", "a@x.com.", "a@.x.com", "\"a\"@x.com", "a@[127.0.0.1]",
                        "a@x_y.com", "a(b)@x.com", "@x.com", "a@", "a@" + label63 + "d.com", local64 + "@" + domain + "f",
                        // Invisible characters made an address that looks like another.
                        "g\u{200B}@x.com", "g\u{AD}@x.com", "g\u{202E}@x.com", "g\u{2060}@x.com", "g\u{FEFF}@x.com"] {
                let r = try await invite(bad)
                #expect(r.status == .badRequest && r.errorCode == "invalid_email", "\(bad.debugDescription): \(r.text)")
                #expect(r.errorMessage?.hasPrefix("email ") == true, "\(r.text)")
            }
            #expect(try await users() == ["admin@mi-tienda.mx"])
            // Spaces around it are trimmed, as before; the rest of these are plain addresses.
            for good in [local64 + "@x.com", "o'brien+tag@sub.example.co", "  spaced@x.com  ", local64 + "@" + domain] {
                let r = try await invite(good)
                #expect(r.status == .created, "\(good): \(r.text)")
            }
            #expect(Set(try await users()) == ["admin@mi-tienda.mx", local64 + "@x.com", "o'brien+tag@sub.example.co", "spaced@x.com",
                                               local64 + "@" + domain])
            #expect((local64 + "@" + domain).utf8.count == 254)
        }
    }

    @Test("control characters in tenant and user names are refused with invalid_name, and nothing changes", arguments: TestBackend.available)
    func names(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (a, owner) = try await c.tenant(admin, slug: "nombres", owner: "owner@nombres.test")
            for bad in ["a\u{0}b\u{1b}[31m\nline2", "tab\tinside", "line\nbreak", "cr\r", "del\u{7f}", "nel\u{85}x", "csi\u{9b}31m"] {
                let created = try await c.call(.post, "/clientes", token: admin, json: ["slug": "control", "name": bad])
                #expect(created.status == .badRequest && created.errorCode == "invalid_name", "\(bad.debugDescription): \(created.text)")
                let renamed = try await c.call(.patch, "/clientes/\(a)", token: owner, json: ["name": bad])
                #expect(renamed.status == .badRequest && renamed.errorCode == "invalid_name", "\(bad.debugDescription): \(renamed.text)")
                let invited = try await c.call(.post, "/clientes/\(a)/usuarios", token: owner, json: ["email": "x@nombres.test", "name": bad, "role": "agent"])
                #expect(invited.status == .badRequest && invited.errorCode == "invalid_name", "\(bad.debugDescription): \(invited.text)")
                #expect(invited.errorMessage?.contains("control characters") == true, "\(invited.text)")
            }
            #expect(AdminClient.object(try await c.call(.get, "/clientes/\(a)", token: owner))["name"] as? String == "Shop nombres")
            #expect(try await c.call(.get, "/clientes?search=control", token: admin).text.contains("control") == false)
            let users = AdminClient.object(try await c.call(.get, "/clientes/\(a)/usuarios", token: owner))["usuarios"] as? [[String: Any]]
            #expect(users?.count == 1)
            // Letters of any script, symbols and emoji are names.
            let fine = try await c.call(.patch, "/clientes/\(a)", token: owner, json: ["name": "  Zapatería «Sol» 🇲🇽  "])
            #expect(AdminClient.object(fine)["name"] as? String == "Zapatería «Sol» 🇲🇽", "\(fine.text)")
        }
    }

    @Test("inviting the address of a deactivated user or a revoked invitation renews it: same account, a new password, old tokens stay dead",
          arguments: TestBackend.available)
    func reinvite(backend: TestBackend) async throws {
        let clock = ManualClock(t0)
        try await Harness.run(backend, clock: clock, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let (a, owner) = try await c.tenant(admin, slug: "regreso", plan: "free", owner: "owner@regreso.test")  // free: 3 users
            func invite(_ email: String, role: String = "agent") async throws -> TestResponse {
                try await c.call(.post, "/clientes/\(a)/usuarios", token: owner, json: ["email": email, "name": "Ana B", "role": role])
            }
            func accept(_ token: Any?, _ password: String) async throws -> TestResponse {
                try await c.call(.post, "/auth/accept-invite", json: ["invitation_token": token as? String ?? "", "password": password])
            }
            func login(_ password: String) async throws -> TestResponse {
                try await c.call(.post, "/auth/login", json: ["email": "ana@regreso.test", "password": password])
            }
            let first = AdminClient.object(try await invite("ana@regreso.test"))
            let anaID = try #require(first["id"] as? String)
            #expect(try await accept(first["invitation_token"], "Nopal-Verde-4821").status == .ok)
            let oldAccess = AdminClient.object(try await login("Nopal-Verde-4821"))["access_token"] as? String ?? ""
            #expect(try await c.call(.get, "/clientes/\(a)", token: oldAccess).status == .ok)
            #expect(try await c.call(.delete, "/clientes/\(a)/usuarios/\(anaID)", token: owner).status == .noContent)
            clock.advance(by: 60)

            let again = try await invite("ANA@regreso.test", role: "admin")
            #expect(again.status == .created, "\(again.text)")
            let renewed = AdminClient.object(again)
            #expect(renewed["id"] as? String == anaID)
            let usuario = renewed["usuario"] as? [String: Any]
            #expect(usuario?["status"] as? String == "invited" && usuario?["role"] as? String == "admin", "\(again.text)")
            // Invited again: the old password opens nothing, before or after the new one is set.
            #expect(try await login("Nopal-Verde-4821").status == .unauthorized)
            #expect(try await accept(renewed["invitation_token"], "Maguey-Rojo-7730").status == .ok)
            #expect(try await login("Nopal-Verde-4821").status == .unauthorized)
            let back = AdminClient.object(try await login("Maguey-Rojo-7730"))["access_token"] as? String ?? ""
            #expect(try await c.call(.get, "/clientes/\(a)/usuarios", token: back).status == .ok)
            // An access token issued before the account was deactivated stays refused.
            #expect(try await c.call(.get, "/clientes/\(a)", token: oldAccess).status == .unauthorized)
            // An account that is there (invited or active) is still a conflict.
            #expect(try await invite("ana@regreso.test").status == .conflict)

            // A revoked invitation (the invited user deleted before accepting) is renewed the same way.
            let luis = AdminClient.object(try await c.call(.post, "/clientes/\(a)/usuarios", token: owner,
                                                          json: ["email": "luis@regreso.test", "name": "Luis", "role": "agent"]))
            let luisID = try #require(luis["id"] as? String)
            #expect(try await c.call(.delete, "/clientes/\(a)/usuarios/\(luisID)", token: owner).status == .noContent)
            #expect(try await accept(luis["invitation_token"], "Ocelote-Gris-5512").errorCode == "invalid_invitation")
            // The renewal takes a seat like any invitation: with the plan full it is refused.
            #expect(try await c.call(.post, "/clientes/\(a)/usuarios", token: owner,
                                     json: ["email": "tercera@regreso.test", "name": "T", "role": "agent"]).status == .created)
            let full = try await c.call(.post, "/clientes/\(a)/usuarios", token: owner, json: ["email": "luis@regreso.test", "name": "Luis", "role": "agent"])
            #expect(full.status == .forbidden && full.errorCode == "quota_exceeded", "\(full.text)")
            let users = AdminClient.object(try await c.call(.get, "/clientes/\(a)/usuarios", token: owner))["usuarios"] as? [[String: Any]] ?? []
            let tercera = try #require(users.first { $0["email"] as? String == "tercera@regreso.test" }?["id"] as? String)
            #expect(try await c.call(.delete, "/clientes/\(a)/usuarios/\(tercera)", token: owner).status == .noContent)
            let luisAgain = try await c.call(.post, "/clientes/\(a)/usuarios", token: owner, json: ["email": "luis@regreso.test", "name": "Luis", "role": "agent"])
            #expect(luisAgain.status == .created && AdminClient.object(luisAgain)["id"] as? String == luisID, "\(luisAgain.text)")
            #expect(try await accept(AdminClient.object(luisAgain)["invitation_token"], "Ocelote-Gris-5512").status == .ok)
            let events = try await h.store.withTenant(UUID(uuidString: a)!) { try await $0.tenantEvents(limit: 100) }
            #expect(events.filter { $0.action == "user.invited" && $0.payloadJSON.contains("renewed") }.count == 2)
        }
    }

    @Test("a body missing a field or with a wrong type says which field and what was expected; status and slug messages read right",
          arguments: [TestBackend.sqlite])
    func messages(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            let cases: [(String, [String: Any], String)] = [
                ("/clientes", ["name": "X"], "slug is required"),
                ("/clientes", ["slug": "t", "name": 5], "name must be a string"),
                ("/clientes", ["slug": NSNull(), "name": "X"], "slug must be a string"),
                ("/clientes", ["slug": "tienda", "name": "T", "plan": true], "plan must be a string"),
                ("/auth/accept-invite", ["password": "Nopal-Verde-4821"], "invitation_token is required"),
                ("/auth/login", ["email": "a@b.co", "password": "x", "cliente_id": 7], "cliente_id must be a string"),
                ("/auth/login", ["email": ["a@b.co"], "password": "x"], "email must be a string"),
            ]
            for (path, body, message) in cases {
                let r = try await c.call(.post, path, token: admin, json: body)
                #expect(r.status == .badRequest && r.errorCode == "malformed_body", "\(path) \(body): \(r.text)")
                #expect(r.errorMessage?.hasPrefix(message) == true, "\(path) \(body): \(r.text)")
            }
            #expect((AdminClient.object(try await c.call(.get, "/clientes", token: admin))["clientes"] as? [Any])?.isEmpty == true)
            // Slugs are taken in any case and stored lowercased; the refusal says so.
            let bad = try await c.call(.post, "/clientes", token: admin, json: ["slug": "Bad Slug!", "name": "X"])
            #expect(bad.status == .badRequest && bad.errorCode == "invalid_slug", "\(bad.text)")
            #expect(bad.errorMessage?.contains("lowercase letters") == false && bad.errorMessage?.hasPrefix("slug ") == true, "\(bad.text)")
            let upper = try await c.call(.post, "/clientes", token: admin, json: ["slug": "Upper-Case", "name": "X"])
            #expect((AdminClient.object(upper)["cliente"] as? [String: Any])?["slug"] as? String == "upper-case", "\(upper.text)")
            let id = try #require(AdminClient.object(upper)["id"] as? String)
            let resumed = try await c.call(.post, "/clientes/\(id)/resume", token: admin)
            #expect(resumed.errorCode == "invalid_transition" && resumed.errorMessage == "only a suspended tenant can be resumed; this one is active",
                    "\(resumed.text)")
            #expect(try await c.call(.post, "/clientes/\(id)/suspend", token: admin).status == .ok)
            let suspended = try await c.call(.post, "/clientes/\(id)/suspend", token: admin)
            #expect(suspended.errorMessage == "only an active tenant can be suspended; this one is suspended", "\(suspended.text)")
        }
    }

    @Test("the tenant search is literal: _, % and \\ match themselves only", arguments: TestBackend.available)
    func literalSearch(backend: TestBackend) async throws {
        try await Harness.run(backend, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let admin = try await c.platformAdmin()
            for (slug, name) in [("algodon", "100% Algodón"), ("guion", "Mi_Tienda"), ("barra", #"Barra \ Invertida"#), ("zapateria", "Zapatería Sol")] {
                #expect(try await c.call(.post, "/clientes", token: admin, json: ["slug": slug, "name": name]).status == .created)
            }
            func search(_ query: String) async throws -> [String] {
                (AdminClient.object(try await c.call(.get, "/clientes?search=\(query)", token: admin))["clientes"] as? [[String: Any]] ?? [])
                    .compactMap { $0["slug"] as? String }
            }
            #expect(try await search("_") == ["guion"])
            #expect(try await search("%25") == ["algodon"])
            #expect(try await search("%5C") == ["barra"])
            #expect(try await search("0%25%20a") == ["algodon"])
            #expect(try await search("i_t") == ["guion"])
            #expect(try await search("a%25o") == [])
            #expect(try await search("ZAPAT") == ["zapateria"])
        }
    }

    @Test("access tokens carry whole-second iat and exp; one issued earlier with fractions is still accepted", arguments: [TestBackend.sqlite])
    func wholeSeconds(backend: TestBackend) async throws {
        let clock = ManualClock(Date(timeIntervalSince1970: 1_795_570_090.0055733))
        try await Harness.run(backend, clock: clock, jwtSecret: jwtSecret) { h in
            let c = AdminClient(h: h)
            let access = try await c.platformAdmin()
            let parts = access.split(separator: ".").map(String.init)
            let payload = String(decoding: AdminAuthTestsSupport.b64(parts[1]), as: UTF8.self)
            #expect(payload.range(of: #""iat":1795570090[,}]"#, options: .regularExpression) != nil, "\(payload)")
            #expect(payload.range(of: #""exp":1795570990[,}]"#, options: .regularExpression) != nil, "\(payload)")
            // A token as issued before (fractional times), signed with the same key.
            var claims = try #require(try JSONSerialization.jsonObject(with: AdminAuthTestsSupport.b64(parts[1])) as? [String: Any])
            claims["iat"] = 1_795_570_090.0055733
            claims["exp"] = 1_795_570_990.0055733
            let body = AdminAuthTestsSupport.b64url(String(decoding: try JSONSerialization.data(withJSONObject: claims), as: UTF8.self))
            let signature = WebhookSignatureVerifier.signature(for: Data((parts[0] + "." + body).utf8), secret: Secret(jwtSecret))
            let hex = Array(signature.dropFirst("sha256=".count))
            let mac = stride(from: 0, to: hex.count, by: 2).map { UInt8(String(hex[$0...$0 + 1]), radix: 16) ?? 0 }
            let mac64 = Data(mac).base64EncodedString().replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
                .replacingOccurrences(of: "=", with: "")
            let earlier = parts[0] + "." + body + "." + mac64
            #expect(String(decoding: AdminAuthTestsSupport.b64(body), as: UTF8.self).contains("1795570090.00"))
            #expect(try await c.call(.get, "/clientes", token: earlier).status == .ok)
            // The re-signing is right: the same with another signature is refused.
            #expect(try await c.call(.get, "/clientes", token: parts[0] + "." + body + "." + parts[2]).status == .unauthorized)
        }
    }
}
