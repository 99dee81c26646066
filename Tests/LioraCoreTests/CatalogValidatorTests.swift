import Foundation
import LioraCore
import Testing

@Suite("catalog validation")
struct CatalogValidatorTests {
    /// A valid catalog as a JSON object: two categories, three products.
    static func base() -> [String: Any] {
        [
            "currency": "MXN",
            "locale": "es-MX",
            "categories": [["id": "calzado", "name": "Calzado"], ["id": "hogar", "name": "Hogar y cocina"]],
            "products": [
                ["sku": "ZAP-001", "name": "Zapatillas Running Roja", "price": "1299.00", "sale_price": "999.00",
                 "url": "https://tienda.example/p/zap-001", "image_url": "https://tienda.example/img/zap-001.jpg",
                 "category": "calzado", "stock": 12, "tags": ["running", "tenis"],
                 "attributes": ["color": "rojo", "talla": "42"], "description": "Ligeras.\nCómodas."],
                ["sku": "LAM-001", "name": "Lámpara de escritorio", "price": "450.5", "url": "http://tienda.example/p/lam-001",
                 "category": "hogar", "stock": 0],
                ["sku": "TAZ-001", "name": "Taza de cerámica", "price": 89.9, "url": "https://tienda.example:8443/p/taz-001?ref=wa#top",
                 "category": "hogar", "stock": 3],
            ],
        ]
    }

