/// Finds member names given twice in one object of a JSON document, which `JSONDecoder` and
/// `JSONSerialization` accept silently (keeping one of the values). Keys are compared after their
/// escapes are decoded (`"a"` and `"\u0061"` are the same member). Uses the catalog's parser.
package enum JSONDuplicateKeys {
    /// The path (`$.a.b`, `$.items[2].c`) of the first member whose name its object already had,
    /// or nil when there is none — or when `bytes` are not JSON (the caller's decoder reports that).
    package static func first(in bytes: [UInt8]) -> String? {
        guard case .success(let value) = CatalogJSON.parse(bytes) else { return nil }
        return first(in: value, path: "$")
    }

    private static func first(in value: CatalogJSON, path: String) -> String? {
        switch value {
        case .object(let members):
            var seen = Set<String>()
            for member in members {
                let memberPath = path + "." + member.key
                if !seen.insert(member.key).inserted { return memberPath }
                if let found = first(in: member.value, path: memberPath) { return found }
            }
            return nil
        case .array(let items):
            for (i, item) in items.enumerated() {
                if let found = first(in: item, path: "\(path)[\(i)]") { return found }
            }
            return nil
        case .string, .number, .bool, .null:
            return nil
        }
    }
}
