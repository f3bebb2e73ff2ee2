/// The fixed split of labelled data: `train` fits the model, `tune` calibrates it and chooses
/// thresholds, `test` is held out for measurement only. Never tune on `test`.
///
/// Items are assigned by a hash of their group (translations of one text share a group, so a
/// text and its translation are never on both sides) or, without a group, of their id.
public enum DatasetSplit: String, Sendable, CaseIterable, Hashable {
    case train, tune, test

    public static func of(key: String) -> DatasetSplit {
        var h: UInt64 = 0xcbf2_9ce4_8422_2325
        for b in key.utf8 {
            h ^= UInt64(b)
            h = h &* 0x0000_0100_0000_01b3
        }
        switch h % 10 {
        case 0, 1: return .test
        case 2: return .tune
        default: return .train
        }
    }

    public static func of(_ item: TextItem) -> DatasetSplit {
        of(key: item.group ?? item.id)
    }
}
