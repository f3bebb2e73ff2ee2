import ArgumentParser
import BulwarkCore
import BulwarkServer
import BulwarkStore
import Foundation

#if canImport(Glibc)
    import Glibc
#endif

struct UsersCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "users",
        abstract: "Create people's accounts for the reviewer console (passwords stored as scrypt hashes).",
        subcommands: [Create.self]
    )

    struct Create: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract:
                "Create an account. The password is read from standard input (asked for, unechoed, on a terminal).")
        @OptionGroup var database: DatabaseOption
        @Option(help: "The name the person signs in with (shown in the audit log and as the reviewer).") var name:
            String
        @Option(help: "ingest, reviewer, lead, authority, auditor or admin.") var role: Role

        /// NIST SP 800-63B asks for at least 8; a console that shows terrorist content asks for more.
        static let minimumLength = 12

        func validate() throws {
            guard !name.isEmpty, name.utf8.count <= 128 else { throw ValidationError("--name must be 1-128 bytes") }
        }

        func run() async throws {
            let password = try Self.readPassword()
            guard password.count >= Self.minimumLength else {
                throw ValidationError("the password must have at least \(Self.minimumLength) characters")
            }
            let store = try await database.open()
            guard try await store.user(name: name) == nil else { throw CommandFailure("a user named \(name) exists") }
            // People and machines act under their names in decisions and the audit log: one namespace.
            guard try await !store.keys().contains(where: { $0.name == name }) else {
                throw CommandFailure("an API key is named \(name); a person needs a name of their own")
            }
            let record = try await store.createUser(
                name: name, role: role, passwordHash: try Passwords.hash(password),
                now: Int64(Date().timeIntervalSince1970))
            print("user \(record.id) (\(role.rawValue), \(name)) created")
        }

        static func readPassword() throws -> String {
            if isatty(STDIN_FILENO) != 0, let typed = getpass("Password: ") {
                return String(cString: typed)
            }
            guard let line = readLine(strippingNewline: true) else {
                throw CommandFailure("no password on standard input")
            }
            return line
        }
    }
}
