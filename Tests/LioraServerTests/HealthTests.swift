import LioraServer
import LioraCore
import LioraStore
import HTTPTypes
import Foundation
import HummingbirdTesting
import LioraTestSupport
import Testing

@Suite("Health, readiness, metrics")
struct HealthTests {
    @Test("health and readiness answer; metrics count what happened", arguments: TestBackend.available)
    func endpoints(backend: TestBackend) async throws {
        try await Harness.run(backend) { h in
            #expect(try await h.client.execute(uri: "/health", method: .get).status == .ok)
            let ready = try await h.client.execute(uri: "/ready", method: .get)
            #expect(ready.status == .ok)
            #expect(ready.text.contains("ready"))
            let (_, phone, _) = try await h.tenant()
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "1", id: "wamid.M1"))
            _ = try await h.post(WebhookBuilder.text(phoneNumberID: phone, from: "1", id: "wamid.M1"))
            _ = try await h.post(Data("{}".utf8), secret: "wrong")
            let metrics = try await h.client.execute(uri: "/metrics", method: .get).text
            #expect(metrics.contains(#"liora_webhook_requests_total{result="accepted"} 2"#))
            #expect(metrics.contains(#"liora_webhook_requests_total{result="bad_signature"} 1"#))
            #expect(metrics.contains(#"liora_webhook_items_total{result="duplicate"} 1"#))
            // The names the runbook's dashboards use, each with its help line.
            #expect(metrics.contains(#"liora_ingest_batch_size_count 2"#))
            #expect(metrics.contains(#"liora_ingest_commit_seconds_count 2"#))
            for name in ["liora_webhook_requests_total", "liora_webhook_items_total", "liora_ingest_batch_size",
                         "liora_ingest_commit_seconds", "liora_webhook_events_processed_total"] {
                #expect(metrics.contains("# HELP \(name) "), "no help line for \(name)")
            }
        }
    }

    @Test("readiness fails when the database is gone")
    func notReady() async throws {
        try await Harness.run(.sqlite) { h in
            await h.test.database.close()
            let r = try await h.client.execute(uri: "/ready", method: .get)
            #expect(r.status == .serviceUnavailable)
            #expect(r.errorCode == "database_unavailable")
        }
    }

    @Test("unknown routes get a JSON 404")
    func notFound() async throws {
        try await Harness.run(.sqlite) { h in
            let r = try await h.client.execute(uri: "/nope", method: .get)
            #expect(r.status == .notFound)
        }
    }
}
