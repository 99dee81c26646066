import Foundation
import Testing
import WhatsApp

@Suite("Bad bodies are refused")
struct DecodingFailureTests {
    static let malformed = [
        "",
        "not json",
        #"{"object": "whatsapp_business_account", "entry": ["#,
        #"{"object": "whatsapp_business_account", "entry": [{"id": "1", "changes": [}]}"#,
        "[]",
    ]

    @Test(arguments: malformed)
    func malformedJSONThrows(_ body: String) {
        #expect(throws: DecodingError.self) { try WebhookDecoding.decode(Data(body.utf8)) }
    }

    /// A delivery with one change whose `value` is the given JSON.
    static func body(value: String, field: String = "messages") -> String {
        #"{"object":"whatsapp_business_account","entry":[{"id":"102290129340398","changes":[{"field":"\#(field)","value":\#(value)}]}]}"#
    }

    static let metadata = #""metadata":{"display_phone_number":"15550783881","phone_number_id":"106540352242922"}"#

    static func messageValue(_ message: String) -> String {
        #"{"messaging_product":"whatsapp",\#(metadata),"messages":[\#(message)]}"#
    }

    @Test("a status or change-level error that does not decode is left out; the message beside it is kept")
    func unreadableStatusesAreSkipped() throws {
        let message = #"{"from":"1","id":"wamid.a","timestamp":"1","type":"text","text":{"body":"hi"}}"#
        let statuses = #"[{"id":"wamid.x","timestamp":"1"}, {"id":"wamid.y","status":"failed","timestamp":"1","errors":[{"title":"x"}]},"#
            + #"{"id":"wamid.z","status":"sent","timestamp":"1","recipient_id":"1","pricing":{"billable":"yes"}},"#
            + #"{"id":"wamid.ok","status":"delivered","timestamp":"1","recipient_id":"1"}]"#
        let body = Self.body(value: #"{"messaging_product":"whatsapp",\#(Self.metadata),"messages":[\#(message)],"statuses":\#(statuses),"errors":[{"title":"no code"}]}"#)
        let value = try WebhookDecoding.decode(Data(body.utf8)).entry[0].changes[0].value
        #expect(value.messages?.map(\.id) == ["wamid.a"])
        #expect(value.statuses?.map(\.id) == ["wamid.ok"])
        #expect(value.errors?.isEmpty == true)
        #expect(value.unreadable == 4)  // three statuses and the error: counted, so the ingest can say so
    }

    @Test func theTemplateBodyDecodes() throws {
        let body = Self.body(value: Self.messageValue(#"{"from":"1","id":"wamid.a","timestamp":"1","type":"text","text":{"body":"hi"}}"#))
        let payload = try WebhookDecoding.decode(Data(body.utf8))
        #expect(payload.entry[0].changes[0].value.messages?.first?.textContent == "hi")
    }

    /// Bodies that are valid JSON but lack a field the models require, with the key that is missing.
    static let missingRequiredField: [(String, String)] = [
        (body(value: messageValue(#"{"from":"1","timestamp":"1","type":"text","text":{"body":"hi"}}"#)), "id"),
        (body(value: messageValue(#"{"id":"wamid.a","timestamp":"1","type":"text","text":{"body":"hi"}}"#)), "from"),
        (body(value: messageValue(#"{"from":"1","id":"wamid.a","type":"text","text":{"body":"hi"}}"#)), "timestamp"),
        (body(value: messageValue(#"{"from":"1","id":"wamid.a","timestamp":"1","text":{"body":"hi"}}"#)), "type"),
        (body(value: messageValue(#"{"from":"1","id":"wamid.a","timestamp":"1","type":"text","text":{}}"#)), "body"),
        (body(value: messageValue(#"{"from":"1","id":"wamid.a","timestamp":"1","type":"interactive","interactive":{"type":"button_reply","button_reply":{"title":"Yes"}}}"#)), "id"),
        (body(value: messageValue(#"{"from":"1","id":"wamid.a","timestamp":"1","type":"reaction","reaction":{"emoji":"👍"}}"#)), "message_id"),
        (body(value: #"{"metadata":{"display_phone_number":"15550783881"},"messages":[]}"#), "phone_number_id"),
        (#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"messages"}]}]}"#, "value"),
        (#"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"value":{}}]}]}"#, "field"),
        (#"{"object":"whatsapp_business_account","entry":[{"changes":[]}]}"#, "id"),
        (#"{"object":"whatsapp_business_account"}"#, "entry"),
    ]

    @Test(arguments: missingRequiredField)
    func aMissingRequiredFieldThrows(_ body: String, _ missingKey: String) {
        let error = #expect(throws: DecodingError.self) { try WebhookDecoding.decode(Data(body.utf8)) }
        guard case .keyNotFound(let key, _)? = error else {
            Issue.record("expected keyNotFound(\(missingKey)), got \(String(describing: error))")
            return
        }
        #expect(key.stringValue == missingKey)
    }

    @Test func aNumericTimestampIsATypeMismatch() {
        let body = Self.body(value: Self.messageValue(#"{"from":"1","id":"wamid.a","timestamp":1,"type":"text","text":{"body":"hi"}}"#))
        let error = #expect(throws: DecodingError.self) { try WebhookDecoding.decode(Data(body.utf8)) }
        guard case .typeMismatch? = error else {
            Issue.record("expected typeMismatch, got \(String(describing: error))")
            return
        }
    }

    @Test func anOddValueInAnotherFieldDoesNotSinkTheMessagesBesideIt() throws {
        let clashing = #"{"metadata":"not an object","statuses":42}"#
        let goodMessage = Self.messageValue(#"{"from":"1","id":"wamid.a","timestamp":"1","type":"text","text":{"body":"hi"}}"#)
        let body = #"{"object":"whatsapp_business_account","entry":[{"id":"1","changes":[{"field":"smb_app_state_sync","value":\#(clashing)},{"field":"messages","value":\#(goodMessage)}]}]}"#
        let payload = try WebhookDecoding.decode(Data(body.utf8))
        #expect(payload.entry[0].changes[0].value == WebhookChangeValue())
        #expect(payload.items.map(\.key) == ["m:wamid.a"])

        let sameValueUnderMessages = Self.body(value: clashing)
        #expect(throws: DecodingError.self) { try WebhookDecoding.decode(Data(sameValueUnderMessages.utf8)) }
    }
}
