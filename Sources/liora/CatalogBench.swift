import ArgumentParser
import Foundation
import LioraCore

/// Hidden: `liora catalog-bench` (bench/catalog/run.sh). Generates a deterministic catalog, then
/// times validation of its JSON, building the search index, and searches. Every measurement is
/// taken twice: wall time, and the CPU time of the process (it measures on one thread), which other processes on a
/// busy machine do not inflate (the targets are checked against wall time).
struct CatalogBench: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog-bench",
        abstract: "Measure catalog validation, search-index build and search latency on a generated catalog.",
        shouldDisplay: false)

    @Option(help: "Products in the generated catalog.")
    var products = 50_000

    @Option(help: "Search queries to time.")
    var queries = 20_000

    @Option(help: "Seed of the generator (same seed, same catalog and queries).")
    var seed: UInt64 = 42

    @Option(help: "Times validation and index build are repeated (the median is reported).")
    var rounds = 3

    @Option(help: "Also write the generated catalog JSON to this file.")
    var writeJSON: String?

    @Option(help: "Instead of timing: evaluate search on this catalog JSON file against --labelled.")
    var catalog: String?

    @Option(help: "Labelled queries (query<TAB>expected skus, comma-separated) for --catalog.")
    var labelled = "Tests/catalog/search-queries.tsv"

    func run() async throws {
        if let catalog { return try evaluate(catalogFile: catalog) }
        var generator = BenchCatalogGenerator(seed: seed)
        let catalog = generator.catalog(products: products)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.withoutEscapingSlashes]
        let json = Array(try encoder.encode(catalog))
        if let writeJSON { try Data(json).write(to: URL(fileURLWithPath: writeJSON)) }
        print(String(format: "catalog: %d products, %d categories, JSON %.1f MB (seed %llu)",
                     catalog.products.count, catalog.categories.count, Double(json.count) / 1_048_576, seed))

        var validated: Catalog?
        let validation = Self.timed(rounds) {
            switch CatalogValidator.validate(json) {
            case .success(let c): validated = c
            case .failure(let failure): fail("generated catalog is invalid: \(failure)")
            }
        }
        guard let validated, validated == catalog else { fail("the validated catalog differs from the generated one") }
        print(String(format: "validation: median %.0f ms, best %.0f ms, CPU %.0f ms (%d rounds)", validation.median, validation.best,
                     validation.cpu, max(1, rounds))
              + " (target < 2000 ms: \(validation.median < 2000 ? "met" : "MISSED"))")

        var index: CatalogSearchIndex?
        let build = Self.timed(rounds) { index = CatalogSearchIndex(catalog: validated) }
        guard let index else { return }
        print(String(format: "index build: median %.0f ms, best %.0f ms, CPU %.0f ms", build.median, build.best, build.cpu)
              + " (target < 1500 ms: \(build.median < 1500 ? "met" : "MISSED"))")

        let workload = generator.queries(count: max(1, queries))
        var sink = 0
        for q in workload.prefix(1_000) { sink &+= index.search(q.text, limit: 10).count }   // warm-up
        var samples: [String: [UInt64]] = [:]
        var all: [UInt64] = []
        var cpu: [UInt64] = []
        all.reserveCapacity(workload.count)
        cpu.reserveCapacity(workload.count)
        var empty = 0
        var hitsTotal = 0
        for q in workload {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let c0 = Self.threadCPUNanoseconds()
            let results = index.searchResults(q.text, limit: 10)
            let c = Self.threadCPUNanoseconds() - c0
            let dt = DispatchTime.now().uptimeNanoseconds - t0
            all.append(dt)
            cpu.append(c)
            samples[q.kind, default: []].append(c)
            if results.hits.isEmpty { empty += 1 }
            hitsTotal += results.total
            sink &+= results.hits.first?.index ?? 0
        }
        let summary = Self.percentiles(all)
        let cpuSummary = Self.percentiles(cpu)
        print(String(format: "search: %d queries, p50 %.0f µs, p99 %.0f µs, max %.0f µs, mean %.0f µs",
                     all.count, summary.p50, summary.p99, summary.max, summary.mean)
              + " (target p99 < 2000 µs: \(summary.p99 < 2000 ? "met" : "MISSED"))")
        print(String(format: "  CPU time per search: p50 %.0f µs, p99 %.0f µs, max %.0f µs, mean %.0f µs",
                     cpuSummary.p50, cpuSummary.p99, cpuSummary.max, cpuSummary.mean))
        print(String(format: "  matches per query: mean %.0f; queries with no hit: %d (%.1f%%)",
                     Double(hitsTotal) / Double(all.count), empty, 100 * Double(empty) / Double(all.count)))
        print("  CPU time by kind of query:")
        for kind in samples.keys.sorted() {
            let s = Self.percentiles(samples[kind]!)
            let label = kind + String(repeating: " ", count: max(0, 8 - kind.count))
            print("    " + label + String(format: " %6d queries: p50 %5.0f µs, p99 %5.0f µs, max %6.0f µs", samples[kind]!.count, s.p50, s.p99, s.max))
        }
        var categoryTimes: [UInt64] = []
        for q in workload.prefix(2_000) {
            let c0 = Self.threadCPUNanoseconds()
            sink &+= index.categoryMatches(q.text, limit: 3).count
            categoryTimes.append(Self.threadCPUNanoseconds() - c0)
        }
        let c = Self.percentiles(categoryTimes)
        print(String(format: "category matches (CPU time): p50 %.0f µs, p99 %.0f µs", c.p50, c.p99))
        if sink == -1 { print(sink) }
    }

    /// Precision@1 and recall@5 of search on a real catalog, listing every imperfect query.
    func evaluate(catalogFile: String) throws {
        let bytes = Array(try Data(contentsOf: URL(fileURLWithPath: catalogFile)))
        let catalog: Catalog
        switch CatalogValidator.validate(bytes) {
        case .success(let c): catalog = c
        case .failure(let failure): fail("\(catalogFile): \(failure.problems.prefix(5).map(\.description).joined(separator: "; "))")
        }
        let index = CatalogSearchIndex(catalog: catalog)
        var count = 0
        var precision = 0.0
        var recall = 0.0
        for (n, line) in try String(contentsOfFile: labelled, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let parts = line.split(separator: "\t", omittingEmptySubsequences: false)
            guard !line.hasPrefix("#"), parts.count == 2 else { continue }
            let expected = parts[1].split(separator: ",").map { $0.trimmingCharacters(in: .whitespaces) }
            let results = index.searchResults(String(parts[0]), limit: 5)
            let top = results.hits.map(\.product.sku)
            let p1 = top.first.map(expected.contains) ?? false
            let r5 = Double(expected.filter(top.contains).count) / Double(max(1, expected.count))
            count += 1
            precision += p1 ? 1 : 0
            recall += r5
            if !p1 || r5 < 1 {
                let shown = results.hits.map { $0.product.sku + String(format: " %.2f", $0.score) }
                print("line \(n + 1): \(parts[0]) -> [\(shown.joined(separator: ", "))] of \(results.total); expected \(expected.joined(separator: ","))")
            }
        }
        print(String(format: "precision@1 %.3f, recall@5 %.3f over %d queries", precision / Double(max(1, count)), recall / Double(max(1, count)), count))
    }

    /// Runs `body` `rounds` times; median and best wall time, and median CPU time, in ms.
    static func timed(_ rounds: Int, _ body: () -> Void) -> (median: Double, best: Double, cpu: Double) {
        var times: [Double] = []
        var cpu: [Double] = []
        for _ in 0..<max(1, rounds) {
            let t0 = DispatchTime.now().uptimeNanoseconds
            let c0 = threadCPUNanoseconds()
            body()
            cpu.append(Double(threadCPUNanoseconds() - c0) / 1e6)
            times.append(Double(DispatchTime.now().uptimeNanoseconds - t0) / 1e6)
        }
        times.sort()
        cpu.sort()
        return (times[times.count / 2], times[0], cpu[cpu.count / 2])
    }

    /// CPU time used by the process (the benchmark runs on one thread), in nanoseconds.
    static func threadCPUNanoseconds() -> UInt64 {
        UInt64(clock()) * (1_000_000_000 / UInt64(CLOCKS_PER_SEC))
    }

    /// p50, p99, max and mean in µs.
    static func percentiles(_ samples: [UInt64]) -> (p50: Double, p99: Double, max: Double, mean: Double) {
        let sorted = samples.sorted()
        func at(_ p: Double) -> Double { Double(sorted[min(sorted.count - 1, Int(Double(sorted.count) * p))]) / 1000 }
        return (at(0.5), at(0.99), Double(sorted.last ?? 0) / 1000, Double(sorted.reduce(0, +)) / Double(max(1, sorted.count)) / 1000)
    }
}

