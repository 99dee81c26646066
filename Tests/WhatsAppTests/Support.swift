import Foundation
import LioraTestSupport
import Testing
import WhatsApp

/// The business number most fixtures are addressed to.
let businessPhoneNumberID = "106540352242922"
let businessDisplayNumber = "15550783881"
/// The WhatsApp user most fixtures come from.
let userWaID = "16505551234"

func payload(_ name: String) throws -> WebhookPayload {
    try WebhookDecoding.decode(WebhookFixtures.data(name))
}

/// The single change of a fixture that has exactly one entry with one change.
func onlyChange(_ name: String) throws -> WebhookChange {
    let payload = try payload(name)
    try #require(payload.entry.count == 1)
    try #require(payload.entry[0].changes.count == 1)
    return payload.entry[0].changes[0]
}

/// The single inbound message of a fixture.
func onlyMessage(_ name: String) throws -> InboundMessage {
    let messages = try #require(try onlyChange(name).value.messages)
    try #require(messages.count == 1)
    return messages[0]
}

/// The single status of a fixture.
func onlyStatus(_ name: String) throws -> MessageStatus {
    let statuses = try #require(try onlyChange(name).value.statuses)
    try #require(statuses.count == 1)
    return statuses[0]
}

/// A value encoded with a plain `JSONEncoder` and read back as a JSON object.
func jsonObject(_ value: some Encodable) throws -> [String: Any] {
    let data = try JSONEncoder().encode(value)
    return try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
}

func date(_ unixSeconds: TimeInterval) -> Date {
    Date(timeIntervalSince1970: unixSeconds)
}
