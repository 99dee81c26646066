public import Foundation

/// Who may do what in the admin API. `platformAdmin` has no tenant; the others belong to one.
public enum Role: String, Sendable, Codable, CaseIterable {
    case platformAdmin = "platform_admin"
    case owner, admin, agent

    /// Roles a tenant user may have (table `usuarios`).
    public static let tenantRoles: [Role] = [.owner, .admin, .agent]
}

/// An account found by e-mail when logging in.
public struct LoginRecord: Sendable, Equatable {
    public var subjectID: UUID
    /// nil for a platform admin.
    public var tenantID: UUID?
    public var role: Role
    /// bcrypt; nil while an invitation has not been accepted.
    public var passwordHash: String?
    public var active: Bool

    public init(subjectID: UUID, tenantID: UUID?, role: Role, passwordHash: String?, active: Bool) {
        self.subjectID = subjectID; self.tenantID = tenantID; self.role = role; self.passwordHash = passwordHash; self.active = active
    }
}

/// A stored refresh token (only its SHA-256 is kept).
public struct RefreshTokenRecord: Sendable, Equatable {
    public var id: UUID
    public var tokenHash: String
    public var subjectID: UUID
    public var tenantID: UUID?
    public var role: Role
    /// Tokens issued from one login share a family; reuse of a spent token revokes the family.
    public var familyID: UUID
    public var expiresAt: Date
    public var usedAt: Date?
    public var revokedAt: Date?
    public var createdAt: Date

    public init(id: UUID, tokenHash: String, subjectID: UUID, tenantID: UUID?, role: Role, familyID: UUID, expiresAt: Date,
                usedAt: Date? = nil, revokedAt: Date? = nil, createdAt: Date) {
        self.id = id; self.tokenHash = tokenHash; self.subjectID = subjectID; self.tenantID = tenantID; self.role = role
        self.familyID = familyID; self.expiresAt = expiresAt; self.usedAt = usedAt; self.revokedAt = revokedAt; self.createdAt = createdAt
    }
}

/// A plan and its quotas (table `plans`).
public struct Plan: Sendable, Equatable, Codable {
    public var id: String
    public var name: String
    public var maxUsers: Int
    public var maxWabaAccounts: Int
    public var monthlyConversations: Int
    /// Skill ids the plan includes; nil means all.
    public var skills: Set<String>?

    public init(id: String, name: String, maxUsers: Int, maxWabaAccounts: Int, monthlyConversations: Int, skills: Set<String>?) {
        self.id = id; self.name = name; self.maxUsers = maxUsers; self.maxWabaAccounts = maxWabaAccounts
        self.monthlyConversations = monthlyConversations; self.skills = skills
    }
}

/// An admin user of a tenant (table `usuarios`).
public struct AdminUser: Sendable, Equatable {
    public enum Status: String, Sendable, Codable { case invited, active, deactivated }

    public var id: UUID
    public var tenantID: UUID
    public var email: String
    public var name: String
    public var role: Role
    public var status: Status
    public var createdAt: Date
    public var lastLoginAt: Date?

    public init(id: UUID, tenantID: UUID, email: String, name: String, role: Role, status: Status, createdAt: Date, lastLoginAt: Date?) {
        self.id = id; self.tenantID = tenantID; self.email = email; self.name = name; self.role = role; self.status = status
        self.createdAt = createdAt; self.lastLoginAt = lastLoginAt
    }
}

/// Platform-level admin data: logins, refresh tokens, plans and the tenant list. Not tenant-scoped
/// (a login happens before a tenant is known); on PostgreSQL the cross-tenant reads go through
/// narrow SECURITY DEFINER functions.
public protocol AdminDirectory: Sendable {
    /// The accounts with this e-mail (case-insensitive): the platform admin with it, if any, first,
    /// then every tenant's user with it (an e-mail is unique within a tenant only).
    func loginLookup(email: String) async throws -> [LoginRecord]
    /// The user an invitation (by the SHA-256 of its token) belongs to.
    func invitationLookup(tokenHash: String) async throws -> (userID: UUID, tenantID: UUID)?
    /// Creates a platform admin; an e-mail already used by any account is a conflict.
    func createPlatformAdmin(id: UUID, email: String, name: String, passwordHash: String, now: Date) async throws
    func platformAdminExists(id: UUID) async throws -> Bool
    /// Stores a refresh token unless its family was revoked meanwhile (a spent token came back
    /// while this one was being issued): then nothing is stored and the result is false.
    func addRefreshToken(_ token: RefreshTokenRecord) async throws -> Bool
    func refreshToken(hash: String) async throws -> RefreshTokenRecord?
    /// Marks a token used; false when it was already used or revoked (a replay).
    func useRefreshToken(id: UUID, now: Date) async throws -> Bool
    func revokeRefreshFamily(_ familyID: UUID, now: Date) async throws
    /// Live tenants by slug, optionally filtered by a search on slug and name; `after` is the last slug of the previous page.
    func listTenants(search: String?, after: String?, limit: Int) async throws -> [Tenant]
    func plan(id: String) async throws -> Plan?
    func plans() async throws -> [Plan]
}
