import BulwarkCore
import NIOCore
import PostgresNIO

/// Background jobs and queue depths on PostgreSQL: jobs are claimed with leases in one
/// statement (`FOR UPDATE SKIP LOCKED`), so several workers never take the same job.
extension PostgresStore {
    public func claimJobs(owner: String, now: Int64, lease: Int64, limit: Int) async throws -> [JobRecord] {
        try await read(
            """
            UPDATE jobs SET status = 'running', lease_owner = \(owner), lease_until = \(now + lease)
            WHERE id IN (
                SELECT id FROM jobs
                WHERE (status = 'queued' AND run_after <= \(now)) OR (status = 'running' AND lease_until < \(now))
                ORDER BY id LIMIT \(limit)
                FOR UPDATE SKIP LOCKED)
            RETURNING id, kind, ref, attempts
            """
        ).map { row in
            let (id, kind, ref, attempts) = try row.decode((Int64, String, Int64, Int64).self)
            return JobRecord(id: id, kind: kind, ref: ref, attempts: Int(attempts))
        }.sorted { $0.id < $1.id }
    }

    public func mediaIDs(itemID: Int64) async throws -> [Int64] {
        try await read("SELECT id FROM media WHERE item_id = \(itemID) AND octet_length(bytes) > 0 ORDER BY id").map { try $0.decode(Int64.self) }
    }

    public func givenMediaHashes(id: Int64) async throws -> StoredMediaHashes? {
        try await read("SELECT pdq, quality, md5, sha256, frames FROM media WHERE id = \(id)").first.map { row in
            let (pdq, quality, md5, sha256, frames) = try row.decode((String?, Int64?, String?, String?, String?).self)
            return StoredMediaHashes(
                pdq: pdq, quality: quality.map(Int.init), md5: md5, sha256: sha256, frames: try FramePDQ.parse(frames))
        }
    }

    public func mediaWithoutStoredPixelsHash(after: Int64, through: Int64, limit: Int) async throws -> [Int64] {
        try await read(
            """
            SELECT id FROM media WHERE id > \(after) AND id <= \(through) AND status = 'hashed' AND pdq IS NOT NULL
            AND stored_pdq IS NULL AND octet_length(bytes) > 0 ORDER BY id LIMIT \(Int64(limit))
            """
        ).map { try $0.decode(Int64.self) }
    }

    public func highestMediaID() async throws -> Int64 {
        try await read("SELECT MAX(id) FROM media").first.flatMap { try $0.decode(Int64?.self) } ?? 0
    }

    public func queueMediaHashing(mediaID: Int64, now: Int64) async throws -> Bool {
        try await transaction { db in
            // One at a time: two processes queueing the same part do not both find none queued.
            try await execute(db, "SELECT id FROM media WHERE id = \(mediaID) FOR UPDATE")
            let queued = try await rows(
                db,
                """
                INSERT INTO jobs (kind, ref, status, attempts, run_after) SELECT 'hash_media', \(mediaID), 'queued', 0, \(now)
                WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE kind = 'hash_media' AND ref = \(mediaID) AND status IN ('queued', 'running'))
                RETURNING id
                """)
            return !queued.isEmpty
        }
    }

    public func mediaBytes(id: Int64) async throws -> [UInt8]? {
        try await read("SELECT bytes FROM media WHERE id = \(id)").first.map { row in
            var buffer = try row.decode(ByteBuffer.self)
            return buffer.readBytes(length: buffer.readableBytes) ?? []
        }
    }

    public func completeMediaJob(jobID: Int64, mediaID: Int64, result: MediaResult, now: Int64) async throws {
        try await transaction { db in
            // Locks the job row: a second worker finishing the same job waits, then sees it done.
            let status = try await rows(db, "SELECT status FROM jobs WHERE id = \(jobID) FOR UPDATE").first?.decode(String.self)
            guard status != "done" else { return }
            try await execute(
                db,
                """
                UPDATE media SET status = 'hashed', pdq = \(result.pdq), quality = \(result.quality.map(Int64.init)), frames = \(FramePDQ.text(result.frames)),
                    stored_pdq = \(result.storedPixels?.text),
                    md5 = \(result.md5.isEmpty ? nil : result.md5), sha256 = \(result.sha256.isEmpty ? nil : result.sha256), error = \(result.error.map { String($0.prefix(500)) })
                WHERE id = \(mediaID)
                """)
            try await execute(
                db,
                "UPDATE jobs SET status = 'done', ended_at = \(now), lease_owner = NULL, lease_until = NULL WHERE id = \(jobID)")
            _ = try await recordMatch(db, mediaID: mediaID, result: result, now: now, auditAction: "media.match")
        }
    }

