import Foundation
import Testing

struct EmbedCommandTests {
    @Test func writesOneUnitLengthEmbeddingPerItemInOrderAndSkipsTheMalformedLine() throws {
        let input = """
            {"id":"en","text":"The government condemned the attack."}
            {"id":"broken","text":
            {"id":"es","text":"El gobierno condenó el ataque."}
            {"id":"other","text":"Mi hermana cocina paella los domingos."}

            """
        let r = try CLI.run(["embed", "--ids"], stdin: input)
        #expect(r.status == 0, "\(r.stderr)")
        let lines = try CLI.lines(r.stdout)
        #expect(lines.map { $0["id"] as? String } == ["en", "es", "other"])
        #expect(r.stderr.contains("line 2"))
        let vectors = lines.map { ($0["embedding"] as? [Double]) ?? [] }
        for v in vectors {
            #expect(v.count == 512)
            #expect(abs(v.reduce(0) { $0 + $1 * $1 }.squareRoot() - 1) < 1e-5)
        }
        let ids = (lines[0]["ids"] as? [Int]) ?? []
        #expect(ids.first == 1 && ids.last == 2 && ids.count > 4)
        func cosine(_ a: [Double], _ b: [Double]) -> Double { zip(a, b).reduce(0) { $0 + $1.0 * $1.1 } }
        #expect(cosine(vectors[0], vectors[1]) > cosine(vectors[0], vectors[2]) + 0.2)
    }
}

struct FullModelCommandTests {
    /// `scan --model full --threads 2`: the threads share their whole embeddings. Two titles are
    /// encoded in the first batch of lines by one thread each, and come again in the second batch
    /// on the other thread: both are found kept, which embeddings kept per thread would not find;
    /// and the output is the same as one thread's.
    @Test func scanThreadsShareTheEmbeddingsTheyKeep() throws {
        let chatter = #"{"id":"c","text":"Anyone up for football on Saturday? Bring water, it will be hot."}"#
        let first = #"{"id":"a","type":"title","text":"Supporters of the Islamic State"}"#
        let second = #"{"id":"b","type":"title","text":"Soldiers of the caliphate, news room"}"#
        // Line i of a batch goes to thread i % 2; a batch is 2,048 lines.
        var lines = [first, second] + Array(repeating: chatter, count: 2_046)
        lines += [second, first] + Array(repeating: chatter, count: 10)
        let input = lines.joined(separator: "\n") + "\n"
        let two = try CLI.run(["scan", "--model", "full", "--threads", "2"], stdin: input)
        #expect(two.status == 0, "\(two.stderr)")
        #expect(two.stderr.contains("encoder: 4 items"), "\(two.stderr)")
        #expect(two.stderr.contains("of which 2 found their embedding kept and 2 computed"), "\(two.stderr)")
        let one = try CLI.run(["scan", "--model", "full", "--threads", "1"], stdin: input)
        #expect(one.stderr.contains("of which 2 found their embedding kept and 2 computed"), "\(one.stderr)")
        #expect(one.stdout == two.stdout)
    }

