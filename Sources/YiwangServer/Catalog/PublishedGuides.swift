import Foundation
import Vapor
import YiwangCore

/// The guide page's rendered body per published version (decoded guides are kept by
/// `GuideCache`). A published version never changes, so nothing is ever stale.
final class PublishedGuides: Sendable {
    struct Rendered: Sendable {
        var view: GuideView
        /// The rendered `catalog/guide-body`, shared by the guide page and its print view.
        var body: String
        /// The 一件事 the guide belongs to, whose names are read with each page.
        var lifeEventSlugs: [String]
    }

    let rendered: BoundedCache<UUID, Rendered>

    init(limit: Int = 1_000) { rendered = BoundedCache(limit: limit) }
}

extension Application {
    private struct PublishedGuidesKey: StorageKey { typealias Value = PublishedGuides }

    /// Set once at start-up (configure), read by every request.
    var publishedGuides: PublishedGuides {
        get { storage[PublishedGuidesKey.self] ?? PublishedGuides(limit: 1) }
        set { storage[PublishedGuidesKey.self] = newValue }
    }
}
