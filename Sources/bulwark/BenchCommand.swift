import ArgumentParser
import BulwarkCascade
import BulwarkCore
import BulwarkMedia
import BulwarkMediaProcess
import BulwarkSemantic
import BulwarkText

struct BenchCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bench",
        abstract: "Measure scan throughput, latency and memory on a synthetic corpus of short posts.",
        discussion: """
            Builds a corpus of short posts mixed as on a platform, from texts no model was trained \
            on: a few percent violating (the dev set's test-split violating texts), a few percent \
            about terrorism without violating (its news, research, counter-speech, religious and \
            artistic texts), the rest everyday chatter (the \
            language-identification set, data/langid, and the dev set's everyday and metaphor texts); \
            then times decode + scan + encode on one thread: warm-up, timed iterations in batches \
            of 2,048 lines as `scan` reads them (items/s), p50/p99 latency of one item scanned on \
            its own, peak RSS. Build with -c release for real figures. \
            --other-language-share sets how much of the chatter is in languages outside the \
            classifier's familiar ones (without it, about half). \
            --write-corpus writes the corpus as JSON Lines instead, for timing `bulwark scan` end to end. \
            --pdq DIR times PDQ hashing instead: every image file in DIR (any format Bulwark decodes, \
            known by its first bytes), --iterations times, from pixels (decode excluded) and from \
            file bytes (decode included), and every frame of each file as the media job hashes \
            animations (decode included); compare with scripts/bench-pdq-reference.py on a \
            directory of .ppm files.
            """,
        subcommands: [BenchIndexCommand.self, BenchVPDQCommand.self, BenchEntitiesCommand.self, BenchConsoleCommand.self, BenchSemanticCommand.self, BenchCopiesCommand.self]
    )

    /// Everyday chatter in 13 languages, never trained on (the language-identification set,
    /// labelled `none`, kind `chatter`).
    static let chatter = "data/langid/dev.jsonl"

    @OptionGroup var count: BenchItemsOption
    /// Items in the corpus.
    var items: Int { count.items ?? 200_000 }

    @OptionGroup var passes: BenchIterationsOption
    /// Timed iterations over the corpus.
    var iterations: Int { passes.iterations ?? 3 }

    @Option(help: "Share of violating texts in the corpus.")
    var violatingShare = 0.03

    @Option(help: "Share of texts about terrorism that do not violate (news, research, counter-speech, religious, artistic); the rest after the violating share is everyday chatter.")
    var topicalShare = 0.05

    @Option(help: "Share of the everyday chatter in languages outside the classifier's familiar ones (ar, de, en, es, fr, or --familiar-languages). Without it the chatter is drawn from its pool as it comes, about half of it in the other languages.")
    var otherLanguageShare: Double?

    @Option(help: "Make every post's text its own (its number appended, \" #N\") and then copy this share of the posts from one of the \(Self.repostWindow) before it (a repost), in place of the mix's own repeats: its pools are small, so about 60% of the texts it routes to the encoder repeat within 20,000 posts.")
    var repostShare: Double?

    /// A repost copies one of this many posts before it.
    static let repostWindow = 5_000

    @OptionGroup var textBytes: BenchMaxTextBytesOption
    /// Longest dev text used, in bytes.
    var maxTextBytes: Int { textBytes.maxTextBytes }

    @Option(help: "Write the corpus to this file and exit.")
    var writeCorpus: String?

    @Flag(help: "With --model full: time a pass of the fast engine alone next to each pass of the cascade, in the same process, in alternating order, and print each pair's ratio (the cascade's time over the fast engine's), so that a busy host's drift falls on both.")
    var paired = false

    @OptionGroup var keptPieces: BenchCachedPiecesOption

    @Option(help: "With --model full: whole embeddings the sentence encoder keeps by the text's pieces, for a text routed again (0: none; at most \(SentenceEncoder.Workspace.maxCachedEmbeddings)). They are forgotten before each pass, so that a pass counts only the corpus's own repeats, not the passes before it. (default: \(SentenceEncoder.Workspace.standardCachedEmbeddings), as scan keeps on each thread)")
    var cachedEmbeddings = SentenceEncoder.Workspace.standardCachedEmbeddings

    @Flag(help: "Also time each stage of the engine on its own (µs per item).")
    var stages = false

    @Option(help: "Time PDQ hashing of the image files in this directory instead of scanning.")
    var pdq: String?

    @Option(help: "With --pdq: luminance arithmetic, float32 (the C++ reference's) or float64 (pdqhash's).")
    var luma: LumaOption = .float32

    @Flag(
        inversion: .prefixedNo,
        help: "With --pdq: hash a still image an orientation tag turns also as stored, as the media job does unless serve and worker are told --no-stored-pixels-hash.")
    var storedPixelsHash = true

    @OptionGroup var engineOptions: EngineOptions

    func validate() throws {
        if let repostShare, !(0...1).contains(repostShare) {
            throw ValidationError("--repost-share \(repostShare): give a share from 0 to 1")
        }
        guard (0...SentenceEncoder.Workspace.maxCachedEmbeddings).contains(cachedEmbeddings) else {
            throw ValidationError(
                "--cached-embeddings \(cachedEmbeddings): give 0 (keep none) to \(SentenceEncoder.Workspace.maxCachedEmbeddings)")
        }
    }

    func run() throws {
        if let pdq {
            try PDQBench(directory: pdq, iterations: iterations, luma: luma.value, storedPixels: storedPixelsHash).run()
            return
        }
        let source = try loadItems([Resources.find(DefaultData.multilingual) ?? DefaultData.multilingual])
        // Only texts the models never saw in training (the test split), so that how many the
        // cascade finds uncertain is what it would be on new posts.
        let short = source.filter { $0.text.utf8.count <= maxTextBytes && DatasetSplit.of($0) == .test }
        let everydayKinds: Set<String> = ["everyday", "metaphor"]
        let violating = short.filter { $0.label == .violating }.map(\.text)
        let topical = short.filter { $0.label != .violating && !everydayKinds.contains($0.kind ?? "") }.map(\.text)
        let chatter = try loadItems([Resources.find(Self.chatter) ?? Self.chatter])
        let everydayItems = short.filter { everydayKinds.contains($0.kind ?? "") } + chatter
        let everyday = everydayItems.map(\.text)
        guard !violating.isEmpty, !topical.isEmpty, !everyday.isEmpty else { throw CommandFailure("the dev set is empty") }
        guard violatingShare >= 0, topicalShare >= 0, violatingShare + topicalShare <= 1 else {
            throw ValidationError("--violating-share and --topical-share must be ≥ 0 and add up to at most 1")
        }
        // With --other-language-share, the chatter in two pools by the language it is labelled
        // with (an item with none counts as other).
        let familiar = engineOptions.configuration.familiarLanguages
        let familiarEveryday = everydayItems.filter { familiar.contains($0.lang ?? "") }.map(\.text)
        let otherEveryday = everydayItems.filter { !familiar.contains($0.lang ?? "") }.map(\.text)
        if let share = otherLanguageShare {
            guard share >= 0, share <= 1 else { throw ValidationError("--other-language-share must be between 0 and 1") }
            guard share == 0 || !otherEveryday.isEmpty, share == 1 || !familiarEveryday.isEmpty else {
                throw CommandFailure("--other-language-share \(share): the chatter has \(familiarEveryday.count) texts in the familiar languages and \(otherEveryday.count) in others")
            }
        }
        var rng: UInt64 = 42
        func next() -> UInt64 {
            rng = rng &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return rng >> 33
        }
        let fillers = ["", " lol", " 🙂", " !!", " #news", " ok", " ...", " 👍"]
        var corpus: [UInt8] = []
        corpus.reserveCapacity(items * 160)
        // With --repost-share: each post's text, for the reposts.
        var posted: [String] = []
        for i in 0..<items {
            let draw = Double(next() % 10_000) / 10_000
            let pool: [String]
            if draw < violatingShare {
                pool = violating
            } else if draw < violatingShare + topicalShare {
                pool = topical
            } else if let share = otherLanguageShare {
                pool = Double(next() % 10_000) / 10_000 < share ? otherEveryday : familiarEveryday
            } else {
                pool = everyday
            }
            var text = pool[Int(next() % UInt64(pool.count))] + fillers[Int(next() % UInt64(fillers.count))]
            if let repostShare {
                if i > 0 && Double(next() % 10_000) / 10_000 < repostShare {
                    text = posted[i - 1 - Int(next() % UInt64(min(i, Self.repostWindow)))]
                } else {
                    text += " #\(i)"
                }
                posted.append(text)
            }
            corpus.append(contentsOf: "{\"id\":\"b\(i)\",\"text\":".utf8)
            appendJSONString(text, to: &corpus)
            corpus.append(contentsOf: "}\n".utf8)
        }
        if let path = writeCorpus {
            try writeFile(path, corpus)
            print("wrote \(items) items (\(corpus.count) bytes) to \(path)")
            return
        }
        let cascade = try engineOptions.loadCascade()
        guard !paired || cascade.semantic != nil else {
            throw ValidationError("--paired times the cascade against the fast engine: give it with --model full")
        }
        let engine = cascade.fast
        // The fast engine alone, for --paired: the same loaded engine, no encoder (its scratch
        // keeps no pieces, so it costs next to nothing when not used).
        let fastOnly = CascadeEngine(fast: engine, semantic: nil)
        var fastScratch = fastOnly.makeScratch()
        var lines: [Range<Int>] = []
        var start = 0
        for (i, b) in corpus.enumerated() where b == 0x0A {
            lines.append(start..<i)
            start = i + 1
        }
        let decoder = TextItemDecoder()
        let encoder = VerdictEncoder()
        var scratch = cascade.makeScratch(cachedPieces: keptPieces.cachedPieces, cachedEmbeddings: cachedEmbeddings)
        var out: [UInt8] = []
        out.reserveCapacity(1 << 20)
        let clock = ContinuousClock()
        // Throughput: blocks of lines decoded, scanned as one batch and encoded, as `scan` does.
        func batchedPass(_ range: Range<Int>, _ engine: CascadeEngine, _ scratch: inout CascadeScratch) throws -> Int {
            scratch.workspace.forgetKeptEmbeddings()
            var decisions = 0
            var block = range.lowerBound
            while block < range.upperBound {
                let end = min(block + ScanCommand.batchLines, range.upperBound)
                let items = try (block..<end).map { try decoder.decode(corpus[lines[$0]]) }
                for verdict in engine.scan(batch: items, scratch: &scratch) {
                    encoder.encode(verdict, into: &out)
                    if verdict.decision != .none { decisions += 1 }
                    if out.count > 1 << 20 { out.removeAll(keepingCapacity: true) }
                }
                block = end
            }
            return decisions
        }
        // Latency: one item at a time, as the API scans a single item.
        func pass(_ range: Range<Int>, sampleEvery: Int, samples: inout [Duration]) throws -> Int {
            scratch.workspace.forgetKeptEmbeddings()
            var decisions = 0
            for k in range {
                let t0 = sampleEvery > 0 && k % sampleEvery == 0 ? clock.now : nil
                let item = try decoder.decode(corpus[lines[k]])
                let verdict = cascade.scan(item, scratch: &scratch)
                encoder.encode(verdict, into: &out)
                if verdict.decision != .none { decisions += 1 }
                if out.count > 1 << 20 { out.removeAll(keepingCapacity: true) }
                if let t0 { samples.append(clock.now - t0) }
            }
            return decisions
        }
        var samples: [Duration] = []
        _ = try batchedPass(0..<min(10_000, lines.count), cascade, &scratch)
        if paired { _ = try batchedPass(0..<min(10_000, lines.count), fastOnly, &fastScratch) }
        scratch.routes = scratch.routes.map { _ in 0 }
        var rates: [Double] = []
        var fastRates: [Double] = []
        var flagged = 0
        var firstPassPieces = (hits: 0, lookups: 0)
        let embeddingsBefore = (hits: scratch.embeddingHits, lookups: scratch.embeddingLookups)
        func timedFastPass() throws {
            let t0 = clock.now
            _ = try batchedPass(0..<lines.count, fastOnly, &fastScratch)
            fastRates.append(Double(lines.count) / seconds(clock.now - t0))
        }
        for k in 0..<iterations {
            // --paired: the fast pass first in even iterations, second in odd ones.
            if paired && k % 2 == 0 { try timedFastPass() }
            let t0 = clock.now
            flagged = try batchedPass(0..<lines.count, cascade, &scratch)
            let elapsed = clock.now - t0
            rates.append(Double(lines.count) / seconds(elapsed))
            if k == 0 { firstPassPieces = (scratch.pieceHits, scratch.pieceLookups) }
            if paired && k % 2 == 1 { try timedFastPass() }
        }
        _ = try pass(0..<lines.count, sampleEvery: 10, samples: &samples)
        samples.sort()
        let p50 = samples[samples.count / 2]
        let p99 = samples[min(samples.count - 1, samples.count * 99 / 100)]
        let best = rates.max() ?? 0
        let median = rates.sorted()[rates.count / 2]
        print("corpus: \(lines.count) items, \(corpus.count / max(1, lines.count)) bytes/item on average, \(flagged) flagged")
        if cascade.semantic != nil {
            func percent(_ part: Int, _ whole: Int) -> String {
                let tenths = Int((1000 * Double(part) / Double(max(1, whole))).rounded())
                return "\(tenths / 10).\(tenths % 10)%"
            }
            let passes = lines.count * (iterations + 1)
            let why = EncoderRoute.summary(scratch.routes) { percent($0, passes) }
            print("model full: \(percent(scratch.encoded, passes)) of items sent to the sentence encoder (\(why))")
            print(
                "encoder tokens whose piece was kept: \(percent(firstPassPieces.hits, firstPassPieces.lookups)) in the first pass (from empty), \(percent(scratch.pieceHits, scratch.pieceLookups)) over all passes"
            )
            let embeddingLookups = scratch.embeddingLookups - embeddingsBefore.lookups
            if scratch.workspace.cachedEmbeddings > 0 {
                print(
                    "routed texts whose embedding was kept (\(scratch.workspace.cachedEmbeddings) kept at most, forgotten before each pass): \(percent(scratch.embeddingHits - embeddingsBefore.hits, embeddingLookups)) of \(embeddingLookups)"
                )
            } else {
                print("routed texts whose embedding was kept: none kept (--cached-embeddings 0)")
            }
        } else {
            print("model fast")
        }
        print("throughput (one thread): median \(Int(median)) items/s, best \(Int(best)) items/s over \(iterations) iterations")
        if paired {
            let ratios = zip(fastRates, rates).map { $0 / $1 }
            print(
                "paired with the fast engine alone (\(fastScratch.encoded) items sent to the encoder in its passes): fast median \(Int(fastRates.sorted()[fastRates.count / 2])) items/s; cascade time over fast time per pair: \(ratios.map(twoDecimals).joined(separator: ", ")); median \(twoDecimals(ratios.sorted()[ratios.count / 2]))×"
            )
        }
        print("latency per item: p50 \(micro(p50)) µs, p99 \(micro(p99)) µs")
        print("peak RSS: \((peakRSSKiB() ?? 0) / 1024) MiB")
        if stages {
            let items = try lines.prefix(50_000).map { try decoder.decode(corpus[$0]) }
            for (name, µs) in try stageTimes(engine, items) {
                print("stage \(name): \(µs) µs per item")
            }
        }
    }

    /// Each stage of the engine on its own, through the libraries' public API.
    func stageTimes(_ engine: TextEngine, _ items: [TextItem]) throws -> [(String, String)] {
        let clock = ContinuousClock()
        var result: [(String, String)] = []
        var normalized: [NormalizedText] = []
        normalized.reserveCapacity(items.count)
        // Each stage runs twice and the second run is timed: the first touches the
        // model's tables (page faults, cold caches), which a long scan pays once.
        func time(_ name: String, _ body: () -> Void) {
            body()
            let t0 = clock.now
            body()
            result.append((name, micro((clock.now - t0) / items.count)))
        }
        let decoder = TextItemDecoder()
        let encoder = VerdictEncoder()
        var lineBytes: [[UInt8]] = []
        for item in items {
            var line = Array("{\"id\":\"\(item.id)\",\"text\":".utf8)
            appendJSONString(item.text, to: &line)
            line.append(UInt8(ascii: "}"))
            lineBytes.append(line)
        }
        time("decode JSON") { for l in lineBytes { _ = try? decoder.decode(l) } }
        time("normalise") { normalized.removeAll(keepingCapacity: true); for item in items { normalized.append(engine.normalizer.normalize(item.text)) } }
        time("indicators") { if let m = engine.indicators { for n in normalized { _ = m.matches(in: n) } } }
        var keys: [UInt64] = []
        var spans: [(context: Int, range: Range<Int>)] = []
        time("context cues") {
            if let m = engine.contextCues { for n in normalized { keys.removeAll(); m.features(in: n, into: &keys, spans: &spans) } }
        }
        var buckets: [UInt32] = []
        var logits: [Float] = []
        var featureScratch = FeatureScratch()
        time("features + classifier") {
            if let model = engine.model {
                for n in normalized {
                    model.features.extract(n, named: [], into: &buckets, scratch: &featureScratch)
                    model.logits(buckets, into: &logits)
                }
            }
        }
        time("known texts") { for n in normalized { _ = engine.knownTexts.match(n) } }
        // The server's content key of each item (normalised again, then SHA-256): copies, removed texts.
        time("content key (server)") { for item in items { _ = ContentKey.of(item.text, normalizer: engine.normalizer) } }
        let extractor = LinkExtractor()
        time("links") { for item in items { _ = extractor.links(in: item.text) } }
        time("language id") { if let lid = engine.languageIdentifier { for item in items { _ = lid.identify(item.text) } } }
        var out: [UInt8] = []
        var scratch = EngineScratch()
        let verdicts = items.map { engine.scan($0, scratch: &scratch) }
        time("encode JSON") { for v in verdicts { encoder.encode(v, into: &out); if out.count > 1 << 20 { out.removeAll(keepingCapacity: true) } } }
        return result
    }

    func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    func micro(_ d: Duration) -> String {
        let us = seconds(d) * 1e6
        let tenths = Int((us * 10).rounded())
        return "\(tenths / 10).\(tenths % 10)"
    }
}

