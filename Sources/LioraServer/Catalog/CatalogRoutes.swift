import Crypto
package import Foundation
import HTTPTypes
import Hummingbird
import LioraCore
import LioraStore
import Logging
import NIOCore

/// Limits and timings of the catalog API.
package struct CatalogAPIOptions: Sendable {
    /// Bodies above this are refused with 413 before their signature is checked.
    package var maxBodyBytes = 32 * 1024 * 1024
    /// How long the previous signing secret is still accepted after a rotation (default).
    package var secretOverlap: TimeInterval = 24 * 3600
    /// Snapshots kept per tenant, newest first, besides the active one and the one a publish replaced
    /// (`LIORA_CATALOG_KEEP_VERSIONS`); each new version deletes up to 5 older ones.
    package var keepVersions = 20
    /// The longest overlap a rotation may ask for.
    package var maxSecretOverlap: TimeInterval = 30 * 24 * 3600
    /// Bytes of bodies read at once before their signature is checked (four of the largest).
    package var bodies = BodyBudget.forCatalog(maxBodyBytes: 32 * 1024 * 1024)

    package init() {}
}

/// The tenant's signed catalog API (Standard Webhooks signatures):
/// - `POST /clientes/{cliente_id}/catalog/publish[?activate=false]` — validate, store a snapshot
///   (identical content is recognised), activate it atomically;
/// - `POST /clientes/{cliente_id}/catalog/snapshots/{version}/activate` — roll back or forward;
/// - `GET …/catalog/snapshots`, `…/snapshots/{version}`, `…/snapshots/{version}/content`, `…/catalog/active`;
/// - `POST …/catalog/secret/rotate` — a new signing secret, the old one valid for an overlap;
/// - `GET …/catalog/ingest-logs` — the publish attempts and how they ended.
struct CatalogRoutes: Sendable {
    let store: any LioraStore
    let gate: SignedRequestGate
    let indexes: CatalogIndexCache
    let clock: any LioraClock
    let options: CatalogAPIOptions
    /// With the admin API on, the reads also accept a tenant owner's or admin's access token.
    var adminGate: AdminGate? = nil

    func register<Context: RequestContext>(on router: Router<Context>) {
        let base = "/clientes/{cliente_id}/catalog"
        router.post("\(base)/publish") { request, context in
            try await publish(request, tenantID: try Self.tenantID(context), logger: context.logger)
        }
        router.post("\(base)/snapshots/{version}/activate") { request, context in
            try await activate(request, tenantID: try Self.tenantID(context), version: try Self.versionParameter(context), logger: context.logger)
        }
        router.get("\(base)/snapshots") { request, context in
            try await listSnapshots(request, tenantID: try Self.tenantID(context))
        }
        router.get("\(base)/snapshots/{version}") { request, context in
            try await snapshot(request, tenantID: try Self.tenantID(context), version: try Self.versionParameter(context))
        }
        router.get("\(base)/snapshots/{version}/content") { request, context in
            try await snapshotContent(request, tenantID: try Self.tenantID(context), version: try Self.versionParameter(context))
        }
        router.get("\(base)/active") { request, context in
            try await active(request, tenantID: try Self.tenantID(context))
        }
        router.post("\(base)/secret/rotate") { request, context in
            try await rotateSecret(request, tenantID: try Self.tenantID(context))
        }
        router.get("\(base)/ingest-logs") { request, context in
            try await ingestLogs(request, tenantID: try Self.tenantID(context))
        }
    }

    static func tenantID(_ context: some RequestContext) throws -> UUID {
        try context.uuidParameter("cliente_id")
    }

    /// The path's `version` as openapi defines it (an integer ≥ 1), or 400 `invalid_version`
    /// naming the parameter, before anything is authorised or read: `abc`, `0` or `-1` is a
    /// client's mistake, not an unknown snapshot.
    static func versionParameter(_ context: some RequestContext) throws -> Int {
        guard let raw = context.parameters.get("version"), raw.utf8.allSatisfy({ (48...57).contains($0) }),
              let v = Int(raw), v > 0 else {
            throw APIError(.badRequest, "invalid_version", "version must be a whole number from 1 to \(Int.max), like 3")
        }
        return v
    }

