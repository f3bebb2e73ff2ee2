public import ArgumentParser
import BulwarkBanks
public import BulwarkCore
import BulwarkServer
import BulwarkStore
import Foundation

extension Role: ExpressibleByArgument {}

struct KeysCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "keys",
        abstract: "Create, list and revoke API keys (stored hashed; a key is shown once, when created).",
        subcommands: [Create.self, List.self, Revoke.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Create a key and print it once.")
        @OptionGroup var database: DatabaseOption
        @Option(help: "Who or what holds it (shown in the audit log and as the reviewer name).") var name: String
        @Option(help: "ingest, reviewer, lead, authority, auditor or admin.") var role: Role

        func run() async throws {
            let store = try await database.open()
            // People and machines act under their names in decisions and the audit log: one namespace.
            guard try await store.user(name: name) == nil else {
                throw CommandFailure("a console user is named \(name); a key needs a name of its own")
            }
            let key = APIKeys.generate()
            let record = try await store.createKey(
                name: name, role: role, prefix: APIKeys.prefix(key), hash: APIKeys.hash(key),
                now: Int64(Date().timeIntervalSince1970))
            print("key \(record.id) (\(role.rawValue), \(name)): \(key)")
        }
    }

    struct List: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "List keys (prefixes only).")
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            let store = try await database.open()
            for k in try await store.keys() {
                let state = k.revokedAt.map { "revoked \(CivilDate.isoDateTime($0))" } ?? "active"
                print("\(k.id)\t\(k.prefix)…\t\(k.role.rawValue)\t\(k.name)\t\(state)")
            }
        }
    }

    struct Revoke: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Revoke a key by its id.")
        @OptionGroup var database: DatabaseOption
        @Argument var id: Int64

        func run() async throws {
            let store = try await database.open()
            guard try await store.revokeKey(id: id, actor: "cli", now: Int64(Date().timeIntervalSince1970)) else {
                throw CommandFailure("no active key \(id)")
            }
            print("revoked key \(id)")
        }
    }
}

struct AuditCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "audit",
        abstract: "Check the audit log's hash chain.",
        subcommands: [Verify.self]
    )

    struct Verify: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Recompute the chain: any edited, inserted or deleted entry is reported; exit status 1 then.")
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            let store = try await database.open()
            let result = try await store.verifyAudit()
            if let at = result.brokenAt {
                print("audit log BROKEN at entry \(at): \(result.reason ?? "") (\(result.checked) entries verified before it)")
                throw ExitCode(1)
            }
            print("audit log intact: \(result.checked) entries, chain verified")
        }
    }
}
