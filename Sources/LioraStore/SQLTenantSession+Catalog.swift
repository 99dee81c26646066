import Foundation
import LioraCore

extension SQLTenantSession {
    // MARK: Keys and secrets

    func dataKeys() async throws -> [Envelope.WrappedKey] {
        try await c.query("""
            SELECT version, master_version, wrapped_key FROM tenant_keys WHERE cliente_id = $1 ORDER BY version DESC
            """, [.uuid(tenantID)]).map { r in
            Envelope.WrappedKey(tenantID: tenantID, version: Int(try r.required("version", r.int)),
                                masterVersion: Int(try r.required("master_version", r.int)),
                                sealed: try r.required("wrapped_key", r.bytes))
        }
    }

    func addDataKey(_ key: Envelope.WrappedKey, now: Date) async throws {
        precondition(key.tenantID == tenantID, "data key for another tenant")
        try await c.query("""
            INSERT INTO tenant_keys (cliente_id, version, master_version, wrapped_key, created_at) VALUES ($1, $2, $3, $4, $5)
            """, [.uuid(tenantID), .int(Int64(key.version)), .int(Int64(key.masterVersion)), .blob(key.sealed), .date(now)])
    }

    func catalogSecrets(validAt now: Date) async throws -> [StoredSecret] {
        try await c.query("""
            SELECT id, secret_ciphertext, key_version, created_at, expires_at FROM catalog_secrets
            WHERE cliente_id = $1 AND (expires_at IS NULL OR expires_at > $2) ORDER BY created_at DESC, id DESC
            """, [.uuid(tenantID), .date(now)]).map { r in
            StoredSecret(id: try r.required("id", r.uuid), ciphertext: try r.required("secret_ciphertext", r.bytes),
                         keyVersion: Int(try r.required("key_version", r.int)), createdAt: try r.required("created_at", r.date),
                         expiresAt: try r.date("expires_at"))
        }
    }

    func addCatalogSecret(_ secret: StoredSecret, othersExpireAt: Date, now: Date) async throws {
        // The current secret (the newest) keeps working until `othersExpireAt`; any older one still
        // in its overlap stops now, so a rotation never leaves more than two secrets valid.
        let newest = "(SELECT n.id FROM catalog_secrets n WHERE n.cliente_id = $1 ORDER BY n.created_at DESC, n.id DESC LIMIT 1)"
        try await c.query("""
            UPDATE catalog_secrets SET expires_at = CASE WHEN id = \(newest) THEN $2 ELSE $3 END
            WHERE cliente_id = $1 AND (expires_at IS NULL OR expires_at > CASE WHEN id = \(newest) THEN $2 ELSE $3 END)
            """, [.uuid(tenantID), .date(othersExpireAt), .date(min(now, othersExpireAt))])
        try await c.query("""
            INSERT INTO catalog_secrets (id, cliente_id, secret_ciphertext, key_version, created_at, expires_at)
            VALUES ($1, $2, $3, $4, $5, $6)
            """, [.uuid(secret.id), .uuid(tenantID), .blob(secret.ciphertext), .int(Int64(secret.keyVersion)), .date(now),
                  .optional(secret.expiresAt)])
    }

    func isRequestIDUsed(_ id: String) async throws -> Bool {
        try await !c.query("SELECT 1 AS x FROM signed_request_ids WHERE cliente_id = $1 AND webhook_id = $2",
                           [.uuid(tenantID), .text(id)]).isEmpty
    }

    func useRequestID(_ id: String, now: Date, forgetBefore: Date) async throws -> Bool {
        try await c.query("DELETE FROM signed_request_ids WHERE cliente_id = $1 AND received_at < $2",
                          [.uuid(tenantID), .date(forgetBefore)])
        return try await !c.query("""
            INSERT INTO signed_request_ids (cliente_id, webhook_id, received_at) VALUES ($1, $2, $3)
            ON CONFLICT (cliente_id, webhook_id) DO NOTHING RETURNING webhook_id
            """, [.uuid(tenantID), .text(id), .date(now)]).isEmpty
    }

