import AsyncHTTPClient
import BulwarkCore
import BulwarkStore
import Foundation
public import Logging
import NIOCore
import NIOHTTP1
public import ServiceLifecycle

/// Delivers the outbox: claims pending deliveries with a lease (so several processes can
/// share one database), POSTs each signed to the configured URL, and records the outcome.
/// A failure is retried with doubling delays; after `webhookMaxAttempts` the delivery is
/// dead-lettered (`status = dead`, re-deliverable through the API). Every delivery carries
/// `Bulwark-Delivery: ID`, the same on every attempt, so the receiver drops duplicates:
/// delivery is at least once.
public struct WebhookSender: Service, CustomStringConvertible {
    /// How service-lifecycle names it in logs (not the whole service with its engine).
    public var description: String { "WebhookSender" }
    let service: BulwarkService
    let owner = "worker-\(UUID().uuidString.prefix(8))"
    let logger: Logger

    public init(service: BulwarkService, logger: Logger) {
        self.service = service
        self.logger = logger
    }

    /// Delivers until graceful shutdown: then it claims nothing more, finishes the request in
    /// flight, gives the rest of its batch back (their leases released) and returns.
    public func run() async throws {
        let client = HTTPClient(eventLoopGroupProvider: .singleton)
        let poll = UInt64(max(10, service.configuration.workerPollMilliseconds)) * 1_000_000
        while !Task.isShuttingDownGracefully && !Task.isCancelled {
            let worked: Int
            do {
                worked = try await deliverOnce(client)
            } catch {
                logger.warning("webhook round failed", metadata: ["error": "\(error)"])
                worked = 0
            }
            if worked == 0 { await pause(nanoseconds: poll) }
        }
        try await client.shutdown()
    }

    /// One round: returns how many deliveries were attempted.
    func deliverOnce(_ client: HTTPClient) async throws -> Int {
        guard let url = try await service.store.setting("webhook.url") ?? service.configuration.webhookURL else { return 0 }
        let now = service.clock()
        let batch = try await service.store.claimDeliveries(
            owner: owner, now: now, lease: service.configuration.webhookTimeout + 30, limit: 50)
        guard !batch.isEmpty else { return 0 }
        var secrets: [String] = []
        if let current = try await service.store.setting("webhook.secret"), !current.isEmpty { secrets.append(current) }
        if let previous = try await service.store.setting("webhook.secret.previous"), !previous.isEmpty {
            secrets.append(previous)
        }
        for (n, delivery) in batch.enumerated() {
            if Task.isShuttingDownGracefully || Task.isCancelled {
                for rest in batch[n...] { try await service.store.releaseDelivery(id: rest.id, owner: owner) }
                return n
            }
            let timestamp = service.clock()
            var request = HTTPClientRequest(url: url)
            request.method = .POST
            request.headers.add(name: "Content-Type", value: "application/json")
            request.headers.add(name: "Bulwark-Delivery", value: delivery.deliveryID)
            request.headers.add(name: "Bulwark-Event", value: delivery.event)
            request.headers.add(name: "Bulwark-Attempt", value: String(delivery.attempts + 1))
            request.headers.add(
                name: "Bulwark-Signature",
                value: WebhookSignature.header(body: delivery.body, timestamp: timestamp, secrets: secrets))
            request.body = .bytes(ByteBuffer(string: delivery.body))
            var failure: String? = nil
            do {
                let response = try await client.execute(request, timeout: .seconds(service.configuration.webhookTimeout))
                if !(200..<300).contains(response.status.code) { failure = "HTTP \(response.status.code)" }
                _ = try? await response.body.collect(upTo: 1 << 16)
            } catch {
                failure = "\(error)"
            }
            if let failure {
                let attempts = delivery.attempts + 1
                let dead = attempts >= service.configuration.webhookMaxAttempts
                let delay = min(3600, service.configuration.webhookInitialBackoff << Int64(min(attempts - 1, 20)))
                service.metrics.webhook(delivered: false)
                try await service.store.deliveryFailed(
                    id: delivery.id, error: failure, nextAttemptAt: dead ? nil : service.clock() + delay, now: service.clock())
                logger.warning(
                    "webhook delivery failed",
                    metadata: ["delivery.id": "\(delivery.deliveryID)", "attempt": "\(attempts)", "error": "\(failure)"])
            } else {
                service.metrics.webhook(delivered: true)
                try await service.store.deliverySucceeded(id: delivery.id, now: service.clock())
            }
        }
        return batch.count
    }
}
