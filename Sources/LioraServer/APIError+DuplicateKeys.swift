import HTTPTypes
import LioraCore

extension APIError {
    /// Refuses a JSON body that names a member twice in one object: 400 `duplicate_key` with its
    /// path. `JSONDecoder` would silently keep one of the values, so `{"role": "agent", "role":
    /// "owner"}` would mean whatever the decoder picks. A body that is not JSON passes (its
    /// decoder reports it).
    static func refuseDuplicateKeys(in body: [UInt8]) throws {
        if let path = JSONDuplicateKeys.first(in: body) {
            throw APIError(.badRequest, "duplicate_key", "\(path) is given more than once; send each field once")
        }
    }
}