    // MARK: Catalog

    private static let snapshotColumns = """
        id, cliente_id, version, content_hash, size_bytes, product_count, category_count, currency, locale, webhook_id, created_at
        """

    private static func snapshot(_ r: any SQLRow) throws -> CatalogSnapshotInfo {
        CatalogSnapshotInfo(id: try r.required("id", r.uuid), tenantID: try r.required("cliente_id", r.uuid),
                            version: Int(try r.required("version", r.int)), contentHash: try r.required("content_hash", r.string),
                            sizeBytes: Int(try r.required("size_bytes", r.int)), productCount: Int(try r.required("product_count", r.int)),
                            categoryCount: Int(try r.required("category_count", r.int)), currency: try r.required("currency", r.string),
                            locale: try r.required("locale", r.string), webhookID: try r.string("webhook_id"),
                            createdAt: try r.required("created_at", r.date))
    }

    func addCatalogSnapshot(_ s: NewCatalogSnapshot, now: Date) async throws -> CatalogSnapshotInfo {
        let rows = try await c.query("""
            INSERT INTO catalog_snapshots (id, cliente_id, version, content_hash, body, size_bytes, product_count, category_count,
                                           currency, locale, webhook_id, created_at)
            SELECT $1, $2, COALESCE(MAX(version), 0) + 1, $3, $4, $5, $6, $7, $8, $9, $10, $11
            FROM catalog_snapshots WHERE cliente_id = $2
            RETURNING \(Self.snapshotColumns)
            """, [.uuid(s.id), .uuid(tenantID), .text(s.contentHash), .blob(s.body), .int(Int64(s.body.count)),
                  .int(Int64(s.productCount)), .int(Int64(s.categoryCount)), .text(s.currency), .text(s.locale),
                  .optional(s.webhookID), .date(now)])
        guard let r = rows.first else { throw StoreError.corrupt("snapshot not stored") }
        return try Self.snapshot(r)
    }

    func catalogSnapshot(version: Int) async throws -> CatalogSnapshotInfo? {
        try await c.query("SELECT \(Self.snapshotColumns) FROM catalog_snapshots WHERE cliente_id = $1 AND version = $2",
                          [.uuid(tenantID), .int(Int64(version))]).first.map(Self.snapshot)
    }

    func catalogSnapshot(contentHash: String) async throws -> CatalogSnapshotInfo? {
        try await c.query("SELECT \(Self.snapshotColumns) FROM catalog_snapshots WHERE cliente_id = $1 AND content_hash = $2",
                          [.uuid(tenantID), .text(contentHash)]).first.map(Self.snapshot)
    }

    func catalogSnapshotBody(version: Int) async throws -> [UInt8]? {
        try await c.query("SELECT body FROM catalog_snapshots WHERE cliente_id = $1 AND version = $2",
                          [.uuid(tenantID), .int(Int64(version))]).first.map { try $0.required("body", $0.bytes) }
    }

    func catalogSnapshots(limit: Int, beforeVersion: Int?) async throws -> [CatalogSnapshotInfo] {
        try await c.query("""
            SELECT \(Self.snapshotColumns) FROM catalog_snapshots WHERE cliente_id = $1 AND version < $2
            ORDER BY version DESC LIMIT $3
            """, [.uuid(tenantID), .int(Int64(beforeVersion ?? Int(Int32.max))), .int(Int64(limit))]).map(Self.snapshot)
    }

