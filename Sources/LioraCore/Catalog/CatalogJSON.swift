/// A JSON value as the catalog validator reads it: numbers keep their text exactly as written
/// (so `"price": 1299.90` is not rounded through a `Double`), and object members keep their order
/// and any duplicates (so a repeated key can be reported instead of silently taking the last).
enum CatalogJSON {
    case object([(key: String, value: CatalogJSON)])
    case array([CatalogJSON])
    case string(String)
    case number(String)
    case bool(Bool)
    case null

    /// The JSON type's name, for "must be a string, got an array" messages.
    var typeName: String {
        switch self {
        case .object: "an object"
        case .array: "an array"
        case .string: "a string"
        case .number: "a number"
        case .bool: "a boolean"
        case .null: "null"
        }
    }

    /// Why a document is not JSON, and where (1-based line and column of the byte).
    struct SyntaxError: Error, Equatable {
        var reason: String
        var line: Int
        var column: Int
        var description: String { "\(reason) at line \(line), column \(column)" }
    }

    /// Parses RFC 8259 JSON from UTF-8 bytes (a leading byte-order mark is skipped). Strings must be
    /// valid UTF-8 and unescaped control characters are refused; nesting deeper than `maxDepth` is
    /// refused so hostile input cannot exhaust the stack.
    static func parse(_ bytes: [UInt8], maxDepth: Int = 64) -> Result<CatalogJSON, SyntaxError> {
        bytes.withUnsafeBufferPointer { buffer in
            var reader = Reader(bytes: buffer, maxDepth: maxDepth)
            do throws(Reader.Failure) {
                if buffer.count >= 3, buffer[0] == 0xEF, buffer[1] == 0xBB, buffer[2] == 0xBF { reader.index = 3 }
                reader.skipWhitespace()
                let value = try reader.value(depth: 0)
                reader.skipWhitespace()
                guard reader.index == buffer.count else { throw Reader.Failure(reason: "unexpected data after the JSON value", offset: reader.index) }
                return .success(value)
            } catch {
                return .failure(Self.position(of: error, in: buffer))
            }
        }
    }

    private static func position(of failure: Reader.Failure, in bytes: UnsafeBufferPointer<UInt8>) -> SyntaxError {
        var line = 1
        var lineStart = 0
        let end = min(failure.offset, bytes.count)
        for i in 0..<end where bytes[i] == 0x0A {
            line += 1
            lineStart = i + 1
        }
        // Columns count characters, not bytes: skip UTF-8 continuation bytes.
        var column = 1
        for i in lineStart..<end where bytes[i] & 0xC0 != 0x80 { column += 1 }
        return SyntaxError(reason: failure.reason, line: line, column: column)
    }
}

/// A recursive-descent reader over the raw bytes.
private struct Reader {
    struct Failure: Error {
        var reason: String
        var offset: Int
    }

    let bytes: UnsafeBufferPointer<UInt8>
    let maxDepth: Int
    var index = 0
    private var scratch: [UInt8] = []

    init(bytes: UnsafeBufferPointer<UInt8>, maxDepth: Int) {
        self.bytes = bytes
        self.maxDepth = maxDepth
    }

    mutating func skipWhitespace() {
        while index < bytes.count {
            switch bytes[index] {
            case 0x20, 0x0A, 0x0D, 0x09: index += 1
            default: return
            }
        }
    }

    mutating func value(depth: Int) throws(Failure) -> CatalogJSON {
        guard index < bytes.count else { throw Failure(reason: "unexpected end of input", offset: index) }
        switch bytes[index] {
        case UInt8(ascii: "{"): return try object(depth: depth + 1)
        case UInt8(ascii: "["): return try array(depth: depth + 1)
        case UInt8(ascii: "\""): return .string(try string())
        case UInt8(ascii: "t"): try literal("true"); return .bool(true)
        case UInt8(ascii: "f"): try literal("false"); return .bool(false)
        case UInt8(ascii: "n"): try literal("null"); return .null
        case UInt8(ascii: "-"), UInt8(ascii: "0")...UInt8(ascii: "9"): return .number(try number())
        default: throw Failure(reason: "unexpected character", offset: index)
        }
    }

