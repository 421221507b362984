import CRdKafka
import Dispatch
import Foundation
import Synchronization

/// A thread of our own that calls `rd_kafka_poll` in a loop, serving a producer's delivery
/// reports and errors, so that no Swift concurrency thread ever blocks in librdkafka.
final class RDKafkaPollThread: Sendable {
    /// How long one `rd_kafka_poll` may block; bounds how long ``stop()`` waits.
    static let pollTimeout: Int32 = 50

    private let stopRequested = Atomic<Bool>(false)
    private let finished = DispatchSemaphore(value: 0)

    /// Starts polling `client` on a new thread named `name`. The thread keeps `client` alive
    /// until it stops.
    init(client: RDKafkaClient, name: String) {
        let thread = Thread { [self] in
            while !self.stopRequested.load(ordering: .relaxed) {
                rd_kafka_poll(client.handle, Self.pollTimeout)
            }
            self.finished.signal()
        }
        thread.name = name
        thread.start()
    }

    /// Asks the thread to stop after its current poll, without waiting.
    func requestStop() {
        self.stopRequested.store(true, ordering: .relaxed)
    }

    /// Stops the thread and waits (at most one poll timeout) for it to finish. Blocks: call it
    /// from a queue of our own, never from the cooperative pool. Call it at most once.
    func stop() {
        self.requestStop()
        self.finished.wait()
    }
}
