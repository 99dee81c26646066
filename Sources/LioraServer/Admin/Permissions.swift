import Foundation
import HTTPTypes
package import LioraCore

/// What an admin route does, checked against the caller's role in one place (`AdminGate`). The
/// same table is in docs/permissions.md.
package enum Permission: String, Sendable, CaseIterable {
    /// Create, list, suspend, resume and delete tenants; change plans.
    case tenantsManage = "tenants.manage"
    case tenantRead = "tenant.read"
    case tenantRename = "tenant.rename"
    case usersRead = "users.read"
    case usersManage = "users.manage"
    case auditRead = "audit.read"
    /// Read the tenant's catalog snapshots and publish log with an access token.
    case catalogRead = "catalog.read"
    /// Rotate the tenant's catalog signing secret with an access token (when the secret is lost
    /// or leaked, so the tenant cannot sign the rotation itself).
    case catalogSecretRotate = "catalog.secret.rotate"
    /// List the tenant's WhatsApp accounts (last 4 characters of secrets only).
    case wabaRead = "waba.read"
    /// Register, replace tokens, verify and delete WhatsApp accounts.
    case wabaManage = "waba.manage"
    /// Read and export conversation logs (`GET /clientes/{id}/logs`); they hold end users' messages,
    /// so platform admins do not get them.
    case logsRead = "logs.read"
    /// List approval requests.
    case approvalsRead = "approvals.read"
    /// Approve or reject another user's request (platform admins: tenant deletions only).
    case approvalsDecide = "approvals.decide"
    /// Choose which actions need approval.
    case approvalSettings = "approvals.settings"

    /// Roles allowed to do it (platform admins act on any tenant; the others only on theirs).
    package static let table: [Permission: Set<Role>] = [
        .tenantsManage: [.platformAdmin],
        .tenantRead: [.platformAdmin, .owner, .admin, .agent],
        .tenantRename: [.platformAdmin, .owner],
        .usersRead: [.platformAdmin, .owner, .admin],
        .usersManage: [.platformAdmin, .owner, .admin],
        .auditRead: [.platformAdmin, .owner, .admin],
        .catalogRead: [.platformAdmin, .owner, .admin],
        .catalogSecretRotate: [.platformAdmin, .owner],
        .wabaRead: [.platformAdmin, .owner, .admin, .agent],
        .wabaManage: [.platformAdmin, .owner, .admin],
        .logsRead: [.owner, .admin, .agent],
        .approvalsRead: [.platformAdmin, .owner, .admin, .agent],
        .approvalsDecide: [.platformAdmin, .owner, .admin],
        .approvalSettings: [.owner],
    ]

    package func allows(_ role: Role) -> Bool { Self.table[self]?.contains(role) ?? false }
}

/// Authorises admin requests: the role's permission, the tenant from the verified token (never
/// from the request), `X-Client-ID` agreeing with it, and the tenant's status policy.
struct AdminGate: Sendable {
    let auth: AdminAuth
    let store: any LioraStore

    static let clientIDHeader = HTTPField.Name("X-Client-ID")!

    /// The caller, allowed to do `permission` (on `tenantID` when the route names one), and that
    /// tenant. 401 without a valid token, 403 for the wrong role or tenant, 404 for no such
    /// tenant, 423 for a suspended tenant (platform admins excepted), 409 while provisioning or deleting.
    func authorize(_ headers: HTTPFields, _ permission: Permission, tenantID: UUID? = nil) async throws -> (Principal, Tenant?) {
        let principal = try await auth.principal(authorization: headers[.authorization])
        if let claimed = headers[Self.clientIDHeader] {
            let expected = principal.tenantID ?? tenantID
            guard let expected, UUID(uuidString: claimed) == expected else {
                throw APIError(.forbidden, "client_id_mismatch", "X-Client-ID does not match the tenant of the access token")
            }
        }
        guard permission.allows(principal.role) else {
            throw APIError(.forbidden, "forbidden", "your role may not do this")
        }
        guard let tenantID else { return (principal, nil) }
        if principal.role != .platformAdmin, principal.tenantID != tenantID {
            throw APIError(.forbidden, "forbidden", "you may only act on your own tenant")
        }
        guard let tenant = try await store.withTenant(tenantID, { try await $0.tenant() }), tenant.deletedAt == nil else {
            throw APIError(.notFound, "tenant_not_found", "no such tenant")
        }
        if principal.role != .platformAdmin {
            switch tenant.status {
            case .active: break
            case .suspended: throw APIError(HTTPResponse.Status(code: 423, reasonPhrase: "Locked"), "tenant_suspended", "this tenant is suspended")
            case .provisioning, .deleting: throw APIError(.conflict, "tenant_not_active", "this tenant is \(tenant.status.rawValue)")
            }
        }
        return (principal, tenant)
    }
}

extension Principal {
    /// The caller as they are now, re-read inside the transaction that makes the change, after its
    /// tenant lock (`lockForAdminChange`): `AdminGate.authorize` read them in a transaction of its
    /// own, so a role change or a deactivation that committed in between would not count (an owner
    /// demoted to agent a moment ago must not remove another owner). Platform admins are returned
    /// as they are. 401 when the user is no longer active, 403 when their role no longer allows
    /// `permission`.
    func current(_ permission: Permission, in s: any TenantSession) async throws -> Principal {
        guard role != .platformAdmin else { return self }
        guard let user = try await s.adminUser(id: subjectID), user.status == .active else {
            throw APIError(.unauthorized, "unauthorized", "a valid access token is required (Authorization: Bearer …)")
        }
        guard permission.allows(user.role) else { throw APIError(.forbidden, "forbidden", "your role may not do this") }
        var now = self
        now.role = user.role
        return now
    }
}
