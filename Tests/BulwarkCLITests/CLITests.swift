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

    struct Result {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    static func run(_ arguments: [String], stdin: String? = nil) throws -> Result {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: binary)
        process.arguments = arguments
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let out = Pipe()
        let err = Pipe()
        let input = Pipe()
        process.standardOutput = out
        process.standardError = err
        process.standardInput = input
        try process.run()
        if let stdin { input.fileHandleForWriting.write(Data(stdin.utf8)) }
        try input.fileHandleForWriting.close()
        let outData = out.fileHandleForReading.readDataToEndOfFile()
        let errData = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
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

struct ScanCommandTests {
    @Test func scansTheSampleInOrderAndReportsTheMalformedLine() throws {
        let r = try CLI.run(["scan", "examples/sample.jsonl"])
        #expect(r.status == 0)
        let verdicts = try CLI.lines(r.stdout)
        // 16 lines, one malformed: 15 verdicts, in input order.
        #expect(verdicts.map { $0["id"] as? String } == (1...16).filter { $0 != 13 }.map { String(format: "ex-%02d", $0) })
        #expect(r.stderr.contains("line 13"))
        #expect(r.stderr.contains("malformed lines 1"))
        let decisions = Set(verdicts.compactMap { $0["decision"] as? String })
        #expect(decisions == ["violating", "review", "none"])
        #expect(verdicts.contains { $0["context"] as? String != nil })
        for v in verdicts {
            #expect(v["score"] is Double || v["score"] is Int)
            #expect(v["categories"] is [Any])
            #expect(v["evidence"] is [Any])
            #expect(v["language"] is String)
        }
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
        #expect(r.status != 0)
        #expect(r.stderr.contains("no/such/file.jsonl"))
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
    }
}
