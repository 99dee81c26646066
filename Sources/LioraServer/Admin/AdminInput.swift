import Foundation
import HTTPTypes

/// The rules the admin API holds names and e-mails to, and what it says about a body that does
/// not decode. Every refusal is a 400 naming the field; none repeats the value (an e-mail, a
/// password) it refused.
package enum AdminInput {
    /// A C0 or C1 control character, or DEL: line breaks, tabs, NUL, terminal escapes.
    static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        scalar.value < 0x20 || (0x7F...0x9F).contains(scalar.value)
    }

    /// A tenant's or a user's name: trimmed of spaces, 1–200 code points (what the database's
    /// CHECK counts on PostgreSQL), no control characters (400 `invalid_name`).
    package static func name(_ raw: String) throws -> String {
        let name = raw.trimmingCharacters(in: .whitespaces)
        guard !name.unicodeScalars.contains(where: isControl) else {
            throw APIError(.badRequest, "invalid_name", "name must not contain control characters (line breaks, tabs, escape codes)")
        }
        guard (1...200).contains(name.unicodeScalars.count) else { throw APIError(.badRequest, "invalid_name", "name must be 1–200 characters") }
        return name
    }

    /// An e-mail as it is stored and compared at login: trimmed of spaces and lowercased by
    /// Swift's full Unicode rules (SQLite's lower() folds ASCII only, so `Álvaro@…` could never
    /// sign in, and two spellings of one address could join one tenant); 400 `invalid_email`
    /// unless it is a plain address (`isEmail`).
    package static func email(_ raw: String) throws -> String {
        let email = raw.trimmingCharacters(in: .whitespaces).lowercased()
        guard isEmail(email) else {
            throw APIError(.badRequest, "invalid_email",
                           "email must be a plain address like ana@tienda.mx: no name, brackets, quotes or control characters, at most 64 bytes before the @ and 254 in all")
        }
        return email
    }

    /// A plain addr-spec (RFC 5322 §3.4.1 without quoted strings, comments or address literals),
    /// at most 254 bytes: a dot-atom local part of 1–64 bytes (no leading, trailing or double
    /// dot; RFC 6531 letters beyond ASCII allowed), then a domain of at least two labels of
    /// 1–63 letters, digits and hyphens, neither starting nor ending with a hyphen.
    static func isEmail(_ s: String) -> Bool {
        guard s.utf8.count <= 254, !s.unicodeScalars.contains(where: isControl) else { return false }
        let parts = s.split(separator: "@", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...64).contains(parts[0].utf8.count) else { return false }
        let atoms = parts[0].split(separator: ".", omittingEmptySubsequences: false)
        guard atoms.allSatisfy({ !$0.isEmpty && $0.unicodeScalars.allSatisfy(isAtext) }) else { return false }
        let labels = parts[1].split(separator: ".", omittingEmptySubsequences: false)
        return labels.count >= 2 && labels.allSatisfy { label in
            (1...63).contains(label.unicodeScalars.count) && label.first != "-" && label.last != "-"
                && label.unicodeScalars.allSatisfy { $0 == "-" || isLetterOrDigit($0) }
        }
    }

    private static let asciiAtext = Set("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789!#$%&'*+-/=?^_`{|}~".unicodeScalars)

    /// `atext` (RFC 5322 §3.2.3), and letters, digits, marks and symbols beyond ASCII (RFC 6531);
    /// not spaces, nor invisible format characters (a zero-width space, a soft hyphen, a
    /// right-to-left override made addresses that look like another).
    private static func isAtext(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII { return asciiAtext.contains(c) }
        switch c.properties.generalCategory {
        case .format, .spaceSeparator, .lineSeparator, .paragraphSeparator, .control, .surrogate, .privateUse, .unassigned: return false
        default: return !isControl(c)
        }
    }

    /// A letter or digit of a domain label: ASCII, or of any script (an internationalized
    /// domain as typed), with its combining marks.
    private static func isLetterOrDigit(_ c: Unicode.Scalar) -> Bool {
        if c.isASCII { return ("a"..."z").contains(c) || ("A"..."Z").contains(c) || ("0"..."9").contains(c) }
        switch c.properties.generalCategory {
        case .uppercaseLetter, .lowercaseLetter, .titlecaseLetter, .modifierLetter, .otherLetter, .decimalNumber,
             .nonspacingMark, .spacingMark: return true
        default: return false
        }
    }

    // MARK: Bodies that do not decode

    /// What a decoding error says about a body, for a 400 `malformed_body`: the field (as sent,
    /// snake_case, with its path in nested objects) and what it must be: "slug is required",
    /// "name must be a string". Never the value. nil when the error names no field.
    static func problem(_ error: DecodingError) -> String? {
        switch error {
        case .keyNotFound(let key, let context):
            return "\(path(context.codingPath + [key])) is required"
        case .typeMismatch(let type, let context), .valueNotFound(let type, let context):
            return context.codingPath.isEmpty ? nil : "\(path(context.codingPath)) must be \(expected(type))"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? nil : "\(path(context.codingPath)) is not a valid value"
        @unknown default:
            return nil
        }
    }

    /// For a decoding error that names no field: Foundation reports a number that does not fit
    /// an integer field (`1.5`, `1e30`) as corrupt data without its path. The first top-level
    /// field (by name) holding such a number, as "overlap_seconds must be an integer"; a value of
    /// another wrong type gets the decoder's own answer (`problem`), so a number here is one
    /// sent for an integer. nil when there is none.
    static func unrepresentableNumber(in object: [String: Any]) -> String? {
        object.keys.sorted().first { key in
            guard let number = object[key] as? NSNumber else { return false }
            let value = number.doubleValue
            return value != value.rounded() || !(-9.2e18...9.2e18).contains(value)
        }.map { "\($0) must be an integer" }
    }

    /// `settings.delete_tenant`, `items[2].name`: keys as the client sent them (the decoder
    /// converts them from snake_case).
    private static func path(_ keys: [any CodingKey]) -> String {
        keys.reduce(into: "") { text, key in
            if let index = key.intValue, key.stringValue == "Index \(index)" || key.stringValue == "\(index)" {
                text += "[\(index)]"
            } else {
                text += (text.isEmpty ? "" : ".") + snakeCase(key.stringValue)
            }
        }
    }

    /// `invitationToken` → `invitation_token` (the inverse of `convertFromSnakeCase`).
    private static func snakeCase(_ name: String) -> String {
        name.reduce(into: "") { out, c in
            if c.isUppercase, !out.isEmpty { out += "_" }
            out += c.lowercased()
        }
    }

    private static func expected(_ type: Any.Type) -> String {
        switch "\(type)" {
        case "String", "Substring", "Character": "a string"
        case "Bool": "true or false"
        case "Int", "Int8", "Int16", "Int32", "Int64", "UInt", "UInt8", "UInt16", "UInt32", "UInt64": "an integer"
        case "Double", "Float", "Decimal": "a number"
        case let name where name.hasPrefix("Array") || (name.hasPrefix("[") && !name.contains(":")): "an array"
        case let name where name.hasPrefix("Dictionary") || name.hasPrefix("["): "an object"
        default: "of another type"
        }
    }
}
