import Foundation
import Testing

/// Runs the real `bulwark` binary built next to the test bundle.
struct CLI {
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    static var binary: String {
        if let given = ProcessInfo.processInfo.environment["BULWARK_BIN"] { return given }
        let exe = URL(fileURLWithPath: CommandLine.arguments[0]).resolvingSymlinksInPath()
        var dir = exe.deletingLastPathComponent()
        // The test bundle may be a directory (…/X.xctest/…) on some platforms.
        while dir.lastPathComponent.hasSuffix(".xctest") || dir.path.contains(".xctest/") { dir.deleteLastPathComponent() }
        return dir.appendingPathComponent("bulwark").path
    }

    /// A port for a `bulwark serve` started by a test: random, and below Linux's ephemeral range
    /// (32768-60999), which the test's own outgoing connections take their local ports from. (A
    /// port in that range was once already in use by one of them: "Address already in use".)
    static func listeningPort() -> Int { Int.random(in: 20_000..<32_000) }

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs `bulwark` (or `program`) with `arguments` in the repository's root.
    static func run(_ arguments: [String], stdin: String? = nil, program: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: program ?? binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        // Feed standard input and drain standard error on other threads, so no pipe fills up
        // while this one reads standard output.
        let writer = Thread {
            if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
            try? input.fileHandleForWriting.close()
        }
        writer.start()
        let errBox = DataBox()
        let errDone = DispatchSemaphore(value: 0)
        let errReader = Thread {
            errBox.data = err.fileHandleForReading.readDataToEndOfFile()
            errDone.signal()
        }
        errReader.start()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        errDone.wait()
        let errData = errBox.data ?? Data()
        return Result(
            status: process.terminationStatus, stdout: String(decoding: outData, as: UTF8.self),
            stderr: String(decoding: errData, as: UTF8.self))
    }

    static func lines(_ s: String) throws -> [[String: Any]] {
        try s.split(separator: "\n").map {
            guard let o = try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] else {
                throw CocoaError(.coderReadCorrupt)
            }
            return o
        }
    }
}

final class DataBox: @unchecked Sendable {
    var data: Data?
}

