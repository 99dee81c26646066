package import HTTPTypes
package import Hummingbird

/// Answers a request for a served path with a method the path does not have: 405
/// `method_not_allowed` with `Allow` listing the path's methods, where the router alone answers 404.
///
/// Added to the router after every route: Hummingbird puts a middleware only around the routes
/// added after it, and around its not-found responder, so this runs only for requests no route
/// took. The path is resolved as the router's trie does, a literal segment before a pattern
/// (`/clientes/export` before `/clientes/{cliente_id}`), so `Allow` names the methods of the route
/// the path would reach.
package struct MethodNotAllowedMiddleware<Context: RequestContext>: RouterMiddleware {
    private let routes: [(path: RouterPath, methods: [HTTPRequest.Method])]

    package init(routes: [Router<Context>.RouteDescription]) {
        var methods: [String: (path: RouterPath, methods: [HTTPRequest.Method])] = [:]
        for route in routes { methods[route.path.description, default: (route.path, [])].methods.append(route.method) }
        self.routes = methods.values.map { ($0.path, $0.methods.sorted { $0.rawValue < $1.rawValue }) }
    }

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        guard let allowed = allowedMethods(path: request.uri.path) else { return try await next(request, context) }
        let list = allowed.map(\.rawValue).joined(separator: ", ")
        var response = APIError(.methodNotAllowed, "method_not_allowed", "this path does not take \(request.method.rawValue); it takes \(list)")
            .response()
        response.headers[.allow] = list
        return response
    }

    /// The methods of the route `path` reaches, or nil when no route has the path.
    package func allowedMethods(path: String) -> [HTTPRequest.Method]? {
        let segments = path.split(separator: "/")
        var best: (rank: [Int], methods: [HTTPRequest.Method])?
        for route in routes {
            guard let rank = Self.rank(route.path, segments) else { continue }
            if best.map({ $0.rank.lexicographicallyPrecedes(rank) }) ?? true { best = (rank, route.methods) }
        }
        return best?.methods
    }

    /// How specifically `path` matches `segments`, one number per segment (2 a literal, 1 a
    /// pattern, 0 a `**` taking the rest), or nil when it does not match.
    private static func rank(_ path: RouterPath, _ segments: [Substring]) -> [Int]? {
        var rank: [Int] = []
        for (i, element) in path.enumerated() {
            if element == .recursiveWildcard, i == path.count - 1 { return segments.count > i ? rank + [0] : nil }
            guard i < segments.count, element ~= segments[i] else { return nil }
            rank.append(element == segments[i] ? 2 : 1)
        }
        return rank.count == segments.count ? rank : nil
    }
}
