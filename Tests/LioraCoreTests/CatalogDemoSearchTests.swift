import Foundation
import LioraCore
import Testing

/// The demo catalog (`catalogs/demo-store.json`) against the labelled search queries
/// (`Tests/catalog/search-queries.tsv`: `query<TAB>sku,sku…`, `#` comments): precision@1 (the top
/// hit is an expected sku) and recall@5 (the share of expected skus in the top five), averaged.
@Suite("catalog search on the demo store")
struct CatalogDemoSearchTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let catalogFile = root.appendingPathComponent("catalogs/demo-store.json")
    static let queriesFile = root.appendingPathComponent("Tests/catalog/search-queries.tsv")
    static var filesExist: Bool {
        FileManager.default.fileExists(atPath: catalogFile.path) && FileManager.default.fileExists(atPath: queriesFile.path)
    }

    struct LabelledQuery {
        var line: Int
        var text: String
        var expected: [String]
    }

    static func labelledQueries() throws -> [LabelledQuery] {
        let text = try String(contentsOf: queriesFile, encoding: .utf8)
        var queries: [LabelledQuery] = []
        for (n, raw) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let line = raw.trimmingCharacters(in: .whitespaces)
            if line.isEmpty || line.hasPrefix("#") { continue }
            let parts = raw.split(separator: "\t", omittingEmptySubsequences: false)
            guard parts.count == 2 else { continue }
            let expected = parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }.filter { !$0.isEmpty }
            queries.append(LabelledQuery(line: n + 1, text: String(parts[0]), expected: expected))
        }
        return queries
    }

    @Test("the demo catalog is valid", .enabled(if: filesExist))
    func demoCatalogValidates() throws {
        switch CatalogValidator.validate(Array(try Data(contentsOf: Self.catalogFile))) {
        case .success(let catalog):
            #expect(catalog.products.count >= 60)
        case .failure(let failure):
            Issue.record("catalogs/demo-store.json: \(failure.problems.prefix(10).map(\.description).joined(separator: "\n"))")
        }
    }

    @Test("English words find what the Spanish catalog names in Spanish (before: only products with English tags, or a spelling guess)",
          .enabled(if: filesExist))
    func englishWords() throws {
        let catalog = try CatalogValidator.validate(Array(try Data(contentsOf: Self.catalogFile))).get()
        let index = CatalogSearchIndex(catalog: catalog)
        for (query, expected) in [("dress", ["VES-001", "VES-002", "VES-003", "NIN-004"]), ("jackets", ["CHA-003", "CHA-004"]),
                                  ("coffee maker", ["CAF-001", "CAF-002", "CAF-003"]), ("backpacks", ["NIN-002", "MOC-001", "MOC-003", "DEP-005"]),
                                  ("toys", ["NIN-006", "NIN-007"]), ("wallet", ["BIL-001", "BIL-002"])] {
            let found = index.search(query, limit: 10).map(\.product.sku)
            #expect(expected.allSatisfy(found.contains), "\(query) → \(found)")
        }
        // "running shoes" are sneakers: Oxfords and heels are not among them (they came before the canvas sneakers).
        for query in ["running shoes", "sports shoes", "athletic shoes", "zapatos deportivos", "zapatos para correr"] {
            let found = index.search(query, limit: 10).map(\.product.sku)
            #expect(found.contains("ZAP-004") && !found.contains("ZAP-007") && !found.contains("ZAP-008"), "\(query) → \(found)")
        }
        #expect(index.search("shoes", limit: 20).map(\.product.sku).contains("ZAP-007"))
        // "coffee" is not the colour café: a coffee maker search lists no brown wallets.
        #expect(index.search("coffee maker", limit: 10).map(\.product.sku).allSatisfy { $0.hasPrefix("CAF-") })
    }

    @Test("precision@1 and recall@5 over the labelled queries", .enabled(if: filesExist))
    func precisionAndRecall() throws {
        let catalog = try CatalogValidator.validate(Array(try Data(contentsOf: Self.catalogFile))).get()
        let index = CatalogSearchIndex(catalog: catalog)
        let queries = try Self.labelledQueries()
        try #require(queries.count >= 20)
        let skus = Set(catalog.products.map(\.sku))
        var precision = 0.0
        var recall = 0.0
        var misses: [String] = []
        for q in queries {
            for sku in q.expected where !skus.contains(sku) { Issue.record("line \(q.line): unknown sku \(sku)") }
            let top = index.search(q.text, limit: 5).map(\.product.sku)
            let p1 = top.first.map(q.expected.contains) ?? false
            let r5 = Double(q.expected.filter(top.contains).count) / Double(max(1, q.expected.count))
            precision += p1 ? 1 : 0
            recall += r5
            if !p1 || r5 < 1 { misses.append("  line \(q.line): \(q.text) → \(top.joined(separator: ",")) (expected \(q.expected.joined(separator: ",")))") }
        }
        precision /= Double(queries.count)
        recall /= Double(queries.count)
        print(String(format: "catalog search on demo-store: precision@1 %.3f, recall@5 %.3f over %d queries", precision, recall, queries.count))
        if !misses.isEmpty { print("not perfect:\n" + misses.joined(separator: "\n")) }
        #expect(precision >= 0.9)
        #expect(recall >= 0.9)
    }
}
