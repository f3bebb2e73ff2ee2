import ArgumentParser
import BulwarkCore
import BulwarkServer
import BulwarkStore
import Foundation

struct WebhookCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "webhook",
        abstract: "Where decisions are delivered, and the signing secret.",
        subcommands: [SetURL.self, RotateSecret.self, EndRotation.self]
    )

    struct SetURL: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "set-url", abstract: "Set the platform's webhook URL.")
        @OptionGroup var database: DatabaseOption
        @Argument var url: String

        func run() async throws {
            guard url.hasPrefix("https://") || url.hasPrefix("http://") else { throw ValidationError("not an http(s) URL: \(url)") }
            let store = try await database.open()
            try await store.setSetting("webhook.url", url, actor: "cli", now: Int64(Date().timeIntervalSince1970))
            print("webhook URL set; running servers pick it up on their next delivery")
        }
    }

    struct RotateSecret: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "rotate-secret",
            abstract: "Make a new signing secret; the old one keeps signing too until end-rotation.",
            discussion: """
                Deliveries carry one v1 signature per active secret, so the platform can switch to \
                the new secret at its own pace: rotate, update the receiver, then end the rotation.
                """)
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            let store = try await database.open()
            let now = Int64(Date().timeIntervalSince1970)
            if let current = try await store.setting("webhook.secret") {
                try await store.setSetting("webhook.secret.previous", current, actor: "cli", now: now)
            }
            let secret = "whsec_" + APIKeys.generate().dropFirst(4)
            try await store.setSetting("webhook.secret", secret, actor: "cli", now: now)
            print("new webhook secret (shown once): \(secret)")
        }
    }

    struct EndRotation: AsyncParsableCommand {
        static let configuration = CommandConfiguration(commandName: "end-rotation", abstract: "Stop signing with the previous secret.")
        @OptionGroup var database: DatabaseOption

        func run() async throws {
            let store = try await database.open()
            try await store.setSetting("webhook.secret.previous", "", actor: "cli", now: Int64(Date().timeIntervalSince1970))
            print("only the current secret signs now")
        }
    }
}
