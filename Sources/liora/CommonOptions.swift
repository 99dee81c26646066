import ArgumentParser
import Foundation
import LioraCore
import Logging

/// Flags that override the environment, shared by the subcommands.
struct DatabaseOptions: ParsableArguments {
    @Option(name: .long, help: "Database URL (overrides LIORA_DATABASE_URL).")
    var databaseURL: String?

    @Option(name: .long, help: "Database URL for migrations, the schema owner (overrides LIORA_MIGRATION_DATABASE_URL).")
    var migrationDatabaseURL: String?

    func environment(_ extra: [String: String?] = [:]) -> [String: String] {
        var env = ProcessInfo.processInfo.environment
        if let databaseURL { env["LIORA_DATABASE_URL"] = databaseURL }
        if let migrationDatabaseURL { env["LIORA_MIGRATION_DATABASE_URL"] = migrationDatabaseURL }
        for (k, v) in extra { if let v { env[k] = v } }
        return env
    }
}

/// Loads the configuration or stops the process with one line naming the variable.
func loadConfiguration(_ env: [String: String]) -> Configuration {
    do {
        return try Configuration.load(environment: env)
    } catch {
        fail("\(error)", code: 2)
    }
}

/// Prints `liora: message` to standard error and exits.
func fail(_ message: String, code: Int32 = 1) -> Never {
    FileHandle.standardError.write(Data("liora: \(message)\n".utf8))
    exit(code)
}

/// One line on standard error for progress the operator should see.
func say(_ message: String) {
    FileHandle.standardError.write(Data("liora: \(message)\n".utf8))
}


/// Logs go to standard error, at the configured level, with ids only (never message text).
func makeLogger(level: Logger.Level) -> Logger {
    LoggingSystem.bootstrap { label in
        var handler = StreamLogHandler.standardError(label: label)
        handler.logLevel = level
        return handler
    }
    var logger = Logger(label: "liora")
    logger.logLevel = level
    return logger
}
