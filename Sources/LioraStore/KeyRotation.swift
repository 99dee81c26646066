package import Foundation
package import LioraCore

/// Master key rotation: every tenant's data key is re-wrapped under the ring's current master
/// version, in small batches and one transaction each, while the service keeps running (the
/// ring still opens the old version). Cross-tenant, so it runs as the schema owner on
/// PostgreSQL (the only role the `key_rotation` policy lets see every wrapped key).
package enum KeyRotation {
    /// Refuses (on PostgreSQL) a role that would not see every tenant's key: row-level security
    /// shows the service role none without a tenant, so counting would say "nothing to rotate"
    /// and an operator would retire a master version still in use.
    package static func requireEveryKeyVisible(_ database: any SQLDatabase) async throws {
        guard database.dialect == .postgres else { return }
        let rows = try await database.withConnection { c in
            try await c.query("""
                SELECT current_user::text AS name, (r.rolsuper OR r.rolbypassrls
                    OR COALESCE(pg_has_role(current_user, t.tableowner, 'USAGE'), false)) AS sees_all
                FROM pg_roles r LEFT JOIN pg_tables t ON t.schemaname = 'public' AND t.tablename = 'tenant_keys'
                WHERE r.rolname = current_user
                """)
        }
        guard let r = rows.first, try r.bool("sees_all") == true else {
            let name = try rows.first?.string("name") ?? "?"
            throw LioraError(.invalidConfiguration, """
                role \(name) does not see every tenant's key (row-level security); run this with \
                LIORA_MIGRATION_DATABASE_URL naming the schema owner (see docs/runbook.md)
                """)
        }
    }

    /// How many tenant keys each master version wraps (every tenant's: see `requireEveryKeyVisible`).
    package static func versionCounts(_ database: any SQLDatabase) async throws -> [Int: Int] {
        try await requireEveryKeyVisible(database)
        return try await database.transaction { c in
            var counts: [Int: Int] = [:]
            for r in try await c.query("SELECT master_version, count(*) AS n FROM tenant_keys GROUP BY master_version") {
                counts[Int(try r.required("master_version", r.int))] = Int(try r.required("n", r.int))
            }
            return counts
        }
    }

    /// The master versions that still wrap tenant keys but are not in `ring`, with how many keys
    /// each wraps (empty when every tenant key opens): what `liora keys status` flags (and exits 3
    /// for) and `liora serve` warns about at start-up. Those tenants' secrets cannot be opened.
    package static func missingVersions(_ database: any SQLDatabase, ring: MasterKeyRing) async throws -> [Int: Int] {
        missingVersions(in: try await versionCounts(database), ring: ring)
    }

    /// The entries of `counts` (from `versionCounts`) whose version `ring` lacks.
    package static func missingVersions(in counts: [Int: Int], ring: MasterKeyRing) -> [Int: Int] {
        counts.filter { ring.key(version: $0.key) == nil }
    }

    /// The versions `ring` has that do not open the tenant keys wrapped under them (a wrong key
    /// given for the right version number), with how many keys each wraps; one key per version
    /// is tried. What `liora keys status` flags besides the missing versions.
    package static func unopenableVersions(_ database: any SQLDatabase, ring: MasterKeyRing) async throws -> [Int: Int] {
        let counts = try await versionCounts(database)
        var wrong: [Int: Int] = [:]
        for (version, n) in counts where ring.key(version: version) != nil {
            let rows = try await database.transaction { c in
                try await c.query("SELECT cliente_id, version, master_version, wrapped_key FROM tenant_keys WHERE master_version = $1 LIMIT 1",
                                  [.int(Int64(version))])
            }
            guard let r = rows.first else { continue }
            let wrapped = Envelope.WrappedKey(tenantID: try r.required("cliente_id", r.uuid), version: Int(try r.required("version", r.int)),
                                              masterVersion: version, sealed: try r.required("wrapped_key", r.bytes))
            if (try? Envelope.unwrap(wrapped, ring: ring)) == nil { wrong[version] = n }
        }
        return wrong
    }

    /// One line for the operator naming the missing versions (`missingVersions`) and how many
    /// tenant keys need them; nil when none is missing.
    package static func missingVersionsWarning(_ missing: [Int: Int]) -> String? {
        guard !missing.isEmpty else { return nil }
        let versions = missing.keys.sorted()
        let keys = missing.values.reduce(0, +)
        return "LIORA_MASTER_KEY lacks master key version\(versions.count == 1 ? "" : "s") "
            + versions.map(String.init).joined(separator: ", ")
            + ", still wrapping \(keys) tenant key(s): those tenants' secrets (signing secrets, access tokens) cannot be "
            + "opened, and requests needing them answer 503, until it is added back; see `liora keys status`"
    }

    /// Re-wraps every key not under `ring.currentVersion`; returns how many were re-wrapped.
    /// `progress` is called after each batch with the running total.
    @discardableResult
    package static func rewrapAll(_ database: any SQLDatabase, ring: MasterKeyRing, now: Date, batchSize: Int = 200,
                                  progress: (Int) -> Void = { _ in }) async throws -> Int {
        try await requireEveryKeyVisible(database)
        var total = 0
        while true {
            let done = try await database.transaction { c -> Int in
                let rows = try await c.query("""
                    SELECT cliente_id, version, master_version, wrapped_key FROM tenant_keys WHERE master_version <> $1
                    ORDER BY cliente_id, version LIMIT $2
                    """, [.int(Int64(ring.currentVersion)), .int(Int64(batchSize))])
                var n = 0
                for r in rows {
                    let wrapped = Envelope.WrappedKey(tenantID: try r.required("cliente_id", r.uuid), version: Int(try r.required("version", r.int)),
                                                      masterVersion: Int(try r.required("master_version", r.int)),
                                                      sealed: try r.required("wrapped_key", r.bytes))
                    let fresh: Envelope.WrappedKey
                    do {
                        fresh = try Envelope.rewrap(wrapped, ring: ring)
                    } catch {
                        throw LioraError(.invalidConfiguration, """
                            the tenant key of cliente \(wrapped.tenantID.lowercasedText) (data key version \(wrapped.version)) does not \
                            open with master key version \(wrapped.masterVersion) of LIORA_MASTER_KEY: that version's key is not the one \
                            it was wrapped with; this batch was not changed (see `liora keys status`)
                            """)
                    }
                    let updated = try await c.query("""
                        UPDATE tenant_keys SET wrapped_key = $1, master_version = $2, rewrapped_at = $3
                        WHERE cliente_id = $4 AND version = $5 AND master_version = $6 RETURNING version
                        """, [.blob(fresh.sealed), .int(Int64(fresh.masterVersion)), .date(now), .uuid(wrapped.tenantID),
                              .int(Int64(wrapped.version)), .int(Int64(wrapped.masterVersion))])
                    n += updated.count
                    guard !updated.isEmpty else { continue }
                    // The tenant's audit trail records it (inside that tenant's row-level security on PostgreSQL).
                    if c.dialect == .postgres {
                        try await c.query("SELECT set_config('app.cliente_id', $1, true)", [.text(wrapped.tenantID.uuidString.lowercased())])
                    }
                    try await c.query("""
                        INSERT INTO tenant_events (id, cliente_id, actor, action, payload, created_at) VALUES ($1, $2, 'system:keys-rotate', 'key.rotated', $3, $4)
                        """, [.uuid(UUID.timeOrdered(at: now)), .uuid(wrapped.tenantID),
                              .json(JSONText.object(["from_master_version": String(wrapped.masterVersion),
                                                     "to_master_version": String(fresh.masterVersion),
                                                     "data_key_version": String(wrapped.version)])), .date(now)])
                }
                return rows.isEmpty ? -1 : n
            }
            if done < 0 { break }
            total += done
            progress(total)
        }
        return total
    }
}
