import Foundation
import GRDB

/// The shared hash-bank log on SQLite. SQLite has one writer, which every ingest waits for, so a
/// long append (an import of a million entries) is written in parts of ``bankAppendPart``
/// events, a transaction each, behind the log's head (`bank_log_head`, schema version 15):
/// readers see the events up to the head only, and the last part moves the head, so another
/// process sees the whole change or none of it. While one append's parts are past the head,
/// every other append waits for it; parts left past the head by a process that stopped midway
/// are deleted by the next append: at once when that process is known to be gone (the head
/// names the process that last wrote it, schema version 16), else once none was written for
/// ``bankAppendAbandonedAfterSeconds``.
extension SQLiteStore {
    /// Events appended in one transaction: about 50 ms of the writer (a million events in one
    /// held every ingest for 4.8 s, measured 2026-12-04).
    public static let bankAppendPart = 10_000
    /// Seconds after which the parts of an append past the head, none written since, are taken
    /// for those of a process that stopped midway (when it cannot be told to be gone sooner).
    public static let bankAppendAbandonedAfterSeconds: Int64 = 60

    private enum AppendStart { case started, moved, waiting, abandoned(head: Int64, top: Int64) }

    private typealias LogHead = (seq: Int64, writtenAt: Int64, top: Int64, writer: String?)

    /// The log's head (the last event readers see), when an append past it last wrote a part,
    /// and the process that wrote the head last.
    private static func bankLogHead(_ db: Database) throws -> LogHead {
        let row = try Row.fetchOne(
            db,
            sql: """
                SELECT h.seq, h.written_at, (SELECT COALESCE(MAX(seq), 0) FROM bank_events), h.writer
                FROM bank_log_head h WHERE h.id = 1
                """)
        guard let row else { throw BankLogError("the bank log has no head row (schema version 15)") }
        return (row[0], row[1], row[2], row[3])
    }

    /// Whether another append's parts are past the head and not yet to be taken for abandoned:
    /// its process is not known to be gone, and it wrote a part less than
    /// ``bankAppendAbandonedAfterSeconds`` before `time`.
    private static func anotherAppendUnderWay(_ head: LogHead, at time: Int64) -> Bool {
        head.top > head.seq && time - head.writtenAt < bankAppendAbandonedAfterSeconds
            && !LogWriter.isGone(head.writer)
    }

    private static func insertBankEvents(_ db: Database, _ events: [String], after: Int64, now: Int64) throws {
        let insert = try db.cachedStatement(sql: "INSERT INTO bank_events (seq, event, at) VALUES (?, ?, ?)")
        for (i, event) in events.enumerated() {
            try insert.execute(arguments: [after + Int64(i) + 1, event, now])
        }
    }

    private static func setBankLogHead(_ db: Database, seq: Int64, writtenAt: Int64) throws {
        try db.execute(
            sql: "UPDATE bank_log_head SET seq = ?, written_at = ?, writer = ? WHERE id = 1",
            arguments: [seq, writtenAt, LogWriter.this])
    }

