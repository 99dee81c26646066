/// Finds what `JSONDecoder` and `JSONSerialization` accept silently in a JSON document: a member
/// name given twice in one object (they keep one of the values), and syntax RFC 8259 does not
/// allow, such as a trailing comma (`{"name": "x",}`: Foundation's parsers take it). Keys are
/// compared after their escapes are decoded (`"a"` and `"\u0061"` are the same member). Uses the
/// catalog's strict parser, in one pass over the bytes.
package enum JSONDuplicateKeys {
    /// What a document has that a strict reader would refuse or read differently.
    package enum Finding: Equatable, Sendable {
        /// The path (`$.a.b`, `$.items[2].c`) of the first member whose name its object already had.
        case duplicate(path: String)
        /// Not RFC 8259 JSON: why and where ("a trailing comma at line 1, column 14").
        case notJSON(String)
    }

    /// The first finding in `bytes`, or nil for strict JSON whose objects name each member once.
    package static func check(_ bytes: [UInt8]) -> Finding? {
        switch CatalogJSON.parse(bytes) {
        case .success(let value):
            return first(in: value, path: "$").map { .duplicate(path: $0) }
        case .failure(let error):
            return .notJSON(trailingComma(in: bytes).map { "a trailing comma at line \($0.line), column \($0.column)" } ?? error.description)
        }
    }

    /// The path of the first member whose name its object already had, or nil when there is
    /// none — or when `bytes` are not JSON.
    package static func first(in bytes: [UInt8]) -> String? {
        guard case .duplicate(let path) = check(bytes) else { return nil }
        return path
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

    /// Where the first comma outside a string that only whitespace separates from a `}` or `]`
    /// is (1-based line, column in characters), for a message that names the usual mistake.
    /// Only run on a document the parser refused.
    private static func trailingComma(in bytes: [UInt8]) -> (line: Int, column: Int)? {
        var inString = false, escaped = false
        var line = 1, column = 0
        var comma: (line: Int, column: Int)?
        for byte in bytes {
            if byte & 0xC0 != 0x80 { column += 1 }  // characters, not UTF-8 continuation bytes
            if inString {
                if escaped { escaped = false } else if byte == UInt8(ascii: "\\") { escaped = true } else if byte == UInt8(ascii: "\"") { inString = false }
                continue
            }
            switch byte {
            case 0x20, 0x09, 0x0D: continue
            case 0x0A: line += 1; column = 0; continue
            case UInt8(ascii: "}"), UInt8(ascii: "]"): if let comma { return comma }
            case UInt8(ascii: "\""): inString = true
            default: break
            }
            comma = byte == UInt8(ascii: ",") ? (line, column) : nil
        }
        return nil
    }
}