/// `bench --pdq`: PDQ throughput on one thread, from pixels and from file bytes.
struct PDQBench {
    let directory: String
    let iterations: Int
    let luma: PDQHasher.Luma
    /// Whether the media job's lines hash a turned still image as stored too (`--no-stored-pixels-hash`).
    var storedPixels = true

    func run() throws {
        guard iterations >= 1 else { throw ValidationError("--iterations takes 1 or more") }
        // Every file whose first bytes name a format the decoder reads, whatever its name: images,
        // and videos (timed apart: they have no still path).
        var files: [[UInt8]] = []
        var videos: [[UInt8]] = []
        for name in listDirectory(directory) {
            let path = directory + "/" + name
            guard isRegularFile(path) else { continue }
            let bytes = try readFile(path)
            if ImageFormat.detect(bytes) != nil {
                files.append(bytes)
            } else if VideoContainer.detect(bytes) != nil {
                videos.append(bytes)
            }
        }
        guard !files.isEmpty || !videos.isEmpty else { throw CommandFailure("no image or video files in \(directory)") }
        if !videos.isEmpty { try runVideos(videos) }
        guard !files.isEmpty else {
            print("peak RSS: \((peakRSSKiB() ?? 0) / 1024) MiB")
            return
        }
        let decoder = ImageDecoder()
        let images = try files.map { try decoder.decode($0) }
        let megapixels = Double(images.reduce(0) { $0 + $1.width * $1.height }) / 1e6
        let hasher = PDQHasher(luma: luma)
        var scratch = PDQScratch()
        var checksum = 0
        // Warm-up: one pass, which also sizes the scratch buffer for the largest image.
        for image in images { checksum &+= hasher.hash(image, scratch: &scratch).quality }
        let clock = ContinuousClock()
        var pixelRuns: [Double] = []
        var fileRuns: [Double] = []
        var frameRuns: [Double] = []
        var frames = 0
        for _ in 0..<iterations {
            let t0 = clock.now
            for image in images { checksum &+= hasher.hash(image, scratch: &scratch).quality }
            pixelRuns.append(seconds(clock.now - t0))
            let t1 = clock.now
            for file in files { checksum &+= hasher.hash(try decoder.decode(file), scratch: &scratch).quality }
            fileRuns.append(seconds(clock.now - t1))
            let t2 = clock.now
            frames = 0
            for file in files {
                let hashed = try hasher.hashFrames(file, decoder: decoder, scratch: &scratch, storedPixels: storedPixels)
                checksum &+= hashed.first.quality &+ hashed.laterFrames.count
                frames += hashed.reading.frames
            }
            frameRuns.append(seconds(clock.now - t2))
        }
        // The same through the decoder process `serve` and `worker` use (its start not timed).
        var childRuns: [Double] = []
        if let executable = MediaDecoderSettings.ownExecutable {
            let child = MediaDecoderProcess(settings: MediaDecoderSettings(executable: executable), limits: ImageLimits())
            for file in files { checksum &+= (try? child.hash(file, storedPixels: storedPixels).get())?.first.quality ?? 0 }
            for _ in 0..<iterations {
                let t = clock.now
                for file in files { checksum &+= (try? child.hash(file, storedPixels: storedPixels).get())?.first.quality ?? 0 }
                childRuns.append(seconds(clock.now - t))
            }
            child.stop()
        }
        let n = Double(images.count)
        func line(_ label: String, _ runs: [Double]) -> String {
            let best = runs.min() ?? 0
            let median = runs.sorted()[runs.count / 2]
            return "\(label): \(twoDecimals(n / median)) images/s, \(twoDecimals(median * 1000 / n)) ms/image (median of \(runs.count); best \(twoDecimals(n / best)) images/s)"
        }
        let byFormat = Dictionary(grouping: files, by: { ImageFormat.detect($0)!.rawValue })
        let formats = byFormat.map { "\($0.value.count) \($0.key)" }.sorted().joined(separator: ", ")
        // libheif's own threads (a grid's tiles, dav1d) and libde265's are the decoders', not this loop's.
        // Said when a HEIF file is not an AVIF by its major brand (`avif`, `avis`: AV1, dav1d's).
        let avif: Set<String> = ["avif", "avis"]
        let hasHEVC = (byFormat[ImageFormat.heif.rawValue] ?? []).contains { !avif.contains(String(decoding: $0[8..<12], as: UTF8.self)) }
        let hevc = hasHEVC ? "; HEVC decoded by libde265 on \(ImageDecoder.hevcWorkerThreads) worker threads" : ""
        print(
            "PDQ on one thread, luma \(luma): \(images.count) images (\(formats)), \(twoDecimals(megapixels)) megapixels, \(iterations) iterations\(hevc)"
        )
        print(line("from pixels (decode excluded)", pixelRuns))
        print(line("from file bytes (decode included)", fileRuns))
        let stored = storedPixels ? "" : ", no stored pixels' hash"
        print(line("every frame from file bytes (as the media job hashes\(stored); \(frames) frames)", frameRuns))
        if !childRuns.isEmpty {
            print(line("the same in the decoder process (bulwark media-decoder, luma float32, as serve and worker hash\(stored))", childRuns))
        }
        print("peak RSS: \((peakRSSKiB() ?? 0) / 1024) MiB (checksum \(checksum))")
    }

