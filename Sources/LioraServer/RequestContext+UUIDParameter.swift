import Foundation
import Hummingbird

extension RequestContext {
    /// The path parameter `name` as a UUID, or 400 `invalid_id` naming the parameter when it is
    /// not one (before anything is looked up, authorised or changed).
    func uuidParameter(_ name: String) throws -> UUID {
        guard let raw = parameters.get(name), let id = UUID(uuidString: raw) else {
            throw APIError(.badRequest, "invalid_id", "\(name) must be a UUID, like 00000000-0000-4000-8000-000000000001")
        }
        return id
    }
}
