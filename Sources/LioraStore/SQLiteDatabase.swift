package import Foundation
import CSQLiteTuning
import LioraCore
package import Logging
import NIOConcurrencyHelpers
import VaporCSQLite
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The embedded SQLite database: one connection in WAL mode, transactions serialised by a FIFO
/// lock. A transaction is on disk when it returns (unless `WriteDurability.relaxed`).
///
/// Durable commits do not hold the writer while the disk flushes: every transaction commits with
/// `synchronous=NORMAL` (its frames, commit frame included, are written to the WAL before COMMIT
/// returns), the lock is released, and a durable one then waits for an fsync of the WAL that
/// began after its COMMIT (`WALSyncer`, one fsync for everyone waiting). The next transaction
/// runs meanwhile, so the single writer never sits idle on an fsync.
///
/// It calls the SQLite library that SQLiteNIO vendors (`VaporCSQLite`) directly and
/// synchronously while it holds the lock, with a cache of prepared statements. SQLiteNIO's own
/// API hops to a thread pool and back for every statement; measured under load that hop, not
/// SQLite, was most of the time of a group commit (see docs/performance.md).
package final class LioraSQLiteDatabase: SQLDatabase {
    package let dialect = SQLDialect.sqlite
    private let handle: SQLiteHandle
    private let lock = AsyncLock()
    private let checkpointer: Checkpointer?
    private let walSyncer: WALSyncer?

    private init(handle: SQLiteHandle, checkpointer: Checkpointer?, walSyncer: WALSyncer?) {
        self.handle = handle
        self.checkpointer = checkpointer
        self.walSyncer = walSyncer
    }

    /// How many WAL fsyncs durable transactions have waited for (tests).
    package var walSyncs: Int { walSyncer?.count ?? 0 }

    /// The page-cache wrapper (`CSQLiteTuning`): whether this process runs SQLite with it, and
    /// how many end-of-transaction truncations it skipped (nothing to drop) and passed on, and how
    /// many pages a b-tree balance parked at the locking page's number (what made them slow).
    package static var pageCache: (installed: Bool, skipped: UInt64, forwarded: UInt64, parked: UInt64) {
        (liora_sqlite_page_cache_installed() != 0, liora_sqlite_page_cache_skipped_truncations(),
         liora_sqlite_page_cache_forwarded_truncations(), liora_sqlite_page_cache_parked_pages())
    }

    /// WAL frames (pages) past which the checkpointer finishes a checkpoint under the writer's
    /// lock, so that the next transaction that writes starts the WAL again from its beginning
    /// (64 MiB of 4 KiB pages).
    package static let defaultWALRestartFrames = 16_384

    /// How many checkpoints under the writer's lock copied the whole WAL, so that the next write
    /// started it again (tests).
    package var walRestarts: Int { checkpointer?.restarts ?? 0 }

    /// How many times the log said the WAL could not start again (tests).
    package var walBlockedWarnings: Int { checkpointer?.blockedWarnings ?? 0 }

    /// How many times the checkpointer flushed the database file ahead of a restart (tests).
    package var databaseFileSyncs: Int { checkpointer?.fileSyncs ?? 0 }

    /// Opens (creating when missing) the database file; `:memory:` opens a private in-memory database.
    /// A file it creates is owner-only (0600, whatever the umask): it holds message text and phone
    /// numbers. SQLite gives the `-wal` and `-shm` files it creates the database file's mode. An
    /// existing file keeps its mode.
    /// `walFlushDelay` makes every WAL flush that much slower (tests: a slow disk);
    /// `walRestartFrames` bounds the WAL (see `Checkpointer`).
    /// `blockedWarning` is how long the WAL may be kept from starting again before the log says
    /// so (`Checkpointer.BlockedWarning`).
    package static func open(path: String, logger: Logger, walFlushDelay: Duration = .zero,
                             walRestartFrames: Int = defaultWALRestartFrames,
                             blockedWarning: Checkpointer.BlockedWarning = .init()) async throws -> LioraSQLiteDatabase {
        if path != ":memory:" {
            let dir = (path as NSString).deletingLastPathComponent
            // A folder made for it is the owner's only, like the files (an existing one keeps its mode).
            if !dir.isEmpty, !FileManager.default.fileExists(atPath: dir) {
                try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
            }
            try createOwnerOnly(path)
        }
        let handle = try SQLiteHandle(path: path)
        for pragma in ["PRAGMA journal_mode=WAL", "PRAGMA synchronous=FULL", "PRAGMA foreign_keys=ON",
                       "PRAGMA busy_timeout=5000", "PRAGMA temp_store=MEMORY", "PRAGMA cache_size=-65536"] {
            _ = try handle.run(pragma, [])
        }
        var checkpointer: Checkpointer?
        var walSyncer: WALSyncer?
        if path != ":memory:" {
            // Commits never stall on a checkpoint: a second connection copies the WAL back into
            // the database in the background (PASSIVE never blocks the writer).
            _ = try handle.run("PRAGMA wal_autocheckpoint=0", [])
            // A WAL that a burst grew far past the restart point is cut back when it starts again.
            _ = try handle.run("PRAGMA journal_size_limit=\(walRestartFrames * 4096 * 2)", [])
            checkpointer = try Checkpointer(handle: SQLiteHandle(path: path), restartFrames: walRestartFrames,
                                            logger: logger, blockedWarning: blockedWarning)
            walSyncer = WALSyncer(walPath: path + "-wal", delay: walFlushDelay)
        }
        let db = LioraSQLiteDatabase(handle: handle, checkpointer: checkpointer, walSyncer: walSyncer)
        checkpointer?.start { [weak db] in await db?.checkpointUnderLock() ?? false }
        return db
    }

    /// Creates `path` empty with mode 0600 unless it exists (SQLite would create it 0644 under the
    /// usual umask 022). A `file:` URI is left to SQLite.
    private static func createOwnerOnly(_ path: String) throws {
        guard !path.hasPrefix("file:") else { return }
        #if canImport(Glibc)
        let fd = Glibc.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 { Glibc.close(fd) }
        #else
        let fd = Darwin.open(path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        if fd >= 0 { Darwin.close(fd) }
        #endif
        if fd < 0 && errno != EEXIST {
            throw StoreError.unavailable("cannot create the SQLite database at \(path) (errno \(errno))")
        }
    }

    /// Copies the WAL's last frames into the database file while no transaction runs, so the
    /// checkpoint covers all of it and the next transaction that writes restarts the WAL. Returns whether it
    /// did (false when the database is closed or the checkpoint could not finish).
    private func checkpointUnderLock() async -> Bool {
        (try? await lock.withLock { handle.passiveCheckpoint().map { $0.frames == $0.copied } ?? false }) ?? false
    }

    /// How many times SQLite compiled the statement for `sql` again since the last call (0 for a
    /// statement this connection has not prepared). Plans are stable, so this stays 0.
    package func reprepares(of sql: String) async throws -> Int {
        try await lock.withLock { handle.takeReprepares(sql) }
    }

    /// Whether the connection plans statements independently of the values bound to them.
    package func plansAreStable() async throws -> Bool {
        try await lock.withLock { handle.stablePlans }
    }

    @discardableResult
    package func transaction<T: Sendable>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        let relaxed = WriteDurability.relaxed
        let (result, wrote) = try await lock.withLock {
            try handle.setSynchronous(relaxed || walSyncer != nil ? .normal : .full)
            _ = handle.takePagesWritten()
            // IMMEDIATE: take the write lock up front, so a transaction never fails half-way on upgrade.
            let result = try await SQLConnectionTransaction.run(on: SQLiteSQLConnection(handle: handle), begin: "BEGIN IMMEDIATE", body)
            return (result, handle.takePagesWritten() > 0)
        }
        // Committed; durable once the WAL is flushed (a transaction that wrote nothing has nothing
        // to flush). When that fails the caller hears so (a webhook gets a 5xx and comes again; its
        // items are deduplicated).
        if !relaxed, wrote, let walSyncer { try await walSyncer.sync() }
        return result
    }

    package func tenantTransaction<T: Sendable>(_ tenant: UUID, _ body: (any SQLConnection) async throws -> T) async throws -> T {
        // SQLite has no row-level security: the store layer adds `cliente_id = $1` to every query.
        try await transaction(body)
    }

    @discardableResult
    package func withConnection<T: Sendable>(_ body: (any SQLConnection) async throws -> T) async throws -> T {
        let relaxed = WriteDurability.relaxed
        return try await lock.withLock {
            try handle.setSynchronous(relaxed ? .normal : .full)
            return try await body(SQLiteSQLConnection(handle: handle))
        }
    }

    /// Closes the database once the transactions already queued are done (later ones fail). A
    /// commit still waiting for its WAL flush is not reported as failed: closing checkpoints the
    /// WAL into the database file, flushed.
    package func close() async {
        checkpointer?.stop()
        _ = try? await lock.withLock {
            walSyncer?.closing()
            handle.close()
        }
    }
}

