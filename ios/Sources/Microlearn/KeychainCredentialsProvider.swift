// Credentials from the iOS Keychain, read at call time by the core (never cached in Rust), so a
// token rotated by the app is used on the next request. Needs Security (Apple platforms only); the
// item format (CredentialsItem in ProviderLogic.swift) is tested on Linux.

#if canImport(Security)
import Foundation
import MicrolearnFFI
import Security

/// A `CredentialsProvider` backed by generic-password Keychain items: one item per endpoint host,
/// under `service`. The item's account is the user name; its data is the password, or a bearer
/// token when the account is `"bearer"`.
public final class KeychainCredentialsProvider: CredentialsProvider, @unchecked Sendable {
    /// Keychain service name shared by Microlearn's items.
    public let service: String
    /// Called when the LRS refused the stored credentials: store fresh ones (e.g. after a token
    /// refresh) and return true, or return false to pause delivery.
    public let refresh: (@Sendable (String) throws -> Bool)?

    /// A provider reading items of `service`.
    public init(
        service: String = "org.microlearn.credentials",
        refresh: (@Sendable (String) throws -> Bool)? = nil
    ) {
        self.service = service
        self.refresh = refresh
    }

    /// Credentials for `endpoint`, or nil when the Keychain has none for its host. When the LRS
    /// `rejected` the stored ones, returns nil (delivery pauses) unless `refresh` stored new ones.
    public func credentials(endpoint: String, rejected: Bool) throws -> Credentials? {
        if rejected {
            guard let refresh = refresh, try refresh(endpoint) else {
                return nil
            }
        }
        let host = try CredentialsItem.host(ofEndpoint: endpoint)
        let query: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrLabel as String: host,
            kSecReturnAttributes as String: true,
            kSecReturnData as String: true,
            kSecMatchLimit as String: kSecMatchLimitOne,
        ]
        var item: CFTypeRef?
        let status = SecItemCopyMatching(query as CFDictionary, &item)
        if status == errSecItemNotFound {
            return nil
        }
        guard status == errSecSuccess,
              let found = item as? [String: Any],
              let data = found[kSecValueData as String] as? Data
        else {
            // errSecInteractionNotAllowed: the device is locked; the core reports a Provider
            // error and background work retries later.
            throw ProviderError.Failed(reason: "keychain read for \(host) failed with status \(status)")
        }
        let account = found[kSecAttrAccount as String] as? String ?? ""
        return try CredentialsItem.credentials(account: account, secret: data)
    }

    /// Stores (or replaces) the credentials for `host`. `account == "bearer"` stores a token.
    public func store(host: String, account: String, secret: String) throws {
        let base: [String: Any] = [
            kSecClass as String: kSecClassGenericPassword,
            kSecAttrService as String: service,
            kSecAttrLabel as String: host,
        ]
        SecItemDelete(base as CFDictionary)
        var add = base
        add[kSecAttrAccount as String] = account
        add[kSecValueData as String] = Data(secret.utf8)
        // Readable in background sync after the first unlock, never migrated to another device.
        add[kSecAttrAccessible as String] = kSecAttrAccessibleAfterFirstUnlockThisDeviceOnly
        let status = SecItemAdd(add as CFDictionary, nil)
        guard status == errSecSuccess else {
            throw ProviderError.Failed(reason: "keychain write for \(host) failed with status \(status)")
        }
    }
}
#endif
