import BulwarkStore
import Foundation
import Testing

struct UsersCommandTests {
    @Test func createsAnAccountWithAnScryptHashFromStandardInput() async throws {
        let database = NSTemporaryDirectory() + "bulwark-users-\(UInt32.random(in: 0...UInt32.max)).db"
        defer { try? FileManager.default.removeItem(atPath: database) }
        let arguments = ["users", "create", "--database", database, "--name", "amina", "--role", "reviewer"]
        let short = try CLI.run(arguments, stdin: "too short\n")
        #expect(short.status != 0)
        #expect(short.stderr.contains("at least 12 characters"))

        let created = try CLI.run(arguments, stdin: "a long enough password\n")
        #expect(created.status == 0, "\(created.stderr)")
        #expect(created.stdout.contains("(reviewer, amina) created"))
        #expect(!created.stdout.contains("a long enough password"))

        let again = try CLI.run(arguments, stdin: "another long password\n")
        #expect(again.status != 0)
        #expect(again.stderr.contains("a user named amina exists"))

        let store = try SQLiteStore(path: database)
        let user = try #require(try await store.user(name: "amina"))
        #expect("\(user.role)" == "reviewer")
        #expect(user.passwordHash.hasPrefix("scrypt$15$8$1$"))
        #expect(!user.passwordHash.contains("a long enough password"))
    }

    /// Decisions and audit entries name their actor: a person and a key never share a name.
    @Test func peopleAndKeysHaveNamesOfTheirOwn() throws {
        let database = NSTemporaryDirectory() + "bulwark-names-\(UInt32.random(in: 0...UInt32.max)).db"
        defer { try? FileManager.default.removeItem(atPath: database) }
        let key = try CLI.run(["keys", "create", "--database", database, "--name", "platform", "--role", "ingest"])
        #expect(key.status == 0, "\(key.stderr)")
        let person = try CLI.run(
            ["users", "create", "--database", database, "--name", "platform", "--role", "reviewer"],
            stdin: "a long enough password\n")
        #expect(person.status != 0)
        #expect(person.stderr.contains("an API key is named platform"))

        let amina = try CLI.run(
            ["users", "create", "--database", database, "--name", "amina", "--role", "reviewer"],
            stdin: "a long enough password\n")
        #expect(amina.status == 0, "\(amina.stderr)")
        let machine = try CLI.run(["keys", "create", "--database", database, "--name", "amina", "--role", "reviewer"])
        #expect(machine.status != 0)
        #expect(machine.stderr.contains("a console user is named amina"))
    }
}
