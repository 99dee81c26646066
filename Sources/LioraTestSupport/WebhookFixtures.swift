public import Foundation

/// Recorded and hand-written bodies of Meta's webhook POSTs, shipped as resources in
/// `Fixtures/webhooks/<name>.json` (provenance in that folder's README.md).
public enum WebhookFixtures {
    /// The raw bytes of `Fixtures/webhooks/<name>.json`, exactly as Meta would send them.
    public static func data(_ name: String) throws -> Data {
        guard let url = Bundle.module.url(forResource: name, withExtension: "json", subdirectory: directory) else {
            throw WebhookFixtureNotFound(name: name)
        }
        return try Data(contentsOf: url)
    }

    /// The names of every fixture (file names without `.json`), sorted.
    public static var allNames: [String] {
        guard
            let folder = Bundle.module.resourceURL?.appendingPathComponent(directory, isDirectory: true),
            let files = try? FileManager.default.contentsOfDirectory(at: folder, includingPropertiesForKeys: nil)
        else { return [] }
        return files.filter { $0.pathExtension == "json" }
            .map { $0.deletingPathExtension().lastPathComponent }
            .sorted()
    }

    private static let directory = "Fixtures/webhooks"
}

/// No fixture has the requested name.
struct WebhookFixtureNotFound: Error, CustomStringConvertible {
    var name: String
    var description: String { "no webhook fixture named \(name).json in Fixtures/webhooks" }
}