/// A deterministic shop: Spanish product types per category, brands, colours, materials, sizes,
/// tags and a two-sentence description; and chat-like queries over the same words.
struct BenchCatalogGenerator {
    /// SplitMix64: tiny, fast, the same on every platform.
    struct Random: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            state &+= 0x9E37_79B9_7F4A_7C15
            var z = state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    struct Kind {
        var singular: String
        var plural: String
        var feminine: Bool
    }

    var random: Random

    init(seed: UInt64) {
        random = Random(state: seed)
    }

    static let categories: [(id: String, name: String, kinds: [Kind], sizes: [String], tags: [String])] = [
        ("calzado", "Calzado", [k("zapatilla", "zapatillas", f: true), k("bota", "botas", f: true), k("sandalia", "sandalias", f: true),
                                 k("zapato", "zapatos"), k("botín", "botines"), k("mocasín", "mocasines"), k("tenis", "tenis")],
         ["35", "36", "37", "38", "39", "40", "41", "42", "43", "44", "45"], ["running", "casual", "formal", "cómodo", "verano"]),
        ("ropa-mujer", "Ropa de mujer", [k("blusa", "blusas", f: true), k("falda", "faldas", f: true), k("vestido", "vestidos"),
                                          k("chaqueta", "chaquetas", f: true), k("sudadera", "sudaderas", f: true), k("leggings", "leggings")],
         ["XS", "S", "M", "L", "XL"], ["mujer", "moda", "fiesta", "oficina"]),
        ("ropa-hombre", "Ropa de hombre", [k("camiseta", "camisetas", f: true), k("camisa", "camisas", f: true), k("pantalón", "pantalones"),
                                            k("abrigo", "abrigos"), k("jersey", "jerséis"), k("short", "shorts")],
         ["S", "M", "L", "XL", "XXL"], ["hombre", "moda", "básico", "oficina"]),
        ("accesorios", "Accesorios", [k("mochila", "mochilas", f: true), k("bolso", "bolsos"), k("cartera", "carteras", f: true),
                                       k("cinturón", "cinturones"), k("gorra", "gorras", f: true), k("bufanda", "bufandas", f: true),
                                       k("reloj", "relojes"), k("gafas de sol", "gafas de sol", f: true)],
         [], ["regalo", "viaje", "moda"]),
        ("electronica", "Electrónica", [k("audífonos", "audífonos"), k("altavoz", "altavoces"), k("cargador", "cargadores"),
                                         k("cable USB", "cables USB"), k("ratón", "ratones"), k("teclado", "teclados"),
                                         k("batería externa", "baterías externas", f: true), k("cámara", "cámaras", f: true)],
         [], ["tecnología", "inalámbrico", "bluetooth", "gamer"]),
        ("hogar", "Hogar y cocina", [k("lámpara", "lámparas", f: true), k("cojín", "cojines"), k("sartén", "sartenes", f: true),
                                      k("cafetera", "cafeteras", f: true), k("taza", "tazas", f: true), k("manta", "mantas", f: true),
                                      k("toalla", "toallas", f: true), k("espejo", "espejos"), k("jarrón", "jarrones"), k("luz LED", "luces LED", f: true)],
         [], ["hogar", "cocina", "decoración", "regalo"]),
        ("deportes", "Deportes", [k("balón", "balones"), k("raqueta", "raquetas", f: true), k("casco", "cascos"),
                                   k("esterilla", "esterillas", f: true), k("mancuerna", "mancuernas", f: true), k("botella", "botellas", f: true)],
         [], ["deporte", "gimnasio", "fitness", "aire libre"]),
        ("belleza", "Belleza y cuidado", [k("perfume", "perfumes"), k("crema", "cremas", f: true), k("champú", "champús"),
                                          k("jabón", "jabones"), k("labial", "labiales"), k("sérum", "sérums")],
         [], ["belleza", "cuidado personal", "natural", "regalo"]),
        ("ninos", "Niños y juguetes", [k("peluche", "peluches"), k("muñeca", "muñecas", f: true), k("rompecabezas", "rompecabezas"),
                                        k("pijama", "pijamas"), k("mochila escolar", "mochilas escolares", f: true)],
         ["2", "4", "6", "8", "10", "12"], ["niños", "juguete", "regalo", "escolar"]),
        ("mascotas", "Mascotas", [k("collar", "collares"), k("correa", "correas", f: true), k("cama para perro", "camas para perro", f: true),
                                   k("comedero", "comederos"), k("rascador", "rascadores")],
         [], ["perro", "gato", "mascotas"]),
        ("papeleria", "Papelería", [k("cuaderno", "cuadernos"), k("bolígrafo", "bolígrafos"), k("agenda", "agendas", f: true),
                                     k("estuche", "estuches"), k("mochila de oficina", "mochilas de oficina", f: true)],
         [], ["escolar", "oficina", "regreso a clases"]),
        ("jardin", "Jardín", [k("maceta", "macetas", f: true), k("manguera", "mangueras", f: true), k("tijera de podar", "tijeras de podar", f: true),
                               k("regadera", "regaderas", f: true), k("farol solar", "faroles solares")],
         [], ["jardín", "exterior", "plantas"]),
    ]

