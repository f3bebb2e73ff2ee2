/// Looks at `condition` up to `seconds / interval` times (by default 500 times, 10 ms apart, so
/// about 5 s), sleeping `interval` between looks, and once more at the end; whether it came true.
/// The bound counts looks, not time on the clock: with the whole suite on two cores a sleep can
/// take many times its interval, and the thing waited for is slowed as much, so a test waits
/// longer on a loaded machine instead of failing there. It times nothing.
public func eventually(
    within seconds: Double = 5, every interval: Duration = .milliseconds(10), _ condition: () async throws -> Bool
) async throws -> Bool {
    let looks = max(1, Int((Duration.seconds(seconds) / interval).rounded(.up)))
    for _ in 0..<looks {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try await condition()
}
