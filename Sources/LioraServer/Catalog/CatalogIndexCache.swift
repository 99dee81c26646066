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

    /// Validates `bytes` as a publish (`stored: false`) or as a snapshot read back (`stored: true`:
    /// rules added after it was accepted do not apply, see `CatalogLimits.publishRules`). The
    /// caller bounds the size.
    package static func run(_ bytes: [UInt8], stored: Bool = false) -> CatalogCheck {
        var limits = CatalogLimits()
        // The size was bounded before (a publish by LIORA_CATALOG_MAX_BYTES, up to 256 MB; a stored
        // snapshot when it was accepted): the validator's own default must not refuse it again.
        limits.maxBytes = max(limits.maxBytes, bytes.count)
        if stored { limits.publishRules = false }
        switch CatalogValidator.validate(bytes, limits: limits) {
        case .success(let catalog): return .valid(Valid(catalog: catalog))
        case .failure(let failure): return .invalid(failure.problems.map { Problem(path: $0.path, code: $0.code.rawValue, message: $0.message) })
        }
    }
}

/// The search index of each tenant's active catalog, built when a snapshot is activated and
/// swapped in whole, so a message never sees half a catalog. Another instance's activation (or a
/// restart) is noticed by version: the responder asks for the active version, and the index is
/// rebuilt from the stored snapshot when it differs, outside any transaction (`lookup`, then
/// `build`).
package final class CatalogIndexCache: Sendable {
    private struct Entry: Sendable {
        var version: Int
        var index: CatalogSearchIndex
    }

    /// A tenant's active catalog as far as the cache knows it.
    package enum Lookup: Sendable {
        /// No active catalog.
        case none
        /// Its index, built.
        case ready(ActiveCatalogIndex)
        /// Not built in this process yet: the stored snapshot, to `build` outside the transaction.
        case unbuilt(version: Int, body: [UInt8])
    }

    private let entries = NIOLockedValueBox<[UUID: Entry]>([:])
    /// Runs before each index built from a stored snapshot (tests).
    private let beforeBuild: @Sendable () async -> Void

    package init(beforeBuild: @escaping @Sendable () async -> Void = {}) {
        self.beforeBuild = beforeBuild
    }

    package func install(tenantID: UUID, version: Int, index: CatalogSearchIndex) {
        entries.withLockedValue { $0[tenantID] = Entry(version: version, index: index) }
    }

    package func index(tenantID: UUID, version: Int) -> CatalogSearchIndex? {
        entries.withLockedValue { entries in
            guard let entry = entries[tenantID], entry.version == version else { return nil }
            return entry.index
        }
    }

    /// The tenant's active catalog: its index when built, else its stored snapshot (reads only).
    package func lookup(in session: any TenantSession) async throws -> Lookup {
        guard let active = try await session.activeCatalog() else {
            entries.withLockedValue { _ = $0.removeValue(forKey: session.tenantID) }
            return .none
        }
        if let index = index(tenantID: session.tenantID, version: active.version) {
            return .ready(ActiveCatalogIndex(index: index, version: active.version))
        }
        guard let body = try await session.catalogSnapshotBody(version: active.version) else { return .none }
        return .unbuilt(version: active.version, body: body)
    }

    /// Builds (off the cooperative pool) and installs the index of a snapshot `lookup` found
    /// unbuilt; nil when the stored snapshot no longer validates.
    package func build(tenantID: UUID, version: Int, body: [UInt8]) async -> ActiveCatalogIndex? {
        await beforeBuild()
        guard let index = await offCooperativePool({ () -> CatalogSearchIndex? in
            guard case .valid(let valid) = CatalogCheck.run(body, stored: true) else { return nil }
            return valid.index()
        }) else { return nil }
        install(tenantID: tenantID, version: version, index: index)
        return ActiveCatalogIndex(index: index, version: version)
    }
}