    func seconds(_ d: Duration) -> Double {
        Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
    }

    /// Videos as the media job hashes them: each decoded, a frame a second (or further apart)
    /// hashed, timed whole; and how many pixels the decoder went through.
    func runVideos(_ all: [[UInt8]]) throws {
        let decoder = ImageDecoder()
        let hasher = PDQHasher(luma: luma)
        var scratch = PDQScratch()
        // The first pass warms up, is not timed, and leaves out (saying so) a video the decoder
        // refuses (no video stream, another codec).
        var videos: [[UInt8]] = []
        var kinds: [String: Int] = [:]
        var seconds = 0.0
        for video in all {
            do {
                let hashed = try hasher.hashFrames(video, decoder: decoder, scratch: &scratch)
                videos.append(video)
                if let v = hashed.reading.video {
                    kinds["\(v.container.rawValue)/\(v.codec)", default: 0] += 1
                    seconds += v.duration
                }
            } catch {
                print("left out: a video that does not decode: \(error)")
            }
        }
        guard !videos.isEmpty else { return }
        let clock = ContinuousClock()
        var runs: [Double] = []
        var frames = 0
        var decoded = 0
        for _ in 0..<iterations {
            frames = 0
            decoded = 0
            let t0 = clock.now
            for video in videos {
                let hashed = try hasher.hashFrames(video, decoder: decoder, scratch: &scratch)
                frames += hashed.reading.frames
                decoded += hashed.reading.video?.pixelsDecoded ?? 0
            }
            runs.append(self.seconds(clock.now - t0))
        }
        let median = runs.sorted()[runs.count / 2]
        let n = Double(videos.count)
        let kindList = kinds.map { "\($0.value) \($0.key)" }.sorted().joined(separator: ", ")
        print("videos on one thread, luma \(luma): \(videos.count) (\(kindList)), \(twoDecimals(seconds)) s in all, \(iterations) iterations")
        print(
            "every sampled frame from file bytes (as the media job hashes; \(frames) frames): \(twoDecimals(median * 1000 / n)) ms/video, \(twoDecimals(median / seconds * 1000)) ms per second of video (median of \(runs.count); best \(twoDecimals((runs.min() ?? 0) * 1000 / n)) ms/video)"
        )
        print("decoded: \(twoDecimals(Double(decoded) / 1e6)) megapixels, \(twoDecimals(Double(decoded) / 1e6 / median)) megapixels/s")
    }
}

/// `x` with two decimals ("2.05"), without Foundation.
private func twoDecimals(_ x: Double) -> String {
    let hundredths = Int((x * 100).rounded())
    let fraction = hundredths % 100
    return "\(hundredths / 100).\(fraction < 10 ? "0" : "")\(fraction)"
}