    private mutating func object(depth: Int) throws(Failure) -> CatalogJSON {
        guard depth <= maxDepth else { throw Failure(reason: "nested more than \(maxDepth) levels deep", offset: index) }
        index += 1
        var members: [(key: String, value: CatalogJSON)] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "}") {
            index += 1
            return .object(members)
        }
        while true {
            guard index < bytes.count, bytes[index] == UInt8(ascii: "\"") else {
                throw Failure(reason: "expected a member name in double quotes", offset: index)
            }
            let key = try string()
            skipWhitespace()
            guard index < bytes.count, bytes[index] == UInt8(ascii: ":") else { throw Failure(reason: "expected ':' after a member name", offset: index) }
            index += 1
            skipWhitespace()
            members.append((key, try value(depth: depth)))
            skipWhitespace()
            guard index < bytes.count else { throw Failure(reason: "unexpected end of input inside an object", offset: index) }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "}"):
                index += 1
                return .object(members)
            default:
                throw Failure(reason: "expected ',' or '}' in an object", offset: index)
            }
        }
    }

    private mutating func array(depth: Int) throws(Failure) -> CatalogJSON {
        guard depth <= maxDepth else { throw Failure(reason: "nested more than \(maxDepth) levels deep", offset: index) }
        index += 1
        var elements: [CatalogJSON] = []
        skipWhitespace()
        if index < bytes.count, bytes[index] == UInt8(ascii: "]") {
            index += 1
            return .array(elements)
        }
        while true {
            elements.append(try value(depth: depth))
            skipWhitespace()
            guard index < bytes.count else { throw Failure(reason: "unexpected end of input inside an array", offset: index) }
            switch bytes[index] {
            case UInt8(ascii: ","):
                index += 1
                skipWhitespace()
            case UInt8(ascii: "]"):
                index += 1
                return .array(elements)
            default:
                throw Failure(reason: "expected ',' or ']' in an array", offset: index)
            }
        }
    }

    private mutating func literal(_ word: StaticString) throws(Failure) {
        let count = word.utf8CodeUnitCount
        guard index + count <= bytes.count else { throw Failure(reason: "unexpected end of input", offset: index) }
        let expected = word.utf8Start
        for k in 0..<count where bytes[index + k] != expected[k] {
            throw Failure(reason: "unexpected character", offset: index + k)
        }
        index += count
    }

    /// A number's text, checked against the JSON grammar `-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`.
    private mutating func number() throws(Failure) -> String {
        let start = index
        if bytes[index] == UInt8(ascii: "-") { index += 1 }
        guard index < bytes.count, isDigit(bytes[index]) else { throw Failure(reason: "a number needs digits", offset: index) }
        if bytes[index] == UInt8(ascii: "0") {
            index += 1
        } else {
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] == UInt8(ascii: ".") {
            index += 1
            guard index < bytes.count, isDigit(bytes[index]) else { throw Failure(reason: "a number needs digits after '.'", offset: index) }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, bytes[index] | 0x20 == UInt8(ascii: "e") {
            index += 1
            if index < bytes.count, bytes[index] == UInt8(ascii: "+") || bytes[index] == UInt8(ascii: "-") { index += 1 }
            guard index < bytes.count, isDigit(bytes[index]) else { throw Failure(reason: "a number needs digits in its exponent", offset: index) }
            while index < bytes.count, isDigit(bytes[index]) { index += 1 }
        }
        if index < bytes.count, isDigit(bytes[index]) { throw Failure(reason: "numbers cannot have leading zeros", offset: index) }
        return String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
    }

    private func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }

    /// A string's value; `index` is at the opening quote.
    private mutating func string() throws(Failure) -> String {
        index += 1
        let start = index
        // Fast path: no escapes. Non-ASCII bytes are validated as UTF-8 on the way.
        while index < bytes.count {
            let b = bytes[index]
            if b == UInt8(ascii: "\"") {
                let text = String(decoding: UnsafeBufferPointer(rebasing: bytes[start..<index]), as: UTF8.self)
                index += 1
                return text
            }
            if b == UInt8(ascii: "\\") { break }
            if b < 0x20 { throw Failure(reason: "control character inside a string (escape it)", offset: index) }
            if b < 0x80 { index += 1 } else { try utf8Sequence() }
        }
        guard index < bytes.count else { throw Failure(reason: "unterminated string", offset: start - 1) }
        // Slow path: escapes.
        scratch.removeAll(keepingCapacity: true)
        scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[start..<index]))
        while index < bytes.count {
            let b = bytes[index]
            switch b {
            case UInt8(ascii: "\""):
                index += 1
                return String(decoding: scratch, as: UTF8.self)
            case UInt8(ascii: "\\"):
                try escape()
            case 0..<0x20:
                throw Failure(reason: "control character inside a string (escape it)", offset: index)
            case 0..<0x80:
                scratch.append(b)
                index += 1
            default:
                let from = index
                try utf8Sequence()
                scratch.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[from..<index]))
            }
        }
        throw Failure(reason: "unterminated string", offset: start - 1)
    }

    private mutating func escape() throws(Failure) {
        let at = index
        index += 1
        guard index < bytes.count else { throw Failure(reason: "unterminated string", offset: at) }
        let c = bytes[index]
        index += 1
        switch c {
        case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): scratch.append(c)
        case UInt8(ascii: "b"): scratch.append(0x08)
        case UInt8(ascii: "f"): scratch.append(0x0C)
        case UInt8(ascii: "n"): scratch.append(0x0A)
        case UInt8(ascii: "r"): scratch.append(0x0D)
        case UInt8(ascii: "t"): scratch.append(0x09)
        case UInt8(ascii: "u"):
            var code = try hex4(at: at)
            if (0xD800...0xDBFF).contains(code) {
                guard index + 1 < bytes.count, bytes[index] == UInt8(ascii: "\\"), bytes[index + 1] == UInt8(ascii: "u") else {
                    throw Failure(reason: "unpaired surrogate in a \\u escape", offset: at)
                }
                index += 2
                let low = try hex4(at: at)
                guard (0xDC00...0xDFFF).contains(low) else { throw Failure(reason: "unpaired surrogate in a \\u escape", offset: at) }
                code = 0x10000 + ((code - 0xD800) << 10) + (low - 0xDC00)
            } else if (0xDC00...0xDFFF).contains(code) {
                throw Failure(reason: "unpaired surrogate in a \\u escape", offset: at)
            }
            scratch.append(contentsOf: String(Character(Unicode.Scalar(code)!)).utf8)
        default:
            throw Failure(reason: "invalid escape sequence", offset: at)
        }
    }

    private mutating func hex4(at escapeStart: Int) throws(Failure) -> UInt32 {
        guard index + 4 <= bytes.count else { throw Failure(reason: "invalid \\u escape", offset: escapeStart) }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let b = bytes[index]
            let digit: UInt8
            switch b {
            case UInt8(ascii: "0")...UInt8(ascii: "9"): digit = b - UInt8(ascii: "0")
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = b - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = b - UInt8(ascii: "A") + 10
            default: throw Failure(reason: "invalid \\u escape", offset: escapeStart)
            }
            value = value << 4 | UInt32(digit)
            index += 1
        }
        return value
    }

    /// Steps over one well-formed multi-byte UTF-8 sequence (RFC 3629: no overlongs, no surrogates).
    private mutating func utf8Sequence() throws(Failure) {
        let b0 = bytes[index]
        let length: Int
        var low: UInt8 = 0x80
        var high: UInt8 = 0xBF
        switch b0 {
        case 0xC2...0xDF: length = 2
        case 0xE0: length = 3; low = 0xA0
        case 0xE1...0xEC, 0xEE...0xEF: length = 3
        case 0xED: length = 3; high = 0x9F
        case 0xF0: length = 4; low = 0x90
        case 0xF1...0xF3: length = 4
        case 0xF4: length = 4; high = 0x8F
        default: throw Failure(reason: "invalid UTF-8", offset: index)
        }
        guard index + length <= bytes.count else { throw Failure(reason: "invalid UTF-8", offset: index) }
        let b1 = bytes[index + 1]
        guard b1 >= low, b1 <= high else { throw Failure(reason: "invalid UTF-8", offset: index) }
        for k in 2..<max(2, length) where bytes[index + k] & 0xC0 != 0x80 {
            throw Failure(reason: "invalid UTF-8", offset: index)
        }
        index += length
    }
}