    static func k(_ singular: String, _ plural: String, f: Bool = false) -> Kind { Kind(singular: singular, plural: plural, feminine: f) }

    /// Colours: masculine, feminine, plural masculine, plural feminine.
    static let colours: [(m: String, f: String, mp: String, fp: String)] = [
        ("rojo", "roja", "rojos", "rojas"), ("negro", "negra", "negros", "negras"), ("blanco", "blanca", "blancos", "blancas"),
        ("azul", "azul", "azules", "azules"), ("verde", "verde", "verdes", "verdes"), ("amarillo", "amarilla", "amarillos", "amarillas"),
        ("gris", "gris", "grises", "grises"), ("rosa", "rosa", "rosas", "rosas"), ("morado", "morada", "morados", "moradas"),
        ("naranja", "naranja", "naranjas", "naranjas"), ("marrón", "marrón", "marrones", "marrones"), ("beige", "beige", "beige", "beige"),
    ]
    static let styles: [(m: String, f: String)] = [
        ("Clásico", "Clásica"), ("Urbano", "Urbana"), ("Deportivo", "Deportiva"), ("Elegante", "Elegante"), ("Básico", "Básica"),
        ("Premium", "Premium"), ("Ligero", "Ligera"), ("Acolchado", "Acolchada"), ("Vintage", "Vintage"), ("Moderno", "Moderna"),
        ("Compacto", "Compacta"), ("Plegable", "Plegable"), ("Térmico", "Térmica"), ("Ecológico", "Ecológica"), ("Artesanal", "Artesanal"),
    ]
    static let brands = ["Zancada", "Nube", "Aurora", "Brisa", "Trópico", "Cumbre", "Ola", "Vértice", "Luna", "Sol", "Roble",
                         "Andes", "Pampa", "Sierra", "Bahía", "Coral", "Tierra", "Caribe", "Maya", "Quetzal"]
    static let materials = ["algodón", "poliéster", "piel", "lana", "acero", "aluminio", "plástico reciclado", "madera", "bambú",
                            "vidrio", "cerámica", "silicona", "lino", "nylon"]
    static let uses = ["el día a día", "regalar", "viajar", "la oficina", "el fin de semana", "entrenar", "la casa", "toda la familia"]
    static let features = ["Fácil de limpiar y muy resistente.", "Diseño cómodo que dura años.", "Garantía de un año incluida.",
                           "Hecho con materiales de calidad.", "Envío gratis en compras mayores a $999.", "Edición limitada de temporada."]

