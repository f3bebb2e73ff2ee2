import BulwarkBankFiles
import BulwarkBanks
import BulwarkCore
import Foundation
import Testing

/// A fresh temporary directory per test.
func temporaryDirectory(_ name: String) -> String {
    let path = NSTemporaryDirectory() + "bulwark-banks-\(name)-\(UInt32.random(in: 0...UInt32.max))"
    try? FileManager.default.removeItem(atPath: path)
    return path
}

struct BankDirectoryTests {
    func fill(_ store: BankDirectory, count: Int, seed: UInt64) throws -> [PDQHash] {
        var rng = SplitMix64(seed: seed)
        let hashes = (0..<count).map { _ in rng.pdqHash() }
        try store.change { (set: inout BankSet) throws(BulwarkError) in
            var events = try set.create(Bank(name: "gifct", createdAt: 1))
            for h in hashes { events += try set.add(bank: "gifct", signal: Signal(pdq: h), at: 2).1 }
            return ((), events)
        }
        return hashes
    }

    @Test func reopeningReadsTheSnapshotAndReplaysOnlyTheTail() throws {
        let path = temporaryDirectory("reopen")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var hashes: [PDQHash] = []
        do {
            let store = try BankDirectory(path: path, writable: true)
            hashes = try fill(store, count: 2000, seed: 1)
            try store.saveSnapshot()
            // Three more changes after the snapshot.
            try store.change { (set: inout BankSet) throws(BulwarkError) in
                var events: [BankEvent] = []
                events += try set.remove(bank: "gifct", signal: Signal(pdq: hashes[0]), at: 3).1
                events += try set.add(bank: "gifct", signal: Signal(.md5, md5A), at: 3).1
                events += try set.create(Bank(name: "fp", kind: .allow, createdAt: 3))
                return ((), events)
            }
        }
        let reopened = try BankDirectory(path: path, writable: false)
        #expect(reopened.replayedEvents == 3)
        #expect(reopened.sequence == 2001 + 3)
        #expect(reopened.snapshotSequence == 2001)
        #expect(reopened.banks.activeCount(bank: "gifct") == 2000)
        #expect(reopened.banks.match(MediaHashes(pdq: hashes[0])).matches.isEmpty)
        #expect(reopened.banks.match(MediaHashes(pdq: hashes[1])).decision == .violating)
        #expect(reopened.banks.match(MediaHashes(md5: md5A)).decision == .violating)
        #expect(reopened.banks.banks["fp"]?.kind == .allow)
    }

    @Test func aTornLastLineIsDroppedAndADamagedOneIsAnError() throws {
        let path = temporaryDirectory("torn")
        defer { try? FileManager.default.removeItem(atPath: path) }
        do {
            let store = try BankDirectory(path: path, writable: true)
            _ = try fill(store, count: 10, seed: 2)
        }
        let log = path + "/events.jsonl"
        let good = try Data(contentsOf: URL(fileURLWithPath: log))
        // A crash in the middle of a write: an unfinished last line.
        try (good + Data("{\"seq\":12,\"op\":\"ad".utf8)).write(to: URL(fileURLWithPath: log))
        do {
            let store = try BankDirectory(path: path, writable: true)
            #expect(store.sequence == 11)
            #expect(store.notes.contains { $0.contains("unfinished last line") })
            #expect(store.banks.activeCount(bank: "gifct") == 10)
        }
        #expect(try Data(contentsOf: URL(fileURLWithPath: log)) == good)  // truncated back
        // Damage in the middle is never skipped silently.
        var lines = String(decoding: good, as: UTF8.self).split(separator: "\n").map(String.init)
        lines[4] = "{\"seq\":5,\"op\":"
        try (lines.joined(separator: "\n") + "\n").write(toFile: log, atomically: true, encoding: .utf8)
        do {
            _ = try BankDirectory(path: path, writable: false)
            Issue.record("a damaged line was accepted")
        } catch {
            #expect(error.line == 5)
        }
    }

    @Test func aDamagedSnapshotIsIgnoredAndTheLogReplayed() throws {
        let path = temporaryDirectory("snapshot")
        defer { try? FileManager.default.removeItem(atPath: path) }
        var hashes: [PDQHash] = []
        do {
            let store = try BankDirectory(path: path, writable: true)
            hashes = try fill(store, count: 500, seed: 3)
            try store.saveSnapshot()
        }
        let snapshot = path + "/snapshot.bin"
        var bytes = try [UInt8](Data(contentsOf: URL(fileURLWithPath: snapshot)))
        bytes[bytes.count / 2] ^= 0xFF
        try Data(bytes).write(to: URL(fileURLWithPath: snapshot))
        let store = try BankDirectory(path: path, writable: false)
        #expect(store.notes.contains { $0.contains("snapshot ignored") })
        #expect(store.replayedEvents == 501)
        #expect(store.banks.match(MediaHashes(pdq: hashes[7])).decision == .violating)
    }

    @Test func snapshotsAreWrittenAsChangesAccumulate() throws {
        let path = temporaryDirectory("auto")
        defer { try? FileManager.default.removeItem(atPath: path) }
        let store = try BankDirectory(path: path, writable: true)
        store.snapshotEvery = 100
        _ = try fill(store, count: 250, seed: 4)
        #expect(store.snapshotSequence == 251)
        #expect(FileManager.default.fileExists(atPath: path + "/snapshot.bin"))
        #expect(throws: BulwarkError.self) {
            try BankDirectory(path: path + "/missing", writable: false)
        }
    }
}
