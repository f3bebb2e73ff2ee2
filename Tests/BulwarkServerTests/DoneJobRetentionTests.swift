import BulwarkCore
import BulwarkStore
import BulwarkTestSupport
import Foundation
import HTTPTypes
import Hummingbird
import HummingbirdTesting
import NIOCore
import Testing

@testable import BulwarkServer

extension ScaleOutTests {
    /// A done job is deleted by the hourly purge once it was last queued more than
    /// `keepDoneJobsDays` ago, in batches; a media job whose part was not decoded stays (it may
    /// be done again once the decoders are mended), and so do failed, queued and recent jobs.
    @Test(arguments: Backend.allCases)
    func doneJobsGoAfterTheirDaysButAPartNotDecodedKeepsItsJob(_ backend: Backend) async throws {
        try await withTestStore(backend, "donejobs") { t in try await doneJobs(t) }
    }

    func doneJobs(_ t: TestStore) async throws {
        let store = t.store
        let key = try await key(store, .ingest)
        let image = try ServerFixtures.bytes("../shared/data/pdq/misc-images/wee.jpg")
        let day: Int64 = 86_400
        var config = ServerConfiguration(port: 0, maxBodyBytes: 1 << 20, maxMediaBytes: 1 << 20, workerPollMilliseconds: 20)
        config.mediaDecoder = nil
        let clock = TestClock(1_000)
        let service = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: config, clock: { clock.time })
        let headers: HTTPFields = [.authorization: "Bearer \(key)", .contentType: "application/json"]
        func ingest(_ parts: [(String, [UInt8])]) async throws {
            try await service.application(logger: Self.logger, background: false).test(.router) { client in
                for (id, bytes) in parts {
                    let body = #"{"id":"\#(id)","text":"a picture","media":[{"data":"\#(Data(bytes).base64EncodedString())"}]}"#
                    let r = try await client.execute(uri: "/v1/items", method: .post, headers: headers, body: ByteBuffer(string: body))
                    #expect(r.status == .ok)
                }
            }
            try await running([JobWorker(service: service, logger: Self.logger)]) { try await waitForJobs(store) }
        }
        // Day 0: two images, one of them bytes no decoder reads; a retro-hunt done, one failed.
        try await ingest([("one", image), ("two", image + [0]), ("broken", Array("not an image at all".utf8))])
        #expect(try await store.enqueueRetroHunt(firstEntryID: 1, now: 1_000))
        try await running([JobWorker(service: service, logger: Self.logger)]) { try await waitForJobs(store) }
        #expect(try await store.enqueueRetroHunt(firstEntryID: 2, now: 1_000))
        let hunt = try #require(try await store.claimJobs(owner: "w", now: 1_000, lease: 60, limit: 10).first)
        #expect(try await store.startJob(jobID: hunt.id, owner: "w", until: 1_060) != nil)
        try await store.failJob(jobID: hunt.id, error: "out of memory", retryAt: nil, now: 1_001)
        // Day 20: another image.
        clock.set(1_000 + 20 * day)
        try await ingest([("recent", image + [0, 0])])
        #expect(try await t.integer("SELECT COUNT(*) FROM jobs WHERE status = 'done'") == 5)
        let brokenJob = try await t.integer(
            "SELECT j.id FROM jobs j JOIN media m ON m.id = j.ref WHERE j.kind = 'hash_media' AND m.error IS NOT NULL")
        #expect(brokenJob > 0)