    mutating func pick<T>(_ list: [T]) -> T { list[Int.random(in: 0..<list.count, using: &random)] }

    mutating func catalog(products count: Int) -> Catalog {
        let categories = Self.categories.map { CatalogCategory(id: $0.id, name: $0.name) }
        var products: [Product] = []
        products.reserveCapacity(count)
        for i in 0..<count {
            let category = pick(Self.categories)
            let kind = pick(category.kinds)
            let style = pick(Self.styles)
            let brand = pick(Self.brands)
            let colour = pick(Self.colours)
            let material = pick(Self.materials)
            let adjective = kind.feminine ? style.f : style.m
            let colourWord = kind.feminine ? colour.f : colour.m
            let model = Int.random(in: 100...999, using: &random)
            let name = "\(kind.singular.capitalizedFirst) \(adjective) \(brand) \(model) \(colourWord)"
            let cents = Int.random(in: 0...1, using: &random) == 0 ? "00" : "90"
            let price = "\(Int.random(in: 99...9_999, using: &random)).\(cents)"
            var sale: ProductPrice?
            if Int.random(in: 0..<5, using: &random) == 0, let p = Decimal(string: price) {
                let discounted = NSDecimalNumber(decimal: p * Decimal(0.8)).intValue
                if discounted > 0 { sale = ProductPrice("\(discounted).00") }
            }
            var attributes = ["color": colour.m, "material": material, "marca": brand]
            if !category.sizes.isEmpty { attributes["talla"] = pick(category.sizes) }
            var tags = [pick(category.tags), pick(category.tags)]
            if Int.random(in: 0..<4, using: &random) == 0 { tags.append(pick(["oferta", "nuevo", "más vendido", "eco"])) }
            let description = "\(kind.singular.capitalizedFirst) \(adjective.lowercased()) de \(material), ideal para \(pick(Self.uses)). "
                + pick(Self.features)
            let number = String(i + 1)
            let sku = category.id.prefix(3).uppercased() + "-" + String(repeating: "0", count: max(0, 6 - number.count)) + number
            products.append(Product(
                sku: sku, name: name, description: description, price: ProductPrice(price)!, salePrice: sale,
                url: "https://tienda.example.com/p/\(sku.lowercased())", imageURL: "https://cdn.tienda.example.com/img/\(sku.lowercased()).jpg",
                category: category.id, stock: Int.random(in: 0..<10, using: &random) == 0 ? 0 : Int.random(in: 1...200, using: &random),
                tags: Array(Set(tags)).sorted(), attributes: attributes))
        }
        return Catalog(currency: "MXN", locale: "es-MX", categories: categories, products: products)
    }

