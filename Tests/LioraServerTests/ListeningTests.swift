import Foundation
import Hummingbird
import HummingbirdTesting
import LioraCore
import LioraServer
import LioraStore
import LioraTestSupport
import NIOConcurrencyHelpers
import NIOCore
import Testing

/// `liora serve` says "listening on …" from `LioraAppOptions.onListening`: only once bound.
@Suite("Listening")
struct ListeningTests {
    private static func app(_ t: TestStore, port: Int, heard: NIOLockedValueBox<[Int?]>) -> some ApplicationProtocol {
        var options = LioraAppOptions(runProcessor: false)
        options.onListening = { address in heard.withLockedValue { $0.append(address?.port) } }
        return buildApplication(configuration: Configuration(host: "127.0.0.1", port: port), store: t.store,
                                databaseDialect: t.database.dialect, options: options, logger: TestDatabases.logger).application
    }

    @Test("the listening callback runs once the socket is bound, with the bound port; on a port in use it never runs and the server fails")
    func listeningOnlyOnceBound() async throws {
        try await TestDatabases.withStore(.sqlite) { t in
            let first = NIOLockedValueBox<[Int?]>([])
            try await Self.app(t, port: 0, heard: first).test(.live) { client in
                let port = try #require(client.port)
                #expect(first.withLockedValue { $0 } == [port])

                // A second server on the same port: binding fails, and nothing said it listens.
                let second = NIOLockedValueBox<[Int?]>([])
                let busy = Self.app(t, port: port, heard: second)
                let failed = try await withThrowingTaskGroup(of: Bool.self) { group in
                    group.addTask {
                        do { try await busy.run() } catch { return true }
                        return false
                    }
                    group.addTask {
                        try await Task.sleep(for: .seconds(10))
                        return false
                    }
                    let result = try await group.next() ?? false
                    group.cancelAll()
                    return result
                }
                #expect(failed, "the second server did not fail to bind")
                #expect(second.withLockedValue { $0 }.isEmpty)
            }
        }
    }
}
