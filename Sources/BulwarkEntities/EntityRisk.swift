import BulwarkCore

/// An entity's risk, 0–100, as the sum of named parts a reviewer can read.
///
/// The formula, in one place (each factor is 0–1):
/// - `harm` = min(1, 3 × share) × strength, where share is the smoothed violating share
///   ((v + r/2) / (items + 2)) and strength = 1 − 2^−(v + r/2)/2 grows with the number of
///   violating items (one item is weak evidence, five are strong);
/// - **content** 45 × harm;
/// - **reach** 20 × harm × log10(1 + peak reach) / 6 (a million followers is the top);
/// - **persistence** 10 × min(1, 3 × share) × (days with violating activity − 1) / 6 (a week);
/// - **velocity** 10 × min(1, 3 × share) × min(1, decayed rate / 10) (about ten violating items a
///   day);
/// - **known content** 15 × min(1, matches / 3);
/// - **re-appearance** 30 × similarity to a banned entity, when one is found.
///
/// Every part but re-appearance is scaled by the share of the entity's items that violate, so a
/// large news page that quotes a group's name now and then stays low however many followers it
/// has, while a small room with nothing but propaganda does not.
public enum EntityRisk {
    /// Risk at which an entity gets a case of its own.
    public static let caseThreshold = 40.0

    public struct Part: Sendable, Hashable {
        public var name: String
        public var value: Double
        /// What the value comes from, in words.
        public var detail: String
    }

    /// The parts' values, in the order of ``parts(_:at:reappearance:)``.
    static func values(
        _ s: EntitySignals, at time: Int64, reappearance: Double
    ) -> (content: Double, reach: Double, persistence: Double, velocity: Double, known: Double, reappearance: Double) {
        let gate = min(1, 3 * s.violatingShare)
        let weighted = Double(s.violating) + 0.5 * Double(s.review)
        let harm = gate * (1 - exp2Approx(-weighted / 2))
        let reachFactor = min(1, ReviewPriority.log10Approx(1 + Double(max(s.peakReach, s.reach, 0))) / 6)
        let persistence = min(1, Double(max(s.activeDays - 1, 0)) / 6)
        let velocity = min(1, s.decayedVelocity(at: time) / 10)
        return (
            45 * harm, 20 * harm * reachFactor, 10 * gate * persistence, 10 * gate * velocity,
            15 * min(1, Double(s.knownContent) / 3), 30 * min(1, max(0, reappearance))
        )
    }

    public static func parts(_ s: EntitySignals, at time: Int64, reappearance: Double = 0) -> [Part] {
        let v = values(s, at: time, reappearance: reappearance)
        func pct(_ x: Double) -> String { "\(Int((x * 100).rounded()))%" }
        let rate = s.decayedVelocity(at: time)
        var parts = [
            Part(
                name: "content", value: v.content,
                detail: "\(s.violating) violating and \(s.review) review items of \(s.items) (\(pct(s.violatingShare)) weighted)"),
            Part(name: "reach", value: v.reach, detail: "peak reach \(max(s.peakReach, s.reach))"),
            Part(name: "persistence", value: v.persistence, detail: "\(s.activeDays) days with violating activity"),
            Part(name: "velocity", value: v.velocity, detail: "\(Double(Int(rate * 10)) / 10) violating items a day, decayed"),
            Part(name: "known content", value: v.known, detail: "\(s.knownContent) items match known content"),
        ]
        if reappearance > 0 {
            parts.append(
                Part(name: "re-appearance", value: v.reappearance, detail: "similar to a banned entity (\(pct(reappearance)))"))
        }
        return parts
    }

    public static func score(_ s: EntitySignals, at time: Int64, reappearance: Double = 0) -> Double {
        let v = values(s, at: time, reappearance: reappearance)
        return min(100, v.content + v.reach + v.persistence + v.velocity + v.known + v.reappearance)
    }
}
