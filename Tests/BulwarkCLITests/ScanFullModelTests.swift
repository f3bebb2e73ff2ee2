import Foundation
import Testing

/// `scan --model full` keeps each thread's scratch space, and with it the encoder's kept pieces
/// and whole embeddings, from one batch of lines to the next.
struct ScanFullModelTests {
    /// The encoder's counts from `scan`'s summary: items, of which embeddings kept and computed,
    /// then tokens, kept, computed (the routes in parentheses left out; `encoderRoutes` reads
    /// them).
    static func encoderCounts(_ stderr: String) throws -> [Int] {
        let line = try #require(stderr.split(separator: "\n").first { $0.hasPrefix("bulwark scan: encoder:") })
        var withoutRoutes = String(line)
        if let open = withoutRoutes.firstIndex(of: "("), let close = withoutRoutes.firstIndex(of: ")"), open < close {
            withoutRoutes.removeSubrange(open...close)
        }
        return withoutRoutes.split(whereSeparator: { !$0.isNumber }).compactMap { Int($0) }
    }

    /// The routes in parentheses in `scan`'s encoder summary, "title 2, band 1".
    static func encoderRoutes(_ stderr: String) -> String? {
        guard let line = stderr.split(separator: "\n").first(where: { $0.hasPrefix("bulwark scan: encoder:") }),
            let open = line.firstIndex(of: "("), let close = line.firstIndex(of: ")")
        else { return nil }
        return String(line[line.index(after: open)..<close])
    }

    @Test func whatIsKeptInOneBatchServesTheNext() throws {
        let title = #"{"id":"ID","type":"title","text":"Supporters of the Islamic State"}"#
        // One title alone, then the same title at line 1 and again at line 2,049: the first line
        // of the second batch of 2,048 lines.
        let alone = try CLI.run(["scan", "--model", "full"], stdin: title.replacingOccurrences(of: "ID", with: "a") + "\n")
        #expect(alone.status == 0, "\(alone.stderr)")
        let one = try Self.encoderCounts(alone.stderr)
        try #require(one.count == 6, "\(alone.stderr)")
        #expect(one[0] == 1 && one[1] == 0 && one[2] == 1, "the first time the embedding is computed: \(one)")
        #expect(one[3] > 0 && one[5] > 0, "the first time pieces are computed: \(one)")
        #expect(Self.encoderRoutes(alone.stderr) == "title 1", "\(alone.stderr)")

        let lines =
            [title.replacingOccurrences(of: "ID", with: "a")] + Array(repeating: "", count: 2_047)
            + [title.replacingOccurrences(of: "ID", with: "b")]
        let twice = try CLI.run(["scan", "--model", "full"], stdin: lines.joined(separator: "\n") + "\n")
        #expect(twice.status == 0, "\(twice.stderr)")
        let verdicts = try CLI.lines(twice.stdout)
        #expect(verdicts.map { $0["id"] as? String } == ["a", "b"])
        let two = try Self.encoderCounts(twice.stderr)
        try #require(two.count == 6, "\(twice.stderr)")
        #expect(two[0] == 2, "both titles went to the encoder: \(two)")
        #expect(Self.encoderRoutes(twice.stderr) == "title 2", "\(twice.stderr)")
        // The second batch found the first's embedding of the title kept, so it looked no piece up.
        #expect(two[1] == 1 && two[2] == 1, "kept, then computed: \(one) then \(two)")
        #expect(two[3] == one[3] && two[4] == one[4] && two[5] == one[5], "no piece looked up again: \(one) then \(two)")
    }
}
