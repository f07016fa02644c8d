import Foundation

/// Sign-in failures, counted so that guessing is slow and nobody can lock anyone else out:
/// - per account **and source address**: after `freeFailures` consecutive failures that source
///   is locked for `firstLock`, doubling with each further failure up to `longestLock`; a quiet
///   `forgetAfter` since the last failure clears the count. A guesser locks only themselves.
/// - per account, from every source: past `slowAfter` recent failures, each attempt (right or
///   wrong) waits a little longer, up to `slowestDelay`, before its password is checked. A
///   distributed guesser is slowed; the holder, from a source of their own, still gets in.
public struct LockoutRule: Sendable, Equatable {
    public var freeFailures: Int
    public var firstLock: TimeInterval
    public var longestLock: TimeInterval
    public var forgetAfter: TimeInterval
    public var slowAfter: Int
    public var slowestDelay: TimeInterval

    public init(
        freeFailures: Int = 5, firstLock: TimeInterval = 60, longestLock: TimeInterval = 3600, forgetAfter: TimeInterval = 3600,
        slowAfter: Int = 10, slowestDelay: TimeInterval = 5
    ) {
        self.freeFailures = freeFailures
        self.firstLock = firstLock
        self.longestLock = longestLock
        self.forgetAfter = forgetAfter
        self.slowAfter = slowAfter
        self.slowestDelay = slowestDelay
    }

    /// How long a source stays locked after its `failures`-th consecutive failure (0 = not locked).
    public func lockDuration(afterFailures failures: Int) -> TimeInterval {
        guard failures >= freeFailures else { return 0 }
        let doublings = min(failures - freeFailures, 20)
        return min(firstLock * pow(2, Double(doublings)), longestLock)
    }

    /// The distinct lock lengths by failure count, from `freeFailures` until the longest, so
    /// that the database can set the lock in the same statement that counts the attempt.
    public var lockSteps: [(failures: Int, seconds: TimeInterval)] {
        var steps: [(Int, TimeInterval)] = []
        var failures = freeFailures
        while true {
            let lock = lockDuration(afterFailures: failures)
            steps.append((failures, lock))
            if lock >= longestLock || failures - freeFailures >= 20 { break }
            failures += 1
        }
        return steps
    }

    /// How long an attempt waits before its password is checked, given the account's recent
    /// failures from every source.
    public func delay(accountFailures failures: Int) -> TimeInterval {
        guard failures >= slowAfter else { return 0 }
        return min(Double(failures - slowAfter + 1) * 0.5, slowestDelay)
    }
}

/// A fixed-window-free rate limit: a token bucket per key (an address, an account, a token).
/// Pure value; the server keeps one per limit behind a lock.
public struct RateLimiter: Sendable {
    public struct Limit: Sendable, Equatable {
        /// Requests allowed in a burst.
        public var capacity: Double
        /// Seconds for one token to come back.
        public var refillInterval: TimeInterval

        public init(requests: Int, per period: TimeInterval) {
            capacity = Double(max(requests, 1))
            refillInterval = period / Double(max(requests, 1))
        }
    }

    public enum Decision: Sendable, Equatable {
        case allowed
        /// Refused; try again after this many whole seconds.
        case limited(retryAfter: Int)
    }

    struct Bucket: Sendable {
        var tokens: Double
        var updated: Date
    }

    public let limit: Limit
    var buckets: [String: Bucket] = [:]
    /// Above this many keys, full buckets are forgotten (an idle key is indistinguishable from a new one).
    let maximumKeys: Int

    public init(_ limit: Limit, maximumKeys: Int = 100_000) {
        self.limit = limit
        self.maximumKeys = maximumKeys
    }

    public mutating func take(_ key: String, at now: Date) -> Decision {
        var bucket = buckets[key] ?? Bucket(tokens: limit.capacity, updated: now)
        let elapsed = max(0, now.timeIntervalSince(bucket.updated))
        bucket.tokens = min(limit.capacity, bucket.tokens + elapsed / limit.refillInterval)
        bucket.updated = now
        let decision: Decision
        if bucket.tokens >= 1 {
            bucket.tokens -= 1
            decision = .allowed
        } else {
            decision = .limited(retryAfter: max(1, Int(((1 - bucket.tokens) * limit.refillInterval).rounded(.up))))
        }
        buckets[key] = bucket
        if buckets.count > maximumKeys { forgetIdle(at: now) }
        return decision
    }

    public var trackedKeys: Int { buckets.count }

    /// Forgets keys whose buckets have refilled; if a flood of distinct keys leaves too many,
    /// keeps only the most recently used half, so memory stays bounded whatever arrives.
    mutating func forgetIdle(at now: Date) {
        buckets = buckets.filter { _, bucket in
            bucket.tokens + now.timeIntervalSince(bucket.updated) / limit.refillInterval < limit.capacity
        }
        if buckets.count > maximumKeys {
            let keep = buckets.sorted { $0.value.updated > $1.value.updated }.prefix(maximumKeys / 2)
            buckets = Dictionary(uniqueKeysWithValues: keep.map { ($0.key, $0.value) })
        }
    }
}
