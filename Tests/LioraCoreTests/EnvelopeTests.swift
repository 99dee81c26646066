import Foundation
import LioraCore
import Testing

@Suite("Envelope encryption")
struct EnvelopeTests {
    let k1 = Data(repeating: 1, count: 32).base64EncodedString()
    let k2 = Data(repeating: 2, count: 32).base64EncodedString()
    let tenantA = UUID()
    let tenantB = UUID()

    @Test("LIORA_MASTER_KEY: one key is version 1; a ring lists versions newest first")
    func ringParsing() throws {
        let single = try MasterKeyRing(parsing: k1)
        #expect(single.currentVersion == 1)
        #expect(single.versions == [1])
        let ring = try MasterKeyRing(parsing: "2:\(k2), 1:\(k1)")
        #expect(ring.currentVersion == 2)
        #expect(ring.versions == [2, 1])
        for bad in ["", "abc", "1:\(k1),2:\(k2)", "2:\(k2),2:\(k1)", "x:\(k1)", "2:" + Data(count: 16).base64EncodedString()] {
            #expect(throws: LioraError.self, "\(bad)") { try MasterKeyRing(parsing: bad) }
        }
    }

    @Test("a secret sealed for one row opens only there")
    func binding() throws {
        let ring = try MasterKeyRing(parsing: k1)
        let (key, wrapped) = try Envelope.newDataKey(tenantID: tenantA, version: 1, ring: ring)
        let here = EncryptionBinding(tenantID: tenantA, table: "waba_accounts", rowID: "r1", column: "access_token_ciphertext")
        let sealed = try Envelope.seal("EAAG-token-1234", key: key, binding: here)
        #expect(!String(decoding: sealed, as: UTF8.self).contains("token"))
        let unwrapped = try Envelope.unwrap(wrapped, ring: ring)
        #expect(try Envelope.open(sealed, key: unwrapped, binding: here).value == "EAAG-token-1234")
        // Copied to another row, column or tenant: refused.
        for elsewhere in [EncryptionBinding(tenantID: tenantA, table: "waba_accounts", rowID: "r2", column: "access_token_ciphertext"),
                          EncryptionBinding(tenantID: tenantA, table: "waba_accounts", rowID: "r1", column: "app_secret_ciphertext"),
                          EncryptionBinding(tenantID: tenantB, table: "waba_accounts", rowID: "r1", column: "access_token_ciphertext")] {
            #expect(throws: LioraError.self) { try Envelope.open(sealed, key: unwrapped, binding: elsewhere) }
        }
        // Tampered bytes: refused.
        var tampered = sealed
        tampered[tampered.count / 2] ^= 0x01
        #expect(throws: LioraError.self) { try Envelope.open(tampered, key: unwrapped, binding: here) }
        // A data key wrapped for tenant A does not unwrap as tenant B's.
        var stolen = wrapped
        stolen.tenantID = tenantB
        #expect(throws: LioraError.self) { try Envelope.unwrap(stolen, ring: ring) }
    }

    @Test("rotation re-wraps data keys under the new master version; the old version can then be retired")
    func rotation() throws {
        let old = try MasterKeyRing(parsing: k1)
        let (key, wrapped) = try Envelope.newDataKey(tenantID: tenantA, version: 1, ring: old)
        let binding = EncryptionBinding(tenantID: tenantA, table: "t", rowID: "1", column: "c")
        let sealed = try Envelope.seal("secret", key: key, binding: binding)
        let both = try MasterKeyRing(parsing: "2:\(k2),1:\(k1)")
        // During the rotation the old wrapping still opens.
        #expect(try Envelope.open(sealed, key: Envelope.unwrap(wrapped, ring: both), binding: binding).value == "secret")
        let rewrapped = try Envelope.rewrap(wrapped, ring: both)
        #expect(rewrapped.masterVersion == 2)
        #expect(rewrapped.sealed != wrapped.sealed)
        let retired = try MasterKeyRing(parsing: "2:\(k2)")
        #expect(try Envelope.open(sealed, key: Envelope.unwrap(rewrapped, ring: retired), binding: binding).value == "secret")
        #expect(throws: LioraError.self) { try Envelope.unwrap(wrapped, ring: retired) }
        // A wrong master key of the same version is refused, not silently wrong.
        let wrong = try MasterKeyRing(parsing: k2)
        #expect(throws: LioraError.self) { try Envelope.unwrap(wrapped, ring: wrong) }
    }
}

