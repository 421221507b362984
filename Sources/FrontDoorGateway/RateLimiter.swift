import Synchronization

/// A token bucket per client: ``GatewaySettings/eventsPerSecond`` tokens a second, at most
/// ``GatewaySettings/effectiveBurst`` held; each event costs one token. A request that costs
/// more than the bucket holds takes nothing and is told how long to wait (`429` with `Retry-After`).
public final class RateLimiter: Sendable {
    private struct Bucket {
        var tokens: Double
        var updated: ContinuousClock.Instant
    }

    private let rate: Double
    private let capacity: Double
    private let buckets = Mutex<[String: Bucket]>([:])
    private let clock = ContinuousClock()

    public init(eventsPerSecond: Double, burst: Int) {
        rate = eventsPerSecond
        capacity = Double(burst)
    }

    /// Takes `cost` tokens from `client`'s bucket. Returns `nil` when they were there, else the
    /// whole seconds to wait until they will be (at least 1).
    public func take(_ cost: Int, client: String) -> Int? {
        let now = clock.now
        let cost = Double(cost)
        return buckets.withLock { buckets in
            var b = buckets[client] ?? Bucket(tokens: capacity, updated: now)
            let elapsed = b.updated.duration(to: now)
            let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
            b.tokens = min(capacity, b.tokens + seconds * rate)
            b.updated = now
            if b.tokens >= cost {
                b.tokens -= cost
                buckets[client] = b
                return nil
            }
            buckets[client] = b
            let wait = (cost - b.tokens) / rate
            return max(1, Int(wait.rounded(.up)))
        }
    }
}
