/// Looks at `condition` every `interval` (10 ms by default) for up to `seconds` (5 by default),
/// and once more at the end; whether it came true. For tests that wait for another thread or
/// process to get somewhere, with a bound generous enough for a loaded CI machine: the test does
/// not time anything, it only stops waiting.
public func eventually(
    within seconds: Double = 5, every interval: Duration = .milliseconds(10), _ condition: () async throws -> Bool
) async throws -> Bool {
    let clock = ContinuousClock()
    let deadline = clock.now + .milliseconds(Int64(seconds * 1000))
    while clock.now < deadline {
        if try await condition() { return true }
        try await Task.sleep(for: interval)
    }
    return try await condition()
}
