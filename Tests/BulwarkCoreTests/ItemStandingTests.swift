import BulwarkCore
import Testing

/// Where an item stands after its decisions: the latest one that says so counts.
struct ItemStandingTests {
    @Test func withNoDecisionAnItemIsActive() {
        #expect(ItemStanding(after: []) == .active)
        #expect(ItemStanding(after: [.escalate]) == .active)
    }

    @Test(arguments: [
        ([ModerationAction.remove], ItemStanding.removed),
        ([.restrictVisibility], .visibilityRestricted),
        ([.geoBlock], .geoBlocked),
        ([.escalate, .remove], .removed),
        ([.remove, .escalate], .removed),
        ([.remove, .reinstate], .active),
        ([.geoBlock, .remove], .removed),
        ([.remove, .reinstate, .restrictVisibility], .visibilityRestricted),
        ([.noViolation], .active),
        ([.noViolation, .remove], .removed),
        ([.remove, .suspend], .removed),
    ])
    func theLatestDecisionThatSaysSoCounts(_ actions: [ModerationAction], _ standing: ItemStanding) {
        #expect(ItemStanding(after: actions) == standing)
    }
}