/// Flushes the WAL file for durable transactions, on its own thread: callers that committed
/// queue up, and each fsync answers everyone who queued before it began (so it covers their
/// commits).
private final class WALSyncer: @unchecked Sendable {  // `flushedFolder` is only touched on `queue`
    private struct State {
        var waiting: [CheckedContinuation<Void, any Error>] = []
        var running = false
        var syncs = 0
    }
    private let walPath: String
    private let queue = DispatchQueue(label: "liora.sqlite.walsync")
    private let state = NIOLockedValueBox(State())
    private var flushedFolder = false
    private let databaseClosed = NIOLockedValueBox(false)

    private let delay: Duration

    init(walPath: String, delay: Duration) {
        self.walPath = walPath
        self.delay = delay
    }

    var count: Int { state.withLockedValue(\.syncs) }

    /// The database is being closed (under its lock, so no commit follows): a flush that finds the
    /// WAL gone afterwards has nothing left to flush.
    func closing() { databaseClosed.withLockedValue { $0 = true } }

    func sync() async throws {
        try await withCheckedThrowingContinuation { (c: CheckedContinuation<Void, any Error>) in
            let start = state.withLockedValue { s -> Bool in
                s.waiting.append(c)
                guard !s.running else { return false }
                s.running = true
                return true
            }
            if start { queue.async { self.drain() } }
        }
    }

