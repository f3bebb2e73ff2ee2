import Foundation
import Testing

@testable import BulwarkServer

/// The ingest body read on its bytes (`IngestBodyReader`) is what `JSONDecoder` makes of the same
/// body; a body of another shape is left to `JSONDecoder` (nil), whose errors the API reports.
struct IngestBodyReaderTests {
    func foundation(_ body: String) -> IngestBody? { try? JSONDecoder().decode(IngestBody.self, from: Data(body.utf8)) }

    @Test func plainBodiesReadAsJSONDecoderReadsThem() throws {
        let bodies = [
            #"{"id":"a","text":"t"}"#,
            #"""
             { "platform" : "forum", "id": "p-1", "type": "comment", "text": "line\none \u00e9 \ud83d\ude00 \"q\" \\ \/",
               "urls": ["https://example.org/a", "b"], "lang": null, "author": "u\u0031", "author_avatar_pdq": null,
               "container": {"id": "room-9", "title": "T", "kind": "room", "avatar_pdq": null, "followers": 32000,
                             "members": 0, "extra": [1, {"x": [true, null]}]},
               "media": [{"data": "AAEC", "content_type": "image/png"}, {"md5": "d41d8cd98f00b204e9800998ecf8427e",
                          "sha256": null, "pdq": "00", "pdq_quality": 87, "frames": [{"pdq": "01", "quality": 90,
                          "frame": 12}, {"quality": 5, "x": 1}, {}]}, {"frames": null}, {}],
               "posted_at": 9223372036854775807, "unknown": {"deep": [[], {}]}, "te\u0078t2": "ignored" }
            """#,
            #"{"items": [{"id": "a", "text": "1", "posted_at": -5}, {"text": "2", "id": "b", "container": null, "media": null, "urls": []}], "id": "top-level ignored"}"#,
            #"{"items": []}"#,
            #"{"id":"x","text":"","container":{},"media":[],"posted_at":0}"#,
        ]
        for body in bodies {
            let expected = try #require(foundation(body), "\(body)")
            let read = IngestBodyReader.read(Array(body.utf8))
            #expect(read == expected, "\(body)")
        }
    }

    @Test func otherShapesAreLeftToJSONDecoder() {
        let bodies = [
            #"{"id":"a","id":"b","text":"t"}"#,  // a repeated key
            #"{"id":"a","text":"t","posted_at":5.0}"#,  // an integer written with a fraction
            #"{"id":"a","text":"t","posted_at":5e0}"#,
            #"{"id":7,"text":"t"}"#,  // wrong type
            #"{"id":"a"}"#,  // missing field
            #"{"id":"a","text":null}"#,
            #"{"items":{"id":"a","text":"t"}}"#,
            #"{"items":[{"id":"a","text":"t"}],"items":[]}"#,
            #"{"items":[{"id":"a","text":"t"},3]}"#,
            #"{"items":[{"id":"a","text":"t","container":{"id":"c","id":"d"}}]}"#,
            #"{"id":"a","text":"t","container":"room"}"#,
            #"{"id":"a","text":"t","media":[{"pdq_quality":"87"}]}"#,
            #"{"id":"a","text":"t","urls":["x",1]}"#,
            #"{"id":"a","text":"t","container":{"followers":1.5}}"#,
            #"{"id":"a","text":"t","posted_at":99999999999999999999}"#,
            #"["id","a"]"#,
        ]
        for body in bodies { #expect(IngestBodyReader.read(Array(body.utf8)) == nil, "\(body)") }
    }
}
