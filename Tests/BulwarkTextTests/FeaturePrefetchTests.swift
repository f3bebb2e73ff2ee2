import BulwarkCore
@testable import BulwarkText
import Testing

/// The scan extracts a text's buckets while asking the CPU to fetch the classifier rows they
/// select (`ClassifierModel.extractFeatures`); the buckets must be the ones extraction gives
/// without it, in the same order.
struct FeaturePrefetchTests {
    @Test func bucketsFoundWhileFetchingRowsAreTheSame() throws {
        let model = try Fixtures.model()
        #expect(model.isPacked, "the committed model is scanned packed")
        let normalizer = TextNormalizer()
        let items = try Fixtures.devItems()
        #expect(items.count >= 500)
        var plain: [UInt32] = []
        var fetched: [UInt32] = []
        var scratch = FeatureScratch()
        var named: [UInt64] = []
        for (i, item) in items.enumerated() {
            let text = normalizer.normalize(item.text)
            named = i % 3 == 0 ? [FeatureExtractor.namedFeatureKey("test:\(i % 7)")] : []
            model.features.extract(text, named: named, into: &plain, scratch: &scratch)
            model.extractFeatures(text, named: named, into: &fetched, scratch: &scratch)
            #expect(plain == fetched, "item \(item.id)")
            if plain != fetched { return }
        }
    }
}