    func pruneCatalogSnapshots(keepNewest: Int, alsoKeeping: [Int], atMost: Int, actor: String, now: Date) async throws -> [Int] {
        precondition(keepNewest >= 1, "the newest snapshot is always kept")
        guard atMost > 0 else { return [] }
        // `alsoKeeping` as a bound array would need a dialect each; version numbers are integers.
        let kept = alsoKeeping.isEmpty ? "" : " AND version NOT IN (\(alsoKeeping.map(String.init).joined(separator: ", ")))"
        let versions = try await c.query("""
            DELETE FROM catalog_snapshots WHERE cliente_id = $1 AND id IN (
                SELECT id FROM catalog_snapshots WHERE cliente_id = $1
                  AND version <= (SELECT MAX(version) FROM catalog_snapshots WHERE cliente_id = $1) - $2
                  AND id NOT IN (SELECT snapshot_id FROM catalog_active WHERE cliente_id = $1)\(kept)
                ORDER BY version LIMIT $3)
            RETURNING version
            """, [.uuid(tenantID), .int(Int64(keepNewest)), .int(Int64(atMost))]).map { Int(try $0.required("version", $0.int)) }.sorted()
        if !versions.isEmpty {
            try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "catalog.pruned", payloadJSON: JSONText.object([
                "versions": versions.map(String.init).joined(separator: ","), "kept_newest": String(keepNewest)]), createdAt: now))
        }
        return versions
    }

    func activeCatalog() async throws -> ActiveCatalog? {
        try await c.query("SELECT snapshot_id, version, activated_at FROM catalog_active WHERE cliente_id = $1",
                          [.uuid(tenantID)]).first.map { r in
            ActiveCatalog(snapshotID: try r.required("snapshot_id", r.uuid), version: Int(try r.required("version", r.int)),
                          activatedAt: try r.required("activated_at", r.date))
        }
    }

    func activateCatalog(version: Int, actor: String, now: Date) async throws -> ActiveCatalog {
        guard let snapshot = try await catalogSnapshot(version: version) else {
            throw LioraError(.notFound, "no catalog snapshot with this version")
        }
        let previous = try await activeCatalog()
        try await c.query("""
            INSERT INTO catalog_active (cliente_id, snapshot_id, version, activated_at) VALUES ($1, $2, $3, $4)
            ON CONFLICT (cliente_id) DO UPDATE SET snapshot_id = excluded.snapshot_id, version = excluded.version,
                activated_at = excluded.activated_at
            """, [.uuid(tenantID), .uuid(snapshot.id), .int(Int64(version)), .date(now)])
        var payload = ["version": String(version), "content_hash": snapshot.contentHash]
        if let previous { payload["previous_version"] = String(previous.version) }
        try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "catalog.activated",
                                     payloadJSON: JSONText.object(payload), createdAt: now))
        return ActiveCatalog(snapshotID: snapshot.id, version: version, activatedAt: now)
    }

    func recordIngest(_ e: IngestLogEntry) async throws {
        precondition(e.tenantID == tenantID, "ingest log for another tenant")
        try await c.query("""
            INSERT INTO ingest_logs (id, cliente_id, operation, webhook_id, outcome, reason, http_status, snapshot_version, content_hash,
                                     size_bytes, problem_count, received_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
            """, [.uuid(e.id), .uuid(tenantID), .text(e.operation), .optional(e.webhookID.map { String($0.prefix(200)) }),
                  .text(e.outcome.rawValue), .optional(e.reason), .int(Int64(e.httpStatus)), .optional(e.snapshotVersion),
                  .optional(e.contentHash), .int(Int64(e.sizeBytes)), .int(Int64(e.problemCount)), .date(e.receivedAt)])
    }

    func ingestLogs(limit: Int) async throws -> [IngestLogEntry] {
        try await c.query("""
            SELECT id, operation, webhook_id, outcome, reason, http_status, snapshot_version, content_hash, size_bytes, problem_count,
                   received_at
            FROM ingest_logs WHERE cliente_id = $1 ORDER BY received_at DESC, id DESC LIMIT $2
            """, [.uuid(tenantID), .int(Int64(limit))]).map { r in
            IngestLogEntry(id: try r.required("id", r.uuid), tenantID: tenantID, operation: try r.required("operation", r.string),
                           webhookID: try r.string("webhook_id"),
                           outcome: IngestLogEntry.Outcome(rawValue: try r.required("outcome", r.string)) ?? .rejected,
                           reason: try r.string("reason"), httpStatus: Int(try r.required("http_status", r.int)),
                           snapshotVersion: try r.int("snapshot_version").map(Int.init), contentHash: try r.string("content_hash"),
                           sizeBytes: Int(try r.required("size_bytes", r.int)), problemCount: Int(try r.required("problem_count", r.int)),
                           receivedAt: try r.required("received_at", r.date))
        }
    }

    // MARK: External link shortener

    func linkProviderSettings() async throws -> LinkProviderSettings? {
        try await c.query("""
            SELECT provider, token_ciphertext, key_version, token_last4, domain, group_guid, updated_at FROM link_provider_settings
            WHERE cliente_id = $1
            """, [.uuid(tenantID)]).first.map { r in
            LinkProviderSettings(provider: try r.required("provider", r.string), tokenCiphertext: try r.required("token_ciphertext", r.bytes),
                                 keyVersion: Int(try r.required("key_version", r.int)), tokenLast4: try r.required("token_last4", r.string),
                                 domain: try r.string("domain"), groupGUID: try r.string("group_guid"),
                                 updatedAt: try r.required("updated_at", r.date))
        }
    }

    func setLinkProviderSettings(_ s: LinkProviderSettings?, actor: String, now: Date) async throws {
        guard let s else {
            let removed = try await c.query("DELETE FROM link_provider_settings WHERE cliente_id = $1 RETURNING provider", [.uuid(tenantID)])
            if let provider = try removed.first?.string("provider") {
                try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "links.provider_removed",
                                             payloadJSON: JSONText.object(["provider": provider]), createdAt: now))
            }
            return
        }
        try await c.query("""
            INSERT INTO link_provider_settings (cliente_id, provider, token_ciphertext, key_version, token_last4, domain, group_guid, updated_at)
            VALUES ($1, $2, $3, $4, $5, $6, $7, $8)
            ON CONFLICT (cliente_id) DO UPDATE SET provider = excluded.provider, token_ciphertext = excluded.token_ciphertext,
                key_version = excluded.key_version, token_last4 = excluded.token_last4, domain = excluded.domain,
                group_guid = excluded.group_guid, updated_at = excluded.updated_at
            """, [.uuid(tenantID), .text(s.provider), .blob(s.tokenCiphertext), .int(Int64(s.keyVersion)), .text(s.tokenLast4),
                  .optional(s.domain), .optional(s.groupGUID), .date(now)])
        // A new token may point at another account: links shortened with the old one are not reused.
        try await c.query("DELETE FROM external_links WHERE cliente_id = $1", [.uuid(tenantID)])
        try await record(TenantEvent(tenantID: tenantID, actor: actor, action: "links.provider_set",
                                     payloadJSON: JSONText.object(["provider": s.provider, "token_last4": s.tokenLast4]), createdAt: now))
    }

    func externalLink(provider: String, longURL: String) async throws -> String? {
        try await c.query("SELECT short_url FROM external_links WHERE cliente_id = $1 AND provider = $2 AND \(longURLMatches(3))",
                          [.uuid(tenantID), .text(provider), .text(longURL)]).first.map { try $0.required("short_url", $0.string) }
    }

    func saveExternalLink(provider: String, longURL: String, shortURL: String, now: Date) async throws {
        try await c.query("""
            INSERT INTO external_links (cliente_id, provider, long_url, short_url, created_at) VALUES ($1, $2, $3, $4, $5)
            ON CONFLICT (cliente_id, provider, \(c.dialect == .postgres ? "liora_url_key(long_url)" : "long_url")) DO UPDATE
            SET short_url = excluded.short_url
            """, [.uuid(tenantID), .text(provider), .text(longURL), .text(shortURL), .date(now)])
    }
}
