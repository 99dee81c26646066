import ArgumentParser

@main
struct Liora: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "liora",
        abstract: "Liora, the multi-tenant WhatsApp bot service.",
        discussion: "Configuration comes from LIORA_* environment variables (see README.md); flags override them.",
        subcommands: [Serve.self, Migrate.self, Demo.self, Simulate.self, NLU.self, CatalogCommand.self, Keys.self, AdminCommand.self, FakeGraph.self, CatalogBench.self]
    )
}
