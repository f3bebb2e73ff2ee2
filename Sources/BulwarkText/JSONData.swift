import BulwarkCore
import FoundationEssentials

/// Decodes one of the engine's JSON data files; a problem is an error naming the file kind and
/// the path of the field (`entries[3].weight`).
func decodeJSON<T: Decodable>(_ type: T.Type, from json: [UInt8], what: String) throws(BulwarkError) -> T {
    do {
        return try JSONDecoder().decode(T.self, from: Data(json))
    } catch let DecodingError.dataCorrupted(context) {
        throw BulwarkError(.invalidData, "\(what): \(context.debugDescription)", field: path(context.codingPath))
    } catch let DecodingError.keyNotFound(key, context) {
        throw BulwarkError(.invalidData, "\(what): missing key \"\(key.stringValue)\"", field: path(context.codingPath))
    } catch let DecodingError.typeMismatch(_, context) {
        throw BulwarkError(.invalidData, "\(what): \(context.debugDescription)", field: path(context.codingPath))
    } catch let DecodingError.valueNotFound(_, context) {
        throw BulwarkError(.invalidData, "\(what): \(context.debugDescription)", field: path(context.codingPath))
    } catch {
        throw BulwarkError(.invalidData, "\(what): \(error)")
    }
}

private func path(_ codingPath: [any CodingKey]) -> String {
    var result = ""
    for key in codingPath {
        if let i = key.intValue {
            result += "[\(i)]"
        } else {
            result += result.isEmpty ? key.stringValue : "." + key.stringValue
        }
    }
    return result
}
