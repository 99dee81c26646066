import NIOConcurrencyHelpers

/// The `VALUES` list of a multi-row statement, built once per row count and reused: writing ~60
/// rows of a dozen `$n` placeholders each time cost more than running some statements, and it ran
/// while the transaction held the writer.
///
/// Each row is `(` its slots `)`, rows separated by `, `. `.own(k)` is the row's k-th parameter
/// (1-based; rows take `ownPerRow` parameters each, after the `shared` leading ones); `.typed(k, t)`
/// is the same cast to `t` (PostgreSQL: a `VALUES` list read as a table needs its column types, a
/// NULL has none; PostgreSQL only, `::` is not SQLite syntax); `.shared(n)` is `$n`, the same for every row.
struct RowValues: Sendable {
    enum Slot: Sendable {
        case own(Int)
        case typed(Int, String)
        case shared(Int)
    }

    let shared: Int
    let slots: [Slot]
    let ownPerRow: Int
    private let cache = NIOLockedValueBox<[Int: String]>([:])

    init(shared: Int, _ slots: [Slot]) {
        self.shared = shared
        self.slots = slots
        ownPerRow = slots.reduce(0) {
            switch $1 {
            case .own(let k), .typed(let k, _): max($0, k)
            case .shared: $0
            }
        }
    }

    /// `(…), (…), …` for `rows` rows.
    func list(rows: Int) -> String {
        if let cached = cache.withLockedValue({ $0[rows] }) { return cached }
        var out = ""
        out.reserveCapacity(rows * slots.count * 6)
        for row in 0..<rows {
            if row > 0 { out += ", " }
            out += "("
            let base = shared + row * ownPerRow
            for (i, slot) in slots.enumerated() {
                if i > 0 { out += ", " }
                switch slot {
                case .own(let k): out += "$\(base + k)"
                case .typed(let k, let type): out += "$\(base + k)::\(type)"
                case .shared(let n): out += "$\(n)"
                }
            }
            out += ")"
        }
        cache.withLockedValue { $0[rows] = out }
        return out
    }
}
