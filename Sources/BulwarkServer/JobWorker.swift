import BulwarkBanks
import BulwarkCore
import BulwarkMedia
import BulwarkMediaProcess
import BulwarkStore
import Foundation
public import Logging
public import ServiceLifecycle

/// The background jobs: hashing each media part (PDQ, MD5, SHA-256) and matching it against
/// the banks, opening or raising the item's case on a match; and retro-hunts, which match
/// stored media against bank entries added later. Jobs are claimed with leases, so a crashed or
/// restarted process's jobs are taken up again when their lease expires, and finishing one is
/// idempotent (a retro-hunt done twice records each match once). An attempt counts when it
/// starts: a media part whose attempts all ended their worker (a file that crashes a decoder in
/// the process, say) is abandoned after ``maxAttempts`` rather than taken up forever, and such a
/// retro-hunt failed.
public struct JobWorker: Service, CustomStringConvertible {
    /// How service-lifecycle names it in logs (not the whole service with its engine).
    public var description: String { "JobWorker(\(owner))" }
    let service: BulwarkService
    let owner = "jobs-\(UUID().uuidString.prefix(8))"
    let logger: Logger
    /// Attempts started before a job is failed (or a media job, started and never ended, abandoned).
    static let maxAttempts = 5
    /// Jobs claimed in one round.
    static let batch = 16

    /// The child process media is decoded in, when the configuration says so (its own per
    /// worker: one file at a time, as the worker hashes them).
    let decoderProcess: MediaDecoderProcess?

    public init(service: BulwarkService, logger: Logger) {
        self.service = service
        self.logger = logger
        decoderProcess = service.configuration.mediaDecoder.map {
            MediaDecoderProcess(settings: $0, limits: service.configuration.imageLimits)
        }
    }

    var lease: Int64 { max(1, service.configuration.jobLeaseSeconds) }

