// Pure halves of the provider adapters (no Network, no Security): how a network path maps to the
// core's NetworkState, and how a Keychain item maps to Credentials. Compiled and tested on Linux
// (tests/swift); ConnectivityMonitor.swift and KeychainCredentialsProvider.swift use them on iOS.

import Foundation
import MicrolearnFFI

extension NetworkState {
    /// The core's view of a network path: not satisfied → offline; expensive (cellular, a
    /// personal hotspot) or constrained (Low Data Mode) → metered; otherwise unmetered.
    public init(satisfied: Bool, expensive: Bool, constrained: Bool) {
        if !satisfied {
            self = .offline
        } else if expensive || constrained {
            self = .metered
        } else {
            self = .unmetered
        }
    }
}

/// How Microlearn stores credentials in one generic-password Keychain item per LRS host.
public enum CredentialsItem {
    /// The account name that marks a bearer token instead of a user name.
    public static let bearerAccount = "bearer"

    /// The credentials an item holds: a bearer token when `account` is `"bearer"`, else basic
    /// auth with `account` as the user name. Secrets that are not UTF-8 are a provider failure.
    public static func credentials(account: String, secret: Data) throws -> Credentials {
        guard let text = String(data: secret, encoding: .utf8) else {
            throw ProviderError.Failed(reason: "the stored secret for \(account) is not UTF-8")
        }
        if account == bearerAccount {
            return .bearer(token: text)
        }
        return .basic(user: account, password: text)
    }

    /// The Keychain label (host) for an LRS endpoint URL, or a provider failure when it has none.
    public static func host(ofEndpoint endpoint: String) throws -> String {
        guard let host = URL(string: endpoint)?.host, !host.isEmpty else {
            throw ProviderError.Failed(reason: "endpoint \(endpoint) has no host")
        }
        return host
    }
}
