import ArgumentParser
import BulwarkCore
import BulwarkSimulation
import BulwarkText
import Foundation

struct SimulateCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "simulate",
        abstract: "Simulate a platform with violating networks and measure entity risk, queue order and re-appearance.",
        discussion: """
            A deterministic platform (--seed): benign containers and accounts, news and religious \
            containers that name the same groups, and violating networks whose containers post, \
            grow their audience, are removed by a review team and come back under new names. The \
            pipeline (text engine, entity signals and risk, re-appearance index, review priority) \
            runs on every item. Texts come from the labelled dev sets' tune and test splits (never \
            the split the classifier was trained on) plus templated everyday chatter. Three runs \
            share the world: nobody reviewing (the baseline), a first-in-first-out queue, and the \
            priority queue; exposure prevented is the baseline's violating exposure (followers × \
            violating items) minus the run's.
            """
    )

    @Option(help: "Seed: the same seed gives the same platform and the same figures.") var seed: UInt64 = 1
    @Option(help: "Items posted by benign containers (networks post on top).") var items = 1_000_000
    @Option(help: "Ordinary accounts.") var accounts = 30_000
    @Option(help: "Containers (including the news and religious ones).") var containers = 6_000
    @Option(help: "Simulated days.") var days = 28
    @Option(help: "Violating networks.") var networks = 6
    @Option(help: "Decisions the review team makes per hour.") var decisionsPerHour = 10.0
    @Option(help: "Seconds after which waiting stops raising a case's priority (default: the service's 21,600; 0: never).") var waitingCap: Int64?
    @Option(help: "Labelled data (JSON Lines files or directories). Default: the dev sets.") var data: [String] = []
    @Flag(help: "Print the reports as JSON.") var json = false
    @OptionGroup var engineOptions: EngineOptions

    func run() throws {
        let engine = try engineOptions.loadEngine()
        let labelled = try loadItems(data.isEmpty ? DefaultData.paths() : data).filter { DatasetSplit.of($0) != .train }
        var settings = SimulationSettings()
        settings.seed = seed
        settings.items = items
        settings.accounts = accounts
        settings.containers = containers
        settings.days = days
        settings.networks = networks
        settings.decisionsPerHour = decisionsPerHour
        if let waitingCap { settings.waitingCapSeconds = waitingCap == 0 ? .max / 4 : waitingCap }
        let pools = ContentPools.from(labelled, networks: networks, seed: seed)
        let simulation = PlatformSimulation(settings: settings, pools: pools, engine: engine)
        var verdicts: [String: Verdict] = [:]
        var reports: [QueueOrder: SimulationReport] = [:]
        let started = ContinuousClock.now
        for order in [QueueOrder.none, .fifo, .priority] {
            let start = ContinuousClock.now
            reports[order] = simulation.run(order: order, verdicts: &verdicts)
            writeStderr("bulwark simulate: \(order.rawValue) run in \(ContinuousClock.now - start)\n")
        }
        let elapsed = ContinuousClock.now - started
        guard let baseline = reports[.none], let fifo = reports[.fifo], let priority = reports[.priority] else { return }
        // Prevented: the baseline's violating exposure minus the run's, per 100 decisions; and
        // the exposure the removed containers would have had in the next 7 days, per 100 decisions.
        func prevented(_ r: SimulationReport) -> Double {
            r.decisions == 0 ? 0 : (baseline.violatingExposure - r.violatingExposure) / Double(r.decisions) * 100
        }
        func preventedWeek(_ r: SimulationReport) -> Double {
            r.decisions == 0 ? 0 : r.exposurePrevented / Double(r.decisions) * 100
        }
        func percentile(_ values: [Int64], _ p: Double) -> Double {
            guard !values.isEmpty else { return .nan }
            let sorted = values.sorted()
            return Double(sorted[min(sorted.count - 1, Int(Double(sorted.count - 1) * p))])
        }
        func hours(_ seconds: Double) -> String { String(format: "%.1f h", seconds / 3_600) }
        func minutes(_ seconds: Double) -> String { String(format: "%.0f min", seconds / 60) }
        if json {
            var out: [String: Any] = ["seed": seed, "items_posted": priority.itemsPosted, "distinct_texts": verdicts.count]
            for r in [baseline, fifo, priority] {
                out[r.order.rawValue] = [
                    "violating_items": r.violatingItemsPosted, "violating_exposure": r.violatingExposure,
                    "decisions": r.decisions, "entity_decisions": r.entityDecisions, "entities_removed": r.entitiesRemoved,
                    "exposure_prevented_per_100_decisions": prevented(r),
                    "removals_next_7_days_exposure_per_100_decisions": preventedWeek(r),
                    "seconds_to_top_p50": percentile(r.secondsToTop, 0.5), "seconds_to_top_p90": percentile(r.secondsToTop, 0.9),
                    "containers_removed": r.secondsToTop.count, "containers_never_removed": r.neverReachedTop,
                    "comebacks": r.comebacks, "comebacks_flagged_within_10_items": r.comebacksFlaggedWithinTen,
                    "seconds_to_flag_p50": percentile(r.secondsToFlag, 0.5), "benign_flagged": r.benignFlagged,
                    "entity_cases": r.entityCases, "entity_cases_on_violating": r.entityCasesOnViolating,
                ] as [String: Any]
            }
            let data = try JSONSerialization.data(withJSONObject: out, options: [.sortedKeys])
            print(String(decoding: data, as: UTF8.self))
            return
        }
        print("Simulated platform (seed \(seed)): \(settings.containers) containers (\(settings.newsContainers) news, \(settings.religiousContainers) religious), \(settings.accounts) accounts, \(settings.networks) violating networks, \(settings.days) days; review team \(Int(settings.decisionsPerHour)) decisions/h")
        print("Items posted with nobody reviewing: \(baseline.itemsPosted) (\(baseline.violatingItemsPosted) violating); distinct texts scanned: \(verdicts.count); three runs in \(elapsed)")
        print("")
        print("                                              FIFO queue      priority queue")
        print("decisions                                     \(pad(fifo.decisions))\(pad(priority.decisions))")
        print("  of which entity decisions                   \(pad(fifo.entityDecisions))\(pad(priority.entityDecisions))")
        print("violating exposure (followers x items)        \(pad(Int(fifo.violatingExposure)))\(pad(Int(priority.violatingExposure)))   (nobody reviewing: \(Int(baseline.violatingExposure)))")
        print("exposure prevented per 100 decisions          \(pad(Int(prevented(fifo))))\(pad(Int(prevented(priority))))   ratio \(String(format: "%.1f", prevented(priority) / max(prevented(fifo), 1)))x")
        print("  removals' next 7 days, per 100 decisions   \(pad(Int(preventedWeek(fifo))))\(pad(Int(preventedWeek(priority))))   ratio \(String(format: "%.1f", preventedWeek(priority) / max(preventedWeek(fifo), 1)))x")
        print("violating containers removed                  \(pad(fifo.secondsToTop.count))\(pad(priority.secondsToTop.count))")
        print("  first item -> case at the top, median       \(pad(hours(percentile(fifo.secondsToTop, 0.5))))\(pad(hours(percentile(priority.secondsToTop, 0.5))))")
        print("  first item -> case at the top, p90          \(pad(hours(percentile(fifo.secondsToTop, 0.9))))\(pad(hours(percentile(priority.secondsToTop, 0.9))))")
        print("  still up at the end (latest comebacks)      \(pad(fifo.neverReachedTop))\(pad(priority.neverReachedTop))")
        func share(_ r: SimulationReport) -> String {
            r.comebacks == 0 ? "-" : "\(r.comebacksFlaggedWithinTen)/\(r.comebacks) \(String(format: "%.0f%%", Double(r.comebacksFlaggedWithinTen) * 100 / Double(r.comebacks)))"
        }
        print("comebacks flagged within their first 10 items \(pad(share(fifo)))\(pad(share(priority)))")
        print("  time to the flag, median                    \(pad(minutes(percentile(fifo.secondsToFlag, 0.5))))\(pad(minutes(percentile(priority.secondsToFlag, 0.5))))")
        func benign(_ r: SimulationReport, _ kind: String) -> String { "\(r.benignFlagged[kind] ?? 0)/\(r.benignContainers[kind] ?? 0)" }
        print("benign news containers flagged                \(pad(benign(fifo, "news")))\(pad(benign(priority, "news")))")
        print("benign religious containers flagged           \(pad(benign(fifo, "religious")))\(pad(benign(priority, "religious")))")
        print("other benign containers flagged               \(pad(benign(fifo, "ordinary")))\(pad(benign(priority, "ordinary")))")
        print("benign accounts flagged                       \(pad(String(fifo.benignFlagged["account"] ?? 0)))\(pad(String(priority.benignFlagged["account"] ?? 0)))")
        print("item cases opened                             \(pad(fifo.itemCases))\(pad(priority.itemCases))")
        print("entity cases (on violating entities)          \(pad("\(fifo.entityCases) (\(fifo.entityCasesOnViolating))"))\(pad("\(priority.entityCases) (\(priority.entityCasesOnViolating))"))")
        for line in (fifo.benignFlagDetails.map { "FIFO: " + $0 } + priority.benignFlagDetails.map { "priority: " + $0 }) {
            print("  flagged benign, \(line)")
        }
        print("peak RSS: \((peakRSSKiB() ?? 0) / 1024) MiB")
    }

    func pad(_ value: some CustomStringConvertible) -> String {
        let s = value.description
        return s + String(repeating: " ", count: max(1, 16 - s.count))
    }
}