    /// Works until graceful shutdown: then it claims nothing more, finishes the job in hand,
    /// puts the rest of its batch back in the queue (a retro-hunt in progress is handed back
    /// after its current page) and returns.
    public func run() async throws {
        let poll = UInt64(max(10, service.configuration.workerPollMilliseconds)) * 1_000_000
        var scratch = PDQScratch()
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let worked: Int
            do {
                worked = try await workOnce(scratch: &scratch)
            } catch {
                logger.warning("job round failed", metadata: ["error": "\(error)"])
                worked = 0
            }
            if worked == 0 { await pause(nanoseconds: poll) }
        }
        decoderProcess?.stop()
    }

    /// One round: returns how many jobs were taken.
    func workOnce(scratch: inout PDQScratch) async throws -> Int {
        let jobs = try await service.store.claimJobs(owner: owner, now: service.clock(), lease: lease, limit: Self.batch)
        for (n, job) in jobs.enumerated() {
            // The first job of a batch is in hand from its claim: a shutdown that comes between
            // the claim and its start still lets it finish (the rest go back), so that what a
            // claim means does not depend on how soon this task runs after it.
            if n > 0 && (Task.isShuttingDownGracefully || Task.isCancelled) {
                try await release(jobs[n...], started: false)
                break
            }
            // Every attempt at this job was started and none ended: each time, the process
            // stopped (a crash, a kill) or the lease ran out.
            if job.attempts >= Self.maxAttempts {
                logger.error(
                    "job started \(job.attempts) times and never ended",
                    metadata: ["job.id": "\(job.id)", "job.kind": "\(job.kind)", "job.ref": "\(job.ref)"])
                // A media part would likely end this process too: it is not decoded again. A
                // retro-hunt reads only stored hashes (no uploaded file), so its fault is the
                // service's: it is failed, counted in `bulwark_failed_jobs` and listed on the
                // Jobs page, to be done again (`POST /v1/jobs/{id}/retry`) once that is mended,
                // rather than end every worker that takes it up.
                if job.kind == JobKind.hashMedia {
                    try await abandonMedia(job)
                } else {
                    try await service.store.failJob(
                        jobID: job.id, error: "\(neverEnded(job)); do it again with POST /v1/jobs/\(job.id)/retry once the cause is mended",
                        retryAt: nil, now: service.clock())
                }
                continue
            }
            guard let started = try await service.store.startJob(jobID: job.id, owner: owner, until: service.clock() + lease) else { continue }
            if service.configuration.jobHoldMilliseconds > 0 {
                try? await Task.sleep(nanoseconds: UInt64(service.configuration.jobHoldMilliseconds) * 1_000_000)
            }
            switch job.kind {
            case JobKind.hashMedia: try await hashMedia(job, bytes: started.mediaBytes, scratch: &scratch)
            case JobKind.retroHunt: try await retroHunt(job)
            default:
                try await service.store.failJob(jobID: job.id, error: "unknown job kind \(job.kind)", retryAt: nil, now: service.clock())
            }
        }
        return jobs.count
    }

    /// The bank match of a part the platform hashed itself.
    func match(_ given: StoredMediaHashes) -> MediaResult {
        var result = given.unmatched
        guard let banks = service.banks else { return result }
        Self.record(banks.match(given.matchable), in: &result)
        return result
    }

    /// Puts claimed jobs back in the queue for another worker.
    private func release(_ jobs: ArraySlice<JobRecord>, started: Bool) async throws {
        for job in jobs { _ = try await service.store.releaseJob(jobID: job.id, owner: owner, started: started) }
        logger.info("jobs released at shutdown", metadata: ["jobs.released": "\(jobs.count)"])
    }

    /// Ends a media job whose every attempt ended its worker, without decoding the part again:
    /// it is recorded as not decoded and matched by its MD5 and SHA-256 alone (what a file that
    /// crashes a decoder process gets).
    private func abandonMedia(_ job: JobRecord) async throws {
        let reason = neverEnded(job)
        guard let bytes = try await service.store.mediaBytes(id: job.ref), !bytes.isEmpty else {
            try await service.store.failJob(jobID: job.id, error: reason, retryAt: nil, now: service.clock())
            return
        }
        var scratch = PDQScratch()
        let result = await hash(bytes, scratch: &scratch, notDecodedBecause: "notDecoded: hashing this part was \(reason); it is matched by its MD5 and SHA-256 only")
        try await service.store.completeMediaJob(jobID: job.id, mediaID: job.ref, result: result, now: service.clock())
        service.metrics.mediaJob("abandoned")
    }

    /// Why a job whose every attempt ended its worker is not tried again.
    private func neverEnded(_ job: JobRecord) -> String {
        "started \(job.attempts) times and never ended: each time, the process working on it stopped or its \(lease) s lease ran out"
    }

    private func hashMedia(_ job: JobRecord, bytes: [UInt8]?, scratch: inout PDQScratch) async throws {
        guard let bytes else {
            try await service.store.failJob(jobID: job.id, error: "media \(job.ref) is gone", retryAt: nil, now: service.clock())
            return
        }
        do {
            // A part sent as hashes only has no bytes: its given hashes are matched.
            let result: MediaResult
            if bytes.isEmpty, let given = try await service.store.givenMediaHashes(id: job.ref) {
                result = match(given)
            } else {
                result = await hash(bytes, scratch: &scratch)
            }
            try await service.store.completeMediaJob(jobID: job.id, mediaID: job.ref, result: result, now: service.clock())
            // "bad_image": not an image Bulwark decodes, matched by its exact hashes only.
            service.metrics.mediaJob(result.matchDecision != nil ? "matched" : result.pdq == nil ? "bad_image" : "hashed")
        } catch {
            try await retryLater(job, error)
            logger.warning("media job failed", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
        }
    }

    private func retroHunt(_ job: JobRecord) async throws {
        do {
            let completed = try await service.retroHunt(fromEntryID: UInt64(max(0, job.ref)), logger: logger) {
                // At shutdown the hunt stops after this page and is handed back (it records nothing twice).
                guard !Task.isShuttingDownGracefully && !Task.isCancelled else { return false }
                return try await service.store.extendJobLease(jobID: job.id, owner: owner, until: service.clock() + lease)
            }
            // A lost lease means another worker has the hunt now: leave the job to it.
            if completed {
                try await service.store.finishJob(jobID: job.id, now: service.clock())
            } else if Task.isShuttingDownGracefully || Task.isCancelled {
                try await release([job], started: true)
            }
        } catch {
            try await retryLater(job, error)
            logger.warning("retro-hunt failed", metadata: ["job.id": "\(job.id)", "error": "\(error)"])
        }
    }

    private func retryLater(_ job: JobRecord, _ error: any Error) async throws {
        let retry = job.attempts + 1 < Self.maxAttempts ? service.clock() + Int64(1 << min(job.attempts, 10)) : nil
        try await service.store.failJob(jobID: job.id, error: "\(error)", retryAt: retry, now: service.clock())
    }

    /// A part's hashes and bank match. MD5 and SHA-256 are taken of every part; PDQ of the
    /// images and videos Bulwark decodes: a still image's, and an animation's or a video's first
    /// frame's with those of its later frames that show another picture (within the image limits'
    /// frames and pixels; a video's frames a second or more apart). A still image that its
    /// orientation metadata turned is matched by its hash as shown and by its pixels' as stored,
    /// which hashers that apply no orientation give (HMA's among them), unless
    /// ``ServerConfiguration/hashesStoredPixels`` is off. A part Bulwark does not
    /// decode (another format, a damaged file) is still matched by its exact hashes, which is how
    /// hash-sharing lists name videos, and keeps the decoder's reason.
    /// `notDecodedBecause`: the part is not decoded, for that reason.
    func hash(_ bytes: [UInt8], scratch: inout PDQScratch, notDecodedBecause reason: String? = nil) async -> MediaResult {
        let md5 = MD5.hex(bytes)
        let sha256 = SHA256.hex(bytes)
        var result = MediaResult(pdq: nil, quality: nil, md5: md5, sha256: sha256, error: reason)
        var hashes = MediaHashes(md5: md5, sha256: sha256)
        if reason == nil {
            do {
                let hashed = try await decode(bytes, scratch: &scratch)
                hashes.pdq = hashed.first.hash
                hashes.pdqQuality = hashed.first.quality
                hashes.frames = hashed.laterFrames
                hashes.storedPixels = hashed.storedPixels
                result.pdq = hashed.first.hash.hex
                result.quality = hashed.first.quality
                result.frames = hashed.laterFrames
                result.storedPixels = hashed.storedPixels
            } catch {
                result.error = "\(error)"
            }
        }
        guard let banks = service.banks else { return result }
        Self.record(banks.match(hashes), in: &result)
        return result
    }

    /// A part's PDQ hashes, decoded in the decoder process when there is one.
    private func decode(_ bytes: [UInt8], scratch: inout PDQScratch) async throws -> HashedMedia {
        let storedPixels = service.configuration.hashesStoredPixels
        if let decoderProcess { return try await decoderProcess.awaitHash(bytes, storedPixels: storedPixels).get() }
        let decoder = ImageDecoder(limits: service.configuration.imageLimits)
        return try HashedMedia(hashing: bytes, decoder: decoder, scratch: &scratch, storedPixels: storedPixels)
    }

    /// Puts a bank match's decision, category, case priority and evidence into `result` (nothing
    /// when the banks' decision is `none`): the nearest block match that stands, with the frame
    /// of an animation it matched, or `"stored_pixels": true` and the orientation when it was a
    /// turned still image's hash as stored that matched, or for a vPDQ entry `"video"`: the
    /// frames of each found in the other (``VideoMatch/json``).
    static func record(_ outcome: MatchOutcome, in result: inout MediaResult) {
        guard outcome.decision != .none, let best = outcome.standingBlockMatches.first else { return }
        let category = best.labels.lazy.compactMap { label -> Category? in
            label.hasPrefix("category:") ? Category(rawValue: String(label.dropFirst("category:".count))) : nil
        }.first
        result.matchDecision = outcome.decision
        result.matchCategory = category
        result.matchPriority = ReviewPriority.base(
            score: outcome.decision == .violating ? 1 : 0.7, category: category ?? .dissemination, reach: 0, userReports: 0,
            trustedReports: 0)
        var evidence = Array("{\"bank\":".utf8)
        appendJSONString(best.bank.name, to: &evidence)
        evidence += Array(",\"entry\":\(best.entry.id),\"type\":\"\(best.entry.signal.type.rawValue)\",\"distance\":\(best.distance)".utf8)
        if let frame = best.frame {
            evidence += Array(",\"frame\":\(frame)".utf8)
            // A video's frame: the time it was taken at too.
            if let second = FramePDQ.second(ofFrame: frame, in: result.frames) {
                evidence += Array(",\"second\":\(second)".utf8)
            }
        }
        if best.storedPixels, let stored = result.storedPixels {
            evidence += Array(",\"stored_pixels\":true,\"orientation\":\(stored.orientation)".utf8)
        }
        // A vPDQ entry: how much of the video and of the banked one were found in each other.
        if let video = best.video { evidence += Array(",\"video\":\(video.json)".utf8) }
        evidence.append(UInt8(ascii: "}"))
        result.matchEvidence = String(decoding: evidence, as: UTF8.self)
    }
}

extension StoredMediaHashes {
    /// The hashes as the banks match them: PDQ where the part has one (with its quality, and a
    /// turned still image's hash as stored), MD5 and SHA-256 for any part.
    var matchable: MediaHashes {
        let hash = pdq.flatMap { PDQHash(hex: $0) }
        return MediaHashes(
            pdq: hash, pdqQuality: hash == nil ? nil : quality, storedPixels: hash == nil ? nil : storedPixels,
            frames: hash == nil ? [] : frames, md5: md5, sha256: sha256)
    }

    /// The media job's result with these hashes and no match yet.
    var unmatched: MediaResult {
        var result = MediaResult(pdq: pdq, quality: quality, md5: md5 ?? "", sha256: sha256 ?? "")
        result.frames = frames
        result.storedPixels = storedPixels
        return result
    }
}

/// Sleeps for up to `nanoseconds`, waking at once on graceful shutdown or cancellation.
func pause(nanoseconds: UInt64) async {
    guard !Task.isShuttingDownGracefully else { return }
    try? await cancelWhenGracefulShutdown { try await Task.sleep(nanoseconds: nanoseconds) }
}
