import Foundation
import LioraServer
import LioraTestSupport
import Testing

/// docs/openapi.yaml and the router agree: every served route is documented and every
/// documented route is served.
@Suite("OpenAPI coverage")
struct OpenAPICoverageTests {
    static let spec = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent("docs/openapi.yaml")

    /// "METHOD /path" for each operation under `paths:` (two-space path keys, four-space methods).
    static func documented() throws -> Set<String> {
        let text = try String(contentsOf: spec, encoding: .utf8)
        var out = Set<String>()
        var path: String?
        var inPaths = false
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            if line.hasPrefix("paths:") { inPaths = true; continue }
            if inPaths, !line.isEmpty, !line.hasPrefix(" ") { inPaths = false }
            guard inPaths else { continue }
            if line.hasPrefix("  /"), line.hasSuffix(":"), !line.hasPrefix("   ") {
                path = String(line.dropFirst(2).dropLast())
            } else if let path, line.hasPrefix("    "), !line.hasPrefix("     ") {
                let key = line.trimmingCharacters(in: .whitespaces).split(separator: ":").first.map(String.init) ?? ""
                if ["get", "head", "post", "put", "patch", "delete"].contains(key) { out.insert("\(key.uppercased()) \(path)") }
            }
        }
        return out
    }

    @Test("every served route is in the spec, and the spec names no route that is not served")
    func coverage() async throws {
        try await Harness.run(.sqlite, jwtSecret: jwtSecret) { h in
            let served = Set(h.components.routes)
            let documented = try Self.documented()
            #expect(!documented.isEmpty)
            let undocumented = served.subtracting(documented).sorted()
            let unserved = documented.subtracting(served).sorted()
            #expect(undocumented.isEmpty, "served but not in docs/openapi.yaml: \(undocumented)")
            #expect(unserved.isEmpty, "in docs/openapi.yaml but not served: \(unserved)")
        }
    }
}
