import BulwarkMedia
import BulwarkMediaProcess
import Synchronization

/// The console's still images (``StillImage/display(_:frame:decoder:)``): made by up to
/// ``ServerConfiguration/stillDecoders`` decoder processes at once, each started when first
/// needed (or in this process, off Swift's cooperative pool, when media is not decoded apart),
/// and the last ones shown kept, since showing a video's frame means decoding the video from
/// its start up to it, on every view.
final class ConsoleStills: Sendable {
    /// Kept stills, at most: the PNGs' bytes, and how many.
    static let keptBytes = 32 << 20
    static let keptCount = 256

    private let decoders: [MediaDecoderProcess]
    /// How many stills each decoder has in hand or waiting.
    private let waiting: Mutex<[Int]>
    private let limits: ImageLimits
    private let kept = Mutex(KeptStills())

    init(configuration: ServerConfiguration) {
        limits = configuration.imageLimits
        let count = configuration.mediaDecoder == nil ? 0 : max(1, configuration.stillDecoders)
        decoders = configuration.mediaDecoder.map { settings in
            (0..<count).map { _ in MediaDecoderProcess(settings: settings, limits: configuration.imageLimits) }
        } ?? []
        waiting = Mutex([Int](repeating: 0, count: count))
    }

    /// The decoder processes' ids, of those running.
    var pids: [Int32] { decoders.compactMap(\.pid) }

    /// How the console shows frame `frame` of media part `mediaID`, whose bytes are `bytes`.
    func display(mediaID: Int64, bytes: [UInt8], frame: Int) async -> StillImage.Display {
        let key = KeptStills.Key(mediaID: mediaID, frame: frame)
        if let known = kept.withLock({ $0.take(key) }) { return known }
        let display: StillImage.Display
        if decoders.isEmpty {
            let limits = StillImage.limits(self.limits)
            display = await DedicatedThread.run("console-still") {
                StillImage.display(bytes, frame: frame, decoder: ImageDecoder(limits: limits))
            }
        } else {
            // The decoder with the fewest stills in hand or waiting.
            let chosen = waiting.withLock { counts in
                let n = counts.indices.min { counts[$0] < counts[$1] } ?? 0
                counts[n] += 1
                return n
            }
            display = await decoders[chosen].awaitStill(bytes, frame: frame)
            waiting.withLock { $0[chosen] -= 1 }
        }
        // A still that was not shown is not kept: its reason may pass (a decoder's time limit).
        if case .notShown = display { return display }
        kept.withLock { $0.keep(display, for: key) }
        return display
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
