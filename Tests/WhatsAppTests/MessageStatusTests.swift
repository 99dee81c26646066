import Foundation
import Testing
import WhatsApp

@Suite("Status webhooks")
struct MessageStatusTests {
    static let outboundID = "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBI2QjNFMEU0RDYxMkE0NjhCQzcA"

    @Test func sent() throws {
        let status = try onlyStatus("status_sent")
        #expect(status == MessageStatus(
            id: Self.outboundID, status: .sent, timestamp: "1750263773", recipientID: userWaID,
            conversation: .init(
                id: "8bd8a6e5a1e3c2c0ac5ce6d0b31d7b0f", expirationTimestamp: "1750350180",
                origin: .init(type: "utility")
            ),
            pricing: .init(billable: true, pricingModel: "PMP", type: "regular", category: "utility"),
            bizOpaqueCallbackData: "order-4711"
        ))
        #expect(status.timestampDate == date(1_750_263_773))
        #expect(try onlyChange("status_sent").value.messages == nil)
    }

    @Test func delivered() throws {
        let status = try onlyStatus("status_delivered")
        #expect(status.id == Self.outboundID)
        #expect(status.status == .delivered)
        #expect(status.conversation?.expirationTimestamp == nil)
        #expect(status.pricing?.category == "utility")
        #expect(status.errors == nil)
    }

    @Test func read() throws {
        let status = try onlyStatus("status_read")
        #expect(status.status == .read)
        #expect(status.timestamp == "1750263902")
        #expect(status.recipientID == userWaID)
        #expect(status.conversation == nil)
        #expect(status.pricing == nil)
    }

    @Test func played() throws {
        let status = try onlyStatus("status_played")
        #expect(status.status == .played)
        #expect(status.id == "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBJBNzc0QkUzRTlCMUY0OTdGMDgA")
    }

    @Test func failedCarriesTheErrorCode() throws {
        let status = try onlyStatus("status_failed")
        #expect(status.status == .failed)
        #expect(status.id == "wamid.HBgLMTY1MDU1NTEyMzQVAgARGBIwRDlGQTdCNjM0QzY1QjE1QzQA")
        let error = try #require(status.errors?.first)
        #expect(status.errors?.count == 1)
        #expect(error.code == 131_047)
        #expect(error.title == "Re-engagement message")
        #expect(error.message == "Re-engagement message")
        #expect(error.errorData?.details?.hasPrefix("Message failed to send because more than 24 hours") == true)
        #expect(error.href == "https://developers.facebook.com/docs/whatsapp/cloud-api/support/error-codes/")
    }

    @Test func statusStringsMapToKinds() {
        #expect(MessageStatusKind.known.map(\.rawValue) == ["sent", "delivered", "read", "played", "failed", "deleted"])
        for kind in MessageStatusKind.known {
            if case .unknown = MessageStatusKind(rawValue: kind.rawValue) {
                Issue.record("\(kind.rawValue) parsed as unknown")
            }
            #expect(MessageStatusKind(rawValue: kind.rawValue).rank == kind.rank)
        }
    }
}

@Suite("Status rank never regresses")
struct MessageStatusRankTests {
    @Test func progressStatesRankInOrder() {
        #expect(MessageStatusKind.sent.rank == 1)
        #expect(MessageStatusKind.delivered.rank == 2)
        #expect(MessageStatusKind.read.rank == 3)
        #expect(MessageStatusKind.played.rank == 4)
    }

    static let laterOverEarlier: [(MessageStatusKind, MessageStatusKind)] = [
        (.delivered, .sent), (.read, .delivered), (.read, .sent), (.played, .read),
        (.failed, .sent), (.failed, .delivered), (.sent, .unknown("queued")),
    ]

    @Test(arguments: laterOverEarlier)
    func laterStateOutranksEarlier(_ later: MessageStatusKind, _ earlier: MessageStatusKind) {
        #expect(later.rank > earlier.rank)
    }

    @Test func terminalStatesShareTheTopRank() {
        #expect(MessageStatusKind.failed.rank == 5)
        #expect(MessageStatusKind.deleted.rank == MessageStatusKind.failed.rank)
        #expect(MessageStatusKind.known.allSatisfy { $0.rank <= MessageStatusKind.failed.rank })
    }

    @Test func unknownStatesNeverReplaceAKnownOne() {
        #expect(MessageStatusKind.unknown("queued").rank == 0)
        #expect(MessageStatusKind.known.allSatisfy { $0.rank > MessageStatusKind.unknown("x").rank })
    }

    @Test func aDeliveredArrivingAfterReadIsIgnoredByRank() {
        var stored = MessageStatusKind.sent
        for incoming: MessageStatusKind in [.read, .delivered, .sent, .unknown("queued")] where incoming.rank > stored.rank {
            stored = incoming
        }
        #expect(stored == .read)
    }
}
