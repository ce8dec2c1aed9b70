// Applies a nudge plan to UNUserNotificationCenter by diffing with what is already pending.
//
// Why a diff, not "remove all, add all": re-adding every request on each plan resets iOS's
// bookkeeping and can drop a notification that is about to fire. Requests are matched by id
// (prefixed, so the app's own notifications are never touched) and by a fingerprint of their
// content and time stored in userInfo: unchanged requests stay, changed ones are replaced.
// iOS keeps at most 64 pending requests per app; the reconciler never asks for more, keeping the
// earliest ones (the plan is re-applied after each sync or app launch, so later ones follow).

import Foundation
import MicrolearnFFI
import UserNotifications

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

/// Applies plans to the current UNUserNotificationCenter.
public final class NotificationReconciler: @unchecked Sendable {
    /// iOS's limit on pending local notifications per app.
    public static let systemLimit = 64
    /// Prefix of our request identifiers.
    public let idPrefix: String
    private let center: UNUserNotificationCenter
    private let fingerprintKey = "microlearn.fingerprint"

    /// A reconciler on `center` (the app's current center by default).
    public init(center: UNUserNotificationCenter = .current(), idPrefix: String = "microlearn.") {
        self.center = center
        self.idPrefix = idPrefix
    }

    /// Makes the pending notifications match `plan`; returns what was done.
    @discardableResult
    public func apply(_ plan: [PlannedNotification], now: Date = Date()) async throws -> NotificationDiff {
        let requests = await center.pendingNotificationRequests()
        var ours: [String: String] = [:]
        var others = 0
        for request in requests {
            if request.identifier.hasPrefix(idPrefix) {
                let id = String(request.identifier.dropFirst(idPrefix.count))
                ours[id] = request.content.userInfo[fingerprintKey] as? String ?? ""
            } else {
                others += 1
            }
        }
        let capacity = Self.systemLimit - others
        let diff = NotificationDiff.compute(plan: plan, pending: ours, capacity: capacity, now: now)
        center.removePendingNotificationRequests(withIdentifiers: diff.remove.map { idPrefix + $0 })
        for item in diff.add {
            try await center.add(request(for: item))
        }
        return diff
    }

    private func request(for item: PlannedNotification) -> UNNotificationRequest {
        let content = UNMutableNotificationContent()
        content.title = item.title
        content.body = item.body
        content.sound = .default
        var info: [String: String] = [fingerprintKey: item.fingerprint]
        if let link = item.deepLink {
            info["microlearn.deepLink"] = link
        }
        content.userInfo = info
        let components = Calendar.current.dateComponents(
            [.year, .month, .day, .hour, .minute, .second], from: item.fireDate)
        let trigger = UNCalendarNotificationTrigger(dateMatching: components, repeats: false)
        return UNNotificationRequest(identifier: idPrefix + item.id, content: content, trigger: trigger)
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

extension NotificationReconciler {
    /// Applies the core's plan (`core.planNudges(days: 14)`).
    @discardableResult
    public func apply(plan: NotificationPlan, now: Date = Date()) async throws -> NotificationDiff {
        try await apply(plan.nudges.map { PlannedNotification($0) }, now: now)
    }
}
