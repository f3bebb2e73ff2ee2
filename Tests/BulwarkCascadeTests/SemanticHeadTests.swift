import BulwarkCore
import BulwarkSemantic
import Testing

@Suite struct SemanticHeadTests {
    /// Two clusters in 8 dimensions around opposite centres, with a deterministic jitter.
    static func clusters(_ n: Int, seed: UInt64) -> (x: [[Float]], y: [Int]) {
        var rng = SplitMix64(seed: seed)
        var x: [[Float]] = []
        var y: [Int] = []
        for i in 0..<n {
            let label = i % 2
            let centre: Float = label == 0 ? 0.4 : -0.4
            var v = [Float](repeating: 0, count: 8)
            for j in 0..<8 {
                let jitter = Float(Double(rng.next() % 1000) / 1000 - 0.5)
                v[j] = (j < 2 ? centre : 0) + jitter * 0.6
            }
            x.append(v)
            y.append(label)
        }
        return (x, y)
    }

    @Test func learnsSeparableClassesAndGeneralises() throws {
        let (x, y) = Self.clusters(200, seed: 1)
        let head = try SemanticHeadTrainer().train(embeddings: x, labels: y, classes: ["violating", "other"], provenance: "test")
        let (tx, ty) = Self.clusters(200, seed: 2)
        var correct = 0
        for (v, label) in zip(tx, ty) {
            let p = head.probabilities(v)
            #expect(abs(p.reduce(0, +) - 1) < 1e-9)
            if (p[0] > p[1] ? 0 : 1) == label { correct += 1 }
        }
        #expect(correct >= 190, "held-out accuracy \(correct)/200")
    }

    @Test func trainingIsDeterministicAndTheFileRoundTrips() throws {
        let (x, y) = Self.clusters(60, seed: 3)
        var trainer = SemanticHeadTrainer()
        trainer.iterations = 50
        let a = try trainer.train(embeddings: x, labels: y, classes: ["violating", "news"], provenance: "round trip")
        let b = try trainer.train(embeddings: x, labels: y, classes: ["violating", "news"], provenance: "round trip")
        #expect(a.serialized() == b.serialized())
        let read = try SemanticHead(serialized: a.serialized())
        #expect(read == a)
        #expect(read.classes == ["violating", "news"])
        #expect(read.provenance == "round trip")
    }

    @Test func malformedFilesAreErrorsThatSayWhere() throws {
        let head = try SemanticHead(classes: ["violating", "other"], dimension: 2, weights: [1, 2, 3, 4, 5, 6], provenance: "p")
        let bytes = head.serialized()
        #expect(throws: BulwarkError.self) { try SemanticHead(serialized: Array("BWUSE1".utf8) + bytes.dropFirst(6)) }
        do {
            _ = try SemanticHead(serialized: Array(bytes.dropLast(3)))
            Issue.record("a truncated head was accepted")
        } catch {
            #expect(error.message.contains("truncated in its weights"), "\(error.message)")
        }
        do {
            _ = try SemanticHead(serialized: bytes + [0])
            Issue.record("trailing bytes were accepted")
        } catch {
            #expect(error.message.contains("1 bytes after its weights"), "\(error.message)")
        }
        #expect(throws: BulwarkError.self) { try SemanticHead(classes: ["a", "b"], dimension: 2, weights: [1, 2, 3], provenance: "") }
        #expect(throws: BulwarkError.self) {
            try SemanticHead(classes: ["a", "b"], dimension: 1, weights: [1, .nan, 3, 4], provenance: "")
        }
    }

    @Test func trainerRefusesInconsistentData() {
        #expect(throws: BulwarkError.self) {
            try SemanticHeadTrainer().train(embeddings: [[1, 2], [3]], labels: [0, 1], classes: ["a", "b"], provenance: "")
        }
        #expect(throws: BulwarkError.self) {
            try SemanticHeadTrainer().train(embeddings: [[1, 2]], labels: [2], classes: ["a", "b"], provenance: "")
        }
        #expect(throws: BulwarkError.self) { try SemanticHeadTrainer().train(embeddings: [], labels: [], classes: ["a", "b"], provenance: "") }
    }
}