    public func appendBankEvents(
        after: Int64, now: Int64, making make: ([BankLogEntry]) throws -> BankLogLines
    ) async throws -> Int64 {
        // `make` cannot run inside GRDB's write (which takes a Sendable, escaping closure), so:
        // read the newer events, make the change, and start the append only if the log has not
        // moved since (checked in the write); else again. Within a process changes take turns, so
        // this repeats only when another process shares the SQLite file. The time written with
        // each part is `now` plus the seconds this append has taken.
        let began = ContinuousClock.now
        @Sendable func time() -> Int64 { now + (ContinuousClock.now - began).components.seconds }
        let partSize = Self.bankAppendPart
        var end = after
        var newer: [BankLogEntry] = []
        while true {
            let more = try await bankEvents(after: end, limit: Int.max)
            newer += more
            end = newer.last?.seq ?? after
            let events = try make(newer)
            guard !events.isEmpty else { return end }
            let from = end
            // Each part's lines are made just before it is written.
            let parts = events.parts(of: partSize)
            let through = from + Int64(events.count)
            // The first part, when the head is `from` and no other append is past it.
            var start = AppendStart.waiting
            let first = events.lines(parts[0])
            while case .waiting = start {
                start = try await writer.write { db -> AppendStart in
                    let head = try Self.bankLogHead(db)
                    if head.top > head.seq {
                        return Self.anotherAppendUnderWay(head, at: time()) ? .waiting : .abandoned(head: head.seq, top: head.top)
                    }
                    guard head.seq >= from else {
                        throw BankLogError("the bank log ends at \(head.seq), before the \(from) events this change was made on")
                    }
                    guard head.seq == from else { return .moved }
                    try Self.insertBankEvents(db, first, after: from, now: now)
                    try Self.setBankLogHead(db, seq: parts.count == 1 ? through : from, writtenAt: time())
                    return .started
                }
                switch start {
                case .waiting:
                    // Waits on a reader, not on the writer every ingest waits for, until the
                    // other append is done or may be taken for abandoned.
                    repeat {
                        try await Task.sleep(for: .milliseconds(20))
                    } while try await writer.read({ db in Self.anotherAppendUnderWay(try Self.bankLogHead(db), at: time()) })
                case .abandoned(let head, let top):
                    try await deleteAbandonedBankEvents(head: head, top: top, time: time)
                    start = .waiting
                case .moved, .started:
                    break
                }
            }
            guard case .started = start else { continue }
            var written = from + Int64(parts[0].count)
            do {
                for part in parts.dropFirst() {
                    let last = written + Int64(part.count) == through
                    let lines = events.lines(part)
                    try await writer.write { [written] db in
                        let head = try Self.bankLogHead(db)
                        guard head.seq == from, head.top == written else {
                            throw BankLogError(
                                "the bank log changed under an append in parts: head \(head.seq), last event \(head.top), expected \(from) and \(written) (another process took it for abandoned)"
                            )
                        }
                        try Self.insertBankEvents(db, lines, after: written, now: now)
                        try Self.setBankLogHead(db, seq: last ? through : from, writtenAt: time())
                    }
                    written += Int64(part.count)
                }
            } catch {
                // The parts written are taken back at once (when they are still this append's),
                // so that the next append need not wait for them to be judged abandoned.
                try? await deleteAbandonedBankEvents(head: from, top: written, time: time)
                throw error
            }
            return through
        }
    }

    /// Deletes the events an abandoned append left past the head (or a failed one of this
    /// process's), a part a transaction from the last, each time marking the log as written to,
    /// so that other appends keep waiting; stops if the log is no longer as it was.
    private func deleteAbandonedBankEvents(head: Int64, top: Int64, time: @escaping @Sendable () -> Int64) async throws {
        var upper = top
        while upper > head {
            let lower = max(head, upper - Int64(Self.bankAppendPart))
            let stillAbandoned = try await writer.write { [upper] db -> Bool in
                let now = try Self.bankLogHead(db)
                guard now.seq == head, now.top == upper else { return false }
                try db.execute(sql: "DELETE FROM bank_events WHERE seq > ? AND seq <= ?", arguments: [lower, upper])
                try Self.setBankLogHead(db, seq: head, writtenAt: time())
                return true
            }
            guard stillAbandoned else { return }
            upper = lower
        }
    }

    public func bankEvents(after: Int64, limit: Int) async throws -> [BankLogEntry] {
        try await writer.read { db in
            try Row.fetchAll(
                db,
                sql: """
                    SELECT seq, event FROM bank_events WHERE seq > ? AND seq <= (SELECT seq FROM bank_log_head WHERE id = 1)
                    ORDER BY seq LIMIT ?
                    """, arguments: [after, limit]
            ).map { BankLogEntry(seq: $0["seq"], event: $0["event"]) }
        }
    }

