import Foundation

@testable import FrontDoorDomain

/// A small deterministic generator, so property-style loops are reproducible.
struct SplitMix: RandomNumberGenerator {
    var state: UInt64
    init(seed: UInt64) { state = seed }
    mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }
}

func decodeJSON<T: Decodable>(_ type: T.Type, _ json: String) throws -> T {
    try JSONDecoder().decode(T.self, from: Data(json.utf8))
}

/// `yyyy-MM-dd` to a date, for tests.
func day(_ s: String) -> LocalDate { LocalDate(iso: s)! }

/// The repository root, found from this file's path (Tests/FrontDoorDomainTests/…).
/// Symlinks are resolved, so a dev package that links the test folder still finds the repo.
let repositoryRoot: URL = URL(fileURLWithPath: #filePath).resolvingSymlinksInPath().deletingLastPathComponent()
    .deletingLastPathComponent().deletingLastPathComponent()

/// A valid UPN for a body of 12 characters.
func validUPN(_ body: String) -> String { "\(UPN.checkLetter(forBody: body)!)\(body)" }