struct ScanCommandTests {
    @Test func scansTheSampleInOrderAndReportsTheMalformedLine() throws {
        let r = try CLI.run(["scan", "examples/sample.jsonl"])
        #expect(r.status == 0)
        let verdicts = try CLI.lines(r.stdout)
        // 18 lines, one malformed: 17 verdicts, in input order.
        #expect(verdicts.map { $0["id"] as? String } == (1...18).filter { $0 != 13 }.map { String(format: "ex-%02d", $0) })
        #expect(r.stderr.contains("line 13"))
        #expect(r.stderr.contains("malformed lines 1"))
        let decisions = Set(verdicts.compactMap { $0["decision"] as? String })
        #expect(decisions == ["violating", "review", "none"])
        #expect(verdicts.contains { $0["context"] as? String != nil })
        for v in verdicts {
            // Categories only when something is to be done; a context only when not.
            let categories = v["categories"] as? [Any] ?? []
            if v["decision"] as? String == "none" { #expect(categories.isEmpty) } else { #expect(v["context"] is NSNull) }
            #expect(v["score"] is Double || v["score"] is Int)
            #expect(v["categories"] is [Any])
            #expect(v["evidence"] is [Any])
            #expect(v["language"] is String)
        }
    }

    @Test func severalThreadsGiveTheSameOutputInTheSameOrder() throws {
        // More lines than one batch, with malformed lines in between.
        var input = ""
        for i in 0..<5_000 {
            input += i % 997 == 5 ? "{broken \(i)\n" : #"{"id":"t\#(i)","text":"Join the soldiers of the caliphate \#(i)"}"# + "\n"
        }
        let one = try CLI.run(["scan", "--threads", "1"], stdin: input)
        let two = try CLI.run(["scan", "--threads", "2"], stdin: input)
        #expect(one.status == 0 && two.status == 0)
        #expect(one.stdout == two.stdout)
        #expect(try CLI.lines(two.stdout).count == 5_000 - 6)
        #expect(two.stderr.contains("line 3994:"))  // i = 3993 is broken: line numbers survive batching
        #expect(two.stderr.contains("malformed lines 6"))
    }

    @Test func strictModeFailsOnTheFirstMalformedLine() throws {
        let r = try CLI.run(["scan", "--strict", "examples/sample.jsonl"])
        #expect(r.status != 0)
        #expect(r.stderr.contains("line 13"))
    }

    @Test func readsStandardInputAndSkipsOverlongLinesWithoutLosingTheRest() throws {
        let long = String(repeating: "x", count: 5_000)
        let input = """
            {"id":"a","text":"hello there"}
            {"id":"b","text":"\(long)"}
            {"id":"c","text":"Ramadan Mubarak"}

            """
        let r = try CLI.run(["scan", "--max-line-bytes", "1000"], stdin: input)
        #expect(r.status == 0)
        #expect(try CLI.lines(r.stdout).map { $0["id"] as? String } == ["a", "c"])
        #expect(r.stderr.contains("line 2"))
        #expect(r.stderr.contains("limit"))
    }

    @Test func missingInputIsAClearError() throws {
        let r = try CLI.run(["scan", "no/such/file.jsonl"])
        #expect(r.status == 1)
        #expect(r.stderr.contains("no/such/file.jsonl"))
        #expect(!r.stderr.contains("Usage:"))
    }

    /// A command that fails at its work says what failed, exits with 1 and prints no usage text
    /// (the command line was right); an argument given wrongly gets the usage text and 64.
    @Test func failuresAtWorkPrintNoUsageTextButWrongArgumentsDo() throws {
        let strict = try CLI.run(["scan", "--strict", "examples/sample.jsonl"])
        #expect(strict.status == 1)
        #expect(strict.stderr.contains("line 13"))
        #expect(!strict.stderr.contains("Usage:"))
        let banks = NSTemporaryDirectory() + "bulwark-cli-usage-\(UInt32.random(in: 0...UInt32.max))"
        defer { try? FileManager.default.removeItem(atPath: banks) }
        let noBank = try CLI.run(["bank", "add", "nobank", "--type", "md5", String(repeating: "0", count: 32), "--banks", banks])
        #expect(noBank.status == 1)
        #expect(noBank.stderr.contains("no bank named \"nobank\""))
        #expect(!noBank.stderr.contains("Usage:"))
        let wrong = try CLI.run(["scan", "--threads", "0", "examples/sample.jsonl"])
        #expect(wrong.status == 64)
        #expect(wrong.stderr.contains("--threads takes 1 to 64"))
        #expect(wrong.stderr.contains("Usage:"))
    }
}

struct EvalCommandTests {
    @Test func reportsPerLanguageCategoryAndKindAsJSON() throws {
        let r = try CLI.run(["eval", "--json", "--split", "test", "data/dev"])
        #expect(r.status == 0)
        let report = try #require(try JSONSerialization.jsonObject(with: Data(r.stdout.utf8)) as? [String: Any])
        let languages = try #require(report["languages"] as? [String: Any])
        for lang in ["ar", "de", "en", "es", "fr"] { #expect(languages[lang] != nil, "\(lang)") }
        let kinds = try #require(report["hard_negatives"] as? [String: Any])
        for kind in ["news", "counter_speech", "religious"] { #expect(kinds[kind] != nil, "\(kind)") }
        #expect(report["categories"] is [String: Any])
        #expect(report["violating_only"] is [String: Any])
        #expect(report["confusion"] is [String: Any])
        // Languages are identified without the items' hints, and mostly right.
        let lid = try #require(report["language_identification"] as? [String: [String: Int]])
        let items = lid.values.reduce(0) { $0 + ($1["items"] ?? 0) }
        let correct = lid.values.reduce(0) { $0 + ($1["correct"] ?? 0) }
        #expect(items > 300 && Double(correct) / Double(items) >= 0.95)
    }
}

struct ExplainCommandTests {
    /// `bulwark explain --json`: a line per item in input order, every word with its span and
    /// signed share (the magnitudes, with the rest's, add up to 1); the malformed line reported.
    @Test func weighsEveryWordOfEachItemAndReportsTheMalformedLine() throws {
        let r = try CLI.run(["explain", "--json", "examples/sample.jsonl"])
        #expect(r.status == 0)
        #expect(r.stderr.contains("line 13"), "\(r.stderr)")
        let lines = try CLI.lines(r.stdout)
        let sample = try CLI.lines(
            String(decoding: try Data(contentsOf: URL(fileURLWithPath: CLI.root + "/examples/sample.jsonl")), as: UTF8.self)
                .split(separator: "\n").enumerated().filter { $0.offset != 12 }.map { String($0.element) }.joined(separator: "\n"))
        #expect(lines.map { $0["id"] as? String } == sample.map { $0["id"] as? String })
        var lowered = 0
        for (line, item) in zip(lines, sample) {
            let text = Array((item["text"] as? String ?? "").unicodeScalars)
            let words = try #require(line["words"] as? [[String: Any]])
            #expect(!words.isEmpty)
            var magnitude = abs((line["unowned"] as? NSNumber)?.doubleValue ?? 0)
            for w in words {
                let start = try #require((w["start"] as? NSNumber)?.intValue)
                let end = try #require((w["end"] as? NSNumber)?.intValue)
                #expect(0 <= start && start < end && end <= text.count)
                #expect(String(String.UnicodeScalarView(text[start..<end])) == w["text"] as? String)
                let share = (w["share"] as? NSNumber)?.doubleValue ?? 0
                magnitude += abs(share)
                if share < 0 { lowered += 1 }
            }
            #expect(abs(magnitude - 1) < 0.01, "\(line["id"] ?? "")")
        }
        #expect(lowered > 10)

        let table = try CLI.run(["explain", "--text", "The minister condemned the attack and called for unity", "--top", "3"])
        #expect(table.status == 0)
        #expect(table.stdout.contains("  raised:  ") && table.stdout.contains("  lowered: "))
        #expect(table.stdout.contains("condemned -"), "\(table.stdout)")

        // With the encoder: its probability and one change per word.
        let full = try CLI.lines(
            try CLI.run(["explain", "--model", "full", "--json", "--text", "Hermanos, uníos al califato, los muyahidines os esperan"]).stdout)
        let encoder = try #require(full.first?["encoder"] as? [String: Any])
        #expect((encoder["word_changes"] as? [Any])?.count == (full.first?["words"] as? [Any])?.count)
        #expect(((encoder["violating"] as? NSNumber)?.doubleValue ?? 0) > 0.5)

        let both = try CLI.run(["explain", "--text", "x", "examples/sample.jsonl"])
        #expect(both.status == 64)
        #expect(both.stderr.contains("not both"))
    }
}
