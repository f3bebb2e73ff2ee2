import ArgumentParser
import BulwarkServer
import Testing

@testable import bulwark

/// What `serve` and `worker` are told about background work reaches the service's configuration.
struct WorkOptionsTests {
    @Test func theStoredPixelsHashIsOnUnlessTurnedOff() throws {
        for (arguments, wanted) in [([String](), true), (["--stored-pixels-hash"], true), (["--no-stored-pixels-hash"], false)] {
            var config = ServerConfiguration()
            config.hashesStoredPixels = !wanted
            try WorkOptions.parse(arguments).apply(to: &config)
            #expect(config.hashesStoredPixels == wanted, "\(arguments)")
        }
        #expect(throws: (any Error).self) { try WorkOptions.parse(["--stored-pixels-hash=off"]) }
    }
}