    private func drain() {
        while true {
            let batch = state.withLockedValue { s -> [CheckedContinuation<Void, any Error>] in
                guard !s.waiting.isEmpty else { s.running = false; return [] }
                defer { s.waiting = []; s.syncs += 1 }
                return s.waiting
            }
            guard !batch.isEmpty else { return }
            let result = Result { try flush() }
            for c in batch { c.resume(with: result) }
        }
    }

    private static func openReadOnly(_ path: String) -> Int32 {
        #if canImport(Glibc)
        Glibc.open(path, O_RDONLY | O_CLOEXEC)
        #else
        Darwin.open(path, O_RDONLY | O_CLOEXEC)
        #endif
    }

    private func flush() throws {
        // A fresh descriptor each time: fsync flushes the file's data whichever descriptor wrote
        // it, and a WAL that SQLite replaced is never missed through a stale one.
        if delay > .zero { Thread.sleep(forTimeInterval: Double(delay.components.attoseconds) / 1e18 + Double(delay.components.seconds)) }
        let fd = Self.openReadOnly(walPath)
        guard fd >= 0 else {
            let failure = errno
            // The database was closed after these commits: SQLite removes the WAL only once a
            // checkpoint has copied all of it into the database file and flushed that file.
            if failure == ENOENT && databaseClosed.withLockedValue({ $0 }) { return }
            throw StoreError.unavailable("cannot open the SQLite WAL to flush it (errno \(failure))")
        }
        defer { close(fd) }
        if !flushedFolder {
            // Once: the WAL's name in its folder is durable too.
            let folder = (walPath as NSString).deletingLastPathComponent
            let dir = Self.openReadOnly(folder.isEmpty ? "." : folder)
            if dir >= 0 {
                _ = fsync(dir)
                close(dir)
            }
            flushedFolder = true
        }
        guard fsync(fd) == 0 else { throw StoreError.unavailable("fsync of the SQLite WAL failed (errno \(errno))") }
    }
}

