import Foundation
import Testing
import WhatsApp

/// One of Meta's request examples and the message that must encode to it.
struct MetaExample: Sendable, CustomTestStringConvertible {
    /// The example's name in Meta's spec (or docs page).
    var name: String
    /// Its fixture under `Fixtures/requests/`.
    var file: String
    var message: OutboundMessage
    /// Keys the example leaves out that Liora always sends (quirks of Meta's examples).
    var omittedByExample: [String: JSON] = [:]
    var testDescription: String { name }

    static let recipient = "{{Recipient-Phone-Number}}"

    static let listSections: [OutboundMessage.ListSection] = (1...2).map { s in
        .init(title: "<LIST_SECTION_\(s)_TITLE>", rows: (1...2).map { r in
            .init(id: "<LIST_SECTION_\(s)_ROW_\(r)_ID>", title: "<SECTION_\(s)_ROW_\(r)_TITLE>",
                  description: "<SECTION_\(s)_ROW_\(r)_DESC>")
        })
    }

    static let all: [MetaExample] = [
        MetaExample(name: "Send Text Message", file: "send-text-message", message: .init(
            to: recipient, kind: .text(body: "text-message-content", previewURL: false))),
        MetaExample(name: "Send Reply to Text Message", file: "send-reply-to-text-message", message: .init(
            to: recipient, kind: .text(body: "<TEXT_MSG_CONTENT>"), replyTo: "<MSGID_OF_PREV_MSG>")),
        MetaExample(name: "Send Reply Button", file: "send-reply-button", message: .init(
            to: recipient, kind: .replyButtons(body: "<BUTTON_TEXT>", buttons: [
                .init(id: "<UNIQUE_BUTTON_ID_1>", title: "<BUTTON_TITLE_1>"),
                .init(id: "<UNIQUE_BUTTON_ID_2>", title: "<BUTTON_TITLE_2>"),
            ]))),
        MetaExample(name: "Send List Message", file: "send-list-message", message: .init(
            to: recipient, kind: .list(body: "<BODY_TEXT>", buttonText: "<BUTTON_TEXT>", sections: listSections,
                                       header: "<HEADER_TEXT>", footer: "<FOOTER_TEXT>"))),
        MetaExample(name: "Send Reply to List Message", file: "send-reply-to-list-message", message: .init(
            to: recipient, kind: .list(body: "<BODY_TEXT>", buttonText: "<BUTTON_TEXT>", sections: listSections,
                                       header: "<HEADER_TEXT>", footer: "<FOOTER_TEXT>"),
            // The example omits `type`.
            replyTo: "<MSGID_OF_PREV_MSG>"), omittedByExample: ["type": .string("interactive")]),
        // Omits `type` and `recipient_type` (a quirk the spec's README notes).
        MetaExample(name: "Send Text Message with Preview URL", file: "send-text-message-with-preview-url", message: .init(
            to: recipient, kind: .text(body: "Please visit https://youtu.be/hpltvTEiRrY.", previewURL: true)),
            omittedByExample: ["type": .string("text"), "recipient_type": .string("individual")]),
        MetaExample(name: "Send Image Message by URL", file: "send-image-message-by-url", message: .init(
            to: recipient, kind: .image(link: "http(s)://image-url"))),
        MetaExample(name: "Send Reply to Image Message by URL", file: "send-reply-to-image-message-by-url", message: .init(
            to: recipient, kind: .image(link: "http(s)://image-url"), replyTo: "<MSGID_OF_PREV_MSG>")),
        MetaExample(name: "Meta docs: interactive CTA URL message, image header", file: "meta-docs-cta-url-with-image-header", message: .init(
            to: "<WHATSAPP_USER_PHONE_NUMBER>", kind: .ctaURL(
                body: "<BODY_TEXT>", displayText: "<BUTTON_LABEL_TEXT>", url: "<BUTTON_URL>",
                headerImageURL: "<ASSET_URL>", footer: "<FOOTER_TEXT>"))),
    ]
}

