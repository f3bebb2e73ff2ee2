public import BulwarkCore

/// The model file: small, sparse, quantised, deterministic.
///
/// Layout (little-endian): magic `BWTC0002`; UInt32 bucketBits, nMin, nMax, outputCount, flags
/// (bit 0 word-bounded n-grams, bit 1 binary, bit 2 idf present, bit 3 quoted words apart); Float32 temperature, Float32
/// quantisation scale; UInt32 provenance length + UTF-8 bytes; if idf: Float32 idf scale and
/// 2^bucketBits UInt8 (idf = UInt8 * scale); UInt32 row count; then each non-zero row: UInt32
/// bucket + outputCount Int8 weights (weight = Int8 * scale). Rows are in bucket order.
extension ClassifierModel {
    static let magic = Array("BWTC0002".utf8)

    public func serialized() -> [UInt8] {
        var model = self
        if !isPacked { model.pack() }
        return model.packedBytes()
    }

    private func packedBytes() -> [UInt8] {
        var out = Self.magic
        let scale = packedScale
        out.appendLE(UInt32(features.bucketBits))
        out.appendLE(UInt32(features.charNGrams.lowerBound))
        out.appendLE(UInt32(features.charNGrams.upperBound))
        out.appendLE(UInt32(Self.outputCount))
        let flags: UInt32 = (features.wordBounded ? 1 : 0) | (features.binary ? 2 : 0) | (packedIDF.isEmpty ? 0 : 4)
            | (features.quotedApart ? 8 : 0)
        out.appendLE(flags)
        out.appendLE(temperature.bitPattern)
        out.appendLE(scale.bitPattern)
        let provenanceBytes = Array(provenance.utf8)
        out.appendLE(UInt32(provenanceBytes.count))
        out.append(contentsOf: provenanceBytes)
        if !packedIDF.isEmpty {
            out.appendLE(packedIDFScale.bitPattern)
            out.append(contentsOf: packedIDF)
        }
        var rows: [(UInt32, [Int8])] = []
        for bucket in 0..<features.bucketCount {
            let base = bucket * Self.outputCount
            let q = Array(packed[base..<(base + Self.outputCount)])
            let any = q.contains { $0 != 0 }
            if any { rows.append((UInt32(bucket), q)) }
        }
        out.appendLE(UInt32(rows.count))
        for (bucket, q) in rows {
            out.appendLE(bucket)
            for v in q { out.append(UInt8(bitPattern: v)) }
        }
        return out
    }

    public init(serialized bytes: [UInt8]) throws(BulwarkError) {
        var reader = ByteReader(bytes: bytes)
        guard try reader.take(8) == Self.magic else {
            throw BulwarkError(.invalidModel, "not a Bulwark classifier model (bad magic)", offset: 0)
        }
        let bucketBits = Int(try reader.u32())
        let nMin = Int(try reader.u32())
        let nMax = Int(try reader.u32())
        let outputs = Int(try reader.u32())
        guard (10...24).contains(bucketBits), nMin >= 1, nMax >= nMin, nMax <= 8 else {
            throw BulwarkError(.invalidModel, "unsupported feature settings", offset: 8)
        }
        guard outputs == Self.outputCount else {
            throw BulwarkError(.invalidModel, "model has \(outputs) outputs, expected \(Self.outputCount)", offset: 20)
        }
        let flags = try reader.u32()
        let temperature = Float(bitPattern: try reader.u32())
        let scale = Float(bitPattern: try reader.u32())
        guard temperature.isFinite, temperature > 0, scale.isFinite, scale > 0 else {
            throw BulwarkError(.invalidModel, "invalid temperature or scale", offset: 24)
        }
        let provenanceLength = Int(try reader.u32())
        let provenance = String(decoding: try reader.take(provenanceLength), as: UTF8.self)
        let features = FeatureExtractor(
            bucketBits: bucketBits, charNGrams: nMin...nMax, wordBounded: flags & 1 != 0, binary: flags & 2 != 0,
            quotedApart: flags & 8 != 0)
        var packedIDF: [UInt8] = []
        var idfScale: Float = 1
        if flags & 4 != 0 {
            let at = reader.offset
            idfScale = Float(bitPattern: try reader.u32())
            guard idfScale.isFinite, idfScale > 0 else {
                throw BulwarkError(.invalidModel, "invalid idf scale", offset: at)
            }
            packedIDF = try reader.take(features.bucketCount)
        }
        var packed = [Int8](repeating: 0, count: features.bucketCount * outputs)
        let rows = Int(try reader.u32())
        for _ in 0..<rows {
            let at = reader.offset
            let bucket = Int(try reader.u32())
            guard bucket < features.bucketCount else {
                throw BulwarkError(.invalidModel, "bucket \(bucket) out of range", offset: at)
            }
            let q = try reader.take(outputs)
            for k in 0..<outputs { packed[bucket * outputs + k] = Int8(bitPattern: q[k]) }
        }
        guard reader.offset == bytes.count else {
            throw BulwarkError(.invalidModel, "unexpected bytes after the last row", offset: reader.offset)
        }
        self.init(features: features, weights: [], idf: [], temperature: temperature, provenance: provenance)
        self.packed = packed
        self.packedScale = scale
        self.packedIDF = packedIDF
        self.packedIDFScale = idfScale
    }
}

struct ByteReader {
    let bytes: [UInt8]
    var offset = 0

    mutating func take(_ n: Int) throws(BulwarkError) -> [UInt8] {
        guard n >= 0, offset + n <= bytes.count else {
            throw BulwarkError(.invalidModel, "truncated: needed \(n) bytes", offset: offset)
        }
        defer { offset += n }
        return Array(bytes[offset..<(offset + n)])
    }

    mutating func u32() throws(BulwarkError) -> UInt32 {
        let b = try take(4)
        return UInt32(b[0]) | UInt32(b[1]) << 8 | UInt32(b[2]) << 16 | UInt32(b[3]) << 24
    }
}

extension Array where Element == UInt8 {
    mutating func appendLE(_ v: UInt32) {
        append(UInt8(truncatingIfNeeded: v))
        append(UInt8(truncatingIfNeeded: v >> 8))
        append(UInt8(truncatingIfNeeded: v >> 16))
        append(UInt8(truncatingIfNeeded: v >> 24))
    }
}
