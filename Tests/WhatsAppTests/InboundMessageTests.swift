import Foundation
import Testing
import WhatsApp

@Suite("Inbound messages carry the fixture's values")
struct InboundMessageTests {
    @Test func text() throws {
        let payload = try payload("text")
        #expect(payload.entry[0].id == "419561257915477")
        let change = try onlyChange("text")
        #expect(change.value.contacts == [WebhookContact(profile: .init(name: "Sheena Nelson"), waID: "16505551234")])
        let message = try onlyMessage("text")
        #expect(message.id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTRBNjU5OUFFRTAzODEwMTQ0RgA=")
        #expect(message.timestamp == "1749416383")
        #expect(message.timestampDate == date(1_749_416_383))
        #expect(message.type == .text)
        #expect(message.text?.body == "Does it come in another color?")
        #expect(message.textContent == "Does it come in another color?")
        #expect(message.replyID == nil)
        #expect(message.context == nil)
        #expect(message.referral == nil)
    }

    @Test func textAskingAboutAProduct() throws {
        let message = try onlyMessage("text_product_inquiry")
        #expect(message.id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTA2NTUwRkNEMDdFQjJCRUU0NQA=")
        #expect(message.textContent == "Is this still available?")
        #expect(message.context == MessageContext(
            from: "15550783881",
            id: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGA9wcm9kdWN0X2lucXVpcnkA",
            referredProduct: .init(catalogID: "194836987003835", productRetailerID: "di9ozbzfi4")
        ))
    }

    @Test func textFromAClickToWhatsAppAd() throws {
        let message = try onlyMessage("text_ad_referral")
        #expect(message.textContent == "Hello! Can I get more info on this?")
        let referral = try #require(message.referral)
        #expect(referral.sourceURL == "https://fb.me/3cr4Wqqkv")
        #expect(referral.sourceID == "120226305854810726")
        #expect(referral.sourceType == "ad")
        #expect(referral.body == "Summer Succulents are here!")
        #expect(referral.headline == "Chat with us")
        #expect(referral.mediaType == "image")
        #expect(referral.imageURL == "https://scontent.xx.fbcdn.net/v/t45.1...")
        #expect(referral.ctwaClid?.hasPrefix("Aff-n8ZTODiE79d22KtAwQKj9e_mIEOOj27vDVwFjN80dp4_0NiNhEgpGo0AHemvuSoif") == true)
        #expect(referral.welcomeMessage?.text == "Hi there! Let us know how we can help!")
        #expect(referral.videoURL == nil)
    }

    @Test func reaction() throws {
        let message = try onlyMessage("reaction")
        #expect(message.type == .reaction)
        #expect(message.reaction == .init(
            messageID: "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBI0RTJEOTc2ODVERUY5RDlGNkYA", emoji: "👍"
        ))
        #expect(message.textContent == nil)
        #expect(message.replyID == nil)
    }

    @Test func image() throws {
        let message = try onlyMessage("image")
        #expect(message.type == .image)
        #expect(message.image == .init(
            id: "1003383421387256", mimeType: "image/jpeg",
            sha256: "SfInY0gGKTsJlUWbwxC1k+FAD0FZHvzwfpvO0zX0GUI=", caption: "Taj Mahal"
        ))
        #expect(message.textContent == nil, "a caption is not text the user typed to the bot")
    }

    @Test func video() throws {
        let message = try onlyMessage("video")
        #expect(message.id == "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUM1RDk1NjE0QkE0RjJBQjAzOAA=")
        #expect(message.video?.id == "1204576870862931")
        #expect(message.video?.mimeType == "video/mp4")
        #expect(message.video?.caption == "Unboxing the succulent kit")
        #expect(message.image == nil)
    }

    @Test func voiceNote() throws {
        let message = try onlyMessage("audio_voice")
        #expect(message.type == .audio)
        #expect(message.audio?.id == "2290431584712347")
        #expect(message.audio?.mimeType == "audio/ogg; codecs=opus")
        #expect(message.audio?.voice == true)
        #expect(message.timestampDate == date(1_750_270_122))
    }

    @Test func document() throws {
        let message = try onlyMessage("document")
        let document = try #require(message.document)
        #expect(document.id == "1689372051193620")
        #expect(document.mimeType == "application/pdf")
        #expect(document.filename == "invoice-2025-03.pdf")
        #expect(document.caption == "Invoice for March")
        #expect(document.sha256 == "0R9zqTnN6dO1m3sXHk7F3yK0xv2cPZrE5s8iQkLwM4A=")
        #expect(document.url?.hasPrefix("https://lookaside.fbsbx.com/whatsapp_business/attachments/") == true)
    }

    @Test func sticker() throws {
        let message = try onlyMessage("sticker")
        #expect(message.sticker == .init(
            id: "7524681014252039", mimeType: "image/webp",
            sha256: "yQ6cH7o2YpGf0vXw9B5kJr1uT3nS8aD4eL6mZ0pC2iE=", animated: false
        ))
    }

    @Test func location() throws {
        let message = try onlyMessage("location")
        #expect(message.id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTU2MjZEMDBGRkE3MENEMDE0RQA=")
        let location = try #require(message.location)
        #expect(location.latitude == 37.44221496582)
        #expect(location.longitude == -122.16165924072)
        #expect(location.name == "Philz Coffee")
        #expect(location.address == "101 Forest Ave, Palo Alto, CA 94301")
        #expect(location.url == "https://philzcoffee.com/")
    }

    @Test func sharedContact() throws {
        let message = try onlyMessage("contacts")
        #expect(message.contacts == [
            .init(
                name: .init(formattedName: "Lucía Gómez", firstName: "Lucía", lastName: "Gómez"),
                org: .init(company: "Google"),
                phones: [.init(phone: "+1 (983) 555-2319", waID: "19835552319", type: "MOBILE")]
            ),
        ])
    }

    @Test func unsupported() throws {
        let message = try onlyMessage("unsupported")
        #expect(message.type == .unsupported)
        #expect(message.id == "wamid.HBgLMTQyMDU1NTA3NDkVAgASGBI5N0MwRjg0RTVBNUI1RDA2OTkA")
        #expect(message.errors == [GraphError(
            code: 131_051, title: "Message type unknown", message: "Message type unknown",
            errorData: .init(details: "Message type is currently not supported.")
        )])
    }

    @Test func templateButton() throws {
        let message = try onlyMessage("button")
        #expect(message.type == .button)
        #expect(message.id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUU0M0MxQzQzMUJCMTMwNUZFOQA=")
        #expect(message.button == .init(payload: "Unsubscribe", text: "Unsubscribe"))
        #expect(message.context?.id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgARGBJFNjk2OTMwNEZCQjhGMzUyQUYA")
        #expect(message.textContent == "Unsubscribe")
        #expect(message.replyID == "Unsubscribe")
    }

    @Test func templateButtonWhosePayloadDiffersFromItsLabel() throws {
        let json = #"{"from":"16505551234","id":"wamid.b","timestamp":"1750091045","type":"button","button":{"payload":"STOP_PROMOS","text":"Stop promotions"}}"#
        let message = try JSONDecoder().decode(InboundMessage.self, from: Data(json.utf8))
        #expect(message.textContent == "Stop promotions")
        #expect(message.replyID == "STOP_PROMOS")
    }

    @Test func listReply() throws {
        let message = try onlyMessage("interactive_list_reply")
        #expect(message.id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQUJDQ0NDM0FEODY4ODkzOTc5RgA=")
        #expect(message.interactive?.type == .listReply)
        #expect(message.interactive?.listReply == .init(
            id: "priority_express", title: "Priority Mail Express", description: "Next Day to 2 Days"
        ))
        #expect(message.interactive?.buttonReply == nil)
        #expect(message.textContent == "Priority Mail Express")
        #expect(message.replyID == "priority_express")
        #expect(message.context?.from == "15550783881")
    }

    @Test func buttonReply() throws {
        let message = try onlyMessage("interactive_button_reply")
        #expect(message.id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTZBQzg0MzQ4QjRCM0NGNkVGOAA=")
        #expect(message.interactive?.type == .buttonReply)
        #expect(message.interactive?.buttonReply == .init(id: "cancel-button", title: "Cancel"))
        #expect(message.textContent == "Cancel")
        #expect(message.replyID == "cancel-button")
        #expect(message.timestampDate == date(1_750_025_136))
    }

    @Test func flowResponse() throws {
        let message = try onlyMessage("interactive_nfm_reply")
        #expect(message.interactive?.type == .nfmReply)
        let reply = try #require(message.interactive?.nfmReply)
        #expect(reply.name == "flow")
        #expect(reply.body == "Sent")
        #expect(reply.responseJSON == #"{"flow_token":"booking-7f3a","appointment_date":"2025-07-01","slot":"10:30"}"#)
        let answers = try JSONSerialization.jsonObject(with: Data(reply.responseJSON.utf8)) as? [String: String]
        #expect(answers?["flow_token"] == "booking-7f3a")
        #expect(message.textContent == nil)
        #expect(message.replyID == nil)
        #expect(message.context?.id == "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJCOEE5RTNGMjQ3MDhDN0Q1QzAA")
    }

    @Test func order() throws {
        let message = try onlyMessage("order")
        #expect(message.id == "wamid.HBgLMTY1MDM4Nzk0MzkVAgASGBQzQTEyQjFGNzI1QTQxMjI5QTMyOQA=")
        #expect(message.order == .init(catalogID: "194836987003835", text: "", productItems: [
            .init(productRetailerID: "di9ozbzfi4", quantity: 2, itemPrice: 30, currency: "USD"),
            .init(productRetailerID: "nqryix03ez", quantity: 1, itemPrice: 25, currency: "USD"),
        ]))
        #expect(message.textContent == nil)
    }

    @Test func systemNumberChange() throws {
        let change = try onlyChange("system")
        #expect(change.value.contacts == nil)
        let message = try onlyMessage("system")
        #expect(message.type == .system)
        #expect(message.system == .init(
            body: "User Sheena Nelson changed from 16505551234 to 12195555358",
            type: "user_changed_number", waID: "12195555358"
        ))
    }

    @Test func timestampDateIsNilForAMalformedTimestamp() {
        let message = InboundMessage(from: userWaID, id: "wamid.x", timestamp: "soon", type: .text)
        #expect(message.timestampDate == nil)
    }

    @Test("a timestamp no database column could hold, or before 1970, is treated as absent",
          arguments: ["99999999999999", "9223372036854775807", "-99999999999", "0", "4102444800"])
    func implausibleTimestamps(timestamp: String) {
        let message = InboundMessage(from: userWaID, id: "wamid.x", timestamp: timestamp, type: .text)
        #expect(message.timestampDate == nil)
        let status = MessageStatus(id: "wamid.x", status: .delivered, timestamp: timestamp)
        #expect(status.timestampDate == nil)
    }
}
