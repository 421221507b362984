import Dispatch

extension DispatchQueue {
    /// Runs a blocking `body` on this queue and suspends, without blocking, until it returns.
    ///
    /// The way this module keeps librdkafka's blocking calls off the Swift cooperative thread pool.
    func runBlocking<T: Sendable>(_ body: @escaping @Sendable () throws(KafkaError) -> T) async throws(KafkaError) -> T {
        let result: Result<T, KafkaError> = await withCheckedContinuation { continuation in
            self.async {
                do throws(KafkaError) {
                    continuation.resume(returning: .success(try body()))
                } catch {
                    continuation.resume(returning: .failure(error))
                }
            }
        }
        return try result.get()
    }
}
