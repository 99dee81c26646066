import Testing
import WhatsApp

@Suite("Flattening a delivery into items")
struct WebhookItemTests {
    @Test func batchYieldsEveryMessageStatusAndErrorInOrder() throws {
        let wabaA = "102290129340398", phoneA = "106540352242922"
        let wabaB = "419561257915477", phoneB = "107655443322110"
        let items = try payload("batch").items
        #expect(items.map(\.key) == [
            "m:wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzRUIwQTFCMkMzRDRFNUY2QTdCOAA=",
            "m:wamid.HBgLMTk4MzU1NTIzMTkVAgASGBQzRUIwQjJDM0Q0RTVGNkE3QjhDOQA=",
            "s:wamid.HBgLMTk4MzU1NTIzMTkVAgARGBI3RjFBMkIzQzRENUU2RjcwODEA:delivered",
            "s:wamid.HBgLMTk4MzU1NTIzMTkVAgARGBI3RjFBMkIzQzRENUU2RjcwODEA:read",
            "m:wamid.HBgLMTYzMTU1NTEyMzQVAgASGBQzRUIwQzNENEU1RjZBN0I4QzlEMAA=",
            "s:wamid.HBgLMTYzMTU1NTEyMzQVAgARGBIxQTJCM0M0RDVFNkY3MDgxOTIA:sent",
            "e:419561257915477:107655443322110:131000:1.0",
        ])
        #expect(items.map(\.kind) == [.message, .message, .status, .status, .message, .status, .error])
        #expect(items.map(\.wabaID) == [wabaA, wabaA, wabaA, wabaA, wabaB, wabaB, wabaB])
        #expect(items.map(\.phoneNumberID) == [phoneA, phoneA, phoneA, phoneA, phoneB, phoneB, phoneB])
        #expect(items.allSatisfy { $0.field == "messages" })
        #expect(Set(items.map(\.key)).count == items.count)
    }

    @Test func batchDecodesItsContentToo() throws {
        let payload = try payload("batch")
        #expect(payload.entry.map(\.id) == ["102290129340398", "419561257915477"])
        #expect(payload.entry.map(\.changes.count) == [2, 3])
        let first = try #require(payload.entry[0].changes[0].value.messages)
        #expect(first.map(\.textContent) == ["Hola, ¿tienen envío a Monterrey?", "Track order"])
        #expect(first.map(\.replyID) == [nil, "track-order"])
        let template = payload.entry[1].changes[2]
        #expect(template.field == "message_template_status_update")
        #expect(template.value == WebhookChangeValue())
    }

    @Test func itemsCarryTheirContent() throws {
        let payload = try payload("batch")
        let items = payload.items
        let contents = items.map(\.content)
        let firstChange = payload.entry[0].changes[0].value
        let messages = try #require(firstChange.messages)
        #expect(contents[0] == .message(messages[0], contact: WebhookContact(profile: .init(name: "Sheena Nelson"), waID: "16505551234")))
        #expect(contents[1] == .message(messages[1], contact: WebhookContact(profile: .init(name: "Lucía Gómez"), waID: "19835552319")))
        guard case .status(let delivered) = contents[2], case .status(let read) = contents[3] else {
            Issue.record("items 2 and 3 should be statuses: \(contents)")
            return
        }
        #expect(delivered.status == .delivered)
        #expect(read.status == .read)
        #expect(read.timestamp == "1750280004")
        guard case .message(let image, let kerry) = contents[4] else {
            Issue.record("item 4 should be a message: \(contents[4])")
            return
        }
        #expect(image.image?.id == "5551234000001")
        #expect(kerry?.profile?.name == "Kerry Fisher")
        #expect(contents[6] == .error(GraphError(
            code: 131_000, title: "Something went wrong", message: "Something went wrong",
            errorData: .init(details: "Message failed to send due to an unknown error.")
        )))
    }

    @Test func singleMessage() throws {
        let message = try onlyMessage("text")
        #expect(try payload("text").items == [WebhookItem(
            key: "m:wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=",
            phoneNumberID: "106540352242922", wabaID: "419561257915477", field: "messages",
            content: .message(message, contact: WebhookContact(profile: .init(name: "Sheena Nelson"), waID: "16505551234"))
        )])
    }

    @Test func aSystemMessageHasNoSenderContact() throws {
        let items = try payload("system").items
        guard case .message(let message, let contact)? = items.first?.content else {
            Issue.record("expected one message item, got \(items)")
            return
        }
        #expect(message.type == .system)
        #expect(contact == nil)
        #expect(items.count == 1)
    }

    @Test func senderIsMatchedByWaIDNotPosition() {
        let value = WebhookChangeValue(contacts: [
            WebhookContact(profile: .init(name: "Ana"), waID: "111"),
            WebhookContact(profile: .init(name: "Ben"), waID: "222"),
        ])
        let fromBen = InboundMessage(from: "222", id: "wamid.b", timestamp: "1", type: .text)
        let fromStranger = InboundMessage(from: "333", id: "wamid.c", timestamp: "1", type: .text)
        #expect(value.sender(of: fromBen)?.profile?.name == "Ben")
        #expect(value.sender(of: fromStranger) == nil)
        let single = WebhookChangeValue(contacts: [WebhookContact(profile: .init(name: "Ana"), waID: "US.123")])
        #expect(single.sender(of: fromStranger)?.profile?.name == "Ana")
    }

    @Test("with many contacts, each message still finds its own sender (the first of a repeated wa_id)")
    func senderAmongMany() {
        var contacts = (0..<40).map { WebhookContact(profile: .init(name: "n\($0)"), waID: "\(1000 + $0)") }
        contacts.append(WebhookContact(profile: .init(name: "later"), waID: "1005"))
        let value = WebhookChangeValue(contacts: contacts)
        for i in [0, 5, 39] {
            let m = InboundMessage(from: "\(1000 + i)", id: "wamid.\(i)", timestamp: "1", type: .text)
            #expect(value.sender(of: m)?.profile?.name == "n\(i)")
        }
        #expect(value.sender(of: InboundMessage(from: "999", id: "wamid.x", timestamp: "1", type: .text)) == nil)
    }

    @Test func failedStatus() throws {
        let status = try onlyStatus("status_failed")
        let items = try payload("status_failed").items
        #expect(items == [WebhookItem(
            key: "s:wamid.HBgLMTY1MDU1NTEyMzQVAgARGBIwRDlGQTdCNjM0QzY1QjE1QzQA:failed",
            phoneNumberID: "106540352242922", wabaID: "102290129340398", field: "messages",
            content: .status(status)
        )])
        #expect(items.first?.kind == .status)
    }

    @Test func changeLevelErrorsAreKeyedByPosition() throws {
        let items = try payload("errors").items
        #expect(items.map(\.key) == [
            "e:102290129340398:106540352242922:130429:0.0",
            "e:102290129340398:106540352242922:131016:0.1",
        ])
        #expect(items.allSatisfy { $0.kind == .error })
    }

    @Test func unknownStatusKeepsItsOwnString() throws {
        #expect(try payload("status_unknown").items.map(\.key) == [
            "s:wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI2QjNFMEU0RDYxMkE0NjhCQzcA:queued",
        ])
    }

    @Test(arguments: ["account_update", "group_create", "group_settings_update", "group_remove_participants"])
    func fieldsWithoutMessagesYieldNoItems(_ name: String) throws {
        let payload = try payload(name)
        #expect(payload.items.isEmpty)
        #expect(payload.entry[0].changes[0].field != "messages")
    }
}
