import BulwarkCore
import BulwarkStore
import BulwarkTestSupport
import Testing

/// What the console's administration pages need from the store: each person's media settings
/// (schema v5) and the audit log read a page at a time, filtered.
struct ConsoleStoreTests {
    @Test(arguments: Backend.allCases)
    func mediaSettingsDefaultToBlurredAndAreKeptPerPerson(_ backend: Backend) async throws {
        try await withTestStore(backend, "media-settings") { t in
            let store = t.store
            #expect(try await t.columns("users").contains("media_keep_greyscale"))
            let a = try await store.createUser(name: "a", role: .reviewer, passwordHash: "h", now: 1)
            let b = try await store.createUser(name: "b", role: .reviewer, passwordHash: "h", now: 1)
            #expect(try await store.user(name: "a")?.media == MediaPreference(blurred: true, keepGreyscale: false))

            let chosen = MediaPreference(blurred: false, keepGreyscale: true)
            #expect(try await store.setMediaPreference(userID: a.id, chosen, now: 5))
            #expect(try await store.user(name: "a")?.media == chosen)
            #expect(try await store.user(name: "b")?.media == .standard)
            // The session carries it, so a page needs no second read.
            try await store.startSession(userID: a.id, tokenHash: "t-a", csrfToken: "c", expiresAt: 100, now: 5)
            #expect(try await store.session(tokenHash: "t-a", now: 6)?.user.media == chosen)
            #expect(try await store.setMediaPreference(userID: b.id + 100, chosen, now: 5) == false)
            let audit = try await store.auditLog(after: 0, limit: 100).filter { $0.action == "user.settings" }
            #expect(audit.map(\.subject) == ["user:\(a.id)"])
            #expect(audit.first?.detail == #"{"media_blurred":false,"media_keep_greyscale":true}"#)
        }
    }

    @Test(arguments: Backend.allCases)
    func auditEntriesPageBothWaysAndFilter(_ backend: Backend) async throws {
        try await withTestStore(backend, "audit-entries") { t in
            let store = t.store
            for i in 1...10 {
                try await store.appendAudit(
                    actor: i % 2 == 0 ? "even" : "odd", action: i <= 5 ? "low" : "high", subject: "s\(i)", detail: "{}",
                    now: Int64(i))
            }
            let newest = try await store.auditEntries(AuditQuery(limit: 3))
            #expect(newest.map(\.subject) == ["s10", "s9", "s8"])
            let older = try await store.auditEntries(AuditQuery(before: 8, limit: 3))
            #expect(older.map(\.subject) == ["s7", "s6", "s5"])
            let forward = try await store.auditEntries(AuditQuery(after: 8, limit: 5))
            #expect(forward.map(\.subject) == ["s9", "s10"])
            let even = try await store.auditEntries(AuditQuery(actor: "even", action: "low", limit: 10))
            #expect(even.map(\.subject) == ["s4", "s2"])
            let evenAfter = try await store.auditEntries(AuditQuery(after: 2, actor: "even", limit: 10))
            #expect(evenAfter.map(\.subject) == ["s4", "s6", "s8", "s10"])
            #expect(try await store.auditEntries(AuditQuery(actor: "nobody")).isEmpty)
        }
    }
}