/// Runs `PRAGMA wal_checkpoint(PASSIVE)` every 200 ms on its own connection and thread, and
/// keeps the WAL from growing without bound.
///
/// A PASSIVE checkpoint copies the frames that were in the WAL when it began; under a steady
/// write load new frames arrive meanwhile, so it never covers the whole WAL, and SQLite only
/// starts the WAL again from its beginning when a transaction begins with all of it copied back.
/// Without more, the WAL grows as long as the load lasts (1.1 GB in the 40 s of
/// `bench/replies/run.sh sqlite`), and every frame is appended to a new part of the file: the
/// file system allocates and zeroes blocks for each commit. So once the WAL holds
/// `restartFrames` frames, the checkpointer copies and flushes what it can in the background,
/// then asks the database to finish the checkpoint under its writer's lock (`finish`): only the
/// last frames are left to copy and flush (10–30 ms, about every 1.5 s under the replies
/// benchmark's load), and the next transaction that writes starts the WAL again (unless a
/// connection outside this process reads from it), reusing the file's blocks.
///
/// A connection outside this process that keeps a read transaction open (a `sqlite3` shell in
/// a transaction, a backup tool) stops the checkpoint at the frames it still reads: the WAL then
/// grows as long as it stays. When that has lasted `BlockedWarning.after`, the log says so
/// (a warning, repeated every `BlockedWarning.every` while it lasts), and once more when the WAL
/// starts again.
package final class Checkpointer: @unchecked Sendable {  // the timer is set up in start and only cancelled after
    /// When the log says the WAL cannot start again.
    package struct BlockedWarning: Sendable {
        /// How long checkpoints may fail to cover the WAL before the first warning.
        package var after: Duration
        /// How often the warning is repeated while they still fail.
        package var every: Duration

        package init(after: Duration = .seconds(30), every: Duration = .seconds(300)) {
            self.after = after
            self.every = every
        }
    }

    private let timer: any DispatchSourceTimer
    private let queue = DispatchQueue(label: "liora.sqlite.checkpoint")
    private let handle: SQLiteHandle
    private let restartFrames: Int
    private let logger: Logger
    private let blockedWarning: BlockedWarning
    private struct State {
        var finishing = false
        /// Since when the ticks have found too many frames left to finish under the lock.
        var postponedSince: ContinuousClock.Instant?
        var restarts = 0
        var fileSyncs = 0
        /// Since when the checkpoints under the lock have not covered the whole WAL.
        var blockedSince: ContinuousClock.Instant?
        /// When the log last said so (nil: not since the WAL last started again).
        var warnedAt: ContinuousClock.Instant?
        var blockedWarnings = 0
    }
    private let state = NIOLockedValueBox(State())
    /// Frames few enough to copy and flush under the writer's lock (4 MiB).
    private static let smallTail: Int64 = 1024

    fileprivate init(handle: SQLiteHandle, restartFrames: Int, logger: Logger, blockedWarning: BlockedWarning) throws {
        self.handle = handle
        self.restartFrames = restartFrames
        self.logger = logger
        self.blockedWarning = blockedWarning
        _ = try handle.run("PRAGMA busy_timeout=5000", [])
        timer = DispatchSource.makeTimerSource(queue: queue)
    }

    var restarts: Int { state.withLockedValue(\.restarts) }
    var fileSyncs: Int { state.withLockedValue(\.fileSyncs) }
    var blockedWarnings: Int { state.withLockedValue(\.blockedWarnings) }

    /// Starts the timer; `finish` checkpoints under the writer's lock and says whether the
    /// checkpoint covered the whole WAL.
    func start(finish: @escaping @Sendable () async -> Bool) {
        timer.schedule(deadline: .now() + .milliseconds(200), repeating: .milliseconds(200))
        timer.setEventHandler { [handle, restartFrames, state, logger, blockedWarning] in
            // A finish still waiting for the lock would find the checkpoint lock taken by this
            // tick's pass (PASSIVE never waits) and give up: no pass until it is done.
            guard !state.withLockedValue(\.finishing) else { return }
            guard let first = handle.passiveCheckpoint(), first.frames >= restartFrames else { return }
            // The writer's lock is to be held only for copying the last frames and flushing them.
            // So first, outside it: checkpoint again while many frames are left (each pass copies
            // what came during the one before), flush the database file, which incomplete
            // checkpoints leave unflushed, and copy what came during the flush.
            var uncopied = first.frames - first.copied
            for _ in 0..<4 where uncopied > Self.smallTail {
                guard let pass = handle.passiveCheckpoint() else { break }
                uncopied = pass.frames - pass.copied
            }
            if handle.syncDatabaseFile() { state.withLockedValue { $0.fileSyncs += 1 } }
            var walFrames = first.frames
            if let pass = handle.passiveCheckpoint() { (uncopied, walFrames) = (pass.frames - pass.copied, pass.frames) }
            let now = ContinuousClock.now
            let go = state.withLockedValue { s -> Bool in
                // Writes faster than the passes copy: try again next tick rather than hold the
                // writer for a long copy, unless that has gone on for a second (a loaded machine
                // runs the ticks late, so it is counted in time, not ticks).
                if uncopied > Self.smallTail {
                    let since = s.postponedSince ?? now
                    s.postponedSince = since
                    if now - since < .seconds(1) { return false }
                }
                s.postponedSince = nil
                s.finishing = true
                return true
            }
            guard go else { return }
            // High priority: started from a Dispatch queue, the task would otherwise wait behind
            // every busier task on Swift's pool (in the full test suite it never ran in 13 s),
            // while the WAL kept growing. It only queues for the lock and copies a short tail.
            Task(priority: .high) { [walFrames] in
                let done = await finish()
                let now = ContinuousClock.now
                let (warn, recovered) = state.withLockedValue { s -> (Duration?, Bool) in
                    s.finishing = false
                    if done {
                        s.restarts += 1
                        defer { (s.blockedSince, s.warnedAt) = (nil, nil) }
                        return (nil, s.warnedAt != nil)
                    }
                    let since = s.blockedSince ?? now
                    s.blockedSince = since
                    guard now - since >= blockedWarning.after, s.warnedAt.map({ now - $0 >= blockedWarning.every }) ?? true else {
                        return (nil, false)
                    }
                    s.warnedAt = now
                    return (now - since, false)
                }
                if let warn {
                    logger.warning("the SQLite WAL cannot start again and keeps growing: a connection outside Liora holds a read transaction on the database (a sqlite3 shell, a backup tool?); end it", metadata: [
                        "blocked_s": "\(warn.components.seconds)", "wal_mb": "\(walFrames * 4096 / 1_048_576)"])
                    state.withLockedValue { $0.blockedWarnings += 1 }  // counted once said (tests read it so)
                } else if recovered {
                    logger.notice("the SQLite WAL started again")
                }
            }
        }
        timer.resume()
    }

    func stop() {
        timer.cancel()
        queue.sync { handle.close() }
    }
}

