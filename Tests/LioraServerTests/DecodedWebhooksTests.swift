import Foundation
import LioraServer
import Testing
import WhatsApp

@Suite("Decoded webhook items handed from the request path to the processor")
struct DecodedWebhooksTests {
    private func items(_ body: String) throws -> [WebhookItem] {
        let json = #"{"object":"whatsapp_business_account","entry":[{"id":"w","changes":[{"field":"messages","value":{"messaging_product":"whatsapp","metadata":{"display_phone_number":"1","phone_number_id":"1"},"messages":[{"from":"34600","id":"wamid.\#(body)","timestamp":"1","type":"text","text":{"body":"\#(body)"}}]}}]}]}"#
        return try WebhookDecoding.decode(Data(json.utf8)).items
    }

    @Test("items are taken once; the oldest are dropped past the capacity")
    func takeOnceAndBounded() throws {
        let cache = DecodedWebhooks(capacity: 3)
        let ids = (0..<5).map { _ in UUID() }
        for (n, id) in ids.enumerated() { cache.keep(try items("m\(n)"), for: id, bytes: 100) }
        #expect(cache.count == 3)
        #expect(cache.take(ids[0]) == nil)
        #expect(cache.take(ids[1]) == nil)
        #expect(cache.take(ids[4]) == (try items("m4")))
        #expect(cache.take(ids[4]) == nil)
        #expect(cache.count == 2)
        // Many more than the capacity: never more than it is kept.
        for n in 0..<1_000 { cache.keep(try items("x\(n)"), for: UUID(), bytes: 100) }
        #expect(cache.count == 3)
        #expect(cache.bytes == 300)
    }

    @Test("large bodies: the oldest go first once their bytes pass the budget; one larger than the budget is not kept")
    func boundedByBytes() throws {
        let cache = DecodedWebhooks(capacity: 100, byteBudget: 1_000)
        let ids = (0..<4).map { _ in UUID() }
        for (n, id) in ids.enumerated() { cache.keep(try items("m\(n)"), for: id, bytes: 400) }
        #expect(cache.count == 2 && cache.bytes == 800)
        #expect(cache.take(ids[1]) == nil)
        #expect(cache.take(ids[2]) == (try items("m2")))
        #expect(cache.bytes == 400)
        let huge = UUID()
        cache.keep(try items("huge"), for: huge, bytes: 1_001)
        #expect(cache.take(huge) == nil)
        #expect(cache.take(ids[3]) == (try items("m3")))
        #expect(cache.count == 0 && cache.bytes == 0)
        // The same body kept twice counts once.
        cache.keep(try items("again"), for: huge, bytes: 300)
        cache.keep(try items("again"), for: huge, bytes: 300)
        #expect(cache.bytes == 300)
    }
}
