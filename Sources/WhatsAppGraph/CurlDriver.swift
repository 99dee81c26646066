import CLibcurl
import Foundation

/// What one libcurl transfer ended with.
enum CurlOutcome: Sendable {
    /// An HTTP answer (any status) and its body.
    case answered(status: Int, body: Data)
    /// No answer within the timeout.
    case timedOut
    /// No answer: libcurl's code and reason (never containing request headers).
    case failed(code: Int32, reason: String)
}

/// The process's libcurl multi driver (`liora_curl.c`): one thread runs every Graph API transfer
/// over pooled keep-alive connections; `perform` suspends the caller until its transfer ends.
final class CurlDriver: @unchecked Sendable {  // `waiting` and `nextToken` are guarded by `lock`
    /// The most connections to one host (the Graph API): requests beyond wait for a free one.
    static let maxHostConnections = 64

    /// The shared driver, or why libcurl could not start (then every call fails with that reason).
    static let shared: Result<CurlDriver, GraphAPIError> = {
        let driver = CurlDriver()
        var error = [CChar](repeating: 0, count: 256)
        guard let handle = liora_curl_driver_start(maxHostConnections, curlTransferDone,
                                                   Unmanaged.passRetained(driver).toOpaque(), &error, error.count) else {
            return .failure(.transport(String(decoding: error.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)))
        }
        driver.handle = handle
        return .success(driver)
    }()

    /// libcurl's version line, for the logs at start-up.
    static var version: String { String(cString: liora_curl_version()) }

    private var handle: OpaquePointer?
    private let lock = NSLock()
    private var waiting: [UInt64: CheckedContinuation<CurlOutcome, Never>] = [:]
    private var nextToken: UInt64 = 0

    private init() {}

    /// Runs one request: a JSON POST of `body`, or a GET when `body` is nil. `authorization` is the
    /// `Authorization` header's value; it is copied into libcurl's memory only for the transfer.
    func perform(url: String, authorization: String, body: Data?, timeout: Duration) async -> CurlOutcome {
        let milliseconds = max(1, Int(timeout.components.seconds * 1000 + timeout.components.attoseconds / 1_000_000_000_000_000))
        return await withCheckedContinuation { continuation in
            let token = lock.withLock {
                nextToken &+= 1
                waiting[nextToken] = continuation
                return nextToken
            }
            let submitted: Int32 = url.withCString { url in
                authorization.withCString { authorization in
                    if let body {
                        return body.withUnsafeBytes { bytes in
                            // An empty body still needs a non-NULL pointer (NULL means GET): any valid one will do.
                            liora_curl_driver_submit(handle, token, url, authorization, bytes.baseAddress ?? UnsafeRawPointer(url),
                                                     bytes.count, milliseconds)
                        }
                    }
                    return liora_curl_driver_submit(handle, token, url, authorization, nil, 0, milliseconds)
                }
            }
            if submitted != 0 {
                complete(token: token, .failed(code: 27, reason: "out of memory"))
            }
        }
    }

    /// Resumes the caller waiting for `token` (called on the libcurl thread).
    fileprivate func complete(token: UInt64, _ outcome: CurlOutcome) {
        let continuation = lock.withLock { waiting.removeValue(forKey: token) }
        continuation?.resume(returning: outcome)
    }
}

/// libcurl's CURLE_OPERATION_TIMEDOUT.
private let curlTimedOut: Int32 = 28

/// The C driver's completion callback.
private func curlTransferDone(context: UnsafeMutableRawPointer?, token: UInt64, result: Int32, status: Int,
                              body: UnsafePointer<CChar>?, length: Int, error: UnsafePointer<CChar>?) {
    guard let context else { return }
    let driver = Unmanaged<CurlDriver>.fromOpaque(context).takeUnretainedValue()
    let outcome: CurlOutcome
    switch result {
    case 0:
        outcome = .answered(status: status, body: body.map { Data(bytes: $0, count: length) } ?? Data())
    case curlTimedOut:
        outcome = .timedOut
    default:
        outcome = .failed(code: result, reason: error.map { String(cString: $0) } ?? "libcurl error \(result)")
    }
    driver.complete(token: token, outcome)
}
