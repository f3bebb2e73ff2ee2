import BulwarkStore
public import BulwarkTestSupport
public import Testing

extension Backend: CustomTestStringConvertible {
    public var testDescription: String { rawValue }
}

/// A fresh, migrated store of `backend` for an end-to-end test.
func withServerStore(_ backend: Backend, _ name: String, _ body: (any ModerationStore) async throws -> Void)
    async throws
{
    try await withTestStore(backend, name) { t in try await body(t.store) }
}