    public func latestBankSnapshot() async throws -> BankSnapshotRecord? {
        try await writer.read { db in
            // One statement, in one read transaction: the rows of one snapshot, even while
            // another process stores a newer one and deletes this. A snapshot is there once its
            // part 0 is (``saveBankSnapshot(sequence:partBytes:now:replacing:making:)``).
            let rows = try Row.fetchCursor(
                db,
                sql: """
                    SELECT seq, part, parts, bytes FROM bank_snapshots
                    WHERE seq = (SELECT MAX(seq) FROM bank_snapshots WHERE part = 0) ORDER BY part
                    """)
            var joiner = BankSnapshotRecord.Joiner()
            while let row = try rows.next() {
                let bytes: Data = row["bytes"]
                try joiner.add(seq: row["seq"], part: row["part"], parts: row["parts"], bytes: bytes)
            }
            return try joiner.finish()
        }
    }

    public func bankSnapshotSequence() async throws -> Int64 {
        try await writer.read { db in try Self.newestBankSnapshot(db) }
    }

    /// The sequence of the newest snapshot whose part 0 is stored (0: none).
    private static func newestBankSnapshot(_ db: Database) throws -> Int64 {
        try Int64.fetchOne(db, sql: "SELECT COALESCE(MAX(seq), 0) FROM bank_snapshots WHERE part = 0") ?? 0
    }

    /// The snapshots being written (parts stored, part 0 not yet), when each had its parts
    /// stored and by which process: its highest part's, the last written.
    /// Found from the primary key's index alone; only their own rows are read (`at` comes after
    /// the 4 MiB of `bytes` in a row: reading it from every row of a whole snapshot took
    /// 70-190 ms).
    private static func bankSnapshotsBeingWritten(_ db: Database) throws -> [(seq: Int64, at: Int64, writer: String?)] {
        try Row.fetchAll(
            db,
            sql: """
                SELECT s.seq, b.at, b.writer
                FROM (SELECT seq, MAX(part) AS part FROM bank_snapshots GROUP BY seq HAVING MIN(part) > 0) s
                JOIN bank_snapshots b ON b.seq = s.seq AND b.part = s.part
                """
        ).map { ($0["seq"], $0["at"], $0["writer"]) }
    }

    /// Deletes the snapshot rows `condition` selects, one row (one part, up to 4 MiB) a
    /// transaction, so that deleting a large snapshot does not hold the writer either. Part 0
    /// goes first: what is left of a snapshot is never taken for a whole one.
    private func deleteBankSnapshotRows(_ condition: String, _ arguments: StatementArguments = []) async throws {
        let keys = try await writer.read { db in
            try Row.fetchAll(db, sql: "SELECT seq, part FROM bank_snapshots WHERE \(condition) ORDER BY seq, part", arguments: arguments)
                .map { (seq: $0["seq"] as Int64, part: $0["part"] as Int64) }
        }
        for key in keys {
            try await writer.write { db in
                try db.execute(sql: "DELETE FROM bank_snapshots WHERE seq = ? AND part = ?", arguments: [key.seq, key.part])
            }
        }
    }

