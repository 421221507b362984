import Testing

@testable import FrontDoorMessaging

@Suite struct LibrdkafkaVersionTests {
    @Test func loadedLibraryIsAtLeast2_2() throws {
        #expect(LibrdkafkaVersion.isSupported, "loaded librdkafka \(LibrdkafkaVersion.loadedString)")
        try LibrdkafkaVersion.requireSupported()
    }
}
