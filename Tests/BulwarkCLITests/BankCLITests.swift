import Foundation
import Testing

struct BankCommandTests {
    let pdqA = "f162eb9daab170c0567fe3632d9a5548c5612982dd5e374a7424ebbc8a835c95"
    let pdqB = "98736629670cc19fc9f23862f66cce1f599e32c78e236c78619d202e9e66c157"

    func directory(_ name: String) -> String {
        let path = NSTemporaryDirectory() + "bulwark-cli-banks-\(name)-\(UInt32.random(in: 0...UInt32.max))"
        try? FileManager.default.removeItem(atPath: path)
        return path
    }

    @Test func importMatchExportRoundTrip() throws {
        let banks = directory("roundtrip")
        defer { try? FileManager.default.removeItem(atPath: banks) }
        let list = banks + ".csv"
        defer { try? FileManager.default.removeItem(atPath: list) }
        // A ThreatExchange-style list with a header and one bad row on line 3.
        try """
            indicator,descriptor_id,added_on,labels
            \(pdqA),101,2021-01-02,group:example category:dissemination
            not-a-hash,102,2021-01-02,x
            \(pdqB),103,2021-01-03,group:example

            """.write(toFile: list, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["bank", "create", "gifct", "--banks", banks]).status == 0)
        let first = try CLI.run(["bank", "import", "gifct", list, "--format", "te", "--type", "pdq", "--banks", banks])
        #expect(first.status == 0)
        #expect(first.stdout.contains("2 added, 0 unchanged, 1 bad rows"))
        #expect(first.stderr.contains("line 3"))
        // Idempotent.
        let second = try CLI.run(["bank", "import", "gifct", list, "--format", "te", "--type", "pdq", "--banks", banks])
        #expect(second.stdout.contains("0 added, 2 unchanged, 1 bad rows"))
        // --strict imports nothing when a row is bad.
        #expect(try CLI.run(["bank", "create", "other", "--banks", banks]).status == 0)
        let strict = try CLI.run(["bank", "import", "other", list, "--format", "te", "--type", "pdq", "--strict", "--banks", banks])
        #expect(strict.status != 0)

        // A near-duplicate of A (3 bits flipped in the last digit: 5 -> a) matches.
        let nearA = String(pdqA.dropLast()) + "a"
        let match = try CLI.run(["match", "--hash", "pdq:\(nearA)", "--banks", banks])
        #expect(match.status == 0)
        let result = try #require(try CLI.lines(match.stdout).first)
        #expect(result["decision"] as? String == "violating")
        let matches = try #require(result["matches"] as? [[String: Any]])
        #expect(matches.count == 1)
        #expect(matches.first?["distance"] as? Int == 4)
        #expect((matches.first?["labels"] as? [String])?.contains("group:example") == true)
        #expect((matches.first?["provenance"] as? String)?.contains("line 2") == true)

        // Allow-listing it turns the decision to none.
        #expect(try CLI.run(["bank", "create", "fp", "--allow", "--banks", banks]).status == 0)
        #expect(try CLI.run(["bank", "add", "fp", "--type", "pdq", pdqA, "--banks", banks]).status == 0)
        let allowed = try CLI.lines(try CLI.run(["match", "--hash", "pdq:\(nearA)", "--banks", banks]).stdout)
        #expect(allowed.first?["decision"] as? String == "none")
        #expect(allowed.first?["allow_listed"] as? Bool == true)

        // Quarantine: review only (query B, which the allow bank does not hold).
        #expect(try CLI.run(["bank", "update", "gifct", "--quarantined", "true", "--banks", banks]).status == 0)
        let quarantined = try CLI.lines(try CLI.run(["match", "--hash", "pdq:\(pdqB)", "--banks", banks]).stdout)
        #expect(quarantined.first?["decision"] as? String == "review")

        // Export in each format; re-importing an export into a new bank gives the same list.
        for format in ["te", "hma", "hash-labels"] {
            let out = try CLI.run(["bank", "export", "gifct", "--format", format, "--banks", banks])
            #expect(out.status == 0)
            #expect(out.stdout.contains(pdqA) && out.stdout.contains(pdqB))
            let file = banks + "-export.\(format)"
            defer { try? FileManager.default.removeItem(atPath: file) }
            try out.stdout.write(toFile: file, atomically: true, encoding: .utf8)
            let copy = "copy-\(format)"
            #expect(try CLI.run(["bank", "create", copy, "--banks", banks]).status == 0)
            let imported = try CLI.run(["bank", "import", copy, file, "--format", format, "--type", "pdq", "--banks", banks])
            #expect(imported.stdout.contains("2 added, 0 unchanged, 0 bad rows"), "\(format): \(imported.stdout)")
        }
        let listing = try CLI.run(["bank", "list", "--json", "--banks", banks])
        let rows = try CLI.lines(listing.stdout)
        #expect(rows.count == 6)
        let gifct = try #require(rows.first { $0["name"] as? String == "gifct" })
        #expect(gifct["quarantined"] as? Bool == true)
        #expect((gifct["entries"] as? [String: Int])?["pdq"] == 2)

