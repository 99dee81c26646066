import Foundation
import HTTPTypes
import Hummingbird
import LioraCore
import NIOCore

/// `GET/PUT/DELETE /clientes/{cliente_id}/links/bitly`: the tenant's Bitly account for the links
/// in its replies. Signed like the catalog API (Standard Webhooks) until the admin API takes
/// these over. The token is stored encrypted and never returned: only its last 4 characters.
struct LinkSettingsRoutes: Sendable {
    let store: any LioraStore
    let gate: SignedRequestGate
    let clock: any LioraClock

    func register<Context: RequestContext>(on router: Router<Context>) {
        let path = RouterPath("/clientes/{cliente_id}/links/bitly")
        router.get(path) { request, context in try await show(request, tenantID: try CatalogRoutes.tenantID(context)) }
        router.put(path) { request, context in try await set(request, tenantID: try CatalogRoutes.tenantID(context)) }
        router.delete(path) { request, context in try await remove(request, tenantID: try CatalogRoutes.tenantID(context)) }
    }

    struct Input: Decodable {
        var token: String
        var domain: String?
        var groupGuid: String?
    }

    struct Output: Encodable {
        var provider: String
        var tokenLast4: String
        var domain: String?
        var groupGuid: String?
        var updatedAt: Date
    }

    private func output(_ s: LinkProviderSettings) -> Output {
        Output(provider: s.provider, tokenLast4: s.tokenLast4, domain: s.domain, groupGuid: s.groupGUID, updatedAt: s.updatedAt)
    }

    func show(_ request: Request, tenantID: UUID) async throws -> Response {
        _ = try await gate.verify(tenantID: tenantID, headers: request.headers, body: [], operation: nil, now: clock.now)
        guard let settings = try await store.withTenant(tenantID, { try await $0.linkProviderSettings() }) else {
            throw APIError(.notFound, "not_configured", "this tenant has no Bitly account configured; links use the built-in shortener")
        }
        return try CatalogRoutes.json(status: .ok, output(settings))
    }

    func set(_ request: Request, tenantID: UUID) async throws -> Response {
        let body = Array(try await request.body.collect(upTo: 16 * 1024).readableBytesView)
        let now = clock.now
        let signed = try await gate.verifyWrite(tenantID: tenantID, headers: request.headers, body: body, operation: "set_bitly", now: now)
        let decoder = JSONDecoder()
        decoder.keyDecodingStrategy = .convertFromSnakeCase
        guard let input = try? decoder.decode(Input.self, from: Data(body)) else {
            throw APIError(.badRequest, "malformed_body", "the body must be {\"token\": …, \"domain\"?: …, \"group_guid\"?: …}")
        }
        try APIError.refuseAmbiguousJSON(in: body)
        // The settings are replaced whole: a misspelt field ("domian") would silently drop the
        // domain set before.
        if let object = try? JSONSerialization.jsonObject(with: Data(body)) as? [String: Any],
           let unknown = object.keys.sorted().first(where: { !["token", "domain", "group_guid"].contains($0) }) {
            throw APIError(.badRequest, "unknown_field", "unknown field \"\(unknown)\"; the body may only hold token, domain and group_guid")
        }
        let token = input.token.trimmingCharacters(in: .whitespaces)
        guard (8...200).contains(token.utf8.count), token.utf8.allSatisfy({ $0 > 32 && $0 < 127 }) else {
            throw APIError(.badRequest, "invalid_token", "token must be a Bitly access token (8–200 printable characters)")
        }
        if let domain = input.domain {
            guard (3...253).contains(domain.utf8.count), domain.contains("."), !domain.contains("/"), !domain.contains(" ") else {
                throw APIError(.badRequest, "invalid_domain", "domain must be a host name such as bit.ly or go.example.com")
            }
        }
        if let group = input.groupGuid {
            guard (1...64).contains(group.utf8.count), group.allSatisfy({ $0.isLetter || $0.isNumber || $0 == "_" || $0 == "-" }) else {
                throw APIError(.badRequest, "invalid_group_guid", "group_guid must be a Bitly group id")
            }
        }
        guard let vault = gate.vault else { throw SignedRequestGate.noVault }
        let saved = try await store.withTenant(tenantID) { session -> Result<LinkProviderSettings, APIError> in
            // Takes turns with a secret rotation, so a secret revoked meanwhile is seen.
            try await session.lockForAdminChange()
            if let refusal = try await signed.use(in: session, now: now, clock: clock) { return .failure(refusal.error) }
            let sealed = try await vault.seal(token, binding: TenantLinks.tokenBinding(tenantID: tenantID), in: session, now: now)
            let settings = LinkProviderSettings(provider: "bitly", tokenCiphertext: sealed.ciphertext, keyVersion: sealed.keyVersion,
                                                tokenLast4: String(token.suffix(4)), domain: input.domain, groupGUID: input.groupGuid,
                                                updatedAt: now)
            try await session.setLinkProviderSettings(settings, actor: "catalog-api", now: now)
            return .success(settings)
        }
        return try CatalogRoutes.json(status: .ok, output(try saved.get()))
    }

    func remove(_ request: Request, tenantID: UUID) async throws -> Response {
        let now = clock.now
        let signed = try await gate.verifyWrite(tenantID: tenantID, headers: request.headers, body: [], operation: "remove_bitly", now: now)
        let refusal = try await store.withTenant(tenantID) { session -> APIError? in
            try await session.lockForAdminChange()
            if let refusal = try await signed.use(in: session, now: now, clock: clock) { return refusal.error }
            try await session.setLinkProviderSettings(nil, actor: "catalog-api", now: now)
            return nil
        }
        if let refusal { throw refusal }
        return Response(status: .noContent)
    }
}