@Suite("Standard Webhooks signatures")
struct StandardWebhooksTests {
    /// The test vector of the standard-webhooks reference libraries (checked against the
    /// Python package `standardwebhooks`).
    @Test("matches the reference libraries' signature")
    func referenceVector() throws {
        let key = try #require(StandardWebhooks.key(fromSecret: "whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw"))
        let body = Array(#"{"test": 2432232314}"#.utf8)
        #expect(StandardWebhooks.sign(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: 1_614_265_330, body: body, key: key)
                == "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=")
        try StandardWebhooks.verify(id: "msg_p5jXN8AQM9LWM0D4loKWxJek", timestamp: "1614265330",
                                    signature: "v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE=", body: body, keys: [key],
                                    now: Date(timeIntervalSince1970: 1_614_265_330 + 100))
    }

    let key = Array(repeating: UInt8(9), count: 32)
    let other = Array(repeating: UInt8(8), count: 32)
    let body = Array(#"{"currency":"MXN"}"#.utf8)
    let now = Date(timeIntervalSince1970: 1_800_000_000)

    func check(id: String? = "msg_1", timestamp: String? = "1800000000", signature: String?, keys: [[UInt8]]? = nil,
               body: [UInt8]? = nil) -> StandardWebhooks.Failure? {
        do {
            try StandardWebhooks.verify(id: id, timestamp: timestamp, signature: signature, body: body ?? self.body,
                                        keys: keys ?? [key], now: now)
            return nil
        } catch { return error }
    }

    @Test("good, rotated, several signatures; every refusal has its reason")
    func refusals() {
        let good = StandardWebhooks.sign(id: "msg_1", timestamp: 1_800_000_000, body: body, key: key)
        let byOther = StandardWebhooks.sign(id: "msg_1", timestamp: 1_800_000_000, body: body, key: other)
        #expect(check(signature: good) == nil)
        #expect(check(signature: byOther, keys: [key, other]) == nil)          // the old secret during a rotation
        #expect(check(signature: "\(byOther) \(good)") == nil)                  // several signatures, one matches
        #expect(check(signature: "v1a,abc \(good)") == nil)                     // unknown schemes are skipped
        #expect(check(signature: byOther) == .signatureInvalid)
        #expect(check(signature: good, body: body + [32]) == .signatureInvalid)  // one byte more
        #expect(check(id: "msg_2", signature: good) == .signatureInvalid)       // id is signed
        #expect(check(id: nil, signature: good) == .headersMissing)
        #expect(check(timestamp: nil, signature: good) == .headersMissing)
        #expect(check(signature: nil) == .headersMissing)
        #expect(check(id: String(repeating: "m", count: 201), signature: good) == .idInvalid)  // there, but too long: said so
        #expect(check(timestamp: "soon", signature: good) == .timestampInvalid)
        #expect(check(timestamp: "1799999699", signature: good) == .timestampOutOfRange)
        #expect(check(timestamp: "1800000301", signature: good) == .timestampOutOfRange)
        #expect(check(signature: "sha256=abc") == .signatureMalformed)
        #expect(check(signature: "v1,not-base64!") == .signatureMalformed)
        #expect(check(signature: good, keys: []) == .noSecret)
    }

    @Test("secrets are whsec_ + base64 and a generated one works")
    func secrets() throws {
        let secret = StandardWebhooks.generateSecret()
        #expect(secret.hasPrefix("whsec_"))
        let key = try #require(StandardWebhooks.key(fromSecret: secret))
        #expect(key.count == 32)
        #expect(StandardWebhooks.key(fromSecret: "whsec_???") == nil)
        #expect(StandardWebhooks.key(fromSecret: "whsec_" + Data(count: 8).base64EncodedString()) == nil)
    }
}
