import LioraTestSupport
import Testing
import WhatsApp
import WhatsAppGraph

@Suite("FakeGraphAPI")
struct FakeGraphAPITests {
    @Test func recordsEveryCallAndAnswersWithFreshWamids() async throws {
        let api = FakeGraphAPI()
        let first = try await api.send(.text("hola", to: "1"), phoneNumberID: "100", accessToken: "t1")
        let second = try await api.send(.text("adiós", to: "2"), phoneNumberID: "200", accessToken: "t2")
        try await api.markRead(MarkRead(messageID: "wamid.IN", showsTypingIndicator: true), phoneNumberID: "100", accessToken: "t1")
        #expect(first.messageID != second.messageID)
        #expect(api.sent.map(\.phoneNumberID) == ["100", "200"])
        #expect(api.sent.map(\.accessToken) == ["t1", "t2"])
        #expect(api.sent.map(\.message) == [.text("hola", to: "1"), .text("adiós", to: "2")])
        #expect(api.sent.map(\.messageID) == [first.messageID, second.messageID])
        #expect(api.markReadCalls.map(\.markRead) == [MarkRead(messageID: "wamid.IN", showsTypingIndicator: true)])
    }

    @Test func scriptedFailuresFailTheNextSendsThenClear() async throws {
        let api = FakeGraphAPI()
        api.failNextSends(2, with: .timeout)
        api.failNextSends(1, with: .rejected(status: 400, code: 131026, subcode: nil, message: nil))
        var errors: [GraphAPIError] = []
        for _ in 0..<4 {
            do {
                _ = try await api.send(.text("hi", to: "1"), phoneNumberID: "100", accessToken: "t")
            } catch {
                errors.append(error)
            }
        }
        #expect(errors == [.timeout, .timeout, .rejected(status: 400, code: 131026, subcode: nil, message: nil)])
        #expect(api.sendCalls.count == 4)
        #expect(api.sent.count == 1)

        api.failNextMarkReads(with: .transport("reset"))
        await #expect(throws: GraphAPIError.transport("reset")) {
            try await api.markRead(MarkRead(messageID: "wamid.A"), phoneNumberID: "100", accessToken: "t")
        }
        try await api.markRead(MarkRead(messageID: "wamid.A"), phoneNumberID: "100", accessToken: "t")
        #expect(api.markReadCalls.map(\.error) == [.transport("reset"), nil])
    }

    @Test func payloadsMetaWouldRefuseFailAsTheyWouldForReal() async throws {
        let api = FakeGraphAPI()
        api.failNextSends(1, with: .timeout)
        // Fitting would make this two messages: the client refuses it rather than send half.
        await #expect(throws: GraphAPIError.invalidPayload(.init(field: "text.body", problem: .tooLong(limit: 4096, length: 5000)))) {
            _ = try await api.send(.text(String(repeating: "x", count: 5000), to: "1"), phoneNumberID: "100", accessToken: "t")
        }
        #expect(api.sendCalls.map(\.messageID) == [nil])
        // The scripted failure is still there for the next valid send.
        await #expect(throws: GraphAPIError.timeout) {
            _ = try await api.send(.text("hi", to: "1"), phoneNumberID: "100", accessToken: "t")
        }
    }

    @Test func waitForSendsReturnsOnceEnoughArriveAndGivesUpInTime() async throws {
        let api = FakeGraphAPI()
        Task {
            try await Task.sleep(for: .milliseconds(20))
            _ = try await api.send(.text("a", to: "1"), phoneNumberID: "100", accessToken: "t")
            _ = try await api.send(.text("b", to: "1"), phoneNumberID: "100", accessToken: "t")
        }
        let sends = try await api.waitForSends(count: 2, timeout: .seconds(30))  // returns as soon as they arrive
        #expect(sends.map(\.message.bodyText) == ["a", "b"])

        let clock = ContinuousClock()
        let start = clock.now
        await #expect(throws: FakeGraphAPI.WaitTimedOut.self) {
            try await api.waitForSends(count: 3, timeout: .milliseconds(100))
        }
        #expect(clock.now - start < .seconds(10))  // ends at its timeout, not at the 30 s above
    }
}