    struct Query {
        var kind: String
        var text: String
    }

    /// Queries like shoppers type them: a product type (singular or plural, with or without
    /// accents), with a colour, whole chat messages, typos, brands, and words the shop lacks.
    mutating func queries(count: Int) -> [Query] {
        var out: [Query] = []
        out.reserveCapacity(count)
        let missing = ["helicoptero", "bicicleta electrica", "sofa cama", "televisor 4k", "guitarra", "xqztv", "asdfgh", "impresora 3d"]
        for _ in 0..<count {
            let category = pick(Self.categories)
            let kind = pick(category.kinds)
            let colour = pick(Self.colours)
            let plural = Bool.random(using: &random)
            let noun = plural ? kind.plural : kind.singular
            let colourWord = kind.feminine ? (plural ? colour.fp : colour.f) : (plural ? colour.mp : colour.m)
            let roll = Int.random(in: 0..<100, using: &random)
            switch roll {
            case 0..<35:
                out.append(Query(kind: "word", text: Bool.random(using: &random) ? noun : noun.withoutAccents))
            case 35..<60:
                out.append(Query(kind: "colour", text: "\(noun) \(colourWord)"))
            case 60..<75:
                let size = category.sizes.isEmpty ? "" : " talla \(pick(category.sizes))"
                let template = pick(["¿tienen \(noun) \(colourWord)\(size)?", "busco \(noun) de \(pick(Self.materials))",
                                     "hola, quiero ver \(noun) \(colourWord) por favor", "me muestras \(noun) para regalo?"])
                out.append(Query(kind: "message", text: template))
            case 75..<90:
                out.append(Query(kind: "typo", text: typo(noun.withoutAccents)))
            case 90..<95:
                out.append(Query(kind: "brand", text: "\(noun) \(pick(Self.brands).lowercased())"))
            default:
                out.append(Query(kind: "missing", text: pick(missing)))
            }
        }
        return out
    }

    /// One random edit (deletion, substitution, transposition or insertion) of a word of 4+ letters.
    mutating func typo(_ text: String) -> String {
        var chars = Array(text)
        guard chars.count >= 4 else { return text }
        let i = Int.random(in: 1..<(chars.count - 1), using: &random)
        let letters = Array("abcdefghijklmnopqrstuvwxyz")
        switch Int.random(in: 0..<4, using: &random) {
        case 0: chars.remove(at: i)
        case 1: chars[i] = pick(letters)
        case 2: chars.swapAt(i, i + 1)
        default: chars.insert(pick(letters), at: i)
        }
        return String(chars)
    }
}

extension String {
    fileprivate var capitalizedFirst: String { prefix(1).uppercased() + dropFirst() }
    fileprivate var withoutAccents: String { folding(options: .diacriticInsensitive, locale: nil) }
}
