public import BulwarkMedia
public import BulwarkMediaProcess
import BulwarkSemantic

/// Everything `bulwark serve` can be told, each with a documented default.
public struct ServerConfiguration: Sendable {
    public var host: String
    public var port: Int
    /// Largest request body accepted (413 beyond, naming this limit).
    public var maxBodyBytes: Int
    /// Most items in one `POST /v1/items`.
    public var maxBatchItems: Int
    /// Longest item text, in UTF-8 bytes.
    public var maxTextBytes: Int
    /// Largest media part (decoded), in bytes; and parts per item.
    public var maxMediaBytes: Int
    public var maxMediaPerItem: Int
    /// Most pixels (width × height) and longest side an image part may declare in its header:
    /// checked at ingest (413) before the part is stored, and again when it is decoded.
    public var maxMediaPixels: Int
    public var maxMediaSide: Int
    /// Most frames of an animation or a video the media job hashes, and most pixels over those
    /// frames (each frame a whole canvas): the frames past either are not hashed (a video's are
    /// taken further apart to reach its end).
    public var maxMediaFrames: Int = 100
    public var maxAnimationPixels: Int = 100_000_000
    /// Most pixels the media job decodes of one video, every frame it decodes counting (about
    /// 4.5 s of one core at the default: docs/pdq.md; an MP4's frames before a key frame it moves
    /// to are not decoded); the frames past it are not hashed.
    public var maxVideoPixelsDecoded: Int = 2_000_000_000
    /// Where the media job decodes and hashes media parts: in a child process of each worker
    /// (`bulwark media-decoder`, with its own address-space and time limits), so that a file that
    /// crashes a decoder or exhausts memory ends that process and the part gets a `decoderFailed`
    /// error; nil: in the worker's own process. `bulwark serve` and `bulwark worker` set it unless
    /// told `--decode-in-process`.
    public var mediaDecoder: MediaDecoderSettings?
    /// Whether the media job also hashes a still image that an orientation tag turns (EXIF or
    /// XMP, 2-8) as its pixels are stored, before the turn: what hashers that apply no
    /// orientation (HMA's `pdq_from_file`, the C++ `pdq-photo-hasher`) put in the banks they
    /// share, so that their hash of such a photo matches. It costs one more PDQ of each tagged
    /// still image. Turned off (`--no-stored-pixels-hash`), such a photo is matched by its hash
    /// as shown only; turned on again, the photos hashed in between are queued to be hashed
    /// again in the background (``BulwarkService/hashTurnedPhotosAgain(logger:page:queueLimit:)``).
    public var hashesStoredPixels: Bool = true
    /// How many decoder processes make the console's still images at once, with
    /// ``mediaDecoder`` (each started when first needed): a video's frame is decoded from the
    /// video's start, so one reviewer's still need not wait for another's.
    public var stillDecoders: Int = 2
    /// How many of the console's still images wait for a decoder at most, beside the one each
    /// decoder makes: a still past them is refused (503 with `Retry-After`) instead of queued, so
    /// that a page of videos asked for again and again cannot pile up requests, and their bytes,
    /// without bound.
    public var maxStillsWaiting: Int = 16
    /// With `--model full`: whole embeddings the encoder's workspaces keep, in one cache they
    /// share (`SharedEmbeddingCache`; 2 KiB each and 4 bytes a piece), so that a text routed
    /// again is not encoded again; 0 keeps none.
    public var cachedEmbeddings: Int = 4_096
    /// The most `cachedEmbeddings` may be (`SentenceEncoder.Workspace.maxCachedEmbeddings`).
    public static let maxCachedEmbeddings = SentenceEncoder.Workspace.maxCachedEmbeddings
    /// How long a claim holds a case for one reviewer.
    public var claimSeconds: Int64
    /// Requests per second per API key (token bucket; burst = 2 seconds' worth). 0: no limit.
    public var rateLimitPerKey: Double
    /// Where decisions are delivered (nil: kept in the outbox until one is configured).
    public var webhookURL: String?
    /// Webhook attempts before a delivery is dead-lettered; the delay doubles from
    /// `webhookInitialBackoff` seconds up to an hour.
    public var webhookMaxAttempts: Int
    public var webhookInitialBackoff: Int64
    /// Seconds a webhook request may take.
    public var webhookTimeout: Int64
    /// How often the delivery worker looks for work, in milliseconds.
    public var workerPollMilliseconds: Int
    /// Back-pressure: when this many background jobs are queued or running, `POST /v1/items`
    /// answers 503 with `Retry-After` until workers bring the queue below it (0: no bound).
    /// The depth is read from the store at most every 100 ms.
    public var maxQueueDepth: Int
    /// Seconds a claimed job stays with its worker before another may take it (a crashed
    /// worker's job is redone after this); a retro-hunt renews it after every page.
    public var jobLeaseSeconds: Int64
    /// Days a done job is kept after it was last queued (0: for ever), deleted by the hourly
    /// purge: one row per media part would otherwise grow the jobs table without end. A media
    /// job whose part was not decoded stays, to be done again once the decoders are mended.
    public var keepDoneJobsDays: Int = 30
    /// How often a process reads bank changes made through other processes (a shared bank log).
    public var bankPollMilliseconds: Int
    /// A process stores a snapshot of the shared banks in the database when the bank log has grown
    /// by this many events, and by a tenth, since the newest one (0: never).
    public var bankSnapshotEvery: Int
    /// For fault-injection tests only: how long the job worker holds each claimed job before
    /// working it, so a test can kill it mid-job (0 in production).
    public var jobHoldMilliseconds: Int

