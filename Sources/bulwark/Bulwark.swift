import ArgumentParser

@main
struct Bulwark: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "bulwark",
        abstract: "Find terrorist and violent-extremist content, with evidence, for a trust-and-safety team.",
        discussion: """
            Input is JSON Lines: {"id", "text", "lang"?, "type"?, ...} one item per line. \
            Output is one verdict line per item, in input order.
            """,
        subcommands: [ScanCommand.self, EvalCommand.self, TrainCommand.self, TransferCommand.self, BenchCommand.self, EmbedCommand.self, NormalizeCommand.self, ExplainCommand.self, BankCommand.self, MatchCommand.self, HashCommand.self, MediaDecoderCommand.self, ServeCommand.self, WorkerCommand.self, KeysCommand.self, EntitiesCommand.self, AuditCommand.self, WebhookCommand.self, SimulateCommand.self, ReportCommand.self, LabelsCommand.self, UsersCommand.self]
    )
}
