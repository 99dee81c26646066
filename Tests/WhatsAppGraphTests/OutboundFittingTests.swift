import LioraTestSupport
import Testing
import WhatsApp

private let user = "16505551234"

/// `message.fitted()`, after checking every part passes `validate()`.
private func fit(_ message: OutboundMessage, sourceLocation: SourceLocation = #_sourceLocation) -> [OutboundMessage] {
    let parts = message.fitted()
    for part in parts {
        #expect(part.limitErrors() == [], "fitted part still breaks a limit", sourceLocation: sourceLocation)
        #expect(part.to == message.to, sourceLocation: sourceLocation)
    }
    return parts
}

/// Sentences in paragraphs of five, about `length` characters.
private func prose(_ length: Int) -> String {
    var text = ""
    var n = 0
    while text.count < length {
        n += 1
        text += "Sentence number \(n) explains one more thing about the order."
        text += n % 5 == 0 ? "\n\n" : " "
    }
    return text
}

@Suite("fitted() repairs messages without losing their meaning")
struct OutboundFittingTests {
    @Test func fiveButtonsWithFortyCharacterTitlesBecomeOneList() throws {
        let titles = (1...5).map { "Option \($0): schedule a delivery for tomorrow" }
        #expect(titles.allSatisfy { $0.count > 40 })
        let message = OutboundMessage(to: user, kind: .replyButtons(
            body: "When should we deliver?", buttons: titles.enumerated().map { .init(id: "slot-\($0.offset)", title: $0.element) },
            header: "Delivery", footer: "Liora"), replyTo: "wamid.IN")
        let parts = fit(message)
        try #require(parts.count == 1)
        guard case .list(let body, let buttonText, let sections, let header, let footer) = parts[0].kind else {
            Issue.record("expected a list, got \(parts[0].kind)")
            return
        }
        #expect(body == "When should we deliver?")
        #expect(header == "Delivery" && footer == "Liora")
        #expect(!buttonText.isEmpty)
        #expect(parts[0].replyTo == "wamid.IN")
        let rows = sections.flatMap(\.rows)
        #expect(rows.map(\.id) == (0..<5).map { "slot-\($0)" })
        for (row, title) in zip(rows, titles) {
            #expect(row.title.count <= 24)
            #expect(row.title.hasSuffix("…"))
            // Cut on a word boundary: what is left (without "…") is a prefix of the title ending a word.
            let kept = String(row.title.dropLast())
            #expect(title.hasPrefix(kept))
            #expect(title[title.index(title.startIndex, offsetBy: kept.count)] == " ")
            // The full title survives as the description.
            #expect(row.description == title)
        }
    }

    @Test func aRepairedMessageKeepsItsCallbackData() throws {
        // A blank reply-to id is dropped by the repair; the intent riding in the callback data is not.
        let message = OutboundMessage(to: user, kind: .text(body: "hola"), replyTo: " ", callbackData: "core.saludo")
        #expect(try message.preparedForSending().callbackData == "core.saludo")
        let long = OutboundMessage(to: user, kind: .text(body: String(repeating: "palabra ", count: 1_000)), callbackData: "x")
        #expect(long.fitted().count > 1 && long.fitted().allSatisfy { $0.callbackData == "x" })
    }