    public init(
        host: String = "127.0.0.1", port: Int = 8080, maxBodyBytes: Int = 8 << 20, maxBatchItems: Int = 1_000,
        maxTextBytes: Int = 65_536, maxMediaBytes: Int = 4 << 20, maxMediaPerItem: Int = 4,
        maxMediaPixels: Int = 50_000_000, maxMediaSide: Int = 32_768, claimSeconds: Int64 = 900,
        rateLimitPerKey: Double = 0, webhookURL: String? = nil, webhookMaxAttempts: Int = 10,
        webhookInitialBackoff: Int64 = 2, webhookTimeout: Int64 = 10, workerPollMilliseconds: Int = 200,
        maxQueueDepth: Int = 100_000, jobLeaseSeconds: Int64 = 60, bankPollMilliseconds: Int = 1_000,
        bankSnapshotEvery: Int = BankRegistry.standardSnapshotEvery, jobHoldMilliseconds: Int = 0
    ) {
        self.maxQueueDepth = maxQueueDepth
        self.jobLeaseSeconds = jobLeaseSeconds
        self.bankPollMilliseconds = bankPollMilliseconds
        self.bankSnapshotEvery = bankSnapshotEvery
        self.jobHoldMilliseconds = jobHoldMilliseconds
        self.host = host
        self.port = port
        self.maxBodyBytes = maxBodyBytes
        self.maxBatchItems = maxBatchItems
        self.maxTextBytes = maxTextBytes
        self.maxMediaBytes = maxMediaBytes
        self.maxMediaPerItem = maxMediaPerItem
        self.maxMediaPixels = maxMediaPixels
        self.maxMediaSide = maxMediaSide
        self.claimSeconds = claimSeconds
        self.rateLimitPerKey = rateLimitPerKey
        self.webhookURL = webhookURL
        self.webhookMaxAttempts = webhookMaxAttempts
        self.webhookInitialBackoff = webhookInitialBackoff
        self.webhookTimeout = webhookTimeout
        self.workerPollMilliseconds = workerPollMilliseconds
    }

    /// The decoder's limits for media parts.
    public var imageLimits: ImageLimits {
        ImageLimits(
            maxBytes: maxMediaBytes, maxPixels: maxMediaPixels, maxDimension: maxMediaSide, maxFrames: maxMediaFrames,
            maxAnimationPixels: maxAnimationPixels, maxVideoPixelsDecoded: maxVideoPixelsDecoded)
    }
}