    /// The raw body, or 413 (logged) above the limit.
    /// A byte limit as people write it: `64 KB`, `16 MB`, `1.5 MB`, `1000 bytes`.
    static func size(_ bytes: Int) -> String {
        let (kb, mb) = (1024, 1024 * 1024)
        if bytes >= mb {
            return bytes % mb == 0 ? "\(bytes / mb) MB" : String(format: "%.1f MB", Double(bytes) / Double(mb))
        }
        if bytes >= kb, bytes % kb == 0 { return "\(bytes / kb) KB" }
        return "\(bytes) bytes"
    }

    private func collect(_ request: Request, tenantID: UUID, operation: String, limit: Int) async throws -> [UInt8] {
        do {
            return try await options.bodies.withReservation(declared: request.headers[.contentLength], maxBytes: limit) { size in
                Array(try await request.body.collect(upTo: size).readableBytesView)
            }
        } catch is NIOTooManyBytesError {
            let error = APIError(.contentTooLarge, "payload_too_large", "the body is larger than \(Self.size(limit))")
            await gate.logEarlyRefusal(tenantID: tenantID, headers: request.headers, operation: operation, error: error,
                                       size: limit + 1, now: clock.now)
            throw error
        } catch let error as APIError where error == BodyBudget.timedOut {
            let declared = request.headers[.contentLength].flatMap { Int($0) } ?? 0
            await gate.logEarlyRefusal(tenantID: tenantID, headers: request.headers, operation: operation, error: error,
                                       size: declared, now: clock.now)
            throw error
        }
    }

    // MARK: Publish

    private enum PublishResult: Sendable {
        case created(CatalogSnapshotInfo, active: Bool)
        case unchanged(CatalogSnapshotInfo, active: Bool)
        case refused(APIError, problems: [CatalogCheck.Problem])
    }

    /// Runs `check`; a refusal it throws is logged for the tenant (within the refusal budget, as
    /// every attempt is) and thrown.
    private func logged<T>(_ operation: String, _ request: Request, tenantID: UUID, size: Int, now: Date,
                           _ check: () throws -> T) async throws -> T {
        do {
            return try check()
        } catch let error as APIError {
            await gate.logEarlyRefusal(tenantID: tenantID, headers: request.headers, operation: operation, error: error, size: size, now: now)
            throw error
        }
    }

