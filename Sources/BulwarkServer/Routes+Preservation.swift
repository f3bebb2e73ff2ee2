import BulwarkCore
import BulwarkStore
import Foundation
import Hummingbird
import Logging
import ServiceLifecycle

/// A preserved item as the auditor or authority sees it.
struct PreservationView: Encodable, Sendable {
    struct Item: Encodable, Sendable {
        var id: Int64
        var platform: String
        var external_id: String
        var text: String
        var author: String?
        var container_id: String?
        var language: String
        var received_at: Int64
    }
    var item: Item
    var decision_id: Int64
    var preserved_at: Int64
    var expires_at: Int64
    var extensions: Int
    var purged_at: Int64?
    var media_parts: Int

    init(_ p: PreservationRecord) {
        item = Item(
            id: p.item.id, platform: p.item.platform, external_id: p.item.externalID, text: p.item.text, author: p.item.author,
            container_id: p.item.containerID, language: p.item.language, received_at: p.item.receivedAt)
        decision_id = p.decisionID
        preserved_at = p.preservedAt
        expires_at = p.expiresAt
        extensions = p.extensions
        purged_at = p.purgedAt
        media_parts = p.mediaParts
    }
}

struct ExtensionPayload: Decodable, Sendable {
    var months: Int
    var reason: String
}

extension BulwarkService {
    func addPreservationRoutes(_ v1: RouterGroup<BulwarkRequestContext>) {
        v1.get("preserved/:item_id") { request, context -> Response in
            let key = try await require(request, [.auditor, .authority])
            let itemID = try context.parameters.require("item_id", as: Int64.self)
            guard let record = try await store.preservation(itemID: itemID) else {
                throw APIError.notFound("item \(itemID) is not preserved (it was never removed)")
            }
            // Every look at preserved content is on the record.
            try await store.appendAudit(actor: key.name, action: "preservation.read", subject: "item:\(itemID)", detail: "{}", now: clock())
            return try encode(PreservationView(record))
        }

        v1.post("preserved/:item_id/extension") { request, context -> Response in
            let key = try await require(request, [.authority, .admin])
            let itemID = try context.parameters.require("item_id", as: Int64.self)
            let p = try decode(ExtensionPayload.self, try await self.body(request))
            guard (1...Preservation.maxExtensionMonths).contains(p.months) else {
                throw APIError.invalid("months must be 1 ... \(Preservation.maxExtensionMonths)", field: "months")
            }
            guard !p.reason.trimmingCharacters(in: .whitespaces).isEmpty, p.reason.utf8.count <= 2_000 else {
                throw APIError.invalid("reason is needed (at most 2,000 bytes): the request that asks for the extension", field: "reason")
            }
            guard let record = try await store.extendPreservation(itemID: itemID, months: p.months, actor: key.name, reason: p.reason, now: clock())
            else { throw APIError.notFound("item \(itemID) is not preserved, or already purged") }
            return try encode(PreservationView(record))
        }
    }

    /// Purges every preservation expired by now, in batches; returns how many.
    public func purgeExpiredPreservations() async throws -> Int {
        var total = 0
        while true {
            let n = try await store.purgeExpiredPreservations(now: clock(), limit: 500)
            total += n
            if n < 500 { return total }
        }
    }

    /// Deletes the done jobs that ended more than ``ServerConfiguration/keepDoneJobsDays`` ago,
    /// in batches; returns how many.
    public func deleteOldDoneJobs() async throws -> Int {
        let days = Int64(configuration.keepDoneJobsDays)
        guard days > 0 else { return 0 }
        let cutoff = clock() - days * 86_400
        var total = 0
        var place: DoneJobPlace?
        while true {
            let step = try await store.deleteDoneJobs(endedBefore: cutoff, after: place, limit: Self.doneJobsAtOnce)
            total += step.deleted
            place = step.last
            if step.examined < Self.doneJobsAtOnce { return total }
        }
    }

    /// Done jobs looked at in one write: a short one, so that ingest does not wait on it.
    static let doneJobsAtOnce = 1_000
}

/// Purges expired preservations, and deletes old done jobs, every `intervalSeconds` (and once
/// at start).
struct PreservationPurger: Service, CustomStringConvertible {
    var description: String { "PreservationPurger" }
    let service: BulwarkService
    let logger: Logger
    static let intervalSeconds: UInt64 = 3_600

    func run() async throws {
        await cancelWhenGracefulShutdown {
            while !Task.isCancelled {
                do {
                    let n = try await service.purgeExpiredPreservations()
                    if n > 0 { logger.info("preservations purged", metadata: ["purged": "\(n)"]) }
                } catch {
                    logger.error("preservation purge failed", metadata: ["error": "\(error)"])
                }
                do {
                    let n = try await service.deleteOldDoneJobs()
                    if n > 0 { logger.info("done jobs deleted", metadata: ["deleted": "\(n)"]) }
                } catch {
                    logger.error("deleting done jobs failed", metadata: ["error": "\(error)"])
                }
                try? await Task.sleep(nanoseconds: Self.intervalSeconds * 1_000_000_000)
            }
        }
    }
}
