// Applies a nudge plan to UNUserNotificationCenter by diffing with what is already pending.
//
// Why a diff, not "remove all, add all": re-adding every request on each plan resets iOS's
// bookkeeping and can drop a notification that is about to fire. Requests are matched by id
// (prefixed, so the app's own notifications are never touched) and by a fingerprint of their
// content and time stored in userInfo: unchanged requests stay, changed ones are replaced.
// iOS keeps at most 64 pending requests per app; the reconciler never asks for more, keeping the
// earliest ones (the plan is re-applied after each sync or app launch, so later ones follow).
// The diff itself (PlannedNotification, NotificationDiff) is in NotificationDiff.swift, tested on
// Linux; this file needs UserNotifications (Apple platforms only) and is not compiled elsewhere.

#if canImport(UserNotifications)
import Foundation
import MicrolearnFFI
import UserNotifications

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

extension NotificationReconciler {
    /// Applies the core's plan (`core.planNudges(days: 14)`).
    @discardableResult
    public func apply(plan: NotificationPlan, now: Date = Date()) async throws -> NotificationDiff {
        try await apply(plan.nudges.map { PlannedNotification($0) }, now: now)
    }
}
#endif
