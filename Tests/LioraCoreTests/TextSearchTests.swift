import Foundation
import LioraCore
import Testing

@Suite("Byte search for ASCII needles")
struct TextSearchTests {
    @Test("containsASCII finds what Foundation's contains finds")
    func agreesWithFoundation() {
        let haystacks = ["", "{", "{query}", "Busco {query} en la tienda", "café {count} ünïcode", "https://ejemplo.com/a",
                         "ver http://x y https:/", "{quer", "x{product}", "{categories}{count}", "😀https://😀", "ht"]
        for h in haystacks {
            for n: StaticString in ["{", "{query}", "{count}", "{product}", "{categories}", "https://"] {
                #expect(h.containsASCII(n) == h.contains(n.description), "\(h) / \(n)")
            }
        }
        #expect("abc".containsASCII(""))
    }
}