    public func saveBankSnapshot(
        sequence: Int64, now: Int64, replacing: Bool, parts make: @Sendable () async -> BankSnapshotParts
    ) async throws -> Int {
        // A million entries make 250 MB of snapshot: stored in one transaction, they held the
        // database's one writer, and so every ingest, for 5 s (measured 2026-12-04). So each part
        // is a transaction of its own, and the snapshot is there for readers once its part 0 is,
        // written last (it is made first, and held until then). Parts without a part 0 are a
        // snapshot being written: by another process, which this one leaves to finish, unless no
        // part of it was stored for ``BankSnapshotRecord/abandonedAfterSeconds``, or the process
        // that stored its last part is gone (``LogWriter``, schema version 17): then they are
        // deleted. The parts are made outside any transaction, each as it is written.
        if replacing { try await deleteBankSnapshotRows("1 = 1") }
        let (newest, writing) = try await writer.read { db in
            (try Self.newestBankSnapshot(db), try Self.bankSnapshotsBeingWritten(db))
        }
        if !replacing, newest >= sequence { return 0 }
        let abandoned = writing.filter {
            now - $0.at >= BankSnapshotRecord.abandonedAfterSeconds || LogWriter.isGone($0.writer)
        }
        guard abandoned.count == writing.count else { return 0 }
        for snapshot in abandoned { try await deleteBankSnapshotRows("seq = ?", [snapshot.seq]) }

        let parts = await make()
        let count = parts.partCount
        @Sendable func insert(_ db: Database, _ i: Int, _ bytes: [UInt8]) throws {
            try db.execute(
                sql: "INSERT INTO bank_snapshots (seq, part, parts, bytes, at, writer) VALUES (?, ?, ?, ?, ?, ?)",
                arguments: [sequence, i, count, Data(bytes), now, LogWriter.this])
        }
        let first = try await parts.next(0, of: sequence)
        var made = first.count
        // The first part written (part 1; part 0 when it is the only one), when nothing newer is
        // stored or being written and the log reaches `sequence`.
        let claim = count > 1 ? try await parts.next(1, of: sequence) : first
        if count > 1 { made += claim.count }
        let claimed = try await writer.write { db -> Bool in
            guard try Self.newestBankSnapshot(db) < sequence, try Self.bankSnapshotsBeingWritten(db).isEmpty else { return false }
            let last = try Self.bankLogHead(db).seq
            guard sequence <= last else {
                throw BankSnapshotError("a bank snapshot at \(sequence) would cover more than the bank log's \(last) events")
            }
            try insert(db, count > 1 ? 1 : 0, claim)
            return true
        }
        guard claimed else { return 0 }
        do {
            for i in 2..<max(2, count) {
                let part = try await parts.next(i, of: sequence)
                made += part.count
                try await writer.write { db in try insert(db, i, part) }
            }
            try await parts.checkEnd(made: made, of: sequence)
            if count > 1 {
                try await writer.write { db in
                    let stored = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM bank_snapshots WHERE seq = ?", arguments: [sequence]) ?? 0
                    guard stored == count - 1 else {
                        throw BankSnapshotError(
                            "the bank snapshot at \(sequence) lost parts while it was written (\(stored) of \(count - 1) left)")
                    }
                    try insert(db, 0, first)
                }
            }
        } catch {
            // A snapshot that cannot be finished: its parts are taken back at once (part 0 first,
            // should it be there), not left for another process to find abandoned.
            try? await deleteBankSnapshotRows("seq = ?", [sequence])
            throw error
        }
        try await deleteBankSnapshotRows("seq < ?", [sequence])
        return made
    }
}

/// A process that writes the bank log's head, as the head names it: the machine's boot, the pid
/// namespace and the pid. A SQLite file in WAL mode is shared by processes of one machine only,
/// so a process that named itself so can be looked for; one of another boot or namespace (a
/// container sharing the file) cannot, and is never taken for gone.
enum LogWriter {
    /// This process (nil where the boot or the namespace cannot be read: not Linux).
    static let this: String? = {
        guard let boot = try? String(contentsOfFile: "/proc/sys/kernel/random/boot_id", encoding: .utf8),
            let namespace = try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/ns/pid")
        else { return nil }
        return "\(boot.trimmingCharacters(in: .whitespacesAndNewlines)) \(namespace) \(getpid())"
    }()

    /// Whether `writer` is a process of this boot and pid namespace that no longer exists (nil,
    /// a writer not named: no). A pid used again by another process reads as alive: the append
    /// waits the minute, as for a writer it cannot look for.
    static func isGone(_ writer: String?) -> Bool {
        guard let writer, let this else { return false }
        let theirs = writer.split(separator: " "), ours = this.split(separator: " ")
        guard theirs.count == 3, ours.count == 3, theirs[0] == ours[0], theirs[1] == ours[1],
            let pid = pid_t(theirs[2]), pid > 0, pid != getpid()
        else { return false }
        return kill(pid, 0) != 0 && errno == ESRCH
    }
}
