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

    /// Runs `liora args…` in `dir` with exactly `env` (and a minimal PATH), standard input closed
    /// (an interactive command sees end of input), until it exits. Both outputs are read at once,
    /// so a chatty command cannot fill one pipe while the other is read.
    public static func run(_ args: [String], env: [String: String], in dir: URL) throws -> Run {
        let p = Process()
        p.executableURL = binary
        p.arguments = args
        p.environment = env.merging(["PATH": "/usr/bin:/bin"]) { a, _ in a }
        p.currentDirectoryURL = dir
        let out = Pipe(), err = Pipe()
        p.standardOutput = out
        p.standardError = err
        p.standardInput = FileHandle.nullDevice
        try p.run()
        let stdout = Output()
        let reading = DispatchGroup()
        reading.enter()
        let outHandle = out.fileHandleForReading
        DispatchQueue.global().async {
            stdout.set(outHandle.readDataToEndOfFile())
            reading.leave()
        }
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        reading.wait()
        p.waitUntilExit()
        return Run(status: p.terminationStatus, stdout: String(decoding: stdout.get(), as: UTF8.self),
                   stderr: String(decoding: stderr, as: UTF8.self))
    }

    private final class Output: @unchecked Sendable {
        private let lock = NSLock()
        private var data = Data()
        func set(_ d: Data) { lock.lock(); data = d; lock.unlock() }
        func get() -> Data { lock.lock(); defer { lock.unlock() }; return data }
    }
}
