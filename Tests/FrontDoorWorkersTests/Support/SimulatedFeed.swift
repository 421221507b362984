import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorStore
import FrontDoorWorkers
import Synchronization
import Testing

/// The simulator's attendance feed for the crash, outage and replica tests.
///
/// Notifications are decisions on the facts known when a batch is processed and are never
/// withdrawn (docs/rules.md, "An amendment that removes an episode cannot withdraw a
/// notification already sent"). An `N` amended to `I` turns an unauthorised session into an
/// authorised one, so whether a kent-2016 review (or a CME-risk run) is raised before the
/// amendment arrives depends on where batch boundaries fall, which differs between any two runs
/// of a backlog. These tests compare a disturbed run with an undisturbed one, so they keep only
/// amendments that do not change a session's category (`N` → `O`); the amendment tests cover
/// the others.
enum SimulatedFeed {
    static func attendance(pupils: Int, days: Int, seed: UInt64 = 2017) -> [SimulatedMessage] {
        let config = TestEnvironment.config
        let schools = FeedSimulator.spreadSchools(config.register.schools, count: 24).map(\.laestab)
        var options = FeedSimulator.Options(schools: schools, firstDay: LocalDate(iso: "2026-09-07")!)
        options.seed = seed
        options.pupils = pupils
        options.schoolDays = days
        let all = FeedSimulator(options: options, calendar: config.calendar).generate()
        return all.filter { m in
            guard m.topic == options.topics.attendance else { return false }
            guard let object = try? JSONSerialization.jsonObject(with: Data(m.value)) as? [String: Any],
                let id = object["id"] as? String, let data = object["data"] as? [String: Any]
            else { return true }
            return !(id.hasPrefix("amend-") && data["code"] as? String == "I")
        }
    }

    static func messages(_ feed: [SimulatedMessage], to pipeline: Pipeline) -> [KafkaProducerMessage] {
        feed.map { KafkaProducerMessage(topic: pipeline.topics.attendance, key: Array($0.key.utf8), value: $0.value) }
    }
}
