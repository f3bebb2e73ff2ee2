import ArgumentParser
import Dispatch
import BulwarkCascade
import BulwarkCore
import BulwarkSemantic
import BulwarkText

struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Scan JSON Lines items and write one verdict line per item, in input order.",
        discussion: """
            Streams: memory does not grow with the input. A malformed line is reported on stderr \
            with its line number and skipped (with --strict the run fails instead). Lines longer \
            than --max-line-bytes are malformed. A summary goes to stderr at the end.
            """
    )

    @Argument(help: "Input file (JSON Lines). Standard input when omitted or '-'.")
    var input: String?

    @Option(name: .shortAndLong, help: "Output file. Standard output when omitted or '-'.")
    var out: String?

    @Flag(help: "Fail on the first malformed line instead of skipping it.")
    var strict = false

    @Option(help: "Longest input line accepted, in bytes.")
    var maxLineBytes = 1 << 20

    @Flag(inversion: .prefixedNo, help: "Show a progress line on a terminal.")
    var progress = true

    @OptionGroup var engineOptions: EngineOptions

    @Option(help: "Threads that scan (output order is kept). Figures in the README are for one.")
    var threads = 1

    /// Lines read and scanned together; memory stays bounded by one batch.
    static let batchLines = 2_048

    func validate() throws {
        guard (1...64).contains(threads) else { throw ValidationError("--threads takes 1 to 64") }
    }

    /// What became of one input line.
    enum Outcome {
        case blank
        case verdict(Verdict)
        case malformed(BulwarkError)
    }

    func run() throws {
        let engine = try engineOptions.loadCascade()
        var reader = try LineReader(path: input, maxLineBytes: maxLineBytes)
        defer { reader.close() }
        var writer = try OutputWriter(path: out)
        defer { writer.close() }
        let decoder = TextItemDecoder(limits: JSONLinesLimits(maxLineBytes: maxLineBytes))
        let encoder = VerdictEncoder()
        var summary = ScanSummary()
        let showProgress = progress && isTerminal(2)
        let total = reader.fileSize
        let clock = ContinuousClock()
        let started = clock.now
        var lastProgress = started
        var makeScratch: (@Sendable () -> CascadeScratch)?
        if threads > 1 && engine.semantic != nil {
            // The threads share their whole embeddings, so a text any of them encoded is found by
            // all (a kept embedding has the same bits as one computed, so the output does not
            // depend on which thread got there first).
            let shared = SharedEmbeddingCache(capacity: threads * SentenceEncoder.Workspace.standardCachedEmbeddings)
            makeScratch = { engine.makeScratch(cachedPieces: SentenceEncoder.Workspace.standardCachedPieces, sharedEmbeddings: shared) }
        }
        let scanner = BatchScanner(
            engine: engine, decoder: decoder, maxLineBytes: maxLineBytes, threads: threads, makeScratch: makeScratch)
        var batch: [LineReader.Line] = []
        batch.reserveCapacity(Self.batchLines)
        var firstLine = 1
        var done = false
        while !done {
            batch.removeAll(keepingCapacity: true)
            firstLine = reader.lineNumber + 1
            while batch.count < Self.batchLines, let line = try reader.next() { batch.append(line) }
            if batch.count < Self.batchLines { done = true }
            if batch.isEmpty { break }
            let outcomes = scanner.scan(batch)
            for (i, outcome) in outcomes.enumerated() {
                switch outcome {
                case .blank:
                    continue
                case .malformed(let error):
                    let lineNumber = firstLine + i
                    let placed = error.at(line: lineNumber)
                    summary.malformed += 1
                    if strict {
                        try writer.flush()
                        throw CommandFailure("line \(lineNumber): \(placed); stopping (--strict)")
                    }
                    writeStderr("bulwark scan: line \(lineNumber): \(placed); skipped\n")
                case .verdict(let verdict):
                    summary.add(verdict)
                    encoder.encode(verdict, into: &writer.buffer)
                    try writer.flushIfNeeded()
                }
            }
            if showProgress {
                let now = clock.now
                if now - lastProgress > .milliseconds(250) {
                    lastProgress = now
                    writeStderr("\r" + summary.progressLine(elapsed: now - started, bytes: reader.bytesRead, total: total))
                }
            }
        }
        try writer.flush()
        if showProgress { writeStderr("\r\u{1B}[K") }
        writeStderr(summary.report(elapsed: clock.now - started))
        if engine.semantic != nil {
            let kept = scanner.keptScratches
            let encoded = kept.reduce(0) { $0 + $1.encoded }
            let lookups = kept.reduce(0) { $0 + $1.pieceLookups }
            let hits = kept.reduce(0) { $0 + $1.pieceHits }
            let sentences = kept.reduce(0) { $0 + $1.embeddingLookups }
            let sentencesKept = kept.reduce(0) { $0 + $1.embeddingHits }
            let routes = kept.reduce(into: [Int](repeating: 0, count: EncoderRoute.allCases.count)) { sum, scratch in
                for (r, n) in scratch.routes.enumerated() { sum[r] += n }
            }
            let why = encoded > 0 ? " (\(EncoderRoute.summary(routes)))" : ""
            writeStderr(
                "bulwark scan: encoder: \(encoded) items\(why), of which \(sentencesKept) found their embedding kept and \(sentences - sentencesKept) computed; tokens \(lookups), of which \(hits) found their piece kept and \(lookups - hits) computed\n")
        }
    }
}

