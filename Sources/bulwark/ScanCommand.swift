import ArgumentParser
import BulwarkCore
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

    func run() throws {
        let engine = try engineOptions.loadEngine()
        var reader = try LineReader(path: input, maxLineBytes: maxLineBytes)
        defer { reader.close() }
        var writer = try OutputWriter(path: out)
        defer { writer.close() }
        let decoder = TextItemDecoder(limits: JSONLinesLimits(maxLineBytes: maxLineBytes))
        let encoder = VerdictEncoder()
        var scratch = EngineScratch()
        var summary = ScanSummary()
        let showProgress = progress && isTerminal(2)
        let total = reader.fileSize
        let clock = ContinuousClock()
        let started = clock.now
        var lastProgress = started
        var errorLine: [UInt8] = []
        while let line = try reader.next() {
            let item: TextItem
            do throws(BulwarkError) {
                switch line {
                case .tooLong(let length):
                    throw BulwarkError(
                        .limitExceeded, "line is \(length) bytes, longer than the limit of \(maxLineBytes)")
                case .line(let bytes):
                    if bytes.allSatisfy({ $0 == 0x20 || $0 == 0x09 }) { continue }
                    item = try decoder.decode(bytes)
                }
            } catch {
                let placed = error.at(line: reader.lineNumber)
                summary.malformed += 1
                if strict {
                    try writer.flush()
                    throw ValidationError("line \(reader.lineNumber): \(placed); stopping (--strict)")
                }
                errorLine.removeAll(keepingCapacity: true)
                writeStderr("bulwark scan: line \(reader.lineNumber): \(placed); skipped\n")
                continue
            }
            let verdict = engine.scan(item, scratch: &scratch)
            summary.add(verdict)
            encoder.encode(verdict, into: &writer.buffer)
            try writer.flushIfNeeded()
            if showProgress, summary.items & 1023 == 0 {
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
    }
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
