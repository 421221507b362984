import Foundation
import Testing

@testable import FrontDoorStore

@Suite("Values without a database")
struct ValueTests {
    @Test("StoreDate parses, prints and counts days like PostgreSQL")
    func storeDate() throws {
        #expect(StoreDate("2000-01-01")?.daysSince2000 == 0)
        #expect(StoreDate("1999-12-31")?.daysSince2000 == -1)
        #expect(StoreDate("2026-09-14")?.daysSince2000 == 9753)
        #expect(StoreDate("2024-02-29")?.description == "2024-02-29")
        #expect(StoreDate("2023-02-29") == nil)
        #expect(StoreDate("2026-13-01") == nil)
        #expect(StoreDate("2026-9-14") == nil)
        #expect(StoreDate("2026-09-14T00:00:00Z") == nil)
        #expect(StoreDate("+026-09-14") == nil)
        #expect(StoreDate("2026-09-14")!.adding(days: 18) == StoreDate("2026-10-02"))
        #expect(StoreDate("2026-08-31")! < StoreDate("2026-09-01")!)
        for days in stride(from: Int32(-730_119), through: 2_921_939, by: 997) {
            let date = StoreDate(daysSince2000: days)
            #expect(StoreDate(date.description) == date)
        }
        let json = try JSONEncoder().encode(["d": StoreDate("2026-09-14")!])
        #expect(String(decoding: json, as: UTF8.self) == #"{"d":"2026-09-14"}"#)
        #expect(try JSONDecoder().decode([String: StoreDate].self, from: json)["d"] == StoreDate("2026-09-14"))
    }

    @Test("StoreDate arithmetic never traps: exact within PostgreSQL's range, a refused value beyond Int32")
    func storeDateIsTotal() {
        // StoreDate(daysSince2000: d + Int32(days)) trapped for days beyond Int32 (issue 8).
        let d = StoreDate("2026-09-14")!
        #expect(d.adding(days: -9753) == StoreDate("2000-01-01"))
        #expect(d.daysSince1970 == 9753 + 10_957)
        #expect(StoreDate(daysSince1970: 0).description == "1970-01-01")
        #expect(StoreDate(daysSince1970: 2_932_896) == StoreDate("9999-12-31"))
        #expect(StoreDate(daysSince1970: 2_932_897).description == "10000-01-01")
        for far in [d.adding(days: Int.max), d.adding(days: Int(Int32.max)), StoreDate(daysSince1970: Int.max)] {
            #expect(far.daysSince2000 == Int32.max - 1, "one short of PostgreSQL's infinity, which it refuses")
        }
        for far in [d.adding(days: Int.min), d.adding(days: Int(Int32.min) - 10_000), StoreDate(daysSince1970: Int.min)] {
            #expect(far.daysSince2000 == Int32.min + 1)
        }
        #expect(StoreDate(year: 0, month: 1, day: 1) == nil && StoreDate(year: 10_000, month: 1, day: 1) == nil)
    }

    @Test("a database URL is parsed into its parts")
    func databaseURL() throws {
        let configuration = try DatabaseConfiguration(
            url: "postgresql://front%40door:p%3Ass%2Fword@db.example.org:6543/frontdoor_prod?sslmode=verify-full&application_name=relay"
        )
        #expect(configuration.username == "front@door")
        #expect(configuration.password == "p:ss/word")
        #expect(configuration.host == "db.example.org")
        #expect(configuration.port == 6543)
        #expect(configuration.database == "frontdoor_prod")
        #expect(configuration.tls == .verifyFull)
        #expect(configuration.applicationName == "relay")

        let defaults = try DatabaseConfiguration(url: "postgres://frontdoor@127.0.0.1")
        #expect(defaults.port == 5432)
        #expect(defaults.password == nil)
        #expect(defaults.database == "frontdoor")
        #expect(defaults.tls == .prefer)
        #expect(try DatabaseConfiguration(url: "postgres://u:p@[::1]:5433/d").host == "::1")
    }

    @Test(
        "a bad database URL is refused without echoing the password",
        arguments: [
            "mysql://u:secret-pw@host/db",
            "postgres://u:secret-pw@/db",
            "postgres://:secret-pw@host/db",
            "postgres://u:secret-pw@host/db?sslmode=sometimes",
            "not a url at all secret-pw",
        ])
    func badDatabaseURL(url: String) {
        let error = #expect(throws: StoreError.self) { try DatabaseConfiguration(url: url) }
        #expect(error?.code == .invalidConfiguration)
        #expect(!"\(error.map { "\($0)" } ?? "")".contains("secret-pw"))
    }

    @Test("SQLSTATEs are classified for retry decisions")
    func sqlStateClassification() {
        #expect(StoreError.classify(sqlState: "08006") == .unavailable)
        #expect(StoreError.classify(sqlState: "57P01") == .unavailable)
        #expect(StoreError.classify(sqlState: "53300") == .unavailable)
        #expect(StoreError.classify(sqlState: "40001") == .conflict)
        #expect(StoreError.classify(sqlState: "40P01") == .conflict)
        #expect(StoreError.classify(sqlState: "23505") == .query)
        #expect(StoreError.classify(sqlState: nil) == .query)
        #expect(StoreError.isDatabaseUnavailable(StoreError(code: .unavailable, reason: "x")))
        #expect(!StoreError.isDatabaseUnavailable(TestFailure()))
    }
}