        // Day 30 and a second: the four done jobs of day 0 are past their 30 days, three may go;
        // a step looks at no more than its limit.
        clock.set(1_001 + 30 * day)
        let cutoff = clock.time - 30 * day
        let first = try await store.deleteDoneJobs(endedBefore: cutoff, after: nil, limit: 1)
        #expect(first.examined == 1 && first.deleted == 1)
        // Two more looked at from there, one of them kept: the part not decoded.
        let second = try await store.deleteDoneJobs(endedBefore: cutoff, after: first.last, limit: 2)
        #expect(second.examined == 2 && second.deleted == 1, "\(second)")
        #expect(try await t.integer("SELECT COUNT(*) FROM jobs") == 4)
        // Kept for ever: nothing goes.
        var forEver = config
        forEver.keepDoneJobsDays = 0
        let keeping = BulwarkService(store: store, engine: try ServerFixtures.engine.get(), configuration: forEver, clock: { clock.time })
        #expect(try await keeping.deleteOldDoneJobs() == 0)
        // The hourly purge (at its start) deletes the last one, passing over the kept one again.
        try await running([PreservationPurger(service: service, logger: Self.logger)]) {
            for _ in 0..<200 where try await t.integer("SELECT COUNT(*) FROM jobs") > 3 {
                try await Task.sleep(nanoseconds: 20_000_000)
            }
        }
        #expect(try await t.integer("SELECT COUNT(*) FROM jobs") == 3)
        // Left: the job of the part not decoded, the failed hunt and the recent part's job;
        #expect(try await t.integer("SELECT COUNT(*) FROM jobs WHERE id = \(brokenJob) AND status = 'done'") == 1)
        #expect(try await t.integer("SELECT COUNT(*) FROM jobs WHERE id = \(hunt.id) AND status = 'failed'") == 1)
        #expect(try await t.integer("SELECT COUNT(*) FROM jobs WHERE status = 'done' AND run_after = \(1_000 + 20 * day)") == 1)
        // none of day 0 that was done and decoded.
        #expect(try await t.integer("SELECT COUNT(*) FROM jobs WHERE kind = 'retro_hunt' AND status = 'done'") == 0)
        #expect(try await service.deleteOldDoneJobs() == 0)
        // The part not decoded can still be done again.
        #expect(try await store.retryJob(jobID: Int64(brokenJob), now: clock.time) == "done")
        // The items and their parts are not touched.
        #expect(try await t.integer("SELECT COUNT(*) FROM media WHERE md5 IS NOT NULL") == 4)
    }

    /// A done job is deleted by when it ended, not when it was last queued: a retro-hunt queued
    /// on day 0 that waited in a backlog and ended on day 25 is kept on day 30 and goes after
    /// day 55. The end time is listed for a done or failed job, and not for one queued, or queued
    /// again.
    @Test(arguments: Backend.allCases)
    func aDoneJobIsKeptThirtyDaysFromWhenItEnded(_ backend: Backend) async throws {
        try await withTestStore(backend, "jobended") { t in
            let store = t.store
            let day: Int64 = 86_400
            #expect(try await store.enqueueRetroHunt(firstEntryID: 1, now: 1_000))
            let hunt = try #require(try await store.claimJobs(owner: "w", now: 1_000 + 25 * day, lease: 60, limit: 10).first)
            #expect(try await store.startJob(jobID: hunt.id, owner: "w", until: 1_060 + 25 * day) != nil)
            try await store.finishJob(jobID: hunt.id, now: 1_000 + 25 * day)
            #expect(try await store.enqueueRetroHunt(firstEntryID: 2, now: 1_000))
            let failing = try #require(try await store.claimJobs(owner: "w", now: 1_000, lease: 60, limit: 10).first)
            try await store.failJob(jobID: failing.id, error: "gave up", retryAt: nil, now: 1_500)
            #expect(try await store.enqueueRetroHunt(firstEntryID: 3, now: 1_000 + 26 * day))
            let listed = Dictionary(uniqueKeysWithValues: try await store.jobs(status: nil, afterID: 0, limit: 10).map { ($0.id, $0) })
            #expect(listed[hunt.id]?.status == "done" && listed[hunt.id]?.endedAt == 1_000 + 25 * day)
            #expect(listed[failing.id]?.status == "failed" && listed[failing.id]?.endedAt == 1_500)
            #expect(listed.values.filter { $0.status == "queued" }.map(\.endedAt) == [nil])

            let onDay30 = try await store.deleteDoneJobs(endedBefore: 1_001 + 30 * day - 30 * day, after: nil, limit: 10)
            #expect(onDay30.examined == 1 && onDay30.deleted == 0, "\(onDay30)")
            let onDay55 = try await store.deleteDoneJobs(endedBefore: 1_001 + 55 * day - 30 * day, after: nil, limit: 10)
            #expect(onDay55.examined == 1 && onDay55.deleted == 1, "\(onDay55)")
            #expect(try await t.integer("SELECT COUNT(*) FROM jobs WHERE id = \(hunt.id)") == 0)
            // Done again, a failed job has no end time until it ends again.
            #expect(try await store.retryJob(jobID: failing.id, now: 2_000) == "failed")
            #expect(try await store.jobs(status: "queued", afterID: 0, limit: 10).allSatisfy { $0.endedAt == nil })
        }
    }
}
