import Foundation
import LioraStore
import Testing

@Suite("UUID text as the SQLite store writes and reads it")
struct UUIDTextTests {
    @Test("lowercase text round-trips and matches Foundation's form; byte order is text order")
    func roundTripAndOrder() {
        var generator = SystemRandomNumberGenerator()
        var ids = (0..<500).map { _ in UUID() }
        ids.append(UUID(uuid: (0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0)))
        ids.append(UUID(uuid: (255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255, 255)))
        for id in ids {
            #expect(id.lowercasedText == id.uuidString.lowercased())
            #expect(UUID(text: id.lowercasedText) == id)
            #expect(UUID(text: id.uuidString) == id)
        }
        for _ in 0..<2_000 {
            let a = ids[Int.random(in: 0..<ids.count, using: &generator)]
            let b = ids[Int.random(in: 0..<ids.count, using: &generator)]
            #expect(a.orderedBefore(b) == (a.lowercasedText < b.lowercasedText))
        }
    }

    @Test("anything but the 8-4-4-4-12 hex form is refused", arguments: [
        "", "not-a-uuid", "0123456789abcdef0123456789abcdef", "01234567-89ab-cdef-0123-456789abcdeg",
        "01234567-89ab-cdef-0123-456789abcde", "01234567-89ab-cdef-0123-456789abcdef0", "0123456789-ab-cdef-0123-456789abcdef",
        "01234567-89ab-cdef-0123-456789abcdéf",
    ])
    func refusesMalformed(text: String) {
        #expect(UUID(text: text) == nil)
    }
}
