// The pure half of the notification reconciler (no UserNotifications): the plan entry, its
// fingerprint and the diff against what is pending. Compiled and tested on Linux
// (tests/swift, tests/suites/40-swift.sh); NotificationReconciler.swift applies it on iOS.

import Foundation
import MicrolearnFFI

/// One notification the core planned (converted from the core's plan by the app or `init(from:)`).
public struct PlannedNotification: Equatable, Sendable {
    /// Stable id from the plan.
    public let id: String
    /// When to show it.
    public let fireDate: Date
    /// Title text.
    public let title: String
    /// Body text.
    public let body: String
    /// Deep link the app opens on tap (e.g. a card id), if any.
    public let deepLink: String?

    /// A plan entry.
    public init(id: String, fireDate: Date, title: String, body: String, deepLink: String? = nil) {
        self.id = id
        self.fireDate = fireDate
        self.title = title
        self.body = body
        self.deepLink = deepLink
    }

    /// Everything the user would see, as one string stored with the request, to detect a change.
    /// (Deterministic on purpose: Swift's `hashValue` is seeded per process.)
    public var fingerprint: String {
        let seconds = Int64(fireDate.timeIntervalSince1970)
        return [String(seconds), title, body, deepLink ?? ""].joined(separator: "\u{1F}")
    }
}

/// What the reconciler will do, computed without touching the OS (unit-testable).
public struct NotificationDiff: Equatable, Sendable {
    /// Pending request ids (ours) to remove.
    public var remove: [String]
    /// Notifications to add.
    public var add: [PlannedNotification]
    /// Ids left as they are.
    public var keep: [String]

    /// Diffs `plan` against `pending` (id -> fingerprint of our pending requests), allowing
    /// at most `capacity` of ours to be pending afterwards. Entries in the past are skipped.
    public static func compute(
        plan: [PlannedNotification],
        pending: [String: String],
        capacity: Int,
        now: Date
    ) -> NotificationDiff {
        let wanted = plan
            .filter { $0.fireDate > now }
            .sorted { $0.fireDate < $1.fireDate }
            .prefix(max(0, capacity))
        var remove: [String] = []
        var add: [PlannedNotification] = []
        var keep: [String] = []
        var wantedIds = Set<String>()
        for item in wanted {
            wantedIds.insert(item.id)
            if let existing = pending[item.id], existing == item.fingerprint {
                keep.append(item.id)
            } else {
                if pending[item.id] != nil {
                    remove.append(item.id)
                }
                add.append(item)
            }
        }
        for id in pending.keys.sorted() where !wantedIds.contains(id) {
            remove.append(id)
        }
        return NotificationDiff(remove: remove, add: add, keep: keep)
    }
}

extension PlannedNotification {
    /// One nudge of the core's plan (iOS plans fire at the window's start).
    public init(_ nudge: PlannedNudge) {
        self.init(
            id: nudge.id,
            fireDate: nudge.fireWindowStart,
            title: nudge.title,
            body: nudge.body,
            deepLink: nudge.deepLink
        )
    }
}