    public func failJob(jobID: Int64, error: String, retryAt: Int64?, now: Int64) async throws {
        let message = String(error.prefix(500))
        try await transaction { db in
            // A job another worker finished (after this one's lease expired) stays done.
            let changed = try await rows(
                db,
                """
                UPDATE jobs SET status = \(retryAt == nil ? "failed" : "queued"),
                    run_after = \(retryAt ?? now), last_error = \(message), ended_at = \(retryAt == nil ? now : nil),
                    lease_owner = NULL, lease_until = NULL
                WHERE id = \(jobID) AND status <> 'done'
                RETURNING id
                """
            ).count
            if retryAt == nil && changed == 1 {
                try await execute(
                    db,
                    "UPDATE media SET status = 'failed', error = \(message) WHERE id = (SELECT ref FROM jobs WHERE id = \(jobID) AND kind = 'hash_media')")
            }
        }
    }

    public func enqueueRetroHunt(firstEntryID: Int64, now: Int64) async throws -> Bool {
        // One statement: the check and the insert see the same snapshot (two concurrent calls
        // may both insert; a second hunt repeats work but records nothing twice).
        try await read(
            """
            INSERT INTO jobs (kind, ref, status, attempts, run_after)
            SELECT 'retro_hunt', \(firstEntryID), 'queued', 0, \(now)
            WHERE NOT EXISTS (SELECT 1 FROM jobs WHERE kind = 'retro_hunt' AND status = 'queued' AND ref <= \(firstEntryID))
            RETURNING id
            """
        ).count == 1
    }

    public func extendJobLease(jobID: Int64, owner: String, until: Int64) async throws -> Bool {
        try await read(
            """
            UPDATE jobs SET lease_until = \(until)
            WHERE id = \(jobID) AND status = 'running' AND lease_owner = \(owner)
            RETURNING id
            """
        ).count == 1
    }

    public func startJob(jobID: Int64, owner: String, until: Int64) async throws -> StartedJob? {
        // Committed without waiting for the WAL to reach the disk (`synchronous_commit` off for
        // this transaction alone): the count guards against the worker's crash, which does not
        // lose it; only PostgreSQL's own crash can, leaving the job an attempt more. A job then
        // costs one flushed commit, its completion, not two.
        try await read(
            """
            UPDATE jobs SET attempts = attempts + 1, lease_until = \(until)
            FROM (SELECT set_config('synchronous_commit', 'off', true)) AS unflushed
            WHERE id = \(jobID) AND status = 'running' AND lease_owner = \(owner)
            RETURNING (SELECT bytes FROM media WHERE media.id = jobs.ref AND jobs.kind = 'hash_media')
            """
        ).first.map { row in
            guard var buffer = try row.decode(ByteBuffer?.self) else { return StartedJob(mediaBytes: nil) }
            return StartedJob(mediaBytes: buffer.readBytes(length: buffer.readableBytes) ?? [])
        }
    }

    public func finishJob(jobID: Int64, now: Int64) async throws {
        _ = try await read(
            """
            UPDATE jobs SET status = 'done', ended_at = \(now), lease_owner = NULL, lease_until = NULL
            WHERE id = \(jobID) AND status <> 'done' RETURNING id
            """)
    }

    public func releaseJob(jobID: Int64, owner: String, started: Bool) async throws -> Bool {
        try await read(
            """
            UPDATE jobs SET status = 'queued', attempts = attempts - \(started ? 1 : 0), lease_owner = NULL, lease_until = NULL
            WHERE id = \(jobID) AND status = 'running' AND lease_owner = \(owner)
            RETURNING id
            """
        ).count == 1
    }

