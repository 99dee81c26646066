public import Foundation

/// A business on the platform (table `clientes`).
public struct Tenant: Sendable, Equatable, Codable {
    public var id: UUID
    public var slug: String
    public var name: String
    public var plan: String
    public var status: TenantStatus
    public var createdAt: Date
    public var updatedAt: Date
    public var deletedAt: Date?

    public init(id: UUID, slug: String, name: String, plan: String, status: TenantStatus,
                createdAt: Date, updatedAt: Date, deletedAt: Date? = nil) {
        self.id = id; self.slug = slug; self.name = name; self.plan = plan; self.status = status
        self.createdAt = createdAt; self.updatedAt = updatedAt; self.deletedAt = deletedAt
    }
}

/// A tenant's lifecycle state. Only `active` tenants get their messages processed.
public enum TenantStatus: String, Sendable, Codable, CaseIterable {
    case provisioning, active, suspended, deleting
}

/// What creating a tenant takes.
public struct NewTenant: Sendable, Equatable {
    public var id: UUID
    public var slug: String
    public var name: String
    public var plan: String
    public var status: TenantStatus

    public init(id: UUID = UUID(), slug: String, name: String, plan: String = "free", status: TenantStatus = .active) {
        self.id = id; self.slug = slug; self.name = name; self.plan = plan; self.status = status
    }
}

/// A WhatsApp Business phone number registered to a tenant (table `waba_accounts`).
public struct WabaAccount: Sendable, Equatable, Codable {
    public var id: UUID
    public var tenantID: UUID
    public var wabaID: String
    public var phoneNumberID: String
    public var displayPhoneNumber: String
    public var createdAt: Date

    public init(id: UUID, tenantID: UUID, wabaID: String, phoneNumberID: String, displayPhoneNumber: String, createdAt: Date) {
        self.id = id; self.tenantID = tenantID; self.wabaID = wabaID; self.phoneNumberID = phoneNumberID
        self.displayPhoneNumber = displayPhoneNumber; self.createdAt = createdAt
    }
}

/// What registering a WhatsApp number takes (secrets arrive with the admin API).
public struct NewWabaAccount: Sendable, Equatable {
    public var id: UUID
    public var wabaID: String
    public var phoneNumberID: String
    public var displayPhoneNumber: String

    public init(id: UUID = UUID(), wabaID: String, phoneNumberID: String, displayPhoneNumber: String) {
        self.id = id; self.wabaID = wabaID; self.phoneNumberID = phoneNumberID; self.displayPhoneNumber = displayPhoneNumber
    }
}

/// The result of the platform-level lookup of a phone number id: which account and tenant it
/// belongs to. The only cross-tenant read the service makes.
public struct PhoneNumberRoute: Sendable, Equatable {
    public var wabaAccountID: UUID
    public var tenantID: UUID
    public var tenantStatus: TenantStatus

    public init(wabaAccountID: UUID, tenantID: UUID, tenantStatus: TenantStatus) {
        self.wabaAccountID = wabaAccountID; self.tenantID = tenantID; self.tenantStatus = tenantStatus
    }
}

/// An audit record of a state change in a tenant (table `tenant_events`). Never holds secrets.
public struct TenantEvent: Sendable, Equatable {
    public var id: UUID
    public var tenantID: UUID
    public var actor: String
    public var action: String
    public var payloadJSON: String
    public var createdAt: Date

    public init(id: UUID = UUID(), tenantID: UUID, actor: String, action: String, payloadJSON: String = "{}", createdAt: Date) {
        self.id = id; self.tenantID = tenantID; self.actor = actor; self.action = action
        self.payloadJSON = payloadJSON; self.createdAt = createdAt
    }
}
