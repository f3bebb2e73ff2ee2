public import BulwarkCore

/// The model file: small, sparse, quantised, deterministic.
///
/// Layout (little-endian): magic `BWTC0002`; UInt32 bucketBits, nMin, nMax, outputCount, flags
/// (bit 0 word-bounded n-grams, bit 1 binary, bit 2 idf present); Float32 temperature, Float32
/// quantisation scale; UInt32 provenance length + UTF-8 bytes; if idf: Float32 idf scale and
/// 2^bucketBits UInt8 (idf = UInt8 * scale); UInt32 row count; then each non-zero row: UInt32
/// bucket + outputCount Int8 weights (weight = Int8 * scale). Rows are in bucket order.
extension ClassifierModel {
    static let magic = Array("BWTC0002".utf8)

    public func serialized() -> [UInt8] {
        var out = Self.magic
        let maxAbs = weights.reduce(Float(0)) { max($0, abs($1)) }
        let scale = maxAbs > 0 ? maxAbs / 127 : 1
        out.appendLE(UInt32(features.bucketBits))
        out.appendLE(UInt32(features.charNGrams.lowerBound))
        out.appendLE(UInt32(features.charNGrams.upperBound))
        out.appendLE(UInt32(Self.outputCount))
        let flags: UInt32 = (features.wordBounded ? 1 : 0) | (features.binary ? 2 : 0) | (idf.isEmpty ? 0 : 4)
        out.appendLE(flags)
        out.appendLE(temperature.bitPattern)
        out.appendLE(scale.bitPattern)
        let provenanceBytes = Array(provenance.utf8)
        out.appendLE(UInt32(provenanceBytes.count))
        out.append(contentsOf: provenanceBytes)
        if !idf.isEmpty {
            let idfMax = idf.max() ?? 1
            let idfScale = idfMax > 0 ? idfMax / 255 : 1
            out.appendLE(idfScale.bitPattern)
            for v in idf { out.append(UInt8(clamping: Int((v / idfScale).rounded()))) }
        }
        var rows: [(UInt32, [Int8])] = []
        for bucket in 0..<features.bucketCount {
            let base = bucket * Self.outputCount
            var q = [Int8](repeating: 0, count: Self.outputCount)
            var any = false
            for k in 0..<Self.outputCount {
                let v = Int((weights[base + k] / scale).rounded())
                q[k] = Int8(clamping: v)
                if q[k] != 0 { any = true }
            }
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
            bucketBits: bucketBits, charNGrams: nMin...nMax, wordBounded: flags & 1 != 0, binary: flags & 2 != 0)
        var idf: [Float] = []
        if flags & 4 != 0 {
            let at = reader.offset
            let idfScale = Float(bitPattern: try reader.u32())
            guard idfScale.isFinite, idfScale > 0 else {
                throw BulwarkError(.invalidModel, "invalid idf scale", offset: at)
            }
            idf = try reader.take(features.bucketCount).map { Float($0) * idfScale }
        }
        var weights = [Float](repeating: 0, count: features.bucketCount * outputs)
        let rows = Int(try reader.u32())
        for _ in 0..<rows {
            let at = reader.offset
            let bucket = Int(try reader.u32())
            guard bucket < features.bucketCount else {
                throw BulwarkError(.invalidModel, "bucket \(bucket) out of range", offset: at)
            }
            let q = try reader.take(outputs)
            for k in 0..<outputs { weights[bucket * outputs + k] = Float(Int8(bitPattern: q[k])) * scale }
        }
        guard reader.offset == bytes.count else {
            throw BulwarkError(.invalidModel, "unexpected bytes after the last row", offset: reader.offset)
        }
        self.init(features: features, weights: weights, idf: idf, temperature: temperature, provenance: provenance)
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
