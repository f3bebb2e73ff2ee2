internal import BulwarkBanks
internal import BulwarkCore
internal import FuzzDriver
internal import FuzzSupport

// BankSet.load(snapshot:) on untrusted bytes. The first byte picks how the rest is used: even, the
// bytes as they are; odd, with the checksums made right (the PDQ index's inside, found by its magic,
// then the file's), so that mutations reach the parser behind them. A set that loads must snapshot
// to bytes that load to the same set, and every active entry must be found by matching its own
// hash (so a crafted file cannot hide entries from matching; a vPDQ entry by its own frames, when it
// has one of quality).

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzz(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    guard size >= 1 else { return 0 }
    let rest = Array(UnsafeBufferPointer(start: data + 1, count: size - 1))
    if data[0] & 1 == 0 {
        load(rest)
    } else if let fixed = Fuzz.withSnapshotChecksums(rest) {
        load(fixed)
    }
    return 0
}

func load(_ bytes: [UInt8]) {
    let set: BankSet
    let sequence: UInt64
    do {
        (set, sequence) = try BankSet.load(snapshot: bytes)
    } catch {
        guard error.code == .invalidData || error.code == .invalidField else { Fuzz.fail("unexpected error \(error)") }
        return
    }
    let again = set.snapshot(sequence: sequence)
    guard let (reloaded, s2) = try? BankSet.load(snapshot: again) else {
        Fuzz.fail("a loaded set's snapshot does not load")
    }
    guard s2 == sequence, reloaded.banks == set.banks, reloaded.entries == set.entries,
        reloaded.snapshot(sequence: sequence) == again
    else { Fuzz.fail("a loaded set's snapshot loads as another set") }
    for entry in set.entries where entry.isActive {
        var hashes = MediaHashes()
        switch entry.signal.type {
        case .pdq: hashes.pdq = entry.signal.pdq
        case .md5: hashes.md5 = entry.signal.value
        case .sha256: hashes.sha256 = entry.signal.value
        case .vpdq: hashes = MediaHashes(video: entry.signal.video!)
        }
        // A vPDQ hash with no frame of quality is never compared.
        if let video = entry.signal.video, video.compared.isEmpty { continue }
        let outcome = set.match(hashes)
        guard outcome.matches.contains(where: { $0.entry.id == entry.id && $0.distance == 0 }) else {
            Fuzz.fail("active entry \(entry.id) (\(entry.signal)) is not matched by its own hash")
        }
    }
}

@_cdecl("LLVMFuzzerInitialize")
public func initialize(_ argc: UnsafeMutablePointer<CInt>?, _ argv: UnsafeMutableRawPointer?) -> CInt {
    Fuzz.writeSeedsIfAsked(seeds)
    return 0
}

/// Small snapshots made by BankSet.snapshot: empty, one bank, and several banks with PDQ, MD5,
/// SHA-256 and vPDQ entries, labels, removals and a relabelling; each as is (0) and for checksum repair (1).
func seeds() -> [(name: String, bytes: [UInt8])] {
    var rng = SplitMix(3)
    func hex(_ digits: Int) -> String {
        String((0..<digits).map { _ in Array("0123456789abcdef")[Int(rng.next() % 16)] })
    }
    var sets: [(String, BankSet, UInt64)] = [("empty", BankSet(), 0)]
    do {
        var one = BankSet()
        _ = try one.create(Bank(name: "gifct", labels: ["category:dissemination"], createdAt: 1_700_000_000))
        _ = try one.add(
            bank: "gifct", signal: Signal(.pdq, hex(64)), labels: ["group:a"], source: "gifct", provenance: "a.te:2",
            at: 1_700_000_001)
        sets.append(("one-bank", one, 7))
        var many = BankSet()
        _ = try many.create(Bank(name: "block", createdAt: 1))
        _ = try many.create(Bank(name: "noisy", quarantined: true, pdqThreshold: 12, createdAt: 2))
        _ = try many.create(Bank(name: "fp", kind: .allow, description: "known false positives", createdAt: 3))
        var pdqs: [Signal] = []
        for i in 0..<6 {
            let s = try Signal(.pdq, hex(64))
            pdqs.append(s)
            _ = try many.add(bank: ["block", "noisy", "fp"][i % 3], signal: s, labels: ["n:\(i)"], at: Int64(10 + i))
        }
        _ = try many.add(bank: "block", signal: Signal(.md5, hex(32)), at: 20)
        _ = try many.add(bank: "noisy", signal: Signal(.sha256, hex(64)), labels: ["x", "y"], at: 21)
        _ = try many.add(bank: "block", signal: Signal(.vpdq, "[\"\(hex(64)),100,0\",\"\(hex(64)),40,1.5\"]"), at: 21)
        _ = try many.add(bank: "block", signal: pdqs[0], labels: ["extra"], at: 22)  // relabel
        _ = try many.remove(bank: "noisy", signal: pdqs[1], at: 23)
        _ = try many.add(bank: "noisy", signal: pdqs[1], at: 24)  // re-added after removal
        _ = try many.remove(bank: "fp", signal: pdqs[2], at: 25)
        sets.append(("three-banks", many, 123_456))
    } catch {
        Fuzz.printError("seeds: \(error)")
    }
    var out: [(String, [UInt8])] = []
    for (name, set, sequence) in sets {
        let bytes = set.snapshot(sequence: sequence)
        // A snapshot of a valid set must load (this is how removal and re-adding was found).
        do {
            _ = try BankSet.load(snapshot: bytes)
        } catch {
            Fuzz.fail("seed \(name), written by BankSet.snapshot, does not load: \(error)")
        }
        out.append((name, [0] + bytes))
        out.append((name + "-fixed", [1] + bytes))
    }
    return out
}

@_cdecl("fuzz_bank_snapshot_main")
public func entry(_ argc: CInt, _ argv: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>) -> CInt {
    bw_fuzz_run(argc, argv) { data, size in fuzz(data!, size) }
}
