import CRdKafka

/// The librdkafka the process actually loaded, and the check that refuses one too old.
///
/// Compiling against new headers and then loading an old `.so` at run time happens
/// silently, so the check reads `rd_kafka_version()` from the loaded library.
public enum LibrdkafkaVersion {
    /// The lowest librdkafka frontdoor accepts: 2.2.0. 2.0.x cannot parse the
    /// ApiVersions reply of current brokers (Tansu among them).
    public static let minimum: Int32 = 0x0202_00ff

    /// `rd_kafka_version()` of the loaded library, as `0xMMmmrrxx`.
    public static var loaded: Int32 { rd_kafka_version() }

    /// `rd_kafka_version_str()` of the loaded library, e.g. `2.8.0`.
    public static var loadedString: String { String(cString: rd_kafka_version_str()) }

    /// Whether the loaded library is at least ``minimum``.
    public static var isSupported: Bool { loaded >= minimum }

    /// Throws a clear error when the loaded librdkafka is older than 2.2.
    public static func requireSupported() throws {
        guard isSupported else {
            throw UnsupportedLibrdkafka(loaded: loadedString)
        }
    }
}

/// The loaded librdkafka is older than 2.2.
public struct UnsupportedLibrdkafka: Error, CustomStringConvertible {
    public let loaded: String
    public var description: String {
        "librdkafka \(loaded) is loaded, but frontdoor needs 2.2 or later (2.0.x cannot read the broker's "
            + "ApiVersions reply). Run 'make setup' and build with the Makefile, which links the project's "
            + "librdkafka 2.8.0 with an rpath, or install librdkafka 2.2+ system-wide and run ldconfig."
    }
}