    func publish(_ request: Request, tenantID: UUID, logger: Logger) async throws -> Response {
        // Read before the body and the signature: a value that is not a boolean must not publish
        // straight to live (`False`, `no`), and answers 400 before anything else happens — nothing
        // is written, not even an ingest log row (its signature is not checked yet).
        let activate: Bool
        switch request.uri.queryParameters["activate"].map({ String($0).lowercased() }) {
        case nil, "true", "1": activate = true
        case "false", "0": activate = false
        default: throw APIError(.badRequest, "invalid_parameter", "activate must be true or false")
        }
        let body = try await collect(request, tenantID: tenantID, operation: "publish", limit: options.maxBodyBytes)
        let now = clock.now
        let signed = try await gate.verifyWrite(tenantID: tenantID, headers: request.headers, body: body, operation: "publish", now: now)
        let webhookID = signed.id
        // Hash, parse and validate outside any transaction and off the cooperative pool (a large
        // catalog takes a moment).
        let (hash, check) = await offCooperativePool { (SHA256.hex(body), CatalogCheck.run(body)) }
        let result = try await store.withTenant(tenantID) { session -> PublishResult in
            // Catalog changes of one tenant take turns (the next version number, the content hash,
            // the active pointer): two concurrent publishes both succeed, one after the other.
            try await session.lockForAdminChange()
            func log(_ outcome: IngestLogEntry.Outcome, _ reason: String?, _ status: Int, version: Int? = nil, problems: Int = 0) async throws {
                try await session.recordIngest(IngestLogEntry(
                    tenantID: tenantID, operation: "publish", webhookID: webhookID, outcome: outcome, reason: reason, httpStatus: status,
                    snapshotVersion: version, contentHash: hash, sizeBytes: body.count, problemCount: problems, receivedAt: now))
            }
            if let refusal = try await signed.use(in: session, now: now, clock: clock) {
                try await log(.rejected, refusal.reason, 401)
                return .refused(refusal.error, problems: [])
            }
            let catalog: CatalogCheck.Valid
            switch check {
            case .invalid(let problems):
                let error = APIError(.unprocessableContent, "validation_failed",
                                     "the catalog has \(problems.count) problem\(problems.count == 1 ? "" : "s"); nothing was stored")
                try await log(.rejected, error.code, 422, problems: problems.count)
                return .refused(error, problems: problems)
            case .valid(let valid):
                catalog = valid
            }
            if let existing = try await session.catalogSnapshot(contentHash: hash) {
                var isActive = try await session.activeCatalog()?.version == existing.version
                if activate, !isActive {
                    _ = try await session.activateCatalog(version: existing.version, actor: "catalog-api", now: now)
                    isActive = true
                }
                try await log(.unchanged, nil, 200, version: existing.version)
                return .unchanged(existing, active: isActive)
            }
            let stored = try await session.addCatalogSnapshot(NewCatalogSnapshot(
                id: UUID.timeOrdered(at: now), contentHash: hash, body: body, productCount: catalog.productCount,
                categoryCount: catalog.categoryCount, currency: catalog.currency, locale: catalog.locale, webhookID: webhookID), now: now)
            let previous = try await session.activeCatalog()?.version
            if activate { _ = try await session.activateCatalog(version: stored.version, actor: "catalog-api", now: now) }
            // Old versions go, so a tenant publishing every hour does not keep every body (up to
            // 32 MB each) forever. The active one stays whatever its age, and so does the one this
            // publish replaced (the last known good, to roll back to). A few per publish at most:
            // the first publish after an upgrade must not hold the tenant's lock deleting hundreds.
            _ = try await session.pruneCatalogSnapshots(keepNewest: max(1, options.keepVersions), alsoKeeping: previous.map { [$0] } ?? [],
                                                        atMost: 5, actor: "catalog-api", now: now)
            try await log(.accepted, nil, 201, version: stored.version)
            return .created(stored, active: activate)
        }
        switch result {
        case .refused(let error, let problems):
            if problems.isEmpty { throw error }
            return try Self.json(status: error.status, ValidationFailure(error: .init(code: error.code, message: error.message, problems: problems)))
        case .created(let info, let active), .unchanged(let info, let active):
            if active, case .valid(let valid) = check {
                indexes.install(tenantID: tenantID, version: info.version, index: await offCooperativePool { valid.index() })
            }
            var created = false
            if case .created = result { created = true }
            logger.info("catalog published", metadata: ["cliente_id": "\(tenantID.lowercasedText)", "version": "\(info.version)",
                                                         "created": "\(created)", "active": "\(active)"])
            return try Self.json(status: created ? .created : .ok, PublishResponse(snapshot: .init(info, active: active), created: created))
        }
    }

    // MARK: Activation and reads

