package import Foundation
package import LioraCore
import NIOConcurrencyHelpers

/// Validates catalog bytes for the catalog API and the demo seed (the rules live in
/// `CatalogValidator`).
package enum CatalogCheck: Sendable {
    /// One problem, with the JSON path it is about.
    package struct Problem: Encodable, Sendable, Equatable {
        package var path: String
        package var code: String
        package var message: String
    }

    /// A catalog that passed validation.
    package struct Valid: Sendable {
        package var catalog: Catalog
        package var productCount: Int { catalog.products.count }
        package var categoryCount: Int { catalog.categories.count }
        package var currency: String { catalog.currency }
        package var locale: String { catalog.locale }
        /// Builds the search index (once per activation).
        package func index() -> CatalogSearchIndex { CatalogSearchIndex(catalog: catalog) }
    }

    case valid(Valid)
    case invalid([Problem])

    package static func run(_ bytes: [UInt8]) -> CatalogCheck {
        switch CatalogValidator.validate(bytes) {
        case .success(let catalog): .valid(Valid(catalog: catalog))
        case .failure(let failure): .invalid(failure.problems.map { Problem(path: $0.path, code: $0.code.rawValue, message: $0.message) })
        }
    }
}

/// The search index of each tenant's active catalog, built when a snapshot is activated and
/// swapped in whole, so a message never sees half a catalog. Another instance's activation is
/// noticed by version: the responder asks for the active version and the index is rebuilt
/// from the stored snapshot when it differs.
package final class CatalogIndexCache: Sendable {
    private struct Entry: Sendable {
        var version: Int
        var index: CatalogSearchIndex
    }

    private let entries = NIOLockedValueBox<[UUID: Entry]>([:])

    package init() {}

    package func install(tenantID: UUID, version: Int, index: CatalogSearchIndex) {
        entries.withLockedValue { $0[tenantID] = Entry(version: version, index: index) }
    }

    package func index(tenantID: UUID, version: Int) -> CatalogSearchIndex? {
        entries.withLockedValue { entries in
            guard let entry = entries[tenantID], entry.version == version else { return nil }
            return entry.index
        }
    }

    /// The tenant's active catalog and its index, or nil when it has none (or it cannot be read).
    package func active(in session: any TenantSession) async throws -> ActiveCatalogIndex? {
        guard let active = try await session.activeCatalog() else {
            entries.withLockedValue { _ = $0.removeValue(forKey: session.tenantID) }
            return nil
        }
        if let index = index(tenantID: session.tenantID, version: active.version) {
            return ActiveCatalogIndex(index: index, version: active.version)
        }
        guard let bytes = try await session.catalogSnapshotBody(version: active.version),
              case .valid(let valid) = CatalogCheck.run(bytes) else { return nil }
        let index = valid.index()
        entries.withLockedValue { $0[session.tenantID] = Entry(version: active.version, index: index) }
        return ActiveCatalogIndex(index: index, version: active.version)
    }
}
