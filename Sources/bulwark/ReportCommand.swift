import ArgumentParser
import BulwarkCore
import BulwarkStore
import Foundation

struct ReportCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "report", abstract: "Reports from the store.", subcommands: [Transparency.self])

    struct Transparency: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "The transparency report (TCO Article 7, DSA): removals by category, language and source, removal orders against the one-hour clock, complaints and reinstatements.")

        @OptionGroup var database: DatabaseOption
        @Option(help: "First day, YYYY-MM-DD (UTC).") var from: String
        @Option(help: "Day after the last, YYYY-MM-DD (UTC).") var to: String
        @Option(help: "markdown, html or json.") var format = "markdown"
        @Option(name: .shortAndLong, help: "Write here instead of standard output.") var output: String?

        func validate() throws {
            guard let f = CivilDate.parse(from) else { throw ValidationError("--from is not a date YYYY-MM-DD: \(from)") }
            guard let t = CivilDate.parse(to) else { throw ValidationError("--to is not a date YYYY-MM-DD: \(to)") }
            guard f < t else { throw ValidationError("--from must be before --to") }
            guard ["markdown", "html", "json"].contains(format) else { throw ValidationError("--format is markdown, html or json") }
        }

        func run() async throws {
            let store = try await database.open()
            let report = try await TransparencyReport.build(from: CivilDate.parse(from)!, to: CivilDate.parse(to)!, store: store)
            let text = format == "html" ? report.html : format == "json" ? report.json + "\n" : report.markdown
            if let output {
                try Data(text.utf8).write(to: URL(fileURLWithPath: output))
            } else {
                print(text, terminator: "")
            }
        }
    }
}
