import Foundation
import Testing
import WhatsApp

@Suite("Values Meta adds later survive")
struct UnknownValuesTests {
    @Test func unknownMessageTypeDecodesWithItsFields() throws {
        let payload = try payload("unknown_type")
        let message = try onlyMessage("unknown_type")
        #expect(message.type == .unknown("poll_response"))
        #expect(message.type.rawValue == "poll_response")
        #expect(message.id == "wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUQyRjk4QzBCNzE0RTVGNjhBMQA=")
        #expect(message.from == userWaID)
        #expect(message.timestamp == "1750270566")
        #expect(message.textContent == nil)
        #expect(message.replyID == nil)
        #expect(message.text == nil)
        #expect(try onlyChange("unknown_type").value.contacts == [
            WebhookContact(profile: .init(name: "Sheena Nelson"), waID: userWaID),
        ])
        #expect(payload.items.map(\.key) == ["m:wamid.HBgLMTY1MDU1NTEyMzQVAgASGBQzQUQyRjk4QzBCNzE0RTVGNjhBMQA="])
    }

    @Test func unknownMessageTypeEncodesBackToTheSameString() throws {
        let message = try onlyMessage("unknown_type")
        #expect(try jsonObject(message)["type"] as? String == "poll_response")
        let data = try JSONEncoder().encode(InboundMessageType.unknown("poll_response"))
        #expect(String(decoding: data, as: UTF8.self) == #""poll_response""#)
        #expect(try JSONDecoder().decode(InboundMessageType.self, from: data) == .unknown("poll_response"))
    }

    @Test func unknownStatusDecodesAndEncodesBackToTheSameString() throws {
        let status = try onlyStatus("status_unknown")
        #expect(status.status == .unknown("queued"))
        #expect(status.status.rawValue == "queued")
        #expect(status.id == "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI2QjNFMEU0RDYxMkE0NjhCQzcA")
        #expect(try jsonObject(status)["status"] as? String == "queued")
    }

    @Test func unknownInteractiveReplyTypeSurvives() throws {
        let json = #"{"type":"call_permission_reply","call_permission_reply":{"response":"accept"}}"#
        let interactive = try JSONDecoder().decode(InboundMessage.Interactive.self, from: Data(json.utf8))
        #expect(interactive.type == .unknown("call_permission_reply"))
        #expect(try jsonObject(interactive)["type"] as? String == "call_permission_reply")
        let message = InboundMessage(from: userWaID, id: "wamid.x", timestamp: "1", type: .interactive, interactive: interactive)
        #expect(message.textContent == nil)
        #expect(message.replyID == nil)
    }

    @Test(arguments: InboundMessageType.known)
    func knownMessageTypesRoundTrip(_ type: InboundMessageType) throws {
        let parsed = InboundMessageType(rawValue: type.rawValue)
        if case .unknown = parsed { Issue.record("\(type.rawValue) parsed as unknown") }
        #expect(parsed == type)
        let data = try JSONEncoder().encode(type)
        #expect(try JSONDecoder().decode(InboundMessageType.self, from: data) == type)
    }

    @Test func knownStringsAreMetas() {
        #expect(InboundMessageType.known.map(\.rawValue) == [
            "text", "interactive", "button", "image", "audio", "video", "document", "sticker",
            "location", "contacts", "reaction", "order", "system", "unsupported",
        ])
        #expect(InteractiveReplyType.known.map(\.rawValue) == ["button_reply", "list_reply", "nfm_reply"])
        for kind in InteractiveReplyType.known {
            if case .unknown = InteractiveReplyType(rawValue: kind.rawValue) {
                Issue.record("\(kind.rawValue) parsed as unknown")
            }
        }
    }

    @Test func equalityComparesTheWireString() {
        #expect(InboundMessageType.unknown("text") == .text)
        #expect(InboundMessageType.unknown("poll_response") != .unknown("poll"))
        #expect(MessageStatusKind.unknown("queued") == MessageStatusKind(rawValue: "queued"))
        #expect(Set([InboundMessageType.text, .unknown("text")]).count == 1)
    }
}