    public func jobs(status: String?, afterID: Int64, limit: Int) async throws -> [JobStatusRecord] {
        try await read(
            """
            SELECT id, kind, ref, status, attempts, run_after, lease_until, last_error, ended_at FROM jobs
            WHERE (\(status)::TEXT IS NULL OR status = \(status)) AND id > \(afterID) ORDER BY id LIMIT \(limit)
            """
        ).map { row in
            let (id, kind, ref, status, attempts, runAfter, leaseUntil, lastError, endedAt) = try row.decode(
                (Int64, String, Int64, String, Int64, Int64, Int64?, String?, Int64?).self)
            return JobStatusRecord(
                id: id, kind: kind, ref: ref, status: status, attempts: Int(attempts), runAfter: runAfter,
                leaseUntil: leaseUntil, lastError: lastError, endedAt: endedAt)
        }
    }

    public func retryJob(jobID: Int64, now: Int64) async throws -> String? {
        try await transaction { db in
            guard let status = try await rows(db, "SELECT status FROM jobs WHERE id = \(jobID) FOR UPDATE").first?.decode(String.self) else {
                return nil
            }
            guard status == "failed" || status == "done" else { return status }
            try await execute(
                db,
                "UPDATE jobs SET status = 'queued', attempts = 0, run_after = \(now), ended_at = NULL, lease_owner = NULL, lease_until = NULL WHERE id = \(jobID)")
            try await execute(
                db, "UPDATE media SET status = 'queued', error = NULL WHERE id = (SELECT ref FROM jobs WHERE id = \(jobID) AND kind = 'hash_media')")
            return status
        }
    }

    public func deleteDoneJobs(endedBefore cutoff: Int64, after: DoneJobPlace?, limit: Int) async throws -> DoneJobsDeleted {
        try await transaction { db in
            let rows = try await rows(
                db,
                """
                SELECT id, run_after,
                    (COALESCE(ended_at, run_after) >= \(cutoff)
                     OR kind = 'hash_media' AND EXISTS (SELECT 1 FROM media m WHERE m.id = j.ref AND m.error IS NOT NULL)) AS kept
                FROM jobs j WHERE status = 'done' AND run_after < \(cutoff)
                AND (run_after, id) > (\(after?.runAfter ?? Int64.min), \(after?.id ?? Int64.min))
                ORDER BY run_after, id LIMIT \(limit)
                """
            ).map { try $0.decode((Int64, Int64, Bool).self) }
            let ids = rows.filter { !$0.2 }.map(\.0)
            // A job done again meanwhile (`retryJob`) is no longer done: it stays.
            let deleted =
                ids.isEmpty
                ? 0
                : try await self.rows(
                    db,
                    "DELETE FROM jobs WHERE id = ANY(\(ids)) AND status = 'done' AND COALESCE(ended_at, run_after) < \(cutoff) RETURNING id"
                ).count
            return DoneJobsDeleted(examined: rows.count, deleted: deleted, last: rows.last.map { DoneJobPlace(runAfter: $0.1, id: $0.0) })
        }
    }

    public func pendingJobCount() async throws -> Int {
        Int(try await read("SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')").first?.decode(Int64.self) ?? 0)
    }

    public func depths() async throws -> QueueDepths {
        let row = try await read(
            """
            SELECT
                (SELECT COUNT(*) FROM cases WHERE status IN ('open', 'claimed', 'escalated')),
                (SELECT COUNT(*) FROM jobs WHERE status IN ('queued', 'running')),
                (SELECT COUNT(*) FROM deliveries WHERE status = 'pending'),
                (SELECT COUNT(*) FROM deliveries WHERE status = 'dead'),
                (SELECT COUNT(*) FROM jobs WHERE status = 'failed')
            """
        ).first
        guard let row else { return QueueDepths(openCases: 0, pendingJobs: 0, pendingDeliveries: 0, deadDeliveries: 0) }
        let (a, b, c, d, e) = try row.decode((Int64, Int64, Int64, Int64, Int64).self)
        return QueueDepths(
            openCases: Int(a), pendingJobs: Int(b), pendingDeliveries: Int(c), deadDeliveries: Int(d), failedJobs: Int(e))
    }
}
