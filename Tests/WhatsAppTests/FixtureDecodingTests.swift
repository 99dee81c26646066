import Foundation
import LioraTestSupport
import Testing
import WhatsApp

@Suite("Every webhook fixture")
struct FixtureDecodingTests {
    static let specExamples = [
        "button", "contacts", "group_create", "group_remove_participants", "group_settings_update",
        "image", "interactive_button_reply", "interactive_list_reply", "location", "order", "reaction",
        "system", "text", "text_ad_referral", "text_product_inquiry", "unsupported",
    ]
    static let handWritten = [
        "account_update", "audio_voice", "batch", "document", "errors", "interactive_nfm_reply",
        "status_delivered", "status_failed", "status_played", "status_read", "status_sent",
        "status_unknown", "sticker", "unknown_type", "video",
    ]

    @Test func theFixtureSetIsComplete() {
        #expect(WebhookFixtures.allNames == (Self.specExamples + Self.handWritten).sorted())
        #expect(WebhookFixtures.allNames.count == 31)
    }

    @Test func anUnknownFixtureNameThrows() {
        #expect(throws: (any Error).self) { try WebhookFixtures.data("no_such_fixture") }
    }

    @Test(arguments: WebhookFixtures.allNames)
    func decodes(_ name: String) throws {
        let payload = try payload(name)
        #expect(payload.object == "whatsapp_business_account")
        #expect(!payload.entry.isEmpty)
        for entry in payload.entry {
            #expect(!entry.id.isEmpty)
            #expect(!entry.changes.isEmpty)
        }
    }

    @Test(arguments: WebhookFixtures.allNames)
    func survivesAnEncodeDecodeRoundTrip(_ name: String) throws {
        let decoded = try payload(name)
        let reencoded = try JSONEncoder().encode(decoded)
        #expect(try WebhookDecoding.decode(reencoded) == decoded)
    }

    static let messageTypes: [(String, InboundMessageType)] = [
        ("text", .text), ("text_product_inquiry", .text), ("text_ad_referral", .text),
        ("reaction", .reaction), ("image", .image), ("location", .location), ("contacts", .contacts),
        ("unsupported", .unsupported), ("button", .button), ("interactive_list_reply", .interactive),
        ("interactive_button_reply", .interactive), ("order", .order), ("system", .system),
        ("video", .video), ("audio_voice", .audio), ("document", .document), ("sticker", .sticker),
        ("interactive_nfm_reply", .interactive), ("unknown_type", .unknown("poll_response")),
    ]

    @Test(arguments: messageTypes)
    func singleMessageFixturesComeFromTheUserToTheBusinessNumber(_ name: String, _ type: InboundMessageType) throws {
        let change = try onlyChange(name)
        #expect(change.field == "messages")
        #expect(change.value.messagingProduct == "whatsapp")
        #expect(change.value.metadata == WebhookMetadata(
            displayPhoneNumber: businessDisplayNumber, phoneNumberID: businessPhoneNumberID
        ))
        let message = try onlyMessage(name)
        #expect(message.type == type)
        #expect(message.from == userWaID)
        #expect(message.id.hasPrefix("wamid."))
        #expect(message.timestampDate != nil)
        if type != .system {
            #expect(change.value.contacts?.first?.waID == userWaID)
        }
    }
}
