#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
public import Foundation

/// A child process for tests, started with `posix_spawn` instead of Foundation's `Process`:
/// on Linux, `Process.run()` reads `/proc/self/fd` with a 256-byte over-read that crashes the
/// test process now and then once it has some 1,300 descriptors open, as the parallel suite does
/// (swiftlang/swift-corelibs-foundation#5472, in Swift 6.3.1). The child gets exactly
/// `environment`, runs in `directory` (through `env -C`), and inherits nothing but its three
/// pipes (they are close-on-exec, and on glibc 2.34+ every other descriptor is closed in the
/// child). Its standard output and error are read to the end on threads of their own, so a
/// chatty child never blocks on a full pipe.
public final class ChildProcess: @unchecked Sendable {
    public let pid: pid_t
    private let input: FileHandle
    private let lock = NSLock()
    private var exitStatus: Int32?
    private var out = Data(), err = Data()
    private let drained = DispatchGroup()

    public init(_ executable: URL, _ arguments: [String], environment: [String: String], directory: URL) throws {
        var stdinPipe: [Int32] = [-1, -1], stdoutPipe: [Int32] = [-1, -1], stderrPipe: [Int32] = [-1, -1]
        guard pipe(&stdinPipe) == 0, pipe(&stdoutPipe) == 0, pipe(&stderrPipe) == 0 else {
            throw NSError(domain: NSPOSIXErrorDomain, code: Int(errno))
        }
        // Close-on-exec (`pipe2` is not visible from Swift): another child never holds them open.
        for fd in stdinPipe + stdoutPipe + stderrPipe { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, stdinPipe[0], 0)
        posix_spawn_file_actions_adddup2(&actions, stdoutPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, stderrPipe[1], 2)
        if let closeFrom = Self.addCloseFrom { _ = closeFrom(&actions, 3) }
        let argv = ["/usr/bin/env", "-C", directory.path, executable.path] + arguments
        let envp = environment.map { "\($0.key)=\($0.value)" }
        var cArgv = argv.map { strdup($0) } + [nil]
        var cEnvp = envp.map { strdup($0) } + [nil]
        defer { for p in cArgv + cEnvp { free(p) } }
        var child: pid_t = 0
        let rc = posix_spawn(&child, "/usr/bin/env", &actions, nil, &cArgv, &cEnvp)
        close(stdinPipe[0]); close(stdoutPipe[1]); close(stderrPipe[1])
        guard rc == 0 else {
            close(stdinPipe[1]); close(stdoutPipe[0]); close(stderrPipe[0])
            throw NSError(domain: NSPOSIXErrorDomain, code: Int(rc))
        }
        pid = child
        input = FileHandle(fileDescriptor: stdinPipe[1], closeOnDealloc: true)
        drain(FileHandle(fileDescriptor: stdoutPipe[0], closeOnDealloc: true)) { $0.out.append($1) }
        drain(FileHandle(fileDescriptor: stderrPipe[0], closeOnDealloc: true)) { $0.err.append($1) }
    }

    /// glibc's `posix_spawn_file_actions_addclosefrom_np` (2.34+), when there.
    private typealias CloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
    private static let addCloseFrom: CloseFrom? = {
        guard let symbol = dlsym(UnsafeMutableRawPointer(bitPattern: 0), "posix_spawn_file_actions_addclosefrom_np") else { return nil }
        return unsafeBitCast(symbol, to: CloseFrom.self)
    }()

    private func drain(_ handle: FileHandle, into append: @escaping @Sendable (ChildProcess, Data) -> Void) {
        drained.enter()
        Thread.detachNewThread { [self] in
            while true {
                let chunk = handle.availableData
                if chunk.isEmpty { break }
                lock.lock(); append(self, chunk); lock.unlock()
            }
            drained.leave()
        }
    }

    /// Writes `text` to the child's standard input, then closes it (the child sees end of input).
    public func send(_ text: String?) {
        if let text { input.write(Data(text.utf8)) }
        try? input.close()
    }

    /// What the child has written so far.
    public var standardOutput: String { lock.lock(); defer { lock.unlock() }; return String(decoding: out, as: UTF8.self) }
    public var standardError: String { lock.lock(); defer { lock.unlock() }; return String(decoding: err, as: UTF8.self) }

    /// Whether the child has not exited yet (reaps it when it has).
    public var isRunning: Bool {
        lock.lock(); defer { lock.unlock() }
        if exitStatus != nil { return false }
        var status: Int32 = 0
        guard waitpid(pid, &status, WNOHANG) == pid else { return true }
        exitStatus = Self.decode(status)
        return false
    }

    /// Sends SIGTERM unless the child has exited.
    public func terminate() {
        if isRunning { kill(pid, SIGTERM) }
    }

    /// Waits for the child to exit and its outputs to end; its exit status (128 + the signal when
    /// a signal ended it).
    @discardableResult
    public func waitUntilExit() -> Int32 {
        let status: Int32
        lock.lock()
        if let known = exitStatus {
            status = known
            lock.unlock()
        } else {
            lock.unlock()
            var raw: Int32 = 0
            var reaped: pid_t
            repeat { reaped = waitpid(pid, &raw, 0) } while reaped == -1 && errno == EINTR
            lock.lock()
            // Reaped here, or meanwhile by `isRunning` (ECHILD here).
            if reaped == pid { exitStatus = Self.decode(raw) }
            status = exitStatus ?? -1
            lock.unlock()
        }
        drained.wait()
        return status
    }

    /// `waitUntilExit` without holding a thread of the caller's.
    public func exit() async -> Int32 {
        await withCheckedContinuation { done in
            DispatchQueue.global().async { done.resume(returning: self.waitUntilExit()) }
        }
    }

    private static func decode(_ status: Int32) -> Int32 {
        status & 0x7F == 0 ? (status >> 8) & 0xFF : 128 + (status & 0x7F)
    }
}
