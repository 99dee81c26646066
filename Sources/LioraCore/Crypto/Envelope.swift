public import Crypto
public import Foundation

/// The master keys (`LIORA_MASTER_KEY`) by version. A single base64 key is version 1; during a
/// rotation the variable lists several, newest first: `2:<base64>,1:<base64>`. The first is the
/// current version (new tenant keys are wrapped with it); the others still unwrap until retired.
public struct MasterKeyRing: Sendable {
    public let currentVersion: Int
    /// Raw key bytes by version (SymmetricKey is not Sendable; one is made per use).
    private let keys: [Int: [UInt8]]

    public init(current: Int, keys: [Int: [UInt8]]) {
        precondition(keys[current] != nil, "the current master key must be in the ring")
        self.currentVersion = current
        self.keys = keys
    }

    /// Parses `LIORA_MASTER_KEY`. Throws a message fit for the one-line start-up error.
    public init(parsing raw: String) throws(LioraError) {
        let entries = raw.split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
        guard !entries.isEmpty else { throw LioraError(.invalidConfiguration, "is empty") }
        var keys: [Int: [UInt8]] = [:]
        var first: Int?
        for entry in entries {
            let version: Int
            let encoded: Substring
            if entries.count == 1, !entry.contains(":") {
                version = 1
                encoded = Substring(entry)
            } else {
                let parts = entry.split(separator: ":", maxSplits: 1)
                guard parts.count == 2, let v = Int(parts[0].drop { $0 == "v" }), v > 0 else {
                    throw LioraError(.invalidConfiguration, "each entry must be VERSION:BASE64 (e.g. 2:…,1:…)")
                }
                version = v
                encoded = parts[1]
            }
            guard let data = Data(base64Encoded: String(encoded)), data.count == 32 else {
                throw LioraError(.invalidConfiguration, "must be 32 bytes, base64-encoded (e.g. `openssl rand -base64 32`)")
            }
            guard keys[version] == nil else { throw LioraError(.invalidConfiguration, "version \(version) is listed twice") }
            keys[version] = Array(data)
            if first == nil { first = version }
        }
        guard let first, keys.keys.max() == first else {
            throw LioraError(.invalidConfiguration, "the first entry must be the newest version")
        }
        self.init(current: first, keys: keys)
    }

    public var versions: [Int] { keys.keys.sorted(by: >) }
    public func key(version: Int) -> SymmetricKey? { keys[version].map { SymmetricKey(data: $0) } }

    /// A fresh random 32-byte key, base64-encoded (for `liora keys generate` and the demo).
    public static func generateKey() -> String {
        SymmetricKey(size: .bits256).withUnsafeBytes { Data($0).base64EncodedString() }
    }
}

/// What a ciphertext is bound to: decrypting it under any other tenant, table, row or column
/// fails, so a ciphertext copied elsewhere in the database is useless.
public struct EncryptionBinding: Sendable, Equatable {
    public var tenantID: UUID
    public var table: String
    public var rowID: String
    public var column: String

    public init(tenantID: UUID, table: String, rowID: String, column: String) {
        self.tenantID = tenantID
        self.table = table
        self.rowID = rowID
        self.column = column
    }

    var associatedData: Data {
        Data("liora.v1|\(tenantID.uuidString.lowercased())|\(table)|\(rowID)|\(column)".utf8)
    }
}

/// Envelope encryption: secrets are sealed with AES-256-GCM under a per-tenant data key; the
/// data key is itself sealed (wrapped) by a master key version. Only wrapped keys and
/// ciphertexts are stored; plaintext exists only in memory.
public enum Envelope {
    /// A tenant's data key as stored: which master version wrapped it, and the sealed bytes.
    public struct WrappedKey: Sendable, Equatable {
        public var tenantID: UUID
        /// The data key's own version (stored next to each ciphertext as `key_version`).
        public var version: Int
        public var masterVersion: Int
        public var sealed: [UInt8]

        public init(tenantID: UUID, version: Int, masterVersion: Int, sealed: [UInt8]) {
            self.tenantID = tenantID
            self.version = version
            self.masterVersion = masterVersion
            self.sealed = sealed
        }
    }

    private static func keyBinding(tenantID: UUID, version: Int) -> Data {
        Data("liora.v1|data-key|\(tenantID.uuidString.lowercased())|\(version)".utf8)
    }

    /// A new random data key for `tenantID`, wrapped with the ring's current master key.
    public static func newDataKey(tenantID: UUID, version: Int, ring: MasterKeyRing) throws -> (key: SymmetricKey, wrapped: WrappedKey) {
        let key = SymmetricKey(size: .bits256)
        return (key, try wrap(key, tenantID: tenantID, version: version, masterVersion: ring.currentVersion, ring: ring))
    }

    public static func wrap(_ key: SymmetricKey, tenantID: UUID, version: Int, masterVersion: Int, ring: MasterKeyRing) throws -> WrappedKey {
        guard let master = ring.key(version: masterVersion) else {
            throw LioraError(.invalidConfiguration, "master key version \(masterVersion) is not configured")
        }
        let raw = key.withUnsafeBytes { Data($0) }
        let box = try AES.GCM.seal(raw, using: master, authenticating: keyBinding(tenantID: tenantID, version: version))
        guard let combined = box.combined else { throw LioraError(.storage, "could not wrap a data key") }
        return WrappedKey(tenantID: tenantID, version: version, masterVersion: masterVersion, sealed: Array(combined))
    }

    public static func unwrap(_ wrapped: WrappedKey, ring: MasterKeyRing) throws -> SymmetricKey {
        guard let master = ring.key(version: wrapped.masterVersion) else {
            throw LioraError(.invalidConfiguration, "master key version \(wrapped.masterVersion) is not configured",
                             detail: "LIORA_MASTER_KEY lacks a version still used by tenant keys")
        }
        do {
            let box = try AES.GCM.SealedBox(combined: wrapped.sealed)
            let raw = try AES.GCM.open(box, using: master, authenticating: keyBinding(tenantID: wrapped.tenantID, version: wrapped.version))
            return SymmetricKey(data: raw)
        } catch {
            throw LioraError.tenantKeyNotOpened
        }
    }

    /// Re-wraps a data key under the ring's current master version (key rotation).
    public static func rewrap(_ wrapped: WrappedKey, ring: MasterKeyRing) throws -> WrappedKey {
        try wrap(try unwrap(wrapped, ring: ring), tenantID: wrapped.tenantID, version: wrapped.version,
                 masterVersion: ring.currentVersion, ring: ring)
    }

    public static func seal(_ plaintext: String, key: SymmetricKey, binding: EncryptionBinding) throws -> [UInt8] {
        let box = try AES.GCM.seal(Data(plaintext.utf8), using: key, authenticating: binding.associatedData)
        guard let combined = box.combined else { throw LioraError(.storage, "could not encrypt a secret") }
        return Array(combined)
    }

    public static func open(_ ciphertext: [UInt8], key: SymmetricKey, binding: EncryptionBinding) throws -> Secret {
        do {
            let box = try AES.GCM.SealedBox(combined: ciphertext)
            let plain = try AES.GCM.open(box, using: key, authenticating: binding.associatedData)
            return Secret(String(decoding: plain, as: UTF8.self))
        } catch {
            throw LioraError(.storage, "a secret could not be decrypted", detail: "wrong key, or a ciphertext moved to another row")
        }
    }
}
