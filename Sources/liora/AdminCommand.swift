import ArgumentParser
import Foundation
import LioraCore
import LioraServer
import LioraStore

/// `liora admin …`: bootstrapping the admin API.
struct AdminCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "admin", abstract: "Bootstrap the admin API.", subcommands: [CreatePlatformAdmin.self])

    struct CreatePlatformAdmin: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Create a platform admin; the password is read from standard input (one line).",
            discussion: "Example: printf '%s\\n' \"$PASSWORD\" | liora admin create-platform-admin --email ops@example.com")

        @OptionGroup var database: DatabaseOptions

        @Option(help: "The admin's e-mail (their login).")
        var email: String

        @Option(help: "The admin's display name.")
        var name = "Platform admin"

        func run() async throws {
            let config = database.configuration()
            // The admin API's rules for e-mails and names.
            let email: String, name: String
            do {
                email = try AdminInput.email(self.email)
                name = try AdminInput.name(self.name)
            } catch let refused as APIError {
                fail("\(refused.code == "invalid_email" ? "--email" : "--name"): \(refused.message)", code: 2)
            }
            guard let password = readLine(strippingNewline: true), !password.isEmpty else {
                fail("no password on standard input", code: 2)
            }
            do {
                try AdminAuth.checkPasswordStrength(password, email: email)
            } catch let refused as APIError {
                fail("the password is refused: \(refused.message)", code: 2)  // too weak, too long for bcrypt, a NUL
            } catch {
                fail("the password is refused: \(error)", code: 2)
            }
            let logger = makeLogger(level: config.logLevel)
            do {
                _ = try await runMigrations(config, statusOnly: false, logger: logger)
                let db = try await StoreFactory.openDatabase(config.databaseURL, logger: logger, maximumConnections: 1)
                let store = SQLStore(database: db, logger: logger)
                let id = UUID()
                say("hashing the password (bcrypt, cost 12)…")
                let hash = AdminAuth.hashPassword(password, cost: 12)
                do {
                    try await store.createPlatformAdmin(id: id, email: email, name: name, passwordHash: hash, now: Date())
                } catch {
                    await store.close()
                    throw error
                }
                await store.close()
                print("platform admin \(email) created (id \(id.uuidString.lowercased())); log in with POST /auth/login")
            } catch {
                fail(operatorDescription(error))
            }
        }
    }
}
