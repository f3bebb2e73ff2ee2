import BulwarkCascade
import Foundation
import HTTPTypes
import Hummingbird
import Logging
import Synchronization

/// Counters and latency histograms in the Prometheus text format, served at `/metrics`.
public final class ServiceMetrics: Sendable {
    static let buckets: [Double] = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5]

    struct Histogram {
        var counts = [Int](repeating: 0, count: ServiceMetrics.buckets.count)
        var sum = 0.0
        var count = 0

        mutating func observe(_ seconds: Double) {
            for (i, bound) in ServiceMetrics.buckets.enumerated() where seconds <= bound { counts[i] += 1 }
            sum += seconds
            count += 1
        }
    }

    struct State {
        var requests: [String: Int] = [:]  // "route|status"
        var latency: [String: Histogram] = [:]  // route
        var verdicts: [String: Int] = [:]  // decision
        var items = 0
        var webhookFailures = 0
        var webhookDelivered = 0
        var mediaJobs: [String: Int] = [:]  // outcome
        /// Copies decided with the case a reviewer decided (`copies: true`).
        var copiesDecided = 0
        /// `--model full`: items sent to the encoder, tokens it looked up, and those whose
        /// piece a workspace had kept.
        var encoded = 0
        var pieceLookups = 0
        var pieceHits = 0
        /// Routed texts looked up among a workspace's kept embeddings, and those found.
        var sentenceLookups = 0
        var sentenceHits = 0
        /// The same items by why they went (`EncoderRoute.rawValue`).
        var routes = [Int](repeating: 0, count: EncoderRoute.allCases.count)
        var encoderOn = false
    }

    private let state = Mutex(State())

    public init() {}

    func request(route: String, status: Int, seconds: Double) {
        state.withLock { s in
            s.requests["\(route)|\(status)", default: 0] += 1
            s.latency[route, default: Histogram()].observe(seconds)
        }
    }

    func verdict(_ decision: String) {
        state.withLock { s in
            s.items += 1
            s.verdicts[decision, default: 0] += 1
        }
    }

    func webhook(delivered: Bool) {
        state.withLock { s in if delivered { s.webhookDelivered += 1 } else { s.webhookFailures += 1 } }
    }

    func mediaJob(_ outcome: String) {
        state.withLock { s in s.mediaJobs[outcome, default: 0] += 1 }
    }

    func copiesDecided(_ n: Int) {
        state.withLock { s in s.copiesDecided += n }
    }

    /// One request's work in the sentence encoder (`--model full`).
    func encoder(
        items: Int, routes: [Int] = [], pieceLookups: Int, pieceHits: Int, sentenceLookups: Int = 0, sentenceHits: Int = 0
    ) {
        state.withLock { s in
            s.encoderOn = true
            s.encoded += items
            for (r, n) in routes.enumerated() where r < s.routes.count { s.routes[r] += n }
            s.pieceLookups += pieceLookups
            s.pieceHits += pieceHits
            s.sentenceLookups += sentenceLookups
            s.sentenceHits += sentenceHits
        }
    }

    /// The exposition, with gauges read from the store at scrape time.
    func render(gauges: [(name: String, help: String, value: Int)]) -> String {
        let s = state.withLock { $0 }
        var out = ""
        out += "# HELP bulwark_items_total Items scanned and stored.\n# TYPE bulwark_items_total counter\n"
        out += "bulwark_items_total \(s.items)\n"
        out += "# HELP bulwark_verdicts_total Verdicts by decision.\n# TYPE bulwark_verdicts_total counter\n"
        for (d, n) in s.verdicts.sorted(by: { $0.key < $1.key }) { out += "bulwark_verdicts_total{decision=\"\(d)\"} \(n)\n" }
        out += "# HELP bulwark_http_requests_total HTTP requests by route and status.\n# TYPE bulwark_http_requests_total counter\n"
        for (k, n) in s.requests.sorted(by: { $0.key < $1.key }) {
            let parts = k.split(separator: "|")
            out += "bulwark_http_requests_total{route=\"\(parts[0])\",status=\"\(parts[1])\"} \(n)\n"
        }
        out += "# HELP bulwark_http_request_duration_seconds Request latency by route.\n"
        out += "# TYPE bulwark_http_request_duration_seconds histogram\n"
        for (route, h) in s.latency.sorted(by: { $0.key < $1.key }) {
            for (i, bound) in Self.buckets.enumerated() {
                out += "bulwark_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"\(bound)\"} \(h.counts[i])\n"
            }
            out += "bulwark_http_request_duration_seconds_bucket{route=\"\(route)\",le=\"+Inf\"} \(h.count)\n"
            out += "bulwark_http_request_duration_seconds_sum{route=\"\(route)\"} \(h.sum)\n"
            out += "bulwark_http_request_duration_seconds_count{route=\"\(route)\"} \(h.count)\n"
        }
        out += "# HELP bulwark_webhook_deliveries_total Webhook attempts by outcome.\n# TYPE bulwark_webhook_deliveries_total counter\n"
        out += "bulwark_webhook_deliveries_total{outcome=\"delivered\"} \(s.webhookDelivered)\n"
        out += "bulwark_webhook_deliveries_total{outcome=\"failed\"} \(s.webhookFailures)\n"
        out += "# HELP bulwark_media_jobs_total Media hashing jobs by outcome.\n# TYPE bulwark_media_jobs_total counter\n"
        for (k, n) in s.mediaJobs.sorted(by: { $0.key < $1.key }) { out += "bulwark_media_jobs_total{outcome=\"\(k)\"} \(n)\n" }
        out += "# HELP bulwark_copies_decided_total Open copies of a text decided with the case a reviewer decided.\n"
        out += "# TYPE bulwark_copies_decided_total counter\nbulwark_copies_decided_total \(s.copiesDecided)\n"
        if s.encoderOn {
            out += "# HELP bulwark_encoder_items_total Items sent to the sentence encoder (--model full).\n"
            out += "# TYPE bulwark_encoder_items_total counter\nbulwark_encoder_items_total \(s.encoded)\n"
            out += "# HELP bulwark_encoder_routes_total Items sent to the sentence encoder, by why they went.\n"
            out += "# TYPE bulwark_encoder_routes_total counter\n"
            for route in EncoderRoute.allCases {
                out += "bulwark_encoder_routes_total{route=\"\(route.name)\"} \(s.routes[route.rawValue])\n"
            }
            out += "# HELP bulwark_encoder_pieces_total Tokens the encoder looked up, and those whose piece was kept from earlier work.\n"
            out += "# TYPE bulwark_encoder_pieces_total counter\n"
            out += "bulwark_encoder_pieces_total{result=\"kept\"} \(s.pieceHits)\n"
            out += "bulwark_encoder_pieces_total{result=\"computed\"} \(s.pieceLookups - s.pieceHits)\n"
            out += "# HELP bulwark_encoder_sentences_total Texts the encoder was given, and those whose whole embedding was kept from earlier work (the same pieces read before).\n"
            out += "# TYPE bulwark_encoder_sentences_total counter\n"
            out += "bulwark_encoder_sentences_total{result=\"kept\"} \(s.sentenceHits)\n"
            out += "bulwark_encoder_sentences_total{result=\"computed\"} \(s.sentenceLookups - s.sentenceHits)\n"
        }
        for g in gauges {
            out += "# HELP \(g.name) \(g.help)\n# TYPE \(g.name) gauge\n\(g.name) \(g.value)\n"
        }
        return out
    }
}

