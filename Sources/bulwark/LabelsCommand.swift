import ArgumentParser
import BulwarkCore
import BulwarkStore

/// `bulwark labels`: reviewers' final decisions as labelled JSON Lines (`ReviewLabel`).
struct LabelsCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "labels",
        abstract: "Write the reviewers' decisions as labelled JSON Lines, for `bulwark eval` and `bulwark train`.",
        discussion: """
            One line per decided text, newest decision first: {"id": "case-N", "lang", "type", "text", \
            "label": "violating" with the decision's "category" (remove, restrict_visibility, geo_block), \
            or "none" with the exemption as "kind" (no_violation, or an appeal granted), "decided_at"}. \
            A case's latest decision counts (an escalation says nothing); a text decided on several \
            copies is written once; a text purged after its preservation period is gone. Nothing \
            about authors or containers is written. A summary goes to stderr.
            """)

    @OptionGroup var database: DatabaseOption
    @Option(help: "Decisions from this day, YYYY-MM-DD (UTC), inclusive.") var from: String?
    @Option(help: "Decisions before this day, YYYY-MM-DD (UTC).") var to: String?
    @Option(name: .shortAndLong, help: "Write here instead of standard output.") var output: String?

    func validate() throws {
        if let from, CivilDate.parse(from) == nil { throw ValidationError("--from is not a date YYYY-MM-DD: \(from)") }
        if let to, CivilDate.parse(to) == nil { throw ValidationError("--to is not a date YYYY-MM-DD: \(to)") }
        if let f = from.flatMap(CivilDate.parse), let t = to.flatMap(CivilDate.parse), f >= t {
            throw ValidationError("--from must be before --to")
        }
    }

    func run() async throws {
        let store = try await database.open()
        var out = try OutputWriter(path: output)
        defer { out.close() }
        let summary = try await ReviewLabelExport.run(
            store, from: from.flatMap(CivilDate.parse), to: to.flatMap(CivilDate.parse)
        ) { label in
            out.buffer.append(contentsOf: label.jsonLine.utf8)
            out.buffer.append(UInt8(ascii: "\n"))
            try out.flushIfNeeded()
        }
        try out.flush()
        var message = "labels: \(summary.written) written (\(summary.violating) violating, \(summary.none) none)"
        message += " from \(summary.decisions) decided cases; \(summary.copies) copies of a text written already"
        message += ", \(summary.purged) purged texts left out\n"
        writeStderr(message)
    }
}
