import Foundation
import LioraCore
import LioraStore
import LioraTestSupport
import Testing

/// The platform admin's tenant search folds case the same way on SQLite and PostgreSQL.
@Suite("Tenant search")
struct TenantSearchTests {
    @Test("the search folds case of every letter, not only ASCII: ÁLVARO finds álvaro; pages keep their order", arguments: TestBackend.available)
    func foldsNonASCII(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            for (slug, name) in [("alvaro", "Tienda de álvaro"), ("nunez", "Ñúñez Hermanos"), ("zeta", "Ωmega Shop"), ("otra", "Otra Cosa")] {
                _ = try await t.store.createTenant(NewTenant(slug: slug, name: name), actor: "test", now: t0)
            }
            func slugs(_ search: String?, after: String? = nil, limit: Int = 50) async throws -> [String] {
                try await t.store.listTenants(search: search, after: after, limit: limit).map(\.slug)
            }
            #expect(try await slugs("ÁLVARO") == ["alvaro"])
            #expect(try await slugs("álvaro") == ["alvaro"])
            #expect(try await slugs("ÑÚÑEZ") == ["nunez"])
            #expect(try await slugs("ωMEGA") == ["zeta"])
            #expect(try await slugs("OTRA") == ["otra"])
            #expect(try await slugs("nada") == [])
            // Paging through matches only, in slug order.
            #expect(try await slugs("a", limit: 2) == ["alvaro", "nunez"])  // "nunez": "Hermanos"
            #expect(try await slugs("a", after: "nunez", limit: 2) == ["otra", "zeta"])
            #expect(try await slugs(nil, after: "nunez") == ["otra", "zeta"])
        }
    }

    @Test("the SQLite search reads past a page of non-matching tenants", arguments: [TestBackend.sqlite])
    func beyondOnePage(backend: TestBackend) async throws {
        try await TestDatabases.withStore(backend) { t in
            for i in 0..<520 {
                _ = try await t.store.createTenant(NewTenant(slug: String(format: "t%04d", i), name: "Tienda \(i)"), actor: "test", now: t0)
            }
            _ = try await t.store.createTenant(NewTenant(slug: "zz-ultima", name: "ÚLTIMA"), actor: "test", now: t0)
            #expect(try await t.store.listTenants(search: "última", after: nil, limit: 10).map(\.slug) == ["zz-ultima"])
        }
    }
}
