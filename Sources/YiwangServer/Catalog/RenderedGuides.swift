import Foundation
import NIOConcurrencyHelpers
import Vapor

/// Guides of published versions, built and rendered once. A published version never changes
/// (a new one is published instead), so an entry never goes stale and instances need not agree;
/// at most `limit` versions are kept, the least recently used leaving first.
final class RenderedGuides: Sendable {
    struct Entry: Sendable {
        var view: GuideView
        /// The rendered `catalog/guide-body`, shared by the guide page and its print view.
        var body: String
    }

    private struct Store {
        var entries: [UUID: Entry] = [:]
        var order: [UUID: UInt64] = [:]
        var tick: UInt64 = 0
    }

    let limit: Int
    private let store = NIOLockedValueBox(Store())

    init(limit: Int = 1_000) { self.limit = max(1, limit) }

    func entry(_ version: UUID) -> Entry? {
        store.withLockedValue { store in
            guard let entry = store.entries[version] else { return nil }
            store.tick += 1
            store.order[version] = store.tick
            return entry
        }
    }

    func keep(_ entry: Entry, for version: UUID) {
        store.withLockedValue { store in
            store.tick += 1
            store.entries[version] = entry
            store.order[version] = store.tick
            // Past the limit, drop the least recently used tenth at once (a sort per eviction
            // would cost more than the render it saves).
            guard store.entries.count > limit else { return }
            let leaving = store.order.sorted { $0.value < $1.value }.prefix(max(1, limit / 10)).map(\.key)
            for key in leaving {
                store.entries[key] = nil
                store.order[key] = nil
            }
        }
    }

    var count: Int { store.withLockedValue { $0.entries.count } }
}

extension Application {
    private struct RenderedGuidesKey: StorageKey { typealias Value = RenderedGuides }

    /// Set once at start-up (configure), read by every request.
    var renderedGuides: RenderedGuides {
        get { storage[RenderedGuidesKey.self] ?? RenderedGuides(limit: 1) }
        set { storage[RenderedGuidesKey.self] = newValue }
    }
}
