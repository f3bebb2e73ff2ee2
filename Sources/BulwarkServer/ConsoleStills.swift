import BulwarkMedia
import BulwarkMediaProcess
import Dispatch
import Synchronization

/// The console's still images (``StillImage/display(_:frame:decoder:)``): made by up to
/// ``ServerConfiguration/stillDecoders`` decoder processes at once, each started when first
/// needed (or as many threads of this process, when media is not decoded apart), at most
/// ``ServerConfiguration/maxStillsWaiting`` more waiting for one, and the last ones shown kept,
/// since showing a video's frame means decoding the video from its start up to it, on every view.
final class ConsoleStills: Sendable {
    /// Kept stills, at most: the PNGs' bytes, and how many.
    static let keptBytes = 32 << 20
    static let keptCount = 256

    /// A still refused because ``ServerConfiguration/maxStillsWaiting`` others wait already.
    struct Busy: Error {
        /// Stills being made or waiting when it was refused.
        var inHand: Int
    }

    /// Where a still is made: a decoder process, or a serial queue of this process's own.
    private enum Lane: Sendable {
        case process(MediaDecoderProcess)
        case thread(DispatchQueue)
    }

    private let lanes: [Lane]
    private let inHand: Mutex<StillLanes>
    private let limits: ImageLimits
    private let kept = Mutex(KeptStills())

    init(configuration: ServerConfiguration) {
        limits = configuration.imageLimits
        let count = max(1, configuration.stillDecoders)
        lanes = (0..<count).map { n in
            if let settings = configuration.mediaDecoder {
                .process(MediaDecoderProcess(settings: settings, limits: configuration.imageLimits))
            } else {
                .thread(DispatchQueue(label: "console-still-\(n)"))
            }
        }
        inHand = Mutex(StillLanes(lanes: count, maxWaiting: configuration.maxStillsWaiting))
    }

    /// Stills being made or waiting now.
    var stillsInHand: Int { inHand.withLock(\.total) }

    /// The decoder processes' ids, of those running.
    var pids: [Int32] {
        lanes.compactMap { lane in
            if case .process(let decoder) = lane { decoder.pid } else { nil }
        }
    }

    /// How the console shows frame `frame` of media part `mediaID`, whose bytes are `bytes`;
    /// ``Busy`` when it is not kept and ``ServerConfiguration/maxStillsWaiting`` others wait.
    func display(mediaID: Int64, bytes: [UInt8], frame: Int) async throws(Busy) -> StillImage.Display {
        let key = KeptStills.Key(mediaID: mediaID, frame: frame)
        if let known = kept.withLock({ $0.take(key) }) { return known }
        let taken = inHand.withLock { $0.take() }
        guard let lane = taken else { throw Busy(inHand: inHand.withLock(\.total)) }
        let display: StillImage.Display
        switch lanes[lane] {
        case .process(let decoder):
            display = await decoder.awaitStill(bytes, frame: frame)
        case .thread(let queue):
            let limits = StillImage.limits(self.limits)
            display = await withCheckedContinuation { done in
                queue.async { done.resume(returning: StillImage.display(bytes, frame: frame, decoder: ImageDecoder(limits: limits))) }
            }
        }
        inHand.withLock { $0.give(lane) }
        // A still that was not shown is not kept: its reason may pass (a decoder's time limit).
        if case .notShown = display { return display }
        kept.withLock { $0.keep(display, for: key) }
        return display
    }
}

/// How many stills each lane (a decoder process or a thread) has in hand, the one it makes and
/// those waiting for it; a new still goes to the lane with the fewest, or is refused when
/// `maxWaiting` wait already.
struct StillLanes {
    private(set) var counts: [Int]
    let maxWaiting: Int

    init(lanes: Int, maxWaiting: Int) {
        counts = [Int](repeating: 0, count: max(1, lanes))
        self.maxWaiting = max(0, maxWaiting)
    }

    /// Stills being made or waiting.
    var total: Int { counts.reduce(0, +) }
    /// Stills waiting: beyond the one each lane makes.
    var waiting: Int { counts.reduce(0) { $0 + max(0, $1 - 1) } }

    /// The lane the next still goes to, counted in; nil when it would wait past `maxWaiting`.
    mutating func take() -> Int? {
        guard let lane = counts.indices.min(by: { counts[$0] < counts[$1] }) else { return nil }
        if counts[lane] > 0 && waiting >= maxWaiting { return nil }
        counts[lane] += 1
        return lane
    }

    /// A still of `lane` made.
    mutating func give(_ lane: Int) {
        counts[lane] = max(0, counts[lane] - 1)
    }
}

/// The last stills shown, up to ``ConsoleStills/keptBytes`` and ``ConsoleStills/keptCount``;
/// the one shown longest ago goes first. A part's bytes never change (a purged part has none,
/// and the console reads them before it asks for a still), so a kept still stays true.
struct KeptStills {
    struct Key: Hashable {
        var mediaID: Int64
        var frame: Int
    }

    private var stills: [Key: (display: StillImage.Display, bytes: Int, used: UInt64)] = [:]
    private var clock: UInt64 = 0
    private(set) var bytes = 0

    var count: Int { stills.count }

    mutating func take(_ key: Key) -> StillImage.Display? {
        guard let still = stills[key] else { return nil }
        clock += 1
        stills[key]?.used = clock
        return still.display
    }

    mutating func keep(_ display: StillImage.Display, for key: Key) {
        let size: Int
        switch display {
        case .png(let png): size = png.count
        case .asIs, .notShown: size = 0
        }
        guard size <= ConsoleStills.keptBytes, stills[key] == nil else { return }
        while !stills.isEmpty && (bytes + size > ConsoleStills.keptBytes || stills.count >= ConsoleStills.keptCount) {
            // A linear pass over at most 256: nothing beside a decoding.
            guard let oldest = stills.min(by: { $0.value.used < $1.value.used }) else { break }
            bytes -= oldest.value.bytes
            stills[oldest.key] = nil
        }
        clock += 1
        stills[key] = (display, size, clock)
        bytes += size
    }
}
