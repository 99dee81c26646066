import Testing
import WhatsApp

/// A message that breaks one limit, and the error naming it.
struct LimitCase: Sendable, CustomTestStringConvertible {
    var name: String
    var message: OutboundMessage
    var expected: OutboundLimitError
    var testDescription: String { name }
}

private func chars(_ count: Int, _ character: Character = "a") -> String {
    String(repeating: character, count: count)
}

private func buttons(_ count: Int) -> [OutboundMessage.ReplyButton] {
    (0..<count).map { .init(id: "b\($0)", title: "Button \($0)") }
}

private func rows(_ count: Int, prefix: String = "r") -> [OutboundMessage.ListRow] {
    (0..<count).map { .init(id: "\(prefix)\($0)", title: "Row \($0)") }
}

private func message(_ kind: OutboundMessage.Kind) -> OutboundMessage {
    OutboundMessage(to: "16505551234", kind: kind)
}

private func list(body: String = "Pick one", buttonText: String = "Options", sections: [OutboundMessage.ListSection],
                  header: String? = nil, footer: String? = nil) -> OutboundMessage {
    message(.list(body: body, buttonText: buttonText, sections: sections, header: header, footer: footer))
}

private func cta(body: String = "Book now", displayText: String = "Book", url: String = "https://liora.test/book",
                 headerImageURL: String? = nil) -> OutboundMessage {
    message(.ctaURL(body: body, displayText: displayText, url: url, headerImageURL: headerImageURL))
}

private let buttonsPath = "interactive.action.buttons"
private let section0 = "interactive.action.sections[0]"

@Suite("Outbound limits")
struct OutboundValidationTests {
    static let valid: [OutboundMessage] = [
        message(.text(body: chars(4096))),
        // Limits count UTF-16 units, as the most cautious of Meta's possible counts: 1024
        // skin-toned thumbs (2 scalars, 4 units each) are exactly 4096.
        message(.text(body: chars(1024, "👍🏽"))),
        message(.replyButtons(body: chars(1024), buttons: [
            .init(id: chars(256), title: chars(20)), .init(id: "b", title: "Béb\u{301}é"), .init(id: "c", title: chars(20, "é")),
        ], header: chars(60), footer: chars(60))),
        list(body: chars(4096), buttonText: chars(20), sections: (0..<10).map {
            .init(title: chars(24), rows: [.init(id: "\($0)" + chars(199), title: chars(24), description: chars(72))])
        }, header: chars(60), footer: chars(60)),
        list(sections: [.init(rows: rows(10))]),
        cta(body: chars(1024), displayText: chars(20), headerImageURL: "https://liora.test/banner.png"),
        message(.image(link: "https://liora.test/a.jpg", caption: chars(1024))),
        OutboundMessage(to: "1", kind: .image(link: "http://liora.test/a.jpg"), replyTo: "wamid.X"),
    ]

    @Test(arguments: valid)
    func messagesWithinEveryLimitPass(_ message: OutboundMessage) throws {
        try message.validate()
        #expect(message.limitErrors().isEmpty)
        #expect(message.fitted() == [message])
    }

