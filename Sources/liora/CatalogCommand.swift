import ArgumentParser
import Foundation
import LioraCore
import LioraServer
#if canImport(FoundationNetworking)
import FoundationNetworking
#endif

/// `liora catalog …`: a tenant's side of the signed catalog API — what a business's own system
/// does, for developers and scripts. Requests are signed per Standard Webhooks.
struct CatalogCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "catalog",
        abstract: "Publish, list and activate a tenant's catalog snapshots through the signed catalog API.",
        subcommands: [Publish.self, List.self, Activate.self])

    struct Target: ParsableArguments {
        @Option(help: "The Liora to talk to.")
        var url = "http://127.0.0.1:8080"

        @Option(help: "The tenant (cliente) id; default: the demo tenant.")
        var tenant = DemoSeed.tenantID.uuidString.lowercased()

        @Option(help: "The tenant's signing secret, whsec_… (default: LIORA_CATALOG_SECRET, else the demo secret).")
        var secret: String?

        /// The signing secret and where it came from (for an error naming it, never showing it).
        func resolvedSecret() -> (secret: String, from: String) {
            let env = ProcessInfo.processInfo.environment
            if let secret { return (secret, "--secret") }
            // An empty variable counts as unset, as in the configuration.
            for name in ["LIORA_CATALOG_SECRET", "LIORA_DEMO_CATALOG_SECRET"] { if let s = env[name], !s.isEmpty { return (s, name) } }
            return (DemoSeed.defaultCatalogSecret, "the demo secret")
        }

        /// The signing key, or a line saying what is wrong with the secret, by the service's own
        /// rule (whsec_ and base64 of at least 16 bytes).
        func signingKey() -> [UInt8] {
            let (secret, from) = resolvedSecret()
            if let key = StandardWebhooks.key(fromSecret: secret) { return key }
            let rule = "a catalog secret must be whsec_ followed by base64 of at least 16 bytes"
            let encoded = secret.hasPrefix("whsec_") ? String(secret.dropFirst(6)) : secret
            if let bytes = Data(base64Encoded: encoded)?.count {
                fail("\(from) is too short: its base64 holds \(bytes) byte(s); \(rule)", code: 2)
            }
            fail("\(from) is not whsec_ followed by base64: \(rule)", code: 2)
        }

        func send(_ method: String, _ path: String, body: [UInt8] = []) async throws -> (Int, Data) {
            guard let tenantID = UUID(uuidString: tenant) else { fail("--tenant must be a UUID", code: 2) }
            let key = signingKey()
            guard let base = URL(string: url), base.scheme?.hasPrefix("http") == true else { fail("--url must be an http(s) URL", code: 2) }
            var request = URLRequest(url: URL(string: base.absoluteString.trimmingSuffix("/")
                + "/clientes/\(tenantID.uuidString.lowercased())/catalog" + path)!)
            request.httpMethod = method
            request.timeoutInterval = 120
            let id = "msg_" + UUID().uuidString.lowercased().replacingOccurrences(of: "-", with: "")
            let timestamp = Int(Date().timeIntervalSince1970)
            request.setValue(id, forHTTPHeaderField: "webhook-id")
            request.setValue(String(timestamp), forHTTPHeaderField: "webhook-timestamp")
            request.setValue(StandardWebhooks.sign(id: id, timestamp: timestamp, body: body, key: key), forHTTPHeaderField: "webhook-signature")
            if !body.isEmpty {
                request.setValue("application/json", forHTTPHeaderField: "content-type")
                request.httpBody = Data(body)
            }
            do {
                let (data, response) = try await URLSession.shared.data(for: request)
                return ((response as? HTTPURLResponse)?.statusCode ?? 0, data)
            } catch {
                let reason = (error as? URLError).map { "\($0.localizedDescription) (URLError \($0.code.rawValue))" } ?? "\(error)"
                fail("cannot reach \(base.absoluteString): \(reason); is Liora running there (`liora demo` or `liora serve`)?")
            }
        }
    }

    struct Publish: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Publish a catalog JSON file (see catalogs/schema.json).")

        @OptionGroup var target: Target

        @Argument(help: "The catalog file, e.g. catalogs/demo-store.json.")
        var file: String

        @Flag(help: "Store the snapshot without making it the active catalog.")
        var noActivate = false

        func run() async throws {
            guard let body = FileManager.default.contents(atPath: file) else { fail("cannot read \(file)", code: 2) }
            print("Publishing \(file) (\(body.count.formatted()) bytes) to \(target.url) …")
            let (status, data) = try await target.send("POST", "/publish" + (noActivate ? "?activate=false" : ""), body: Array(body))
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            switch status {
            case 200, 201:
                let s = json?["snapshot"] as? [String: Any] ?? [:]
                let version = s["version"] as? Int ?? 0
                let what = status == 201 ? "stored as version \(version)" : "unchanged: identical to version \(version)"
                print("✓ \(what) — \(s["product_count"] as? Int ?? 0) products, \(s["category_count"] as? Int ?? 0) categories, "
                      + ((s["active"] as? Bool ?? false) ? "active" : "not active"))
            default:
                report(status: status, json: json)
                throw ExitCode(1)
            }
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List the tenant's snapshots, newest first.")

        @OptionGroup var target: Target

        func run() async throws {
            let (status, data) = try await target.send("GET", "/snapshots")
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            guard status == 200 else { report(status: status, json: json); throw ExitCode(1) }
            let rows = json?["snapshots"] as? [[String: Any]] ?? []
            if rows.isEmpty { print("No snapshots yet."); return }
            print("version  products  categories  created                   hash")
            for r in rows {
                let mark = (r["active"] as? Bool ?? false) ? "*" : " "
                print(String(format: "%@%6d  %8d  %10d  %@  %@", mark, r["version"] as? Int ?? 0, r["product_count"] as? Int ?? 0,
                             r["category_count"] as? Int ?? 0, (r["created_at"] as? String ?? "").padding(toLength: 24, withPad: " ", startingAt: 0),
                             String((r["content_hash"] as? String ?? "").prefix(12))))
            }
            print("* active")
        }
    }

    struct Activate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Make an earlier (or later) snapshot the active catalog.")

        @OptionGroup var target: Target

        @Argument(help: "The snapshot version.")
        var version: Int

        func run() async throws {
            let (status, data) = try await target.send("POST", "/snapshots/\(version)/activate")
            let json = (try? JSONSerialization.jsonObject(with: data)) as? [String: Any]
            guard status == 200 else { report(status: status, json: json); throw ExitCode(1) }
            print("✓ version \(version) is now the active catalog")
        }
    }

    /// A refusal, on standard error (where every other failure of the CLI goes).
    static func report(status: Int, json: [String: Any]?) {
        let error = json?["error"] as? [String: Any]
        var lines = ["✗ HTTP \(status): \(error?["code"] as? String ?? "error") — \(error?["message"] as? String ?? "no details")"]
        for p in (error?["problems"] as? [[String: Any]] ?? []).prefix(50) {
            lines.append("  \(p["path"] as? String ?? "$")  \(p["code"] as? String ?? "")  \(p["message"] as? String ?? "")")
        }
        if let n = (error?["problems"] as? [Any])?.count, n > 50 { lines.append("  … and \(n - 50) more") }
        FileHandle.standardError.write(Data((lines.joined(separator: "\n") + "\n").utf8))
    }
}


private func report(status: Int, json: [String: Any]?) { CatalogCommand.report(status: status, json: json) }

extension String {
    fileprivate func trimmingSuffix(_ suffix: String) -> String {
        var s = self
        while s.hasSuffix(suffix) { s.removeLast(suffix.count) }
        return s
    }
}
