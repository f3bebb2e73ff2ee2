import BulwarkMedia
import Foundation
import Testing

/// Paths and helpers shared by the media tests.
enum Support {
    /// The package root, from this file's path.
    static let root: String = {
        var url = URL(fileURLWithPath: #filePath)
        for _ in 0..<3 { url.deleteLastPathComponent() }
        return url.path
    }()

    /// The PDQ test images (`../shared/data/pdq` beside the repository).
    static let pdqData: String = URL(fileURLWithPath: root + "/../shared/data/pdq").standardizedFileURL.path

    static func read(_ path: String) throws -> [UInt8] {
        [UInt8](try Data(contentsOf: URL(fileURLWithPath: path)))
    }

    static func pdqImage(_ relative: String) throws -> [UInt8] { try read(pdqData + "/" + relative) }

    struct ProcessResult {
        var status: Int32
        var stdout: String
        var stderr: String
    }

    /// Runs a program to completion, reading both pipes on separate threads.
    static func run(_ executable: String, _ arguments: [String]) throws -> ProcessResult {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = [executable] + arguments
        process.currentDirectoryURL = URL(fileURLWithPath: root)
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let box = Box()
        let done = DispatchSemaphore(value: 0)
        Thread {
            box.data = err.fileHandleForReading.readDataToEndOfFile()
            done.signal()
        }.start()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        done.wait()
        return ProcessResult(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self),
            stderr: String(decoding: box.data, as: UTF8.self))
    }

    final class Box: @unchecked Sendable {
        var data = Data()
    }

    /// This test process's scratch folder (under the temporary directory), removed with everything
    /// in it when the process exits: the PDQ reference writes 285 MB of images there, which the
    /// tests read until the end, and a run must not leave them behind.
    static let scratchRoot: String = {
        let path = FileManager.default.temporaryDirectory
            .appendingPathComponent("bulwark-media-tests-\(UUID().uuidString)").path
        atexit { try? FileManager.default.removeItem(atPath: Support.scratchRoot) }
        return path
    }()

    /// A fresh directory inside `scratchRoot`.
    static func temporaryDirectory(_ name: String) throws -> String {
        let dir = URL(fileURLWithPath: scratchRoot).appendingPathComponent("\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: dir, withIntermediateDirectories: true)
        return dir.path
    }
}

/// A small deterministic generator (PCG-style LCG) for seeded random tests.
struct SeededGenerator: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        var x = state
        x ^= x >> 33
        x = x &* 0xff51_afd7_ed55_8ccd
        x ^= x >> 33
        return x
    }
}
