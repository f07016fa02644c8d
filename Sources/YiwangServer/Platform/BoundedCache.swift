import Foundation
import NIOConcurrencyHelpers

/// A cache of values that never go stale (published catalog versions never change, a new one is
/// published instead), so instances need not agree and nothing is invalidated; it only keeps at
/// most `limit` entries, the least recently used leaving first.
final class BoundedCache<Key: Hashable & Sendable, Value: Sendable>: Sendable {
    private struct Store {
        var entries: [Key: (value: Value, used: UInt64)] = [:]
        var tick: UInt64 = 0
    }

    let limit: Int
    private let store = NIOLockedValueBox(Store())

    init(limit: Int) { self.limit = max(1, limit) }

    subscript(key: Key) -> Value? {
        store.withLockedValue { store in
            guard let entry = store.entries[key] else { return nil }
            store.tick += 1
            store.entries[key] = (entry.value, store.tick)
            return entry.value
        }
    }

    func keep(_ value: Value, for key: Key) {
        store.withLockedValue { store in
            store.tick += 1
            store.entries[key] = (value, store.tick)
            // Past the limit, the least recently used tenth leaves at once (a sort per eviction
            // would cost more than what the cache saves).
            guard store.entries.count > limit else { return }
            let leaving = store.entries.sorted { $0.value.used < $1.value.used }.prefix(max(1, limit / 10)).map(\.key)
            for key in leaving { store.entries[key] = nil }
        }
    }

    var count: Int { store.withLockedValue { $0.entries.count } }
}
