import BulwarkStore

/// Group commit for ingest: requests that arrive while a write is in progress are stored together
/// in the next transaction, so concurrent single-item requests share one commit (one WAL sync on
/// SQLite, one COMMIT round trip on PostgreSQL) instead of queueing for one each.
///
/// Every caller still gets its answer only after the transaction that holds its items has
/// committed, so a 2xx still means "stored". A group that fails is retried one request at a time,
/// so one request's bad item never fails another's.
actor IngestCommitter {
    private struct Waiter {
        var items: [ScannedItem]
        var continuation: CheckedContinuation<[IngestOutcome], any Error>
    }

    private let store: any ModerationStore
    private let clock: @Sendable () -> Int64
    /// Most items written in one transaction (a request's batch is never split).
    let maxGroupItems: Int
    private var waiting: [Waiter] = []
    private var writing = false

    init(store: any ModerationStore, clock: @escaping @Sendable () -> Int64, maxGroupItems: Int = 1_000) {
        self.store = store
        self.clock = clock
        self.maxGroupItems = maxGroupItems
    }

    /// Stores `items` (in one transaction, possibly shared with other requests' items) and
    /// returns their outcomes in order.
    func ingest(_ items: [ScannedItem]) async throws -> [IngestOutcome] {
        try await withCheckedThrowingContinuation { continuation in
            waiting.append(Waiter(items: items, continuation: continuation))
            if !writing {
                writing = true
                Task { await self.drain() }
            }
        }
    }

    private func drain() async {
        while !waiting.isEmpty {
            var count = 0
            var take = 0
            while take < waiting.count && (take == 0 || count + waiting[take].items.count <= maxGroupItems) {
                count += waiting[take].items.count
                take += 1
            }
            let group = Array(waiting.prefix(take))
            waiting.removeFirst(take)
            await write(group)
        }
        writing = false
    }

    private func write(_ group: [Waiter]) async {
        do {
            let outcomes = try await store.ingest(group.flatMap(\.items), now: clock())
            var start = 0
            for waiter in group {
                waiter.continuation.resume(returning: Array(outcomes[start..<start + waiter.items.count]))
                start += waiter.items.count
            }
        } catch {
            guard group.count > 1 else {
                group[0].continuation.resume(throwing: error)
                return
            }
            for waiter in group {
                do {
                    waiter.continuation.resume(returning: try await store.ingest(waiter.items, now: clock()))
                } catch {
                    waiter.continuation.resume(throwing: error)
                }
            }
        }
    }
}