/// Decodes and scans a batch of lines, on one thread or several; outcomes keep the input order.
struct BatchScanner<Engine: VerdictEngine>: Sendable {
    let engine: Engine
    let decoder: TextItemDecoder
    let maxLineBytes: Int
    let threads: Int
    /// One scratch space per share of a batch, kept from batch to batch for the whole run: with
    /// `--model full` its encoder workspace keeps the pieces it has computed (`PieceCache`),
    /// which a fresh scratch space per batch would start again without.
    private let scratches: ScratchShelf<Engine.Scratch>
    /// Makes a share's scratch space the first time it scans.
    private let makeScratch: @Sendable () -> Engine.Scratch

    /// `makeScratch` makes each share's scratch space (by default the engine's own).
    init(
        engine: Engine, decoder: TextItemDecoder, maxLineBytes: Int, threads: Int,
        makeScratch: (@Sendable () -> Engine.Scratch)? = nil
    ) {
        self.engine = engine
        self.decoder = decoder
        self.maxLineBytes = maxLineBytes
        self.threads = threads
        self.makeScratch = makeScratch ?? { engine.makeScratch() }
        scratches = ScratchShelf(count: threads)
    }

    /// The scratch spaces kept between batches (one per thread that has scanned).
    var keptScratches: [Engine.Scratch] { scratches.kept }

    func scan(_ lines: [LineReader.Line]) -> [ScanCommand.Outcome] {
        let results = ResultSlots<ScanCommand.Outcome>(count: lines.count, initial: .blank)
        let chunks = min(threads, lines.count)
        let work: @Sendable (Int) -> Void = { chunk in
            var scratch = scratches.take(chunk) ?? makeScratch()
            defer { scratches.put(chunk, scratch) }
            // This thread's lines decoded, then their items scanned as one batch (the cascade
            // sends its routed items through the encoder together).
            var indices: [Int] = []
            var items: [TextItem] = []
            var i = chunk
            while i < lines.count {
                switch decoded(lines[i]) {
                case .success(let item?):
                    indices.append(i)
                    items.append(item)
                case .success(nil):
                    results.set(i, .blank)
                case .failure(let error):
                    results.set(i, .malformed(error))
                }
                i += chunks
            }
            for (i, verdict) in zip(indices, engine.scan(batch: items, scratch: &scratch)) {
                results.set(i, .verdict(verdict))
            }
        }
        if chunks <= 1 {
            work(0)
        } else {
            DispatchQueue.concurrentPerform(iterations: chunks, execute: work)
        }
        return results.values
    }

    /// A line's item; nil for a blank line.
    func decoded(_ line: LineReader.Line) -> Result<TextItem?, BulwarkError> {
        switch line {
        case .tooLong(let length):
            return .failure(
                BulwarkError(.limitExceeded, "line is \(length) bytes, longer than the limit of \(maxLineBytes)"))
        case .line(let bytes):
            if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { return .success(nil) }
            do {
                return .success(try decoder.decode(bytes))
            } catch {
                return .failure(error)
            }
        }
    }
}

/// Scratch spaces by share of a batch (one per thread), kept between batches. Within a batch,
/// share `i` is scanned by one iteration of `concurrentPerform` (on one thread), and batches are
/// scanned one after another, so no slot is used by two threads at once.
final class ScratchShelf<Scratch>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Scratch?>

    init(count: Int) {
        slots = .allocate(capacity: max(count, 1))
        slots.initialize(repeating: nil)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    /// Share `i`'s scratch space, the slot left empty until it is put back (nil the first time).
    func take(_ i: Int) -> Scratch? {
        let scratch = slots[i]
        slots[i] = nil
        return scratch
    }

    func put(_ i: Int, _ scratch: Scratch) { slots[i] = scratch }

    /// The scratch spaces kept, read between batches.
    var kept: [Scratch] { slots.compactMap { $0 } }
}

/// Result slots written by disjoint indices from several threads, read after they all finish
/// (scan outcomes, embeddings).
final class ResultSlots<Value>: @unchecked Sendable {
    private let slots: UnsafeMutableBufferPointer<Value>

    init(count: Int, initial: Value) {
        slots = .allocate(capacity: count)
        slots.initialize(repeating: initial)
    }

    deinit {
        slots.deinitialize()
        slots.deallocate()
    }

    func set(_ i: Int, _ value: Value) { slots[i] = value }

    var values: [Value] { Array(slots) }
}
struct ScanSummary {
    var items = 0
    var malformed = 0
    var decisions: [Decision: Int] = [:]
    var contexts = 0

    mutating func add(_ verdict: Verdict) {
        items += 1
        decisions[verdict.decision, default: 0] += 1
        if verdict.context != nil { contexts += 1 }
    }

    func rate(_ elapsed: Duration) -> Int {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        return seconds > 0 ? Int(Double(items) / seconds) : 0
    }

    func progressLine(elapsed: Duration, bytes: Int, total: Int?) -> String {
        var s = "scanning: \(items) items, \(rate(elapsed)) items/s"
        if let total, total > 0 {
            let pct = min(100, bytes * 100 / total)
            let filled = pct / 5
            s = "[" + String(repeating: "#", count: filled) + String(repeating: ".", count: 20 - filled) + "] \(pct)% " + s
        }
        return s
    }

    func report(elapsed: Duration) -> String {
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        let ms = Int(seconds * 1000)
        return """
            bulwark scan: \(items) items in \(ms) ms (\(rate(elapsed)) items/s); \
            violating \(decisions[.violating, default: 0]), review \(decisions[.review, default: 0]), \
            none \(decisions[.none, default: 0]) (\(contexts) with a non-violating context); malformed lines \(malformed)

            """
    }
}
