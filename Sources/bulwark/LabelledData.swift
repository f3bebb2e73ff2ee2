import ArgumentParser
import BulwarkCore

/// Reads labelled JSON Lines files (a directory stands for its *.jsonl files). Labelled data
/// must be clean: a malformed line is an error naming the file and line.
func loadItems(_ paths: [String]) throws -> [TextItem] {
    var files: [String] = []
    for path in paths {
        if isDirectory(path) {
            files.append(contentsOf: listDirectory(path).filter { $0.hasSuffix(".jsonl") }.map { path + "/" + $0 })
        } else {
            files.append(path)
        }
    }
    var items: [TextItem] = []
    let decoder = TextItemDecoder()
    for file in files {
        var reader = try LineReader(path: file, maxLineBytes: 1 << 20)
        defer { reader.close() }
        while let line = try reader.next() {
            switch line {
            case .tooLong(let n):
                throw CommandFailure("\(file): line \(reader.lineNumber): \(n) bytes is longer than the limit")
            case .line(let bytes):
                if bytes.isEmpty { continue }
                do {
                    items.append(try decoder.decode(bytes))
                } catch {
                    throw CommandFailure("\(file): \(error.at(line: reader.lineNumber))")
                }
            }
        }
    }
    return items
}

/// The default labelled data: the project's multilingual dev set and the shared Arabic set.
enum DefaultData {
    static let multilingual = "data/dev"
    static let arabic = "../shared/data/text/arabic-isis-dev.jsonl"

    static func paths() throws -> [String] {
        guard let dev = Resources.find(multilingual) else {
            throw CommandFailure("cannot find \(multilingual); run from the repository")
        }
        guard let arabic = Resources.find(arabic) else {
            throw CommandFailure("cannot find \(arabic) (the shared Arabic dev set next to the repository)")
        }
        return [dev, arabic]
    }
}

enum SplitOption: String, ExpressibleByArgument, CaseIterable {
    case train, tune, test, all

    func includes(_ item: TextItem) -> Bool {
        switch self {
        case .all: true
        case .train: DatasetSplit.of(item) == .train
        case .tune: DatasetSplit.of(item) == .tune
        case .test: DatasetSplit.of(item) == .test
        }
    }
}

/// One JSON line for `--errors`: an item the engine got wrong, with its label, kind, text and verdict.
func misclassificationLine(_ item: TextItem, label: Label, _ verdict: Verdict, encoder: VerdictEncoder) -> [UInt8] {
    var line = Array("{\"label\":\"\(label.rawValue)\",\"kind\":".utf8)
    if let kind = item.kind { appendJSONString(kind, to: &line) } else { line.append(contentsOf: "null".utf8) }
    line.append(contentsOf: ",\"text\":".utf8)
    appendJSONString(item.text, to: &line)
    line.append(contentsOf: ",\"verdict\":".utf8)
    var verdictLine: [UInt8] = []
    encoder.encode(verdict, into: &verdictLine)
    line.append(contentsOf: verdictLine.dropLast())
    line.append(contentsOf: "}\n".utf8)
    return line
}