private struct SQLiteSQLConnection: SQLConnection {
    let handle: SQLiteHandle
    var dialect: SQLDialect { .sqlite }

    func query(_ sql: String, _ binds: [SQLValue]) async throws -> [any SQLRow] {
        try handle.run(sql, binds)
    }
}

/// A raw SQLite connection. Only used under the database's lock, so its mutable state (the
/// statement cache) is never touched by two tasks at once.
private final class SQLiteHandle: @unchecked Sendable {
    private var db: OpaquePointer?
    /// The connection's `synchronous` setting (FULL when opened): a commit waits for its fsync, or
    /// (NORMAL, in WAL mode) leaves the flush to `WALSyncer`, a later FULL commit or a checkpoint.
    /// Transactions commit with NORMAL on a file database; `withConnection` and `:memory:` keep FULL.
    enum Synchronous: String { case full = "FULL", normal = "NORMAL" }
    private var synchronous = Synchronous.full

    /// Sets `synchronous` for the next statements (only between transactions).
    func setSynchronous(_ wanted: Synchronous) throws {
        guard wanted != synchronous else { return }
        _ = try run("PRAGMA synchronous=\(wanted.rawValue)", [])
        synchronous = wanted
    }

    private var statements: [String: OpaquePointer] = [:]
    private static let transient = unsafeBitCast(-1, to: sqlite3_destructor_type.self)

    /// Installs the page-cache wrapper (`liora_pcache.h`) once, before the process's first
    /// connection initialises SQLite. If SQLite was initialised earlier, it keeps its own cache.
    private static let pageCacheInstalled: Bool = liora_sqlite_install_page_cache() == 0

    init(path: String) throws {
        _ = Self.pageCacheInstalled
        let flags = SQLITE_OPEN_CREATE | SQLITE_OPEN_READWRITE | SQLITE_OPEN_FULLMUTEX | SQLITE_OPEN_URI
        var db: OpaquePointer?
        let rc = sqlite_nio_sqlite3_open_v2(path, &db, flags, nil)
        guard rc == SQLITE_OK, let db else {
            let message = db.flatMap { sqlite_nio_sqlite3_errmsg($0) }.map { String(cString: $0) } ?? "code \(rc)"
            if let db { sqlite_nio_sqlite3_close_v2(db) }
            throw StoreError.unavailable("cannot open SQLite database at \(path): \(message)")
        }
        sqlite_nio_sqlite3_extended_result_codes(db, 1)
        // One plan per statement whatever is bound (liora_sqlite_config.h): no re-prepare per run.
        let qpsg = liora_sqlite_enable_stable_plans(UnsafeMutableRawPointer(db))
        guard qpsg == SQLITE_OK else {
            sqlite_nio_sqlite3_close_v2(db)
            throw StoreError.unavailable("cannot configure SQLite database at \(path): code \(qpsg)")
        }
        self.db = db
    }

