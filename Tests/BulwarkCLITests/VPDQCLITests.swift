import Foundation
import Testing

/// vPDQ from the command line, against ThreatExchange's own hasher (`vpdq`, built by
/// `scripts/setup.sh --references`): a partner's vPDQ hash of a video, banked, matches Bulwark's
/// hash of a copy in another codec; `bulwark hash` gives a video's vpdq value, which HMA's file
/// format carries into another bank and which matches the partner's too.
struct VPDQCommandTests {
    @Test func aPartnersVPDQHashMatchesACopyInAnotherCodec() throws {
        let dir = NSTemporaryDirectory() + "bulwark-cli-vpdq-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: dir) }
        for name in ["h264.mp4", "vp9.webm"] {
            let made = try CLI.run(["python3", "scripts/video-reference.py", "--out", dir, "--only", name], program: "/usr/bin/env")
            try #require(made.status == 0, "\(made.stderr)")
        }
        // The partner hashed the H.264 original with vPDQ: 10 frames, the grey title card's three
        // of quality 0.
        let reference = try CLI.run(["python3", "scripts/vpdq-reference.py", dir + "/h264.mp4"], program: "/usr/bin/env")
        try #require(reference.status == 0, "\(reference.stderr)")
        let partner = reference.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        let features = try #require(try JSONSerialization.jsonObject(with: Data(partner.utf8)) as? [String])
        #expect(features.count == 10)
        #expect(features.prefix(3).allSatisfy { $0.split(separator: ",")[1] == "0" })

        let banks = dir + "/banks"
        #expect(try CLI.run(["bank", "create", "partner", "--label", "category:dissemination", "--banks", banks]).status == 0)
        let added = try CLI.run(["bank", "add", "partner", "--type", "vpdq", partner, "--banks", banks])
        #expect(added.status == 0, "\(added.stderr)")
        let listed = try CLI.lines(try CLI.run(["bank", "list", "--json", "--banks", banks]).stdout)
        #expect((listed.first?["entries"] as? [String: Int])?["vpdq"] == 1)

        // The VP9 copy: its 4 frames of quality (the first frame is the grey card) are all in
        // the partner's video, and the partner's 5 distinct frames of quality all in the copy.
        let match = try CLI.run(["match", dir + "/vp9.webm", "--banks", banks])
        #expect(match.status == 0, "\(match.stderr)")
        let line = try #require(try CLI.lines(match.stdout).first)
        #expect(line["decision"] as? String == "violating")
        let m = try #require((line["matches"] as? [[String: Any]])?.first)
        #expect(m["type"] as? String == "vpdq" && m["bank"] as? String == "partner")
        let video = try #require(m["video"] as? [String: Any])
        #expect(video["frames"] as? Int == 4 && video["frames_matched"] as? Int == 4)
        #expect(video["entry_frames"] as? Int == 5 && video["entry_frames_matched"] as? Int == 5)
        #expect(video["percent"] as? Double == 100 && video["entry_percent"] as? Double == 100)
        #expect((m["distance"] as? Int ?? 99) <= 8)

        // Bulwark's own vPDQ hash of the copy, in HMA's file format, into another bank.
        let hashed = try #require(try CLI.lines(try CLI.run(["hash", dir + "/vp9.webm"]).stdout).first)
        let own = try #require(hashed["vpdq"] as? String)
        let ownFeatures = try #require(try JSONSerialization.jsonObject(with: Data(own.utf8)) as? [String])
        #expect(ownFeatures.map { $0.split(separator: ",")[2] } == ["0", "3", "4", "6", "9"])
        let file = dir + "/own.hma"
        try "vpdq \(own)\n".write(toFile: file, atomically: true, encoding: .utf8)
        #expect(try CLI.run(["bank", "create", "own", "--banks", banks]).status == 0)
        let imported = try CLI.run(["bank", "import", "own", file, "--format", "hma", "--banks", banks])
        #expect(imported.stdout.contains("1 added, 0 unchanged, 0 bad rows"), "\(imported.stdout) \(imported.stderr)")
        // The partner's hash, queried as such, is found in both banks.
        let queried = try #require(try CLI.lines(try CLI.run(["match", "--hash", "vpdq:\(partner)", "--banks", banks]).stdout).first)
        let banksMatched = (queried["matches"] as? [[String: Any]])?.compactMap { $0["bank"] as? String }.sorted()
        #expect(banksMatched == ["own", "partner"], "\(queried)")
        // Exported in HMA's format, the value is the canonical text, read back by the same file.
        let exported = try CLI.run(["bank", "export", "own", "--format", "hma", "--banks", banks])
        #expect(exported.stdout == "vpdq \(own)\n")
        // A bad value is refused, saying which frame.
        let bad = try CLI.run(["bank", "add", "own", "--type", "vpdq", #"["abc,100,0"]"#, "--banks", banks])
        #expect(bad.status != 0 && bad.stderr.contains("vpdq frame 1"), "\(bad.stderr)")
    }

    /// `bench vpdq` checks what it times: every copy found with its entry (also inside a video three
    /// times as long), no unrelated video matched.
    @Test func theBenchmarkFindsEveryCopyAndNothingElse() throws {
        let r = try CLI.run(["bench", "vpdq", "--videos", "300", "--frames", "20", "--queries", "60", "--seed", "9"])
        #expect(r.status == 0, "\(r.stdout) \(r.stderr)")
        #expect(r.stdout.contains("bank: 300 vPDQ entries of 20 frames (6000 frames indexed)"), "\(r.stdout)")
        #expect(r.stdout.contains("found: 40 of the copies and copies inside longer videos (0 missed), 0 matches of another entry or an unrelated video"), "\(r.stdout)")
        #expect(try CLI.run(["bench", "vpdq", "--frames", "0"]).status != 0)
    }
}
