import Foundation

/// How hard the platform tries to deliver a message: retries with growing waits, so a provider
/// down for minutes or hours loses nothing, and a bounded number of attempts, after which an
/// administrator is alerted and can resend.
public struct DeliveryPolicy: Sendable, Equatable {
    /// Waits after the 1st, 2nd, … failure; the last repeats.
    public var waits: [TimeInterval]
    public var maximumAttempts: Int

    public init(waits: [TimeInterval] = [30, 120, 600, 1800, 3600, 3 * 3600, 6 * 3600], maximumAttempts: Int = 10) {
        self.waits = waits.isEmpty ? [60] : waits
        self.maximumAttempts = max(1, maximumAttempts)
    }

    public enum Next: Sendable, Equatable {
        case retry(after: TimeInterval)
        /// Attempts are used up: stop and alert.
        case giveUp
    }

    /// What to do after the `attempts`-th failed attempt.
    public func afterFailure(attempts: Int) -> Next {
        guard attempts < maximumAttempts else { return .giveUp }
        return .retry(after: waits[min(max(attempts, 1), waits.count) - 1])
    }

    /// How long the attempts span in all before giving up.
    public var patience: TimeInterval {
        (1..<maximumAttempts).reduce(0) { total, attempt in
            if case .retry(let wait) = afterFailure(attempts: attempt) { return total + wait }
            return total
        }
    }
}