    static func bytes(_ object: Any) -> [UInt8] {
        Array(try! JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]))
    }

    static func json(_ edit: (inout [String: Any]) -> Void = { _ in }) -> [UInt8] {
        var root = base()
        edit(&root)
        return bytes(root)
    }

    /// Edits product `i` of `root`.
    static func product(_ i: Int, _ root: inout [String: Any], _ edit: (inout [String: Any]) -> Void) {
        var products = root["products"] as! [[String: Any]]
        edit(&products[i])
        root["products"] = products
    }

    static func problems(_ bytes: [UInt8], limits: CatalogLimits = .init()) -> [CatalogProblem] {
        switch CatalogValidator.validate(bytes, limits: limits) {
        case .success: return []
        case .failure(let failure): return failure.problems
        }
    }

    @Test("a valid catalog is read field by field")
    func valid() throws {
        let catalog = try CatalogValidator.validate(Self.json()).get()
        #expect(catalog.currency == "MXN")
        #expect(catalog.locale == "es-MX")
        #expect(catalog.categories == [CatalogCategory(id: "calzado", name: "Calzado"), CatalogCategory(id: "hogar", name: "Hogar y cocina")])
        #expect(catalog.products.map(\.sku) == ["ZAP-001", "LAM-001", "TAZ-001"])
        let zap = catalog.products[0]
        #expect(zap.price.text == "1299.00")
        #expect(zap.price.amount == Decimal(1299))
        #expect(zap.salePrice?.amount == Decimal(999))
        #expect(zap.currentPrice == Decimal(999))
        #expect(zap.imageURL == "https://tienda.example/img/zap-001.jpg")
        #expect(zap.tags == ["running", "tenis"])
        #expect(zap.attributes == ["color": "rojo", "talla": "42"])
        #expect(zap.description == "Ligeras.\nCómodas.")
        #expect(zap.isInStock)
        #expect(!catalog.products[1].isInStock)
        #expect(catalog.products[1].price.amount == Decimal(string: "450.5"))
        // A JSON number keeps its text as written.
        #expect(catalog.products[2].price.text == "89.9")
        #expect(catalog.products[2].price.amount == Decimal(string: "89.9"))
        #expect(catalog.products[2].tags.isEmpty && catalog.products[2].attributes.isEmpty)
    }

    @Test("unknown fields are ignored at every level")
    func unknownFields() throws {
        let plain = try CatalogValidator.validate(Self.json()).get()
        let extra = try CatalogValidator.validate(Self.json { root in
            root["version"] = 7
            root["shop"] = ["name": "Tienda", "nested": [[1, 2], ["deep": true]]]
            var categories = root["categories"] as! [[String: Any]]
            categories[0]["icon"] = "👟"
            root["categories"] = categories
            Self.product(0, &root) { $0["gtin"] = "7501234567890"; $0["variants"] = [["sku": "x"]]; $0["weight"] = NSNull() }
        }).get()
        #expect(extra == plain)
    }

    @Test("a validated catalog encodes to JSON that validates to the same catalog")
    func roundTrip() throws {
        let catalog = try CatalogValidator.validate(Self.json()).get()
        let encoded = Array(try JSONEncoder().encode(catalog))
        #expect(try CatalogValidator.validate(encoded).get() == catalog)
    }

    @Test("names and descriptions written with combining accents are stored composed (NFC), so Meta counts what we count")
    func composedText() throws {
        let catalog = try CatalogValidator.validate(Self.json { root in
            root["categories"] = [["id": "calzado", "name": "Cafe\u{301}s"], ["id": "hogar", "name": "Hogar"]]
            Self.product(0, &root) {
                $0["name"] = "Cafe\u{301} de olla molido pilo\u{301}n"
                $0["description"] = "Ara\u{301}bica 100 %"
            }
        }).get()
        #expect(catalog.products[0].name == "Café de olla molido pilón")
        #expect(catalog.products[0].name.unicodeScalars.count == catalog.products[0].name.count)
        #expect(catalog.products[0].description == "Arábica 100 %")
        #expect(catalog.categories[0].name.unicodeScalars.count == 5)
        // Already composed, or plain, text comes back as written.
        #expect(catalog.products[1].name == "Lámpara de escritorio")
    }

    @Test("null and empty strings in optional fields mean absent; texts are trimmed; codes are normalised")
    func lenientOptional() throws {
        let catalog = try CatalogValidator.validate(Self.json { root in
            root["currency"] = "mxn"
            root["locale"] = "es_mx"
            Self.product(0, &root) {
                $0["description"] = ""
                $0["sale_price"] = NSNull()
                $0["image_url"] = ""
                $0["tags"] = ["", " oferta ", NSNull()]
                $0["attributes"] = ["color": "", "talla": 42, "marca": NSNull()]
                $0["name"] = "  Zapatillas  "
            }
        }).get()
        #expect(catalog.currency == "MXN")
        #expect(catalog.locale == "es-MX")
        let p = catalog.products[0]
        #expect(p.description == nil && p.salePrice == nil && p.imageURL == nil)
        #expect(p.tags == ["oferta"])
        #expect(p.attributes == ["talla": "42"])
        #expect(p.name == "Zapatillas")
        // A sku may have inner spaces (not a category id).
        #expect((try? CatalogValidator.validate(Self.json { root in Self.product(0, &root) { $0["sku"] = "ZAP 001" } }).get()) != nil)
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var code: String
        var path: String
        var edit: @Sendable (inout [String: Any]) -> Void
        var testDescription: String { "\(code) at \(path)" }
    }

    static let cases: [Case] = [
        Case(code: "missing_field", path: "$.currency") { $0["currency"] = nil },
        Case(code: "missing_field", path: "$.products") { $0["products"] = nil },
        Case(code: "missing_field", path: "$.products[1].sku") { product(1, &$0) { $0["sku"] = nil } },
        Case(code: "missing_field", path: "$.products[2].stock") { product(2, &$0) { $0["stock"] = NSNull() } },
        Case(code: "missing_field", path: "$.products[0].url") { product(0, &$0) { $0["url"] = nil } },
        Case(code: "wrong_type", path: "$.categories") { $0["categories"] = "calzado" },
        Case(code: "wrong_type", path: "$.products[0].name") { product(0, &$0) { $0["name"] = 12 } },
        Case(code: "wrong_type", path: "$.products[1].stock") { product(1, &$0) { $0["stock"] = "5" } },
        Case(code: "wrong_type", path: "$.products[0].tags[1]") { product(0, &$0) { $0["tags"] = ["ok", 5] } },
        Case(code: "wrong_type", path: "$.products[0].attributes.color") { product(0, &$0) { $0["attributes"] = ["color": ["rojo"]] } },
        Case(code: "wrong_type", path: "$.products[2]") { root in
            var products = root["products"] as! [Any]
            products[2] = "TAZ-001"
            root["products"] = products
        },
        Case(code: "empty_field", path: "$.products[0].name") { product(0, &$0) { $0["name"] = "   " } },
        Case(code: "too_long", path: "$.products[0].name") { product(0, &$0) { $0["name"] = String(repeating: "ñ", count: 201) } },
        Case(code: "too_long", path: "$.products[0].sku") { product(0, &$0) { $0["sku"] = String(repeating: "A", count: 65) } },
        Case(code: "too_long", path: "$.products[0].description") { product(0, &$0) { $0["description"] = String(repeating: "a", count: 5_001) } },
        Case(code: "bad_text", path: "$.products[0].name") { product(0, &$0) { $0["name"] = "Zapatillas\nRojas" } },
        Case(code: "bad_currency", path: "$.currency") { $0["currency"] = "PESOS" },
        Case(code: "bad_currency", path: "$.currency") { $0["currency"] = "XYZ" },
        Case(code: "bad_locale", path: "$.locale") { $0["locale"] = "Spanish (Mexico)" },
        Case(code: "bad_category_id", path: "$.categories[1].id") { root in
            root["categories"] = [["id": "calzado", "name": "Calzado"], ["id": "hogar y cocina", "name": "Hogar"]]
        },
        Case(code: "duplicate_category", path: "$.categories[2].id") { root in
            root["categories"] = [["id": "calzado", "name": "Calzado"], ["id": "hogar", "name": "Hogar"], ["id": "Calzado", "name": "Zapatos"]]
        },
        Case(code: "duplicate_category", path: "$.categories[2].name") { root in
            root["categories"] = [["id": "calzado", "name": "Calzado"], ["id": "hogar", "name": "Hogar"], ["id": "zapatos", "name": "calzado"]]
        },
        Case(code: "unknown_category", path: "$.products[1].category") { product(1, &$0) { $0["category"] = "cocina" } },
        Case(code: "unknown_category", path: "$.products[1].category") { product(1, &$0) { $0["category"] = "Hogar" } },
        Case(code: "bad_sku", path: "$.products[0].sku") { product(0, &$0) { $0["sku"] = " ZAP-001" } },
        Case(code: "bad_sku", path: "$.products[0].sku") { product(0, &$0) { $0["sku"] = "ZAP\t001" } },
        Case(code: "duplicate_sku", path: "$.products[2].sku") { product(2, &$0) { $0["sku"] = "zap-001" } },
        Case(code: "bad_price", path: "$.products[0].price") { product(0, &$0) { $0["price"] = "1,299.00" } },
        Case(code: "bad_price", path: "$.products[0].price") { product(0, &$0) { $0["price"] = "$1299" } },
        Case(code: "bad_price", path: "$.products[0].price") { product(0, &$0) { $0["price"] = "12.999" } },
        Case(code: "bad_price", path: "$.products[0].price") { product(0, &$0) { $0["price"] = 0 } },
        Case(code: "bad_price", path: "$.products[0].price") { product(0, &$0) { $0["price"] = -5 } },
        Case(code: "bad_price", path: "$.products[0].price") { product(0, &$0) { $0["price"] = "1e3" } },
        Case(code: "bad_price", path: "$.products[0].sale_price") { product(0, &$0) { $0["sale_price"] = "barato" } },
        Case(code: "sale_price_above_price", path: "$.products[0].sale_price") { product(0, &$0) { $0["sale_price"] = "1500.00" } },
        Case(code: "bad_url", path: "$.products[0].url") { product(0, &$0) { $0["url"] = "tienda.example/p/1" } },
        Case(code: "bad_url", path: "$.products[0].url") { product(0, &$0) { $0["url"] = "ftp://tienda.example/p/1" } },
        Case(code: "bad_url", path: "$.products[0].url") { product(0, &$0) { $0["url"] = "https:///p/1" } },
        Case(code: "bad_url", path: "$.products[0].url") { product(0, &$0) { $0["url"] = "https://tienda example/p/1" } },
        Case(code: "bad_url", path: "$.products[0].url") { product(0, &$0) { $0["url"] = "https://user:pw@tienda.example/p/1" } },
        Case(code: "bad_url", path: "$.products[0].image_url") { product(0, &$0) { $0["image_url"] = "/img/zap.jpg" } },
        Case(code: "negative_stock", path: "$.products[0].stock") { product(0, &$0) { $0["stock"] = -1 } },
        Case(code: "bad_stock", path: "$.products[0].stock") { product(0, &$0) { $0["stock"] = 2.5 } },
        Case(code: "too_many_items", path: "$.products[0].tags") { product(0, &$0) { $0["tags"] = (0..<31).map { "t\($0)" } } },
        Case(code: "too_many_items", path: "$.products[0].attributes") { product(0, &$0) {
            $0["attributes"] = Dictionary(uniqueKeysWithValues: (0..<31).map { ("a\($0)", "v") })
        } },
        Case(code: "too_many_products", path: "$.products") { root in
            root["products"] = (0..<101).map { i in
                ["sku": "S\(i)", "name": "P \(i)", "price": "1.00", "url": "https://t.example/\(i)", "category": "hogar", "stock": 1] as [String: Any]
            }
        },
        Case(code: "wrong_type", path: "$.products[0].attributes[\"talla EU\"]") { product(0, &$0) { $0["attributes"] = ["talla EU": true] } },
    ]

    @Test("each rule reports its code at the field's path", arguments: cases)
    func rule(_ c: Case) {
        var limits = CatalogLimits()
        limits.maxProducts = 100
        let found = Self.problems(Self.json(c.edit), limits: limits)
        #expect(found.contains { $0.code.rawValue == c.code && $0.path == c.path }, "got \(found)")
        #expect(found.allSatisfy { !$0.message.isEmpty })
    }

    @Test("every problem is reported at once, in document order")
    func allAtOnce() {
        let found = Self.problems(Self.json { root in
            root["locale"] = "??"
            Self.product(0, &root) { $0["price"] = "abc"; $0["stock"] = -3 }
            Self.product(1, &root) { $0["url"] = "nope"; $0["category"] = "garden" }
            Self.product(2, &root) { $0["sku"] = "ZAP-001"; $0["name"] = nil }
        })
        #expect(found.map(\.path) == ["$.locale", "$.products[0].price", "$.products[0].stock", "$.products[1].url",
                                      "$.products[1].category", "$.products[2].sku", "$.products[2].name"])
        #expect(found.map(\.code.rawValue) == ["bad_locale", "bad_price", "negative_stock", "bad_url", "unknown_category",
                                               "duplicate_sku", "missing_field"])
        #expect(found[5].message.contains("$.products[0]"))   // says which product has the sku
    }

    @Test("collection stops at the problem limit and says so last")
    func problemLimit() {
        var limits = CatalogLimits()
        limits.maxProblems = 5
        let found = Self.problems(Self.json { root in
            root["products"] = (0..<20).map { i in ["sku": "S\(i)", "name": "P", "price": "-1", "url": "x", "category": "hogar", "stock": 1] as [String: Any] }
        }, limits: limits)
        #expect(found.count == 6)
        #expect(found.last?.code == .tooManyProblems)
        #expect(found.last?.message.contains("5") == true)
        #expect(CatalogValidationFailure(problems: found).isTruncated)
    }

    @Test("a body that is not JSON is invalid_json with line and column", arguments: [
        ("{\"currency\": \"MXN\",\n  \"locale\": es-MX}", "line 2, column 13"),
        ("{\"currency\": \"MXN\",}", "line 1, column 20"),
        ("[1, 2", "end of input"),
        ("", "end of input"),
        ("{\"a\": \"\u{01}\"}", "control character"),
        ("{\"a\": 01}", "leading zeros"),
        ("{\"a\": 1} x", "after the JSON value"),
    ])
    func invalidJSON(text: String, detail: String) {
        let found = Self.problems(Array(text.utf8))
        #expect(found.count == 1)
        #expect(found.first?.code == .invalidJSON)
        #expect(found.first?.path == "$")
        #expect(found.first?.message.contains(detail) == true, "\(found)")
    }

    @Test("invalid UTF-8, lone surrogates and deep nesting are refused, escapes are decoded")
    func jsonEdges() throws {
        #expect(Self.problems([0x22, 0xC3, 0x28, 0x22]).first?.code == .invalidJSON)
        #expect(Self.problems(Array(#"{"a": "\ud800"}"#.utf8)).first?.code == .invalidJSON)
        #expect(Self.problems(Array((String(repeating: "[", count: 100) + String(repeating: "]", count: 100)).utf8)).first?.code == .invalidJSON)
        var text = String(decoding: Self.json(), as: UTF8.self)
        text = text.replacingOccurrences(of: "\"Calzado\"", with: #""Cal\u007Aado \ud83d\udc5f""#)
        let catalog = try CatalogValidator.validate([0xEF, 0xBB, 0xBF] + Array(text.utf8)).get()
        #expect(catalog.categories[0].name == "Calzado 👟")
    }

    @Test("a root that is not an object, an oversized body, and a repeated key")
    func shapes() {
        #expect(Self.problems(Array("[]".utf8)).map(\.code) == [.wrongType])
        var limits = CatalogLimits()
        limits.maxBytes = 100
        #expect(Self.problems(Self.json(), limits: limits).map(\.code) == [.tooLarge])
        let repeated = Array(#"{"currency": "MXN", "currency": "EUR", "locale": "es-MX", "categories": [], "products": []}"#.utf8)
        #expect(Self.problems(repeated).map(\.path) == ["$.currency"])
        #expect(Self.problems(repeated).map(\.code) == [.duplicateKey])
    }

    @Test("every truncation and random byte damage is refused with problems, never a crash")
    func damagedInput() {
        let good = Self.json()
        for end in 0..<good.count {
            let found = Self.problems(Array(good[..<end]))
            #expect(found.first?.code == .invalidJSON, "cut at \(end)")
        }
        var state: UInt64 = 7
        func next() -> Int {
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Int(truncatingIfNeeded: state >> 33)
        }
        for _ in 0..<500 {
            var bytes = good
            for _ in 0..<(1 + next() % 3) { bytes[next() % bytes.count] = UInt8(truncatingIfNeeded: next()) }
            if case .failure(let failure) = CatalogValidator.validate(bytes) {
                #expect(!failure.problems.isEmpty && failure.problems.allSatisfy { !$0.message.isEmpty })
            }
        }
    }

    @Test("an empty catalog is valid")
    func empty() throws {
        let catalog = try CatalogValidator.validate(Array(#"{"currency":"EUR","locale":"es","categories":[],"products":[]}"#.utf8)).get()
        #expect(catalog.products.isEmpty && catalog.locale == "es")
    }

    @Test("prices follow the catalog rule", arguments: [
        ("1299.00", true), ("0.50", true), ("7", true), ("9999999999.99", true),
        ("0", false), ("0.00", false), ("-1", false), ("1.", false), (".5", false), ("01.5", false), ("1.234", false),
        ("1,299", false), ("12345678901", false), ("1e3", false), ("", false), (" 1", false),
    ])
    func price(text: String, valid: Bool) {
        #expect((ProductPrice(text) != nil) == valid)
    }

    @Test("catalogs/schema.json states the validator's limits")
    func schemaAgreesWithValidator() throws {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        let schema = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: root.appendingPathComponent("catalogs/schema.json"))) as? [String: Any])
        let product = try #require(((schema["$defs"] as? [String: Any])?["product"] as? [String: Any])?["properties"] as? [String: Any])
        let limits = CatalogLimits()
        #expect((product["tags"] as? [String: Any])?["maxItems"] as? Int == limits.maxTags)
        #expect(((product["tags"] as? [String: Any])?["items"] as? [String: Any])?["maxLength"] as? Int == limits.maxTagLength)
        #expect((product["attributes"] as? [String: Any])?["maxProperties"] as? Int == limits.maxAttributes)
        #expect((product["sku"] as? [String: Any])?["maxLength"] as? Int == limits.maxSKULength)
        #expect((product["name"] as? [String: Any])?["maxLength"] as? Int == limits.maxNameLength)
        #expect((product["description"] as? [String: Any])?["maxLength"] as? Int == limits.maxDescriptionLength)
        #expect((product["stock"] as? [String: Any])?["maximum"] as? Int == limits.maxStock)
        #expect(((product["attributes"] as? [String: Any])?["additionalProperties"] as? [String: Any])?["maxLength"] as? Int
                == limits.maxAttributeValueLength)
        let defs = try #require(schema["$defs"] as? [String: Any])
        #expect((defs["http_url"] as? [String: Any])?["maxLength"] as? Int == limits.maxURLLength)
        #expect((((defs["category"] as? [String: Any])?["properties"] as? [String: Any])?["name"] as? [String: Any])?["maxLength"] as? Int
                == limits.maxCategoryNameLength)
        // The amount pattern accepts exactly what the server's price parser does.
        let amount = try #require(defs["amount"] as? [String: Any])
        let pattern = try NSRegularExpression(pattern: try #require(amount["pattern"] as? String))
        for sample in ["1299.00", "49.9", "0.50", "9999999999.99", "0099.00", "12345678901", "1.234", "-5", "1,299.00"] {
            let matches = pattern.firstMatch(in: sample, range: NSRange(sample.startIndex..., in: sample)) != nil
            #expect(matches == (ProductPrice(sample) != nil), "\(sample)")
        }
        let top = try #require(schema["properties"] as? [String: Any])
        #expect((top["products"] as? [String: Any])?["maxItems"] as? Int == limits.maxProducts)
        #expect((top["categories"] as? [String: Any])?["maxItems"] as? Int == limits.maxCategories)
    }

    @Test("a stored snapshot read back is not held to rules added after it was accepted")
    func storedSnapshotsKeepWorking() throws {
        let body = Self.json { root in
            root["currency"] = "JPY"
            Self.product(1, &root) { $0["price"] = "1299.50" }
        }
        #expect(!Self.problems(body).isEmpty)
        var stored = CatalogLimits()
        stored.publishRules = false
        let catalog = try CatalogValidator.validate(body, limits: stored).get()
        #expect(catalog.products[1].price.text == "1299.50")
    }

    @Test("a currency shown without decimals takes whole prices only; others keep two decimals", arguments: [
        ("JPY", "1299.50", false), ("JPY", "1299.00", true), ("JPY", "1299", true), ("clp", "990.5", false),
        ("KWD", "1.25", true), ("MXN", "1299.50", true),
    ])
    func wholeUnitCurrencies(currency: String, price: String, valid: Bool) {
        let found = Self.problems(Self.json { root in
            root["currency"] = currency
            Self.product(2, &root) { $0["price"] = 90 }  // the base catalog's other prices are whole or end in .00
            Self.product(1, &root) { $0["price"] = price }
        })
        if valid {
            #expect(found.isEmpty, "\(found)")
        } else {
            #expect(found.count == 1)
            #expect(found.first?.code == .badPrice && found.first?.path == "$.products[1].price")
            #expect(found.first?.message == "\(currency.uppercased()) prices are shown without decimals, so they must be whole numbers; got \(price)")
        }
    }
}
