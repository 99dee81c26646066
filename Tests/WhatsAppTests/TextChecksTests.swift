import Foundation
import Testing
import WhatsApp

/// The fast paths of the text checks on the send path answer as the Unicode checks they shortcut.
@Suite("Text checks: fast paths agree with Character properties")
struct TextChecksTests {
    @Test("isBlank is Character.isWhitespace over the whole string, for every ASCII character and Unicode spaces")
    func isBlank() {
        var samples: [String] = (0..<128).map { String(Unicode.Scalar(UInt8($0))) }
        samples += ["", " ", "  \t\n", "\r\n", " a", "a ", " \u{0301}", "\u{00A0}", "\u{2003}\u{3000}", "\u{85}", "\u{200B}",
                    "\u{1C}", " \u{1F} ", "é", "  😀 ", "\u{2028}\u{2029}", "wamid.A"]
        for s in samples {
            #expect(s.isBlank == s.allSatisfy(\.isWhitespace), "\(s.unicodeScalars.map { $0.value })")
        }
    }
}