    @Test func scanWithTheFullModelSendsTitlesToTheEncoderAndKeepsClearCasesFast() throws {
        let input = """
            {"id":"room","type":"title","text":"Supporters of the Islamic State"}
            {"id":"chat","text":"Anyone up for football on Saturday? Bring water, it will be hot."}

            """
        let full = try CLI.run(["scan", "--model", "full"], stdin: input)
        #expect(full.status == 0, "\(full.stderr)")
        let verdicts = try CLI.lines(full.stdout)
        #expect(verdicts.map { $0["id"] as? String } == ["room", "chat"])
        let kinds = verdicts.map { (($0["evidence"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String } }
        #expect(kinds[0].contains("semantic"))
        #expect(!kinds[1].contains("semantic"))
        let fast = try CLI.lines(try CLI.run(["scan"], stdin: input).stdout)
        // The clear case is decided by the fast engine alone: the same verdict either way.
        #expect(fast[1]["decision"] as? String == verdicts[1]["decision"] as? String)
        #expect(fast[1]["score"] as? Double == verdicts[1]["score"] as? Double)
        let fastKinds = fast.map { (($0["evidence"] as? [[String: Any]]) ?? []).compactMap { $0["kind"] as? String } }
        #expect(!fastKinds[0].contains("semantic"))
    }

    @Test func aMissingSemanticHeadIsAClearError() throws {
        let r = try CLI.run(["scan", "--model", "full", "--semantic-head", "/nonexistent/head.bwsh"], stdin: "")
        #expect(r.status != 0)
        #expect(r.stderr.contains("/nonexistent/head.bwsh"), "\(r.stderr)")
    }
}

struct BenchOptionTests {
    /// `--items` and `--iterations` are declared by `bench` and read by its subcommands too
    /// (ArgumentParser gives a name to one command of the stack): `bench semantic` must obey them.
    @Test func benchSemanticTakesItemsAndIterations() throws {
        let r = try CLI.run(["bench", "semantic", "--items", "7", "--iterations", "1", "--kernel", "portable"])
        #expect(r.status == 0, "\(r.stderr)")
        #expect(r.stdout.contains("items: 7 texts"), "\(r.stdout)")
        #expect(r.stdout.contains("1 passes"), "\(r.stdout)")
    }

    /// `--paired` times a pass of the fast engine alone next to each pass of the cascade: one
    /// ratio per iteration, no item sent to the encoder in the fast passes while the cascade's
    /// send some; without `--model full` it is a clear error.
    @Test func benchPairedTimesTheFastEngineAloneNextToEachPassOfTheCascade() throws {
        let r = try CLI.run(["bench", "--items", "200", "--iterations", "2", "--model", "full", "--paired"])
        #expect(r.status == 0, "\(r.stderr)")
        let lines = r.stdout.split(separator: "\n").map(String.init)
        let paired = lines.first { $0.hasPrefix("paired with the fast engine alone") } ?? ""
        #expect(paired.contains("(0 items sent to the encoder in its passes)"), "\(r.stdout)")
        let ratios = paired.components(separatedBy: "per pair: ").last?.components(separatedBy: ";").first?
            .components(separatedBy: ", ").compactMap(Double.init) ?? []
        #expect(ratios.count == 2, "\(paired)")
        #expect(ratios.allSatisfy { $0 > 0 }, "\(paired)")
        let routed = lines.first { $0.hasPrefix("model full: ") } ?? ""
        #expect(!routed.isEmpty && !routed.hasPrefix("model full: 0.0%"), "\(r.stdout)")
        let fast = try CLI.run(["bench", "--items", "200", "--iterations", "2", "--paired"])
        #expect(fast.status != 0)
        #expect(fast.stderr.contains("--paired") && fast.stderr.contains("--model full"), "\(fast.stderr)")
    }

    /// `--cached-pieces` sets the pieces the cascade's encoder keeps: with none, no token finds
    /// its piece kept; with the default, most do (the corpus repeats its texts). A count out of
    /// range is a clear error, in `bench` and `bench semantic` alike.
    @Test func benchCachedPiecesSetsThePiecesTheCascadeKeeps() throws {
        func keptLine(_ extra: [String]) throws -> String {
            let r = try CLI.run(["bench", "--items", "300", "--iterations", "1", "--model", "full"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.split(separator: "\n").map(String.init).first { $0.hasPrefix("encoder tokens whose piece was kept") } ?? ""
        }
        let none = try keptLine(["--cached-pieces", "0"])
        #expect(none.contains(": 0.0% in the first pass") && none.contains(", 0.0% over all passes"), "\(none)")
        let standard = try keptLine([])
        #expect(!standard.isEmpty && !standard.contains(", 0.0% over all passes"), "\(standard)")
        for arguments in [["bench", "--cached-pieces=-1"], ["bench", "semantic", "--cached-pieces", "65537"]] {
            let r = try CLI.run(arguments)
            #expect(r.status != 0)
            #expect(r.stderr.contains("--cached-pieces") && r.stderr.contains("65536"), "\(r.stderr)")
        }
    }

    /// `--cached-embeddings` sets the whole embeddings the cascade's encoder keeps, and they are
    /// forgotten before each pass: every pass over the same corpus then finds the same share kept,
    /// however many passes (kept across passes, the share would climb with each). With none,
    /// the summary says so; a count out of range is a clear error.
    @Test func benchCachedEmbeddingsAreForgottenBeforeEachPass() throws {
        func keptLine(_ extra: [String]) throws -> String {
            let r = try CLI.run(["bench", "--items", "400", "--model", "full"] + extra)
            #expect(r.status == 0, "\(r.stderr)")
            return r.stdout.split(separator: "\n").map(String.init).first { $0.hasPrefix("routed texts whose embedding was kept") } ?? ""
        }
        func share(_ line: String) -> String { line.components(separatedBy: "): ").last?.components(separatedBy: " of ").first ?? "" }
        let onePass = try keptLine(["--iterations", "1"])
        let threePasses = try keptLine(["--iterations", "3"])
        #expect(onePass.contains("(1024 kept at most, forgotten before each pass)"), "\(onePass)")
        #expect(!share(onePass).isEmpty && share(onePass) != "0.0%", "the corpus repeats some routed texts: \(onePass)")
        #expect(share(onePass) == share(threePasses), "\(onePass) / \(threePasses)")
        let none = try keptLine(["--iterations", "1", "--cached-embeddings", "0"])
        #expect(none.contains("none kept"), "\(none)")
        for count in ["-1", "65537"] {
            let bad = try CLI.run(["bench", "--items", "10", "--model", "full", "--cached-embeddings=" + count])
            #expect(bad.status != 0)
            #expect(bad.stderr.contains("--cached-embeddings \(count)") && bad.stderr.contains("65536"), "\(bad.stderr)")
        }
    }

    /// `bench semantic` takes the options it shares a name with in `bench` (`--encoder`,
    /// `--max-text-bytes`, `--cached-pieces`) as its own: until 2026-12-03 the parent command took
    /// them and the subcommand silently ran with its defaults. `--texts` embeds another file.
    @Test func benchSemanticTakesItsOwnOptions() throws {
        let short = try CLI.run([
            "bench", "semantic", "--items", "20", "--iterations", "1", "--max-text-bytes", "40", "--cached-pieces", "0",
        ])
        #expect(short.status == 0, "\(short.stderr)")
        #expect(short.stdout.contains("pieces kept: 0\n"), "\(short.stdout)")
        #expect(short.stdout.contains("texts from the dev set (≤ 40 bytes)"), "\(short.stdout)")
        let missing = try CLI.run(["bench", "semantic", "--items", "20", "--iterations", "1", "--encoder", "/nonexistent/use-m3.bin"])
        #expect(missing.status != 0)
        #expect(missing.stderr.contains("/nonexistent/use-m3.bin"), "\(missing.stderr)")
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-texts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let posts = directory.appendingPathComponent("posts.jsonl")
        try Data("{\"id\":\"a\",\"text\":\"bonjour tout le monde\"}\n{\"id\":\"b\",\"text\":\"guten Morgen\"}\n".utf8).write(to: posts)
        let own = try CLI.run(["bench", "semantic", "--items", "4", "--iterations", "1", "--texts", posts.path])
        #expect(own.status == 0, "\(own.stderr)")
        #expect(own.stdout.contains("4 texts from \(posts.path)"), "\(own.stdout)")
        let empty = directory.appendingPathComponent("empty.jsonl")
        try Data().write(to: empty)
        let none = try CLI.run(["bench", "semantic", "--items", "4", "--iterations", "1", "--texts", empty.path])
        #expect(none.status != 0)
        #expect(none.stderr.contains(empty.path), "\(none.stderr)")
    }

    /// `--other-language-share` sets how much of the everyday chatter is in languages outside
    /// the classifier's familiar five: none, all, or (without it) the pool as it comes, both.
    @Test func benchCorpusTakesTheShareOfChatterInOtherLanguages() throws {
        // Every text the chatter is drawn from (the dev set's everyday and metaphor texts, the
        // language-identification set), by the language it is labelled with.
        var languageOf: [String: String] = [:]
        let dev = URL(fileURLWithPath: CLI.root + "/data/dev")
        let files = try FileManager.default.contentsOfDirectory(atPath: dev.path).filter { $0.hasSuffix(".jsonl") }
        for path in files.map({ dev.path + "/" + $0 }) + [CLI.root + "/data/langid/dev.jsonl"] {
            for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                if let text = object["text"] as? String, let lang = object["lang"] as? String { languageOf[text] = lang }
            }
        }
        let fillers = [" lol", " 🙂", " !!", " #news", " ok", " ...", " 👍"]
        func language(_ posted: String) -> String? {
            if let lang = languageOf[posted] { return lang }
            for filler in fillers where posted.hasSuffix(filler) {
                if let lang = languageOf[String(posted.dropLast(filler.count))] { return lang }
            }
            return nil
        }
        let familiar: Set<String> = ["ar", "de", "en", "es", "fr"]
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-share-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func corpusLanguages(_ share: String?) throws -> (familiar: Int, other: Int) {
            let path = directory.appendingPathComponent("corpus-\(share ?? "pool").jsonl").path
            let r = try CLI.run(
                ["bench", "--items", "2000", "--violating-share", "0", "--topical-share", "0", "--write-corpus", path]
                    + (share.map { ["--other-language-share", $0] } ?? []))
            #expect(r.status == 0, "\(r.stderr)")
            var counts = (familiar: 0, other: 0)
            for line in try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n") {
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                let lang = try #require(language(object["text"] as! String), "\(line)")
                if familiar.contains(lang) { counts.familiar += 1 } else { counts.other += 1 }
            }
            #expect(counts.familiar + counts.other == 2000)
            return counts
        }
        let none = try corpusLanguages("0")
        #expect(none.other == 0 && none.familiar == 2000)
        let all = try corpusLanguages("1")
        #expect(all.familiar == 0 && all.other == 2000)
        let quarter = try corpusLanguages("0.25")
        #expect(quarter.other > 400 && quarter.other < 600, "\(quarter)")
        let pool = try corpusLanguages(nil)
        #expect(pool.other > 600 && pool.familiar > 600, "\(pool)")

        let bad = try CLI.run(["bench", "--other-language-share", "1.5", "--write-corpus", directory.path + "/x.jsonl"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--other-language-share must be between 0 and 1"), "\(bad.stderr)")
    }

    /// `--repost-share` makes every post's text its own and then copies that share of posts
    /// from the 5,000 before each: none repeated at 0; at 0.3 about 30% are copies, each of a
    /// post at most 5,000 before it, and every other text ends in its own number.
    @Test func benchCorpusTakesTheShareOfReposts() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("bench-reposts-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        func texts(_ share: String?) throws -> [String] {
            let path = directory.appendingPathComponent("corpus-\(share ?? "mix").jsonl").path
            let r = try CLI.run(["bench", "--items", "12000", "--write-corpus", path] + (share.map { ["--repost-share", $0] } ?? []))
            #expect(r.status == 0, "\(r.stderr)")
            return try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n").map { line in
                let object = try JSONSerialization.jsonObject(with: Data(line.utf8)) as! [String: Any]
                return object["text"] as! String
            }
        }
        let mix = try texts(nil)
        #expect(Set(mix).count < mix.count * 9 / 10, "the mix repeats its texts: \(Set(mix).count) of \(mix.count)")
        let unique = try texts("0")
        #expect(unique.count == 12000 && Set(unique).count == 12000)
        #expect(unique.indices.allSatisfy { unique[$0].hasSuffix(" #\($0)") })
        let reposted = try texts("0.3")
        var firstAt: [String: Int] = [:]
        var copies = 0
        for (i, text) in reposted.enumerated() {
            if let first = firstAt[text] {
                copies += 1
                #expect(!text.hasSuffix(" #\(i)"), "\(i)")
                #expect(i - first <= 5_000 || reposted[(i - 5_000)..<i].contains(text), "copy \(i) of a post more than 5,000 before")
            } else {
                firstAt[text] = i
                #expect(text.hasSuffix(" #\(i)"), "\(i): \(text)")
            }
        }
        #expect(copies > 3_200 && copies < 4_000, "\(copies) copies of 12,000")
        let bad = try CLI.run(["bench", "--repost-share", "1.5", "--write-corpus", directory.path + "/x.jsonl"])
        #expect(bad.status != 0)
        #expect(bad.stderr.contains("--repost-share 1.5"), "\(bad.stderr)")
    }
}