        // Removal.
        #expect(try CLI.run(["bank", "remove", "gifct", "--type", "pdq", pdqB, "--banks", banks]).status == 0)
        let gone = try CLI.lines(try CLI.run(["match", "--hash", "pdq:\(pdqB)", "--bank", "gifct", "--banks", banks]).stdout)
        #expect(gone.first?["decision"] as? String == "none")
    }

    @Test func badInputIsAClearError() throws {
        let banks = directory("bad")
        defer { try? FileManager.default.removeItem(atPath: banks) }
        let noBank = try CLI.run(["bank", "add", "nobank", "--type", "md5", String(repeating: "0", count: 32), "--banks", banks])
        #expect(noBank.status != 0)
        #expect(noBank.stderr.contains("no bank named \"nobank\""))
        #expect(try CLI.run(["bank", "create", "bad name", "--banks", banks]).status != 0)
        #expect(try CLI.run(["bank", "create", "b", "--banks", banks]).status == 0)
        let short = try CLI.run(["bank", "add", "b", "--type", "pdq", "abc", "--banks", banks])
        #expect(short.status != 0)
        #expect(short.stderr.contains("64 hex digits"))
        let query = try CLI.run(["match", "--hash", "pdq", "--banks", banks])
        #expect(query.status != 0)
        #expect(try CLI.run(["match", "--hash", "md5:\(String(repeating: "0", count: 32))", "--banks", banks + "-missing"]).status != 0)
    }

    /// With --database the bank commands work on the banks a database's processes share
    /// (serve --banks-in-database): each change audited as "cli", new entries queue a retro-hunt,
    /// and the bank directory is not touched.
    @Test func bankCommandsWorkOnTheDatabasesSharedBanks() throws {
        let place = directory("database")
        try FileManager.default.createDirectory(atPath: place, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: place) }
        let database = place + "/bulwark.db"
        let banks = place + "/banks"
        let list = place + "/list.csv"
        try "\(pdqA),group:example\nnot-a-hash,x\n\(pdqB),group:example\n".write(toFile: list, atomically: true, encoding: .utf8)

        let created = try CLI.run(["bank", "create", "gifct", "--database", database, "--banks", banks])
        #expect(created.status == 0 && created.stdout.contains("created block bank gifct"), "\(created.stderr)")
        let imported = try CLI.run(["bank", "import", "gifct", list, "--type", "pdq", "--database", database, "--banks", banks])
        #expect(imported.status == 0)
        #expect(imported.stdout.contains("2 added, 0 unchanged, 1 bad rows"), "\(imported.stdout)")
        #expect(imported.stdout.contains("retro-hunt queued for 2 new entries"))
        let again = try CLI.run(["bank", "import", "gifct", list, "--type", "pdq", "--database", database, "--banks", banks])
        #expect(again.stdout.contains("0 added, 2 unchanged, 1 bad rows") && !again.stdout.contains("retro-hunt"))
        let removed = try CLI.run(["bank", "remove", "gifct", "--type", "pdq", pdqB, "--database", database, "--banks", banks])
        #expect(removed.status == 0 && removed.stdout.contains("removed"))

        let listed = try CLI.lines(try CLI.run(["bank", "list", "--json", "--database", database, "--banks", banks]).stdout)
        #expect(listed.count == 1)
        #expect((listed.first?["entries"] as? [String: Int])?["pdq"] == 1)
        let matched = try CLI.lines(try CLI.run(["match", "--hash", "pdq:\(pdqA)", "--hash", "pdq:\(pdqB)", "--database", database]).stdout)
        #expect(matched.map { $0["decision"] as? String } == ["violating", "none"])
        let exported = try CLI.run(["bank", "export", "gifct", "--database", database, "--banks", banks])
        #expect(exported.stdout.contains(pdqA) && !exported.stdout.contains(pdqB))
        // The bank directory was never made; the database's audit log holds the four changes.
        #expect(!FileManager.default.fileExists(atPath: banks))
        #expect(try CLI.run(["bank", "list", "--banks", banks]).status != 0)
        let audit = try CLI.run(["audit", "verify", "--database", database])
        #expect(audit.stdout.contains("audit log intact: 4 entries"), "\(audit.stdout)")
        // A bank the database does not have is an error naming it.
        let missing = try CLI.run(["bank", "add", "nope", "--type", "pdq", pdqA, "--database", database, "--banks", banks])
        #expect(missing.status != 0 && missing.stderr.contains("no bank named \"nope\""), "\(missing.stderr)")
    }

    /// A process on the database's banks stores a snapshot when due (`--bank-snapshot-every`), and
    /// the next process starts from it and replays only the events after it: both say so in their
    /// log.
    @Test func aProcessStartsFromTheSnapshotAnotherStored() async throws {
        let place = directory("snapshot")
        try FileManager.default.createDirectory(atPath: place, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(atPath: place) }
        let database = place + "/bulwark.db"
        #expect(try CLI.run(["bank", "create", "b", "--database", database]).status == 0)
        #expect(try CLI.run(["bank", "add", "b", "--type", "pdq", pdqA, "--database", database]).status == 0)
        func worker(_ extra: [String], until text: String) async throws -> String {
            let worker = try WorkerProcessTests.Worker(database, extra)
            let deadline = Date().addingTimeInterval(30)
            while !worker.output.contains(text) && worker.process.isRunning && Date() < deadline {
                try await Task.sleep(nanoseconds: 50_000_000)
            }
            let output = worker.output
            await worker.stop()
            return output
        }
        let first = try await worker(["--bank-snapshot-every", "1"], until: "bank snapshot stored")
        #expect(first.contains("banks loaded from 2 bank-log events"), "\(first)")
        #expect(first.contains("banks.sequence=2 banks.snapshot_bytes="), "\(first)")
        #expect(try CLI.run(["bank", "add", "b", "--type", "pdq", pdqB, "--database", database]).status == 0)
        let second = try await worker(["--bank-snapshot-every", "0"], until: "banks loaded")
        #expect(second.contains("banks loaded from a snapshot at event 2 ("), "\(second)")
        #expect(second.contains("bytes) and 1 bank-log events"), "\(second)")
        #expect(!second.contains("bank snapshot stored"))
    }
}