/// `Server-Timing: app;dur=MS` on every response: the time the service took until the response
/// was ready (rendered pages included; the network is not). Browsers' developer tools show it,
/// and `bulwark bench console` reads it.
struct ServerTimingMiddleware: RouterMiddleware {
    typealias Context = BulwarkRequestContext
    static let field = HTTPField.Name("Server-Timing")!

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        var response = try await next(request, context)
        let d = ContinuousClock.now - start
        let ms = Double(d.components.seconds) * 1e3 + Double(d.components.attoseconds) / 1e15
        response.headers[Self.field] = "app;dur=\((ms * 1000).rounded() / 1000)"
        return response
    }
}

/// Times every request and counts it by route (the matched route pattern) and status.
struct MetricsMiddleware: RouterMiddleware {
    typealias Context = BulwarkRequestContext
    let metrics: ServiceMetrics

    func handle(_ request: Request, context: Context, next: (Request, Context) async throws -> Response) async throws -> Response {
        let start = ContinuousClock.now
        func seconds() -> Double {
            let d = ContinuousClock.now - start
            return Double(d.components.seconds) + Double(d.components.attoseconds) / 1e18
        }
        func record(_ status: Int) {
            let route = context.endpointPath ?? "unmatched"
            let elapsed = seconds()
            metrics.request(route: route, status: status, seconds: elapsed)
            // One structured record per request (debug: at thousands a second it is opt-in).
            context.logger.debug(
                "request",
                metadata: [
                    "http.method": "\(request.method)", "http.route": "\(route)", "http.status": "\(status)",
                    "duration_ms": "\((elapsed * 1e5).rounded() / 100)",
                ])
        }
        do {
            let response = try await next(request, context)
            record(Int(response.status.code))
            return response
        } catch let error as any HTTPResponseError {
            record(Int(error.status.code))
            throw error
        } catch {
            record(500)
            throw error
        }
    }
}
