// Nudge planning from Swift: schedule and preferences in, a NotificationPlan out, diffed by id
// through the iOS shell's NotificationDiff (the half of NotificationReconciler that runs on Linux).
import Foundation
import Microlearn
import XCTest

final class NudgeTests: XCTestCase {
    let now = ISO8601DateFormatter().date(from: "2026-03-23T06:00:00Z")! // a Monday, before London's shift
    var core: Microlearn!

    override func setUpWithError() throws {
        core = try openTemp(self).0
    }

    func configure(_ platform: Platform = .ios) throws {
        try core.setNudgeSchedule(schedule: Schedule(
            timeZone: "Europe/London", shifts: (0...4).map { ShiftStart(weekday: UInt8($0), startMin: 9 * 60) },
            shiftMinutes: 8 * 60))
        var prefs = try core.nudgePrefs()
        prefs.quietHours = [QuietHours(startMin: 21 * 60, endMin: 8 * 60)]
        try core.setNudgePrefs(prefs: prefs)
        try core.setNudgePlatform(platform: platform)
    }

    func testThePlanRespectsQuietHours() throws {
        XCTAssertNil(try core.nudgeSchedule())
        try configure()
        XCTAssertEqual(try core.nudgePlatform(), .ios)
        XCTAssertEqual(try core.nudgeSchedule()?.timeZone, "Europe/London")
        let plan = try core.planNudges(days: 14, now: now)
        XCTAssertEqual(plan.timeZone, "Europe/London")
        XCTAssertFalse(plan.nudges.isEmpty, "a plan for 14 days: \(plan.skipped)")
        XCTAssertEqual(Set(plan.nudges.map(\.id)).count, plan.nudges.count, "ids are unique")
        XCTAssertEqual(plan.nudges.map(\.fireWindowStart), plan.nudges.map(\.fireWindowStart).sorted(), "soonest first")
        for n in plan.nudges {
            // localStart is RFC 3339 with the zone's offset: "2026-03-23T09:30:00+00:00".
            let hour = Int(n.localStart.dropFirst(11).prefix(2)) ?? -1
            XCTAssertTrue((8...20).contains(hour), "outside quiet hours: \(n.localStart)")
            XCTAssertGreaterThanOrEqual(n.fireWindowStart, now)
            XCTAssertTrue(n.deepLink.hasPrefix("microlearn://"), n.deepLink)
            XCTAssertFalse(n.title.isEmpty)
        }
    }

    func testReplanningKeepsEveryPendingNotification() throws {
        try configure()
        let plan = try core.planNudges(days: 14, now: now)
        let first = NotificationDiff.compute(plan: plan.nudges.map { PlannedNotification($0) }, pending: [:],
                                             capacity: 64, now: now)
        XCTAssertEqual(first.add.count, min(64, plan.nudges.count))
        let pending = Dictionary(uniqueKeysWithValues: first.add.map { ($0.id, $0.fingerprint) })
        let again = try core.planNudges(days: 14, now: now)
        let diff = NotificationDiff.compute(plan: again.nudges.map { PlannedNotification($0) }, pending: pending,
                                            capacity: 64, now: now)
        XCTAssertEqual(diff.keep, first.add.map(\.id), "stable ids and content: nothing is re-added")
        XCTAssertEqual(diff.add, [])
        XCTAssertEqual(diff.remove, [])
    }

    func testIosNeverGetsMoreThanItsPendingLimit() throws {
        try configure()
        let plan = try core.planNudges(days: 60, now: now)
        let diff = NotificationDiff.compute(plan: plan.nudges.map { PlannedNotification($0) }, pending: [:],
                                            capacity: 64 - 10, now: now) // 10 of the app's own pending
        XCTAssertLessThanOrEqual(diff.add.count, 54)
        XCTAssertEqual(diff.add.map(\.fireDate), diff.add.map(\.fireDate).sorted())
        if let first = plan.nudges.first {
            XCTAssertEqual(PlannedNotification(first).deepLink, first.deepLink)
            XCTAssertEqual(PlannedNotification(first).fireDate, first.fireWindowStart, "iOS fires at the window's start")
        }
    }

    func testResponsesAreRecordedInTheHistory() throws {
        try configure()
        let first = try XCTUnwrap(core.planNudges(days: 14, now: now).nudges.first)
        try core.recordNudgeResponse(id: first.id, opened: true, at: first.fireWindowStart + 60)
        let history = try core.nudgeHistory(now: now + 30 * 86400)
        XCTAssertTrue(history.contains { $0.id == first.id }, "\(history)")
    }

    func testBadInputIsTyped() throws {
        XCTAssertEqual(kind(assertThrows { try core.planNudges(days: 7, now: now) }), "Nudge", "no schedule yet")
        let zone = assertThrows {
            try core.setNudgeSchedule(schedule: Schedule(timeZone: "Mars/Olympus_Mons", shifts: [], shiftMinutes: 0))
        }
        XCTAssertEqual(kind(zone), "Nudge")
        XCTAssertTrue(coreMessage(zone).contains("Mars/Olympus_Mons"), coreMessage(zone))
        try configure()
        XCTAssertEqual(kind(assertThrows { try core.planNudges(days: 10_000, now: now) }), "Nudge")
        XCTAssertEqual(kind(assertThrows { try core.recordNudgeResponse(id: "no-such-nudge", opened: true) }), "NotFound")
    }

    func testQuietAllDayGivesAnEmptyPlanThatSaysWhy() throws {
        try configure()
        var prefs = try core.nudgePrefs()
        prefs.quietHours = [QuietHours(startMin: 0, endMin: 0)]
        try core.setNudgePrefs(prefs: prefs)
        let quiet = try core.planNudges(days: 3, now: now)
        XCTAssertEqual(quiet.nudges, [])
        XCTAssertFalse(quiet.skipped.isEmpty)
    }

    func testWithoutPermissionNothingIsPlanned() throws {
        try configure()
        var prefs = try core.nudgePrefs()
        prefs.permissionGranted = false
        try core.setNudgePrefs(prefs: prefs)
        let plan = try core.planNudges(days: 7, now: now)
        XCTAssertEqual(plan.nudges, [])
        XCTAssertFalse(plan.skipped.isEmpty, "the plan says why")
    }
}
