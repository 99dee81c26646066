import Foundation
import Testing
import WhatsApp

/// A parsed JSON document, compared structurally (object key order does not matter).
enum JSON: Decodable, Equatable, Sendable, CustomStringConvertible {
    case object([String: JSON])
    case array([JSON])
    case string(String)
    case number(Double)
    case bool(Bool)
    case null

    init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        if container.decodeNil() {
            self = .null
        } else if let value = try? container.decode(Bool.self) {
            self = .bool(value)
        } else if let value = try? container.decode(Double.self) {
            self = .number(value)
        } else if let value = try? container.decode(String.self) {
            self = .string(value)
        } else if let value = try? container.decode([JSON].self) {
            self = .array(value)
        } else {
            self = .object(try container.decode([String: JSON].self))
        }
    }

    init(_ data: Data) throws {
        self = try JSONDecoder().decode(JSON.self, from: data)
    }

    /// `value` encoded with a plain `JSONEncoder`, parsed back.
    init(encoding value: some Encodable) throws {
        try self.init(JSONEncoder().encode(value))
    }

    /// This object with `extra` keys added.
    func merging(_ extra: [String: JSON]) -> JSON {
        guard case .object(let fields) = self else { return self }
        return .object(fields.merging(extra) { _, new in new })
    }

    var description: String {
        switch self {
        case .object(let fields):
            "{" + fields.sorted { $0.key < $1.key }.map { "\"\($0.key)\": \($0.value)" }.joined(separator: ", ") + "}"
        case .array(let items): "[" + items.map(\.description).joined(separator: ", ") + "]"
        case .string(let value): "\"\(value)\""
        case .number(let value): "\(value)"
        case .bool(let value): "\(value)"
        case .null: "null"
        }
    }
}

/// The fixtures under `Fixtures/` (see its README.md for where each comes from).
enum Fixture {
    /// `Fixtures/<folder>/<name>.json`.
    static func data(_ folder: String, _ name: String) throws -> Data {
        let url = try #require(
            Bundle.module.url(forResource: name, withExtension: "json", subdirectory: "Fixtures/\(folder)"),
            "no fixture Fixtures/\(folder)/\(name).json")
        return try Data(contentsOf: url)
    }

    /// The request example of Meta's spec with this file name, parsed.
    static func request(_ name: String) throws -> JSON { try JSON(data("requests", name)) }
    /// The 200 response example of Meta's spec with this file name.
    static func response(_ name: String) throws -> Data { try data("responses", name) }
}

/// Every character of `text` that is not whitespace, in order: what splitting must preserve.
func visible(_ text: String) -> String {
    String(text.filter { !$0.isWhitespace })
}

extension OutboundMessage {
    /// The text the user reads, whatever the kind: bodies, headers, footers, titles, captions.
    var bodyText: String {
        switch kind {
        case .text(let body, _): body
        case .replyButtons(let body, _, _, _), .list(let body, _, _, _, _), .ctaURL(let body, _, _, _, _): body
        case .image(_, let caption): caption ?? ""
        }
    }
}