@Suite("Outbound messages encode as Meta's request examples")
struct OutboundEncodingTests {
    @Test(arguments: MetaExample.all)
    func encodesAsMetasExample(_ example: MetaExample) throws {
        let fixture = try Fixture.request(example.file)
        #expect(try JSON(encoding: example.message) == fixture.merging(example.omittedByExample))
        // Only keys the example really lacks are added.
        guard case .object(let fields) = fixture else { return }
        #expect(example.omittedByExample.keys.allSatisfy { fields[$0] == nil })
    }

    @Test(arguments: MetaExample.all)
    func decodesMetasExample(_ example: MetaExample) throws {
        let decoded = try JSONDecoder().decode(OutboundMessage.self, from: Fixture.data("requests", example.file))
        #expect(decoded == example.message)
    }

    @Test func sendTypingIndicatorAndReadReceipt() throws {
        let markRead = MarkRead(messageID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUYzMjEzNDM2RTZGQ0MzMDJBRgA=", showsTypingIndicator: true)
        #expect(try JSON(encoding: markRead) == Fixture.request("send-typing-indicator-and-read-receipt"))
    }

    @Test func aReadReceiptWithoutTypingIndicatorHasNoTypingIndicatorKey() throws {
        let json = try JSON(encoding: MarkRead(messageID: "wamid.A"))
        #expect(json == .object([
            "messaging_product": .string("whatsapp"), "status": .string("read"), "message_id": .string("wamid.A"),
        ]))
        #expect(try JSONDecoder().decode(MarkRead.self, from: JSONEncoder().encode(MarkRead(messageID: "wamid.A"))) == MarkRead(messageID: "wamid.A"))
    }

    @Test("a read receipt's hand-written body is the JSON the encoder writes (any message id), and Meta's example")
    func readReceiptBodyMatchesTheEncoder() throws {
        var awkward = ""
        for c in 0..<0x20 { awkward.unicodeScalars.append(Unicode.Scalar(UInt8(c))) }
        awkward += "\"\\/\u{7f}\u{2028}é😀"
        for id in ["wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUYzMjEzNDM2RTZGQ0MzMDJBRgA=", "wamid.A/B+C==", awkward, ""] {
            for typing in [true, false] {
                let receipt = MarkRead(messageID: id, showsTypingIndicator: typing)
                #expect(try JSON(Data(receipt.json.utf8)) == JSON(encoding: receipt))
                #expect(try JSONDecoder().decode(MarkRead.self, from: Data(receipt.json.utf8)) == receipt)
            }
        }
        let example = MarkRead(messageID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUYzMjEzNDM2RTZGQ0MzMDJBRgA=", showsTypingIndicator: true)
        #expect(try JSON(Data(example.json.utf8)) == Fixture.request("send-typing-indicator-and-read-receipt"))
    }

    @Test("a message's hand-written body is the JSON the encoder writes, for every kind and any text")
    func messageBodyMatchesTheEncoder() throws {
        var awkward = ""
        for c in 0..<0x20 { awkward.unicodeScalars.append(Unicode.Scalar(UInt8(c))) }
        awkward += "\"\\/\u{7f}\u{2028}é😀 https://x.test/a?b=1&c=ñ"
        let rows: [OutboundMessage.ListRow] = [.init(id: awkward, title: "t"), .init(id: "b", title: awkward, description: awkward)]
        var messages = MetaExample.all.map(\.message)
        for (replyTo, callback) in [(nil, nil), (awkward, awkward), ("wamid.A", String(repeating: "é", count: 600))] as [(String?, String?)] {
            let kinds: [OutboundMessage.Kind] = [
                .text(body: awkward, previewURL: true), .text(body: "", previewURL: false),
                .replyButtons(body: awkward, buttons: [.init(id: awkward, title: awkward)]),
                .replyButtons(body: "b", buttons: [.init(id: "1", title: "a"), .init(id: "2", title: "b"), .init(id: "3", title: "c")],
                              header: awkward, footer: awkward),
                .list(body: awkward, buttonText: awkward, sections: [.init(rows: rows)]),
                .list(body: "b", buttonText: "x", sections: [.init(title: awkward, rows: rows), .init(title: "s", rows: [])],
                      header: "h", footer: "f"),
                .ctaURL(body: awkward, displayText: awkward, url: awkward),
                .ctaURL(body: "b", displayText: "d", url: "https://x.test/s/ab", headerImageURL: awkward, footer: awkward),
                .image(link: awkward), .image(link: "https://x.test/i.png", caption: awkward),
            ]
            messages += kinds.map { OutboundMessage(to: awkward, kind: $0, replyTo: replyTo, callbackData: callback) }
        }
        for message in messages {
            #expect(try JSON(Data(message.json.utf8)) == JSON(encoding: message))
            #expect(try JSONDecoder().decode(OutboundMessage.self, from: Data(message.json.utf8)) == message.withCallbackLimit)
            // Keys in the order of Meta's examples (the encoder writes them in hash order).
            #expect(message.json.hasPrefix(#"{"messaging_product":"whatsapp","recipient_type":"individual","to":"#))
        }
    }

    /// The optional parts Meta's examples do not show: text headers on buttons, captions, no header.
    @Test func optionalPartsEncodeWhereMetaDocumentsThem() throws {
        let buttons = OutboundMessage(to: "1", kind: .replyButtons(
            body: "b", buttons: [.init(id: "y", title: "Yes")], header: "H", footer: "F"))
        guard case .object(let message) = try JSON(encoding: buttons), case .object(let interactive)? = message["interactive"] else {
            Issue.record("not an object")
            return
        }
        #expect(interactive["header"] == .object(["type": .string("text"), "text": .string("H")]))
        #expect(interactive["footer"] == .object(["text": .string("F")]))

        let image = OutboundMessage(to: "1", kind: .image(link: "https://x.test/a.png", caption: "A cat"))
        #expect(try JSON(encoding: image) == .object([
            "messaging_product": .string("whatsapp"), "recipient_type": .string("individual"), "to": .string("1"),
            "type": .string("image"), "image": .object(["link": .string("https://x.test/a.png"), "caption": .string("A cat")]),
        ]))

        let cta = OutboundMessage(to: "1", kind: .ctaURL(body: "b", displayText: "Open", url: "https://x.test"))
        guard case .object(let ctaMessage) = try JSON(encoding: cta), case .object(let ctaInteractive)? = ctaMessage["interactive"] else {
            Issue.record("not an object")
            return
        }
        #expect(ctaInteractive["header"] == nil)
        #expect(ctaInteractive["footer"] == nil)
        #expect(ctaInteractive["type"] == .string("cta_url"))
    }

    @Test func urlsAreSentWithoutEscapedSlashesAndRoundTrip() throws {
        let message = OutboundMessage(to: "1", kind: .ctaURL(
            body: "Ver", displayText: "Abrir", url: "https://liora.test/s/ab?x=1&y=ñ", headerImageURL: "https://liora.test/i.png"))
        let decoded = try JSONDecoder().decode(OutboundMessage.self, from: JSONEncoder().encode(message))
        #expect(decoded == message)
    }

    @Test func unsupportedTypesDoNotDecode() throws {
        let readReceipt = try Fixture.data("requests", "send-typing-indicator-and-read-receipt")
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(OutboundMessage.self, from: readReceipt) }
        let flow = Data(#"{"messaging_product":"whatsapp","to":"1","type":"interactive","interactive":{"type":"flow","action":{}}}"#.utf8)
        #expect(throws: DecodingError.self) { try JSONDecoder().decode(OutboundMessage.self, from: flow) }
    }
}

extension OutboundMessage {
    /// This message as Meta gets it back: `biz_opaque_callback_data` is cut at 512 characters.
    fileprivate var withCallbackLimit: OutboundMessage {
        var m = self
        m.callbackData = callbackData.map { String($0.prefix(512)) }
        return m
    }
}
