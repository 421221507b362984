import ArgumentParser
import Foundation
import FrontDoorConfig
import FrontDoorDomain
import FrontDoorMessaging
import FrontDoorWorkers

struct Simulate: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Write a realistic, seeded school MIS and Digital Front Door feed to the input topics.",
        discussion: """
            Register patterns with illness, term-time holidays, lateness and amendments of N; a few \
            persistently and severely absent pupils and some who stop attending; suspensions, permanent \
            exclusions (some rescinded); CME and other referrals with later resolutions. The same seed \
            and options write exactly the same events. No real child: names and UPNs are synthetic.
            """)

    @Option(help: "Random seed; the same seed gives the same feed.") var seed: UInt64 = 2017
    @Option(help: "Number of schools, taken from Config/schools.csv across the districts.") var schools = 24
    @Option(help: "Number of pupils.") var pupils = 2_000
    @Option(help: "Number of school days.") var days = 5
    @Option(help: "First day (yyyy-MM-dd); default: so that the last school week simulated is the current one.") var start: String?

    func run() async throws {
        try LibrdkafkaVersion.requireSupported()
        let settings = WorkerSettings()
        let config = try ConfigLoader(directory: settings.configDirectory).load()
        let first: LocalDate
        if let start {
            guard let d = LocalDate(iso: start) else { throw ValidationError("--start must be yyyy-MM-dd") }
            first = d
        } else {
            first = RFC3339.londonDate(of: Date()).mondayOfWeek.adding(days: -7 * max(0, (days - 1) / 5))
        }
        let chosen = FeedSimulator.spreadSchools(config.register.schools, count: schools)
        var options = FeedSimulator.Options(schools: chosen.map(\.laestab), firstDay: first)
        options.seed = seed
        options.pupils = pupils
        options.schoolDays = days
        options.topics.attendance = settings.topics.attendance
        options.topics.exclusions = settings.topics.exclusions
        options.topics.referrals = settings.topics.referrals
        let messages = FeedSimulator(options: options, calendar: config.calendar).generate()
        let producer = try KafkaProducer(configuration: settings.producerConfiguration(clientID: "frontdoor-simulate"))
        var sent = 0
        var byTopic: [String: Int] = [:]
        for chunk in stride(from: 0, to: messages.count, by: 10_000) {
            let slice = messages[chunk..<min(messages.count, chunk + 10_000)]
            let results = await producer.send(
                slice.map {
                    KafkaProducerMessage(topic: $0.topic, key: Array($0.key.utf8), value: $0.value)
                })
            for (m, r) in zip(slice, results) {
                if case .failure(let e) = r { throw e }
                sent += 1
                byTopic[m.topic, default: 0] += 1
            }
        }
        await producer.close()
        print("simulated \(days) school days from \(first) for \(pupils) pupils in \(chosen.count) schools (seed \(seed)):")
        for (t, n) in byTopic.sorted(by: { $0.key < $1.key }) { print("  \(t): \(n) events") }
        print("  total: \(sent)")
    }
}
