package import Logging
import NIOConcurrencyHelpers

/// Collects every log line the service writes, to prove what never appears in them.
package final class LogRecorder: Sendable {
    package init() {}

    private let lines = NIOLockedValueBox<[String]>([])
    package var all: [String] { lines.withLockedValue { $0 } }

    package func logger() -> Logger {
        var l = Logger(label: "liora-test") { _ in Handler(recorder: self) }
        l.logLevel = .trace
        return l
    }

    struct Handler: LogHandler {
        let recorder: LogRecorder
        var metadata: Logger.Metadata = [:]
        var logLevel: Logger.Level = .trace
        subscript(metadataKey key: String) -> Logger.Metadata.Value? {
            get { metadata[key] }
            set { metadata[key] = newValue }
        }
        func log(event: LogEvent) {
            let meta = event.metadata.map { " \($0)" } ?? ""
            recorder.lines.withLockedValue { $0.append("\(event.level) \(event.message)\(meta) \(self.metadata)") }
        }
    }
}