    func activate(_ request: Request, tenantID: UUID, version: Int, logger: Logger) async throws -> Response {
        let body = try await collect(request, tenantID: tenantID, operation: "activate", limit: 64 * 1024)
        let now = clock.now
        // The signature is checked before the body is parsed (an unsigned request learns nothing).
        let signed = try await gate.verifyWrite(tenantID: tenantID, headers: request.headers, body: body, operation: "activate", now: now)
        // The signature covers the body, not the path: only an empty body, `{}` or this very version
        // is accepted, so the signed body of another request (a rotation or Bitly settings refused
        // with 400, whose id was never used up) cannot be replayed here to switch the live catalog.
        if !body.isEmpty {
            try await logged("activate", request, tenantID: tenantID, size: body.count, now: now) {
                struct Input: Decodable { var version: Int? }
                let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any]
                let input = try? JSONDecoder().decode(Input.self, from: Data(body))
                guard let object, let input, object.keys.allSatisfy({ $0 == "version" }), input.version ?? version == version else {
                    throw APIError(.badRequest, "malformed_body", "the body must be empty, {} or {\"version\": \(version)}")
                }
                try APIError.refuseAmbiguousJSON(in: body)
            }
        }
        let webhookID = signed.id
        let outcome = try await store.withTenant(tenantID) { session -> Result<(CatalogSnapshotInfo, [UInt8]), APIError> in
            try await session.lockForAdminChange()
            func log(_ outcome: IngestLogEntry.Outcome, _ reason: String?, _ status: Int) async throws {
                try await session.recordIngest(IngestLogEntry(
                    tenantID: tenantID, operation: "activate", webhookID: webhookID, outcome: outcome, reason: reason,
                    httpStatus: status, snapshotVersion: version, sizeBytes: body.count, receivedAt: now))
            }
            if let refusal = try await signed.use(in: session, now: now, clock: clock) {
                try await log(.rejected, refusal.reason, 401)
                return .failure(refusal.error)
            }
            guard let info = try await session.catalogSnapshot(version: version), let bytes = try await session.catalogSnapshotBody(version: version) else {
                try await log(.rejected, "snapshot_not_found", 404)
                return .failure(APIError(.notFound, "snapshot_not_found", "no catalog snapshot with this version"))
            }
            if try await session.activeCatalog()?.version != version {
                _ = try await session.activateCatalog(version: version, actor: "catalog-api", now: now)
                try await log(.accepted, nil, 200)
            } else {
                try await log(.unchanged, nil, 200)
            }
            return .success((info, bytes))
        }
        let (info, bytes) = try outcome.get()
        _ = await indexes.build(tenantID: tenantID, version: version, body: bytes)
        logger.info("catalog activated", metadata: ["cliente_id": "\(tenantID.lowercasedText)", "version": "\(version)"])
        return try Self.json(status: .ok, SnapshotBody(info, active: true))
    }

    /// Reads take either the tenant's request signature or, with the admin API on, an access
    /// token of the tenant's owner or admin (or a platform admin).
    private func verifyRead(_ request: Request, tenantID: UUID) async throws {
        if let adminGate, AdminAuth.bearerToken(request.headers[.authorization]) != nil {
            _ = try await adminGate.authorize(request.headers, .catalogRead, tenantID: tenantID)
            return
        }
        _ = try await gate.verify(tenantID: tenantID, headers: request.headers, body: [], operation: nil, now: clock.now)
    }

    func listSnapshots(_ request: Request, tenantID: UUID) async throws -> Response {
        try await verifyRead(request, tenantID: tenantID)
        let q = request.uri.queryParameters
        let limit = min(max(q["limit"].flatMap { Int(String($0)) } ?? 50, 1), 200)
        var before: Int?
        if let raw = q["before"].map(String.init), !raw.isEmpty {
            guard let version = Int(raw), version > 0 else {
                throw APIError(.badRequest, "invalid_cursor", "before must be a next_before returned by this endpoint (a version number)")
            }
            before = version
        }
        let (rows, active) = try await store.withTenant(tenantID) { s in
            (try await s.catalogSnapshots(limit: limit, beforeVersion: before), try await s.activeCatalog()?.version)
        }
        let next = rows.count == limit ? rows.last.map { String($0.version) } : nil
        return try Self.json(status: .ok, SnapshotList(snapshots: rows.map { SnapshotBody($0, active: $0.version == active) },
                                                       nextBefore: next))
    }

    func snapshot(_ request: Request, tenantID: UUID, version: Int) async throws -> Response {
        try await verifyRead(request, tenantID: tenantID)
        let (row, active) = try await store.withTenant(tenantID) { s in
            (try await s.catalogSnapshot(version: version), try await s.activeCatalog()?.version)
        }
        guard let row else { throw APIError(.notFound, "snapshot_not_found", "no catalog snapshot with this version") }
        return try Self.json(status: .ok, SnapshotBody(row, active: row.version == active))
    }

    func snapshotContent(_ request: Request, tenantID: UUID, version: Int) async throws -> Response {
        try await verifyRead(request, tenantID: tenantID)
        guard let bytes = try await store.withTenant(tenantID, { try await $0.catalogSnapshotBody(version: version) }) else {
            throw APIError(.notFound, "snapshot_not_found", "no catalog snapshot with this version")
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(bytes: bytes)))
    }

    func active(_ request: Request, tenantID: UUID) async throws -> Response {
        try await verifyRead(request, tenantID: tenantID)
        let row = try await store.withTenant(tenantID) { s -> CatalogSnapshotInfo? in
            guard let active = try await s.activeCatalog() else { return nil }
            return try await s.catalogSnapshot(version: active.version)
        }
        guard let row else { throw APIError(.notFound, "no_active_catalog", "this tenant has no active catalog yet") }
        return try Self.json(status: .ok, SnapshotBody(row, active: true))
    }

    func ingestLogs(_ request: Request, tenantID: UUID) async throws -> Response {
        try await verifyRead(request, tenantID: tenantID)
        let limit = min(max(request.uri.queryParameters["limit"].flatMap { Int(String($0)) } ?? 50, 1), 200)
        let rows = try await store.withTenant(tenantID) { try await $0.ingestLogs(limit: limit) }
        return try Self.json(status: .ok, IngestLogList(entries: rows.map(IngestLogBody.init)))
    }

    // MARK: Secret rotation

    /// Signed with the current secret, or (admin API on) with an access token of the tenant's owner
    /// or a platform admin: the way back when the secret is lost or leaked.
    func rotateSecret(_ request: Request, tenantID: UUID) async throws -> Response {
        let body = try await collect(request, tenantID: tenantID, operation: "rotate_secret", limit: 64 * 1024)
        let now = clock.now
        var admin: Principal?
        if let adminGate, AdminAuth.bearerToken(request.headers[.authorization]) != nil {
            admin = try await adminGate.authorize(request.headers, .catalogSecretRotate, tenantID: tenantID).0
        }
        let signed = admin != nil
            ? nil : try await gate.verifyWrite(tenantID: tenantID, headers: request.headers, body: body, operation: "rotate_secret", now: now)
        let webhookID = signed?.id
        // With a token the secret is lost or leaked: the old ones stop at once unless asked otherwise
        // (a leaked secret kept for a day could be used to rotate the owner's new one away).
        var overlap = admin != nil ? 0 : options.secretOverlap
        if !body.isEmpty {
            overlap = try await logged("rotate_secret", request, tenantID: tenantID, size: body.count, now: now) { [options, overlap] in
                struct Input: Decodable { var overlapSeconds: Int? }
                // The admin API's rules: unknown and repeated fields refused, a wrong type named.
                let input = try AdminRoutes.decode(Input.self, from: body, example: #"{"overlap_seconds": 86400}"#)
                guard let seconds = input.overlapSeconds else { return overlap }
                guard seconds >= 0, Double(seconds) <= options.maxSecretOverlap else {
                    throw APIError(.badRequest, "invalid_overlap", "overlap_seconds must be between 0 and \(Int(options.maxSecretOverlap))")
                }
                return TimeInterval(seconds)
            }
        }
        guard let vault = gate.vault else { throw SignedRequestGate.noVault }
        let result = try await store.withTenant(tenantID) { session -> Result<String, APIError> in
            try await session.lockForAdminChange()
            if let admin {
                let secret = try await CatalogSecrets.issue(in: session, vault: vault, overlap: overlap, now: now)
                try await session.record(TenantEvent(tenantID: tenantID, actor: admin.actor, action: "catalog.secret_rotated",
                                                     payloadJSON: "{\"overlap_seconds\":\(Int(overlap))}", createdAt: now))
                return .success(secret)
            }
            guard let signed, let webhookID else { throw APIError.internalError }  // neither a token nor a signature: unreachable
            if let refusal = try await signed.use(in: session, now: now, clock: clock, currentOnly: true) {
                try await session.recordIngest(IngestLogEntry(tenantID: tenantID, operation: "rotate_secret", webhookID: webhookID,
                                                              outcome: .rejected, reason: refusal.reason, httpStatus: 401,
                                                              sizeBytes: body.count, receivedAt: now))
                return .failure(refusal.error)  // the refusal's log is kept
            }
            let secret = try await CatalogSecrets.issue(in: session, vault: vault, overlap: overlap, now: now)
            try await session.record(TenantEvent(tenantID: tenantID, actor: "catalog-api", action: "catalog.secret_rotated",
                                                 payloadJSON: "{\"overlap_seconds\":\(Int(overlap))}", createdAt: now))
            try await session.recordIngest(IngestLogEntry(tenantID: tenantID, operation: "rotate_secret", webhookID: webhookID,
                                                          outcome: .accepted, reason: nil, httpStatus: 201, sizeBytes: body.count, receivedAt: now))
            return .success(secret)
        }
        let secret = try result.get()
        return try Self.json(status: .created, RotatedSecret(secret: secret, previousSecretsExpireAt: now.addingTimeInterval(overlap)))
    }

    // MARK: JSON

    static let encoder: JSONEncoder = {
        let e = JSONEncoder()
        e.keyEncodingStrategy = .convertToSnakeCase
        e.dateEncodingStrategy = .iso8601
        e.outputFormatting = [.sortedKeys, .withoutEscapingSlashes]
        return e
    }()

    static func json(status: HTTPResponse.Status, _ value: some Encodable) throws -> Response {
        Response(status: status, headers: [.contentType: "application/json; charset=utf-8"],
                 body: .init(byteBuffer: ByteBuffer(bytes: try encoder.encode(value))))
    }

    struct SnapshotBody: Encodable {
        var version: Int
        var contentHash: String
        var sizeBytes: Int
        var productCount: Int
        var categoryCount: Int
        var currency: String
        var locale: String
        var active: Bool
        var createdAt: Date

        init(_ s: CatalogSnapshotInfo, active: Bool) {
            version = s.version; contentHash = s.contentHash; sizeBytes = s.sizeBytes; productCount = s.productCount
            categoryCount = s.categoryCount; currency = s.currency; locale = s.locale; self.active = active; createdAt = s.createdAt
        }
    }

    struct PublishResponse: Encodable {
        var snapshot: SnapshotBody
        var created: Bool
    }

    struct SnapshotList: Encodable {
        var snapshots: [SnapshotBody]
        /// Pass as `?before=` for the next page; null on the last page.
        var nextBefore: String?
    }

    struct ValidationFailure: Encodable {
        struct Inner: Encodable {
            var code: String
            var message: String
            var problems: [CatalogCheck.Problem]
        }
        var error: Inner
    }

    struct RotatedSecret: Encodable {
        var secret: String
        var previousSecretsExpireAt: Date
    }

    struct IngestLogBody: Encodable {
        var operation: String
        var webhookId: String?
        var outcome: String
        var reason: String?
        var httpStatus: Int
        var snapshotVersion: Int?
        var contentHash: String?
        var sizeBytes: Int
        var problemCount: Int
        var receivedAt: Date

        init(_ e: IngestLogEntry) {
            operation = e.operation; webhookId = e.webhookID; outcome = e.outcome.rawValue; reason = e.reason
            httpStatus = e.httpStatus; snapshotVersion = e.snapshotVersion; contentHash = e.contentHash; sizeBytes = e.sizeBytes
            problemCount = e.problemCount; receivedAt = e.receivedAt
        }
    }

    struct IngestLogList: Encodable { var entries: [IngestLogBody] }
}