struct MatchFilesTests {
    @Test func imagesMatchTheirKnownOriginalEditedRotatedOrNot() throws {
        let banks = NSTemporaryDirectory() + "bulwark-cli-match-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: banks) }
        let pdq = "../shared/data/pdq/"
        let original = pdq + "bridge-mods/aaa-orig.jpg"
        let hashed = try CLI.lines(try CLI.run(["hash", original]).stdout)
        let hash = try #require(hashed.first?["pdq"] as? String)
        #expect(try CLI.run(["bank", "create", "known", "--banks", banks]).status == 0)
        #expect(try CLI.run(["bank", "add", "known", "--type", "pdq", hash, "--label", "category:dissemination", "--banks", banks]).status == 0)

        let files = [
            pdq + "bridge-mods/blur-a-little.jpg", pdq + "bridge-mods/shrink-a-lot.jpg",
            pdq + "reg-test-input/dih/bridge-2-rotate-90.jpg", pdq + "misc-images/c.png", banks + "/missing.jpg",
        ]
        let plain = try CLI.run(["match"] + files + ["--banks", banks])
        #expect(plain.status == 1)  // the missing file
        let lines = try CLI.lines(plain.stdout)
        #expect(lines.count == files.count)
        #expect(lines.map { $0["decision"] as? String } == ["violating", "violating", "none", "none", nil])
        #expect(((lines[0]["matches"] as? [[String: Any]])?.first?["distance"] as? Int ?? 99) <= 31)
        #expect((lines[4]["error"] as? [String: Any])?["code"] as? String == "unreadable")
        // With --dihedral the rotated copy matches too.
        let rotated = try CLI.lines(try CLI.run(["match", "--dihedral", files[2], "--banks", banks]).stdout)
        #expect(rotated.first?["decision"] as? String == "violating")

        // A file Bulwark does not decode (the start of an MP4, then noise) is matched by its MD5 once
        // a bank has it.
        let video = banks + "/clip.mp4"
        try Data([0, 0, 0, 0x18] + Array("ftypisom".utf8) + (0..<3_000).map { UInt8(truncatingIfNeeded: $0 &* 31) })
            .write(to: URL(fileURLWithPath: video))
        let unknown = try CLI.run(["match", video, "--banks", banks])
        #expect(unknown.status == 0)
        let unknownLine = try #require(try CLI.lines(unknown.stdout).first)
        #expect(unknownLine["decision"] as? String == "none" && unknownLine["pdq"] == nil)
        let reason = try #require(unknownLine["not_an_image"] as? [String: Any])
        #expect(reason["code"] as? String == "corrupt" && (reason["message"] as? String)?.hasPrefix("mp4: ") == true)
        let md5 = try #require(unknownLine["md5"] as? String)
        #expect(md5.count == 32)
        #expect(try CLI.run(["bank", "add", "known", "--type", "md5", md5, "--label", "category:dissemination", "--banks", banks]).status == 0)
        let known = try #require(try CLI.lines(try CLI.run(["match", video, "--banks", banks]).stdout).first)
        #expect(known["decision"] as? String == "violating")
        #expect((known["matches"] as? [[String: Any]])?.first?["type"] as? String == "md5")
    }
}