    /// Runs `PRAGMA wal_checkpoint(PASSIVE)`: the frames in the WAL and how many of them are
    /// copied into the database file, or nil when it could not run (busy, closed, not in WAL mode).
    func passiveCheckpoint() -> (frames: Int64, copied: Int64)? {
        guard let row = try? run("PRAGMA wal_checkpoint(PASSIVE)", []).first, (try? row.int("busy")) == 0,
              let frames = try? row.int("log"), let copied = try? row.int("checkpointed"), frames >= 0 else { return nil }
        return (frames, copied)
    }

    /// Flushes the database file to disk through SQLite's own handle (never `open`/`close` of
    /// the file here: closing a descriptor drops SQLite's locks on it). Best effort: a failure
    /// only leaves the flush to the next complete checkpoint.
    @discardableResult
    func syncDatabaseFile() -> Bool {
        guard let db else { return false }
        return liora_sqlite_sync_database_file(UnsafeMutableRawPointer(db)) == SQLITE_OK
    }

    /// Whether the connection plans statements independently of bound values.
    var stablePlans: Bool { db.map { liora_sqlite_stable_plans(UnsafeMutableRawPointer($0)) == 1 } ?? false }

    /// How many times the statement for `sql` was compiled again since the last call.
    func takeReprepares(_ sql: String) -> Int {
        guard let stmt = statements[sql] else { return 0 }
        return Int(sqlite_nio_sqlite3_stmt_status(stmt, SQLITE_STMTSTATUS_REPREPARE, 1))
    }

    func close() {
        for s in statements.values { sqlite_nio_sqlite3_finalize(s) }
        statements.removeAll()
        if let db { sqlite_nio_sqlite3_close_v2(db) }
        db = nil
    }

    /// Database pages this connection wrote to disk (to the WAL) since the last call.
    func takePagesWritten() -> Int {
        guard let db else { return 0 }
        var current: Int32 = 0, highest: Int32 = 0
        sqlite_nio_sqlite3_db_status(db, SQLITE_DBSTATUS_CACHE_WRITE, &current, &highest, 1)
        return Int(current)
    }

    /// Prepares (or reuses), binds, steps and collects one statement.
    func run(_ sql: String, _ binds: [SQLValue]) throws -> [any SQLRow] {
        guard let db else { throw StoreError.unavailable("the SQLite database is closed") }
        let stmt = try statement(sql, db: db)
        defer {
            sqlite_nio_sqlite3_reset(stmt)
            sqlite_nio_sqlite3_clear_bindings(stmt)
        }
        for (i, value) in binds.enumerated() {
            let index = Int32(i + 1)
            let rc: Int32
            switch value {
            case .null: rc = sqlite_nio_sqlite3_bind_null(stmt, index)
            case .int(let v): rc = sqlite_nio_sqlite3_bind_int64(stmt, index, v)
            case .bool(let b): rc = sqlite_nio_sqlite3_bind_int64(stmt, index, b ? 1 : 0)
            case .date(let d): rc = sqlite_nio_sqlite3_bind_int64(stmt, index, d.microsecondsSince1970)
            case .text(let s): rc = sqlite_nio_sqlite3_bind_text(stmt, index, SQLValue.storable(s), -1, Self.transient)
            case .json(let s): rc = sqlite_nio_sqlite3_bind_text(stmt, index, SQLValue.storableJSON(s), -1, Self.transient)
            case .uuid(let u): rc = sqlite_nio_sqlite3_bind_text(stmt, index, u.lowercasedText, -1, Self.transient)
            case .blob(let b):
                rc = b.withUnsafeBytes { sqlite_nio_sqlite3_bind_blob(stmt, index, $0.baseAddress, Int32($0.count), Self.transient) }
            }
            guard rc == SQLITE_OK else { throw error(rc, db: db) }
        }
        var rows: [any SQLRow] = []
        let columns = sqlite_nio_sqlite3_column_count(stmt)
        var names: [String] = []
        while true {
            let rc = sqlite_nio_sqlite3_step(stmt)
            if rc == SQLITE_DONE { break }
            guard rc == SQLITE_ROW else { throw error(rc, db: db) }
            if names.isEmpty && columns > 0 {
                names = (0..<columns).map { String(cString: sqlite_nio_sqlite3_column_name(stmt, $0)) }
            }
            var values: [SQLiteValue] = []
            values.reserveCapacity(Int(columns))
            for c in 0..<columns {
                switch sqlite_nio_sqlite3_column_type(stmt, c) {
                case SQLITE_NULL: values.append(.null)
                case SQLITE_INTEGER: values.append(.int(sqlite_nio_sqlite3_column_int64(stmt, c)))
                case SQLITE_FLOAT: values.append(.int(Int64(sqlite_nio_sqlite3_column_double(stmt, c))))
                case SQLITE_BLOB:
                    let n = Int(sqlite_nio_sqlite3_column_bytes(stmt, c))
                    if n > 0, let p = sqlite_nio_sqlite3_column_blob(stmt, c) {
                        values.append(.blob(Array(UnsafeRawBufferPointer(start: p, count: n))))
                    } else {
                        values.append(.blob([]))
                    }
                default:
                    values.append(.text(sqlite_nio_sqlite3_column_text(stmt, c).map { String(cString: $0) } ?? ""))
                }
            }
            rows.append(SQLiteSQLRow(names: names, values: values))
        }
        return rows
    }

