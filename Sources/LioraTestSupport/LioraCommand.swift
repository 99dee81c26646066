public import Foundation

/// The `liora` binary this package built (`.build/debug/liora`), run as an operator would: for
/// tests of the command line (exit codes, the lines it prints).
public enum LioraCommand {
    /// How a run ended and what it wrote.
    public struct Run: Sendable {
        public let status: Int32
        public let stdout: String
        public let stderr: String
    }

    /// `.build/debug/liora` of this checkout.
    public static let binary: URL = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent().appendingPathComponent(".build/debug/liora")

    /// Whether the binary is there (tests of it are skipped when it is not).
    public static var isBuilt: Bool { FileManager.default.isExecutableFile(atPath: binary.path) }

    /// Runs `liora args…` in `dir` with exactly `env` (and a minimal PATH), `input` on standard
    /// input and then end of input (an interactive command sees it end), until it exits
    /// (`ChildProcess`: not Foundation's `Process`, which can crash a busy test process).
    public static func run(_ args: [String], env: [String: String], in dir: URL, input: String? = nil) throws -> Run {
        let p = try ChildProcess(binary, args, environment: env.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }, directory: dir)
        p.send(input)
        let status = p.waitUntilExit()
        return Run(status: status, stdout: p.standardOutput, stderr: p.standardError)
    }
}