    static let cases: [LimitCase] = [
        LimitCase(name: "text body over 4096", message: message(.text(body: chars(4097))),
                  expected: .init(field: "text.body", problem: .tooLong(limit: 4096, length: 4097))),
        LimitCase(name: "text body of 2049 emoji", message: message(.text(body: chars(2049, "👍"))),
                  expected: .init(field: "text.body", problem: .tooLong(limit: 4096, length: 4098))),
        LimitCase(name: "blank text body", message: message(.text(body: " \n\t")),
                  expected: .init(field: "text.body", problem: .empty)),
        LimitCase(name: "blank recipient", message: OutboundMessage(to: "", kind: .text(body: "hi")),
                  expected: .init(field: "to", problem: .empty)),
        LimitCase(name: "blank context message id", message: OutboundMessage(to: "1", kind: .text(body: "hi"), replyTo: ""),
                  expected: .init(field: "context.message_id", problem: .empty)),
        LimitCase(name: "no reply buttons", message: message(.replyButtons(body: "b", buttons: [])),
                  expected: .init(field: buttonsPath, problem: .tooFew(minimum: 1, count: 0))),
        LimitCase(name: "four reply buttons", message: message(.replyButtons(body: "b", buttons: buttons(4))),
                  expected: .init(field: buttonsPath, problem: .tooMany(limit: 3, count: 4))),
        LimitCase(name: "button title over 20", message: message(.replyButtons(body: "b", buttons: [.init(id: "a", title: chars(21))])),
                  expected: .init(field: "\(buttonsPath)[0].reply.title", problem: .tooLong(limit: 20, length: 21))),
        LimitCase(name: "blank button title", message: message(.replyButtons(body: "b", buttons: [.init(id: "a", title: "  ")])),
                  expected: .init(field: "\(buttonsPath)[0].reply.title", problem: .empty)),
        LimitCase(name: "button id over 256", message: message(.replyButtons(body: "b", buttons: [.init(id: chars(257), title: "t")])),
                  expected: .init(field: "\(buttonsPath)[0].reply.id", problem: .tooLong(limit: 256, length: 257))),
        LimitCase(name: "button id with a trailing space", message: message(.replyButtons(body: "b", buttons: [.init(id: "yes ", title: "Yes")])),
                  expected: .init(field: "\(buttonsPath)[0].reply.id", problem: .surroundingWhitespace)),
        LimitCase(name: "repeated button id", message: message(.replyButtons(body: "b", buttons: [
            .init(id: "same", title: "One"), .init(id: "same", title: "Two"),
        ])), expected: .init(field: "\(buttonsPath)[1].reply.id", problem: .duplicate)),
        LimitCase(name: "repeated button title", message: message(.replyButtons(body: "b", buttons: [
            .init(id: "1", title: "Same"), .init(id: "2", title: "Same"),
        ])), expected: .init(field: "\(buttonsPath)[1].reply.title", problem: .duplicate)),
        LimitCase(name: "reply-button body over 1024", message: message(.replyButtons(body: chars(1025), buttons: buttons(1))),
                  expected: .init(field: "interactive.body.text", problem: .tooLong(limit: 1024, length: 1025))),
        LimitCase(name: "blank reply-button body", message: message(.replyButtons(body: "", buttons: buttons(1))),
                  expected: .init(field: "interactive.body.text", problem: .empty)),
        LimitCase(name: "header over 60", message: message(.replyButtons(body: "b", buttons: buttons(1), header: chars(61))),
                  expected: .init(field: "interactive.header.text", problem: .tooLong(limit: 60, length: 61))),
        LimitCase(name: "footer over 60", message: message(.replyButtons(body: "b", buttons: buttons(1), footer: chars(61))),
                  expected: .init(field: "interactive.footer.text", problem: .tooLong(limit: 60, length: 61))),
        LimitCase(name: "list body over 4096", message: list(body: chars(4097), sections: [.init(rows: rows(1))]),
                  expected: .init(field: "interactive.body.text", problem: .tooLong(limit: 4096, length: 4097))),
        LimitCase(name: "list button text over 20", message: list(buttonText: chars(21), sections: [.init(rows: rows(1))]),
                  expected: .init(field: "interactive.action.button", problem: .tooLong(limit: 20, length: 21))),
        LimitCase(name: "no sections", message: list(sections: []),
                  expected: .init(field: "interactive.action.sections", problem: .tooFew(minimum: 1, count: 0))),
        LimitCase(name: "eleven sections", message: list(sections: (0..<11).map { .init(title: "S\($0)", rows: rows(1, prefix: "s\($0)-")) }),
                  expected: .init(field: "interactive.action.sections", problem: .tooMany(limit: 10, count: 11))),
        LimitCase(name: "eleven rows", message: list(sections: [.init(rows: rows(11))]),
                  expected: .init(field: "interactive.action.sections[].rows", problem: .tooMany(limit: 10, count: 11))),
        LimitCase(name: "a section without rows", message: list(sections: [.init(rows: [])]),
                  expected: .init(field: "\(section0).rows", problem: .tooFew(minimum: 1, count: 0))),
        LimitCase(name: "section title over 24", message: list(sections: [.init(title: chars(25), rows: rows(1))]),
                  expected: .init(field: "\(section0).title", problem: .tooLong(limit: 24, length: 25))),
        LimitCase(name: "untitled section among two", message: list(sections: [.init(rows: rows(1)), .init(title: "B", rows: rows(1, prefix: "x"))]),
                  expected: .init(field: "\(section0).title", problem: .missing)),
        LimitCase(name: "row title over 24", message: list(sections: [.init(rows: [.init(id: "a", title: chars(25))])]),
                  expected: .init(field: "\(section0).rows[0].title", problem: .tooLong(limit: 24, length: 25))),
        LimitCase(name: "row description over 72", message: list(sections: [.init(rows: [.init(id: "a", title: "t", description: chars(73))])]),
                  expected: .init(field: "\(section0).rows[0].description", problem: .tooLong(limit: 72, length: 73))),
        LimitCase(name: "row id over 200", message: list(sections: [.init(rows: [.init(id: chars(201), title: "t")])]),
                  expected: .init(field: "\(section0).rows[0].id", problem: .tooLong(limit: 200, length: 201))),
        LimitCase(name: "row id repeated in another section", message: list(sections: [
            .init(title: "A", rows: [.init(id: "x", title: "One")]), .init(title: "B", rows: [.init(id: "x", title: "Two")]),
        ]), expected: .init(field: "interactive.action.sections[1].rows[0].id", problem: .duplicate)),
        LimitCase(name: "CTA body over 1024", message: cta(body: chars(1025)),
                  expected: .init(field: "interactive.body.text", problem: .tooLong(limit: 1024, length: 1025))),
        LimitCase(name: "CTA display text over 20", message: cta(displayText: chars(21)),
                  expected: .init(field: "interactive.action.parameters.display_text", problem: .tooLong(limit: 20, length: 21))),
        LimitCase(name: "CTA URL without scheme", message: cta(url: "liora.test/book"),
                  expected: .init(field: "interactive.action.parameters.url", problem: .invalidURL)),
        LimitCase(name: "CTA URL with a space", message: cta(url: "https://liora.test/a b"),
                  expected: .init(field: "interactive.action.parameters.url", problem: .invalidURL)),
        LimitCase(name: "CTA header image not http(s)", message: cta(headerImageURL: "ftp://liora.test/a.png"),
                  expected: .init(field: "interactive.header.image.link", problem: .invalidURL)),
        LimitCase(name: "image caption over 1024", message: message(.image(link: "https://liora.test/a.jpg", caption: chars(1025))),
                  expected: .init(field: "image.caption", problem: .tooLong(limit: 1024, length: 1025))),
        LimitCase(name: "image link blank", message: message(.image(link: "")),
                  expected: .init(field: "image.link", problem: .empty)),
    ]