    @Test func limitsCountEmojiAsMetaMayAndCutsNeverBreakThem() throws {
        // 10 characters on screen, 22 code points, 24 UTF-16 units: over the 20 of a button title.
        let family = "Familia 👨‍👩‍👧‍👦👨‍👩‍👧‍👦"
        let message = OutboundMessage(to: user, kind: .replyButtons(body: "¿Para quién?", buttons: [
            .init(id: "a", title: family), .init(id: "b", title: "Taza ❤️❤️ Día de la Madre"),
        ]))
        #expect(message.limitErrors().map(\.field).contains("interactive.action.buttons[0].reply.title"))
        let parts = fit(message)
        guard case .replyButtons(_, let buttons, _, _) = try #require(parts.first?.kind) else { Issue.record("expected buttons"); return }
        for button in buttons {
            #expect(button.title.utf16.count <= 20, "\(button.title)")
            // Cut between characters: every character kept is one of the original's.
            let original = button.id == "a" ? family : "Taza ❤️❤️ Día de la Madre"
            #expect(Array(button.title.dropLast()).allSatisfy { Array(original).contains($0) })
        }
        // A long text of emoji splits into parts within 4,096 units, none broken.
        let text = String(repeating: "🎉 ", count: 3_000)
        let split = fit(OutboundMessage(to: user, kind: .text(body: text)))
        #expect(split.count == 3)
        #expect(split.allSatisfy { part in
            guard case .text(let body, _) = part.kind else { return false }
            return body.utf16.count <= 4096 && body.allSatisfy { $0 == "🎉" || $0 == " " }
        })
    }

    @Test func longButtonTitlesAreShortenedOnAWordBoundary() throws {
        let message = OutboundMessage(to: user, kind: .replyButtons(body: "Ready?", buttons: [
            .init(id: "a", title: "Schedule a delivery for tomorrow"),
            .init(id: "b", title: "Supercalifragilisticexpialidocious"),
            .init(id: "c", title: "No"),
        ]))
        let parts = fit(message)
        guard case .replyButtons(_, let buttons, _, _) = try #require(parts.first?.kind) else {
            Issue.record("expected buttons")
            return
        }
        #expect(buttons.map(\.title) == ["Schedule a delivery…", "Supercalifragilisti…", "No"])
        #expect(buttons.map(\.id) == ["a", "b", "c"])
    }

    @Test func repeatedIdsAndTitlesGetSuffixes() throws {
        let message = OutboundMessage(to: user, kind: .replyButtons(body: "Pick", buttons: [
            .init(id: "x", title: "A long title that is cut"), .init(id: "x", title: "A long title that is cut too"),
            .init(id: " ", title: "   "),
            .init(id: "x", title: ""),
        ]))
        let parts = fit(message)
        guard case .replyButtons(_, let buttons, _, _) = try #require(parts.first?.kind) else {
            Issue.record("expected buttons")
            return
        }
        // The blank button is dropped; a blank title is taken from the id.
        #expect(buttons.map(\.id) == ["x", "x-2", "x-3"])
        #expect(buttons.map(\.title) == ["A long title that…", "A long title that… 2", "x"])
    }

    @Test func thirtyRowsBecomeThreeListsKeepingEveryRowAndSection() throws {
        let sections: [OutboundMessage.ListSection] = (0..<3).map { s in
            .init(title: "Category \(s) with a very long name", rows: (0..<10).map { r in
                .init(id: "p\(s)-\(r)", title: "Product \(s)-\(r)", description: "In stock")
            })
        }
        let message = OutboundMessage(to: user, kind: .list(body: "Our catalog", buttonText: "See products", sections: sections))
        let parts = fit(message)
        #expect(parts.count == 3)
        var ids: [String] = []
        for part in parts {
            guard case .list(let body, let buttonText, let pageSections, _, _) = part.kind else {
                Issue.record("expected lists")
                return
            }
            #expect(body == "Our catalog" && buttonText == "See products")
            #expect(pageSections.allSatisfy { $0.title?.hasPrefix("Category") == true && $0.title!.count <= 24 })
            ids += pageSections.flatMap { $0.rows.map(\.id) }
        }
        #expect(ids == sections.flatMap { $0.rows.map(\.id) })
    }

    @Test func rowsOfAnUntitledSectionAmongTitledOnesJoinTheirNeighbour() throws {
        let message = OutboundMessage(to: user, kind: .list(body: "b", buttonText: "Open", sections: [
            .init(rows: [.init(id: "a", title: "A")]),
            .init(title: "Fruit", rows: [.init(id: "b", title: "B")]),
            .init(title: "  ", rows: [.init(id: "c", title: "C")]),
            .init(title: "Empty", rows: []),
        ]))
        let parts = fit(message)
        guard case .list(_, _, let sections, _, _) = try #require(parts.first?.kind) else {
            Issue.record("expected a list")
            return
        }
        #expect(sections == [.init(title: "Fruit", rows: [.init(id: "a", title: "A"), .init(id: "b", title: "B"), .init(id: "c", title: "C")])])
    }

    @Test func aTenThousandCharacterTextSplitsAtParagraphsAndSentences() throws {
        let text = prose(10_000)
        let parts = fit(OutboundMessage(to: user, kind: .text(body: text, previewURL: true), replyTo: "wamid.IN"))
        #expect(parts.count == 3)
        let bodies = parts.map(\.bodyText)
        #expect(visible(bodies.joined()) == visible(text))
        for body in bodies.dropLast() {
            #expect(body.hasSuffix("order."), "cut mid-sentence: …\(body.suffix(30))")
        }
        #expect(parts.map(\.replyTo) == ["wamid.IN", nil, nil])
        #expect(parts.allSatisfy { if case .text(_, true) = $0.kind { true } else { false } })
    }

    @Test func textWithoutSpacesIsCutHard() {
        let parts = fit(.text(String(repeating: "x", count: 10_000), to: user))
        #expect(parts.map(\.bodyText.count) == [4096, 4096, 1808])
    }

    @Test func emojiAndCombiningAccentsAreNeverBrokenApart() throws {
        let family: Character = "👨‍👩‍👧‍👦"
        let emoji = String(repeating: family, count: 5000)
        let emojiParts = fit(.text(emoji, to: user)).map(\.bodyText)
        // A family is one character of 11 UTF-16 units: 372 of them fit in 4096.
        #expect(emojiParts.map(\.count) == Array(repeating: 372, count: 13) + [5000 - 13 * 372])
        #expect(emojiParts.allSatisfy { $0.utf16.count <= 4096 })
        #expect(emojiParts.allSatisfy { $0.allSatisfy { $0 == family } })
        #expect(emojiParts.joined().unicodeScalars.elementsEqual(emoji.unicodeScalars))

        // "é" as e + U+0301, words of 9 letters: each part starts with a base letter, none with a mark.
        let word = String(repeating: "e\u{301}", count: 9)
        let accents = Array(repeating: word, count: 600).joined(separator: " ")
        let accentParts = fit(.text(accents, to: user)).map(\.bodyText)
        #expect(accentParts.count == 3)  // 600 words of 18 units and a space: 11,399 units
        #expect(accentParts.allSatisfy { $0.utf16.count <= 4096 })
        for part in accentParts {
            #expect(part.unicodeScalars.first == "e")
            #expect(part.unicodeScalars.last == "\u{301}")
        }
        #expect(visible(accentParts.joined()).unicodeScalars.elementsEqual(visible(accents).unicodeScalars))

        // Shortening a title keeps whole clusters too.
        let title = "Cafe\u{301} con leche y pan tostado 🇪🇸🇪🇸"
        let parts = fit(OutboundMessage(to: user, kind: .replyButtons(body: "b", buttons: [.init(id: "c", title: title)])))
        guard case .replyButtons(_, let buttons, _, _) = try #require(parts.first?.kind) else {
            Issue.record("expected buttons")
            return
        }
        #expect(buttons[0].title == "Cafe\u{301} con leche y…")
        #expect(buttons[0].title.unicodeScalars.filter { $0 == "\u{301}" }.count == 1)
    }

    @Test func anOverLongInteractiveBodySendsItsBeginningAsTextFirst() throws {
        let body = prose(3000) + "Which one do you want?"
        let message = OutboundMessage(to: user, kind: .replyButtons(
            body: body, buttons: [.init(id: "a", title: "A"), .init(id: "b", title: "B")]), replyTo: "wamid.IN")
        let parts = fit(message)
        #expect(parts.count >= 2)
        #expect(parts.dropLast().allSatisfy { if case .text = $0.kind { true } else { false } })
        guard case .replyButtons(let last, let buttons, _, _) = try #require(parts.last?.kind) else {
            Issue.record("expected the buttons last")
            return
        }
        #expect(last.hasSuffix("Which one do you want?"))
        #expect(buttons.map(\.id) == ["a", "b"])
        #expect(visible(parts.map(\.bodyText).joined()) == visible(body))
        #expect(parts.first?.replyTo == "wamid.IN")
        #expect(parts.dropFirst().allSatisfy { $0.replyTo == nil })
    }

    @Test func anOverLongCaptionContinuesAsTextAfterTheImage() throws {
        let caption = prose(3000)
        let parts = fit(OutboundMessage(to: user, kind: .image(link: "https://liora.test/a.jpg", caption: caption)))
        guard case .image(let link, let first?) = try #require(parts.first?.kind) else {
            Issue.record("expected the image first")
            return
        }
        #expect(link == "https://liora.test/a.jpg")
        #expect(first.count <= 1024)
        #expect(parts.dropFirst().allSatisfy { if case .text = $0.kind { true } else { false } })
        #expect(visible(parts.map(\.bodyText).joined()) == visible(caption))
    }

    @Test func ctaRepairs() throws {
        let noLabel = fit(OutboundMessage(to: user, kind: .ctaURL(
            body: "Track your order", displayText: " ", url: " https://tracking.liora.test/o/1 ",
            headerImageURL: "not a url", footer: String(repeating: "f", count: 100))))
        guard case .ctaURL(_, let label, let url, let image, let footer) = try #require(noLabel.first?.kind) else {
            Issue.record("expected a CTA")
            return
        }
        #expect(label == "tracking.liora.test")
        #expect(url == "https://tracking.liora.test/o/1")
        #expect(image == nil)
        #expect(footer?.count == 60)

        let badURL = fit(OutboundMessage(to: user, kind: .ctaURL(body: "See", displayText: "Open", url: "liora.test/o/1")))
        #expect(badURL == [.text("See\n\nliora.test/o/1", to: user)])
    }

    @Test func messagesWithNothingToSayGiveNothing() {
        #expect(fit(.text("  \n ", to: user)) == [])
        #expect(fit(.text("hi", to: " ")) == [])
        #expect(fit(OutboundMessage(to: user, kind: .image(link: "nope"))) == [])
        #expect(fit(OutboundMessage(to: user, kind: .image(link: "nope", caption: "A cat"))) == [.text("A cat", to: user)])
        #expect(fit(OutboundMessage(to: user, kind: .replyButtons(body: "Only text", buttons: [], header: "Title")))
            == [.text("Title\n\nOnly text", to: user)])
    }

    @Test func aBlankBodyIsTakenFromTheHeader() throws {
        let parts = fit(OutboundMessage(to: user, kind: .replyButtons(body: "", buttons: [.init(id: "a", title: "A")], header: "Choose")))
        #expect(parts.map(\.kind) == [.replyButtons(body: "Choose", buttons: [.init(id: "a", title: "A")], header: nil, footer: nil)])
    }

    @Test func preparedForSendingRepairsOnlyIntoOneMessage() throws {
        let repairable = OutboundMessage(to: user, kind: .replyButtons(body: "b", buttons: [.init(id: "a", title: String(repeating: "t", count: 40))]))
        #expect(try repairable.preparedForSending() == repairable.fitted()[0])
        let valid = OutboundMessage.text("hi", to: user)
        #expect(try valid.preparedForSending() == valid)
        let needsSplitting = OutboundMessage.text(String(repeating: "x", count: 5000), to: user)
        #expect(throws: OutboundLimitError(field: "text.body", problem: .tooLong(limit: 4096, length: 5000))) {
            try needsSplitting.preparedForSending()
        }
    }

    /// Random adversarial messages: whatever goes in, every part that comes out is valid.
    @Test func fittedOutputAlwaysValidates() {
        var random = SeededGenerator(seed: 42)
        let pieces = ["a", "word", " ", "\n", "\n\n", ".", "👍🏽", "👨‍👩‍👧‍👦", "e\u{301}", "🇪🇸", "ñ", "日本語。", "\t", "—", "https://liora.test/x"]
        func text(_ maxPieces: Int) -> String {
            (0..<Int.random(in: 0...maxPieces, using: &random)).map { _ in pieces.randomElement(using: &random)! }.joined()
        }
        func maybe(_ maxPieces: Int) -> String? { Bool.random(using: &random) ? text(maxPieces) : nil }
        func id() -> String { ["a", "a", "b", " c ", "", text(3), String(repeating: "i", count: 300)].randomElement(using: &random)! }
        for _ in 0..<400 {
            let kind: OutboundMessage.Kind
            switch Int.random(in: 0..<5, using: &random) {
            case 0:
                kind = .text(body: text(3000))
            case 1:
                kind = .replyButtons(body: text(600), buttons: (0..<Int.random(in: 0...6, using: &random)).map { _ in
                    .init(id: id(), title: text(12))
                }, header: maybe(40), footer: maybe(40))
            case 2:
                kind = .list(body: text(2500), buttonText: text(12), sections: (0..<Int.random(in: 0...12, using: &random)).map { _ in
                    .init(title: maybe(15), rows: (0..<Int.random(in: 0...8, using: &random)).map { _ in
                        .init(id: id(), title: text(15), description: maybe(40))
                    })
                }, header: maybe(40), footer: maybe(40))
            case 3:
                kind = .ctaURL(body: text(600), displayText: text(12), url: ["https://liora.test/x", "nope", " ", "http://a.test/\(text(2))"].randomElement(using: &random)!,
                               headerImageURL: maybe(2), footer: maybe(40))
            default:
                kind = .image(link: ["https://liora.test/i.png", "ftp://x", ""].randomElement(using: &random)!, caption: maybe(700))
            }
            let message = OutboundMessage(to: Bool.random(using: &random) ? user : "", kind: kind, replyTo: maybe(1))
            for part in message.fitted() {
                #expect(part.limitErrors() == [], "\(message) fitted into \(part)")
            }
        }
    }
}
