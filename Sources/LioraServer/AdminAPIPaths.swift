/// Which paths belong to the admin API and its sign-in: `/auth/…`, `/plans` and everything under
/// `/clientes` (the signed catalog and link-settings routes included). Matched on a request's
/// path or on a route's pattern (`/clientes/{cliente_id}/…`) alike.
enum AdminAPIPaths {
    static func contains(_ path: String) -> Bool {
        guard let first = path.split(separator: "/").first else { return false }
        return first == "auth" || first == "plans" || first == "clientes"
    }

    /// The routes authenticated by a Standard Webhooks signature over the body (the tenant's
    /// catalog API, `/clientes/{cliente_id}/catalog/…`, and its link settings,
    /// `/clientes/{cliente_id}/links/…`): their bodies keep their own rules.
    static func isSignedAPI(_ path: String) -> Bool {
        let segments = path.split(separator: "/")
        return segments.count > 2 && segments[0] == "clientes" && (segments[2] == "catalog" || segments[2] == "links")
    }
}