    /// The prepared statement for `sql` (as written, with `$n` parameters), from the cache when it is there.
    private func statement(_ sql: String, db: OpaquePointer) throws -> OpaquePointer {
        if let s = statements[sql] { return s }
        if statements.count >= 512 {  // bounded: multi-row inserts vary by row count
            for s in statements.values { sqlite_nio_sqlite3_finalize(s) }
            statements.removeAll()
        }
        var stmt: OpaquePointer?
        let rc = sqlite_nio_sqlite3_prepare_v3(db, Self.translate(sql), -1, UInt32(SQLITE_PREPARE_PERSISTENT), &stmt, nil)
        guard rc == SQLITE_OK, let stmt else { throw error(rc, db: db) }
        statements[sql] = stmt
        return stmt
    }

    private func error(_ rc: Int32, db: OpaquePointer) -> StoreError {
        let message = String(cString: sqlite_nio_sqlite3_errmsg(db))
        let extended = sqlite_nio_sqlite3_extended_errcode(db)
        if extended == 2067 || extended == 1555 {  // SQLITE_CONSTRAINT_UNIQUE, SQLITE_CONSTRAINT_PRIMARYKEY
            return .uniqueViolation(message)
        }
        return .corrupt("SQLite error \(extended): \(message)")
    }

    /// `$1` → `?1`: SQLite's numbered parameters, so one SQL text serves both dialects.
    static func translate(_ sql: String) -> String {
        var utf8 = Array(sql.utf8)
        var changed = false
        for i in utf8.indices.dropLast() where utf8[i] == UInt8(ascii: "$") && (48...57).contains(utf8[i + 1]) {
            utf8[i] = UInt8(ascii: "?")
            changed = true
        }
        return changed ? String(decoding: utf8, as: UTF8.self) : sql
    }
}

private enum SQLiteValue: Sendable {
    case null, int(Int64), text(String), blob([UInt8])
}

private struct SQLiteSQLRow: SQLRow {
    let names: [String]
    let values: [SQLiteValue]

    private func value(_ c: String) -> SQLiteValue? {
        guard let i = names.firstIndex(of: c) else { return nil }
        if case .null = values[i] { return nil }
        return values[i]
    }
    func string(_ c: String) throws -> String? {
        switch value(c) {
        case .text(let s): s
        case .int(let i): String(i)
        case .blob(let b): String(decoding: b, as: UTF8.self)
        case .null, nil: nil
        }
    }
    func int(_ c: String) throws -> Int64? {
        switch value(c) {
        case .int(let i): i
        case .text(let s): Int64(s)
        default: nil
        }
    }
    func bool(_ c: String) throws -> Bool? { try int(c).map { $0 != 0 } }
    func uuid(_ c: String) throws -> UUID? {
        guard let s = try string(c) else { return nil }
        guard let u = UUID(text: s) else { throw StoreError.corrupt("column \(c) is not a UUID") }
        return u
    }
    func date(_ c: String) throws -> Date? { try int(c).map { Date(microsecondsSince1970: $0) } }
    func bytes(_ c: String) throws -> [UInt8]? {
        switch value(c) {
        case .blob(let b): b
        case .text(let s): Array(s.utf8)
        default: nil
        }
    }
}
