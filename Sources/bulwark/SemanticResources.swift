import ArgumentParser
import BulwarkCascade
import BulwarkCore
import BulwarkSemantic
import BulwarkText

extension Resources {
    static let semanticModel = ".bulwark/models/use-m3.bin"

    static func loadEmbedder(_ path: String?) throws -> Embedder {
        guard let path = path ?? find(semanticModel) else {
            throw CommandFailure("cannot find \(semanticModel); run scripts/setup.sh (or pass --encoder)")
        }
        do {
            return try Embedder(modelBytes: readFile(path))
        } catch let error as BulwarkError {
            throw CommandFailure("\(path): \(error)")
        }
    }

    /// Exemplars from labelled JSON Lines: a violating item's category, another item's kind.
    static func loadExemplars(_ path: String?) throws -> [Exemplar] {
        guard let path = path ?? find(exemplars) else {
            throw CommandFailure("cannot find the exemplars (\(exemplars)); run from the repository or pass --exemplars")
        }
        return try loadItems([path]).enumerated().map { i, item in
            do throws(BulwarkError) {
                return try Exemplar(labelled: item)
            } catch {
                throw CommandFailure("\(path): item \(i + 1): \(error.message)")
            }
        }
    }
}

/// Which model scans: the text engine alone, or the cascade with the sentence encoder.
enum ModelKind: String, ExpressibleByArgument, CaseIterable, Sendable {
    case fast, full
}

extension EngineOptions {
    /// The semantic model for `--model full` (nil for `fast`).
    func loadSemanticModel() throws -> SemanticModel? {
        guard model == .full else { return nil }
        let embedder = try Resources.loadEmbedder(encoder)
        guard let headPath = semanticHead ?? Resources.find(Resources.semanticHead) else {
            throw CommandFailure("cannot find the semantic head (\(Resources.semanticHead)); run `bulwark train --semantic` or pass --semantic-head")
        }
        let head = try Self.head(headPath)
        let index = ExemplarIndex(try Resources.loadExemplars(exemplars), embedder: embedder)
        return try Self.semanticModel(embedder, head, index, path: headPath, languages: encoderLanguageSet)
    }

    static func head(_ path: String) throws -> SemanticHead {
        let bytes = try readFile(path)
        do {
            return try SemanticHead(serialized: bytes)
        } catch {
            throw CommandFailure("\(path): \(error)")
        }
    }

    static func semanticModel(
        _ embedder: Embedder, _ head: SemanticHead, _ index: ExemplarIndex, path: String,
        languages: Set<String>? = SentenceEncoder.trainedLanguages
    ) throws -> SemanticModel {
        do {
            return try SemanticModel(embedder: embedder, head: head, exemplars: index, languages: languages)
        } catch {
            throw CommandFailure("\(path): \(error)")
        }
    }

    /// `--encoder-languages`: the encoder's own (`SentenceEncoder.trainedLanguages`) unless
    /// overridden; "all" for every language.
    var encoderLanguageSet: Set<String>? {
        guard let encoderLanguages else { return SentenceEncoder.trainedLanguages }
        if encoderLanguages == "all" { return nil }
        return Self.languageList(encoderLanguages)
    }

    /// The engine `--model` names: the fast engine, or the cascade over it.
    func loadCascade() throws -> CascadeEngine {
        CascadeEngine(fast: try loadEngine(), semantic: try loadSemanticModel())
    }
}