    @Test(arguments: cases)
    func aBrokenLimitIsNamed(_ limitCase: LimitCase) {
        #expect(throws: limitCase.expected) { try limitCase.message.validate() }
        #expect(limitCase.message.limitErrors().contains(limitCase.expected))
    }

    @Test func everyBrokenLimitIsListedAndValidateThrowsTheFirst() {
        let message = message(.replyButtons(body: chars(2000), buttons: [
            .init(id: "a", title: chars(30)), .init(id: "a", title: "ok"),
        ], footer: chars(61)))
        let errors = message.limitErrors()
        #expect(errors.map(\.field) == [
            "interactive.body.text", "interactive.footer.text",
            "\(buttonsPath)[0].reply.title", "\(buttonsPath)[1].reply.id",
        ])
        #expect(throws: errors[0]) { try message.validate() }
    }

    @Test func theDescriptionNamesFieldAndLimitButNeverTheText() {
        let secret = "SECRET-CUSTOMER-TEXT " + chars(20)
        let error = message(.replyButtons(body: "b", buttons: [.init(id: "a", title: secret)])).limitErrors()[0]
        #expect(error.description == "interactive.action.buttons[0].reply.title is 41 characters long; the limit is 20")
        #expect(!error.description.contains("SECRET"))
    }

    @Test func readReceiptsNeedAMessageID() {
        #expect(throws: OutboundLimitError(field: "message_id", problem: .empty)) { try MarkRead(messageID: " ").validate() }
        #expect(throws: Never.self) { try MarkRead(messageID: "wamid.A", showsTypingIndicator: true).validate() }
    }
}
