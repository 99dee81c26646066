import HTTPTypes
import LioraCore

extension APIError {
    /// Refuses a JSON body that Foundation's parsers accept but a strict reader would not, or
    /// would read differently (`JSONDuplicateKeys`):
    /// - a member named twice in one object: 400 `duplicate_key` with its path (`JSONDecoder`
    ///   silently keeps one value, so `{"role": "agent", "role": "owner"}` would mean whatever
    ///   it picks);
    /// - syntax RFC 8259 does not allow, a trailing comma above all (`{"name": "x",}`): 400
    ///   `malformed_body` saying where, with `example` when given.
    /// Called once Foundation has read the body (what it refuses, its decoder reports).
    static func refuseAmbiguousJSON(in body: [UInt8], example: String? = nil) throws {
        switch JSONDuplicateKeys.check(body) {
        case nil:
            return
        case .duplicate(let path):
            throw APIError(.badRequest, "duplicate_key", "\(path) is given more than once; send each field once")
        case .notJSON(let problem):
            throw APIError(.badRequest, "malformed_body", "the body is not valid JSON (\(problem))" + (example.map { "; expected \($0)" } ?? ""))
        }
    }
}
