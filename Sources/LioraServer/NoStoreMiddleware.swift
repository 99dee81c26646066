import HTTPTypes
package import Hummingbird

/// `Cache-Control: no-store` on every answer of the admin API and its sign-in routes
/// (`AdminAPIPaths`), errors included: they carry access and refresh tokens, catalog signing
/// secrets, invitation tokens and end users' messages, which no browser or proxy may keep.
/// Added to the router before the error middleware, so it also sees the answers that middleware
/// makes of thrown errors. Webhooks, short links, health and metrics are left as they are.
package struct NoStoreMiddleware<Context: RequestContext>: RouterMiddleware {
    package init() {}

    package func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        var response = try await next(request, context)
        if AdminAPIPaths.contains(request.uri.path) { response.headers[.cacheControl] = "no-store" }
        return response
    }
}
