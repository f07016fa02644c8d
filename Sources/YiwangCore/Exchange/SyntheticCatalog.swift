import Foundation

/// Generates a large, valid catalog from a real one, for benchmarks: every generated entry is a
/// real guide under a new base code, spread over the real departments.
public enum SyntheticCatalog {
    static let mainAlphabet = Array("0123456789ABCDEFGHJKLMNPQRTUWXY")

    public static func generate(count: Int, from document: CatalogDocument) -> CatalogDocument {
        let templates = document.items.filter { $0.state == .published }
        guard !templates.isEmpty, !document.departments.isEmpty else { return document }
        var output = document
        output.items = []
        output.baseItems = []
        for index in 0..<count {
            let template = templates[index % templates.count]
            let department = document.departments[index % document.departments.count]
            var guide = template.guide
            guide.name = "\(template.guide.name)(\(index + 1))"
            // Region "52", the template's type, a main code counting through the alphabet, no sub-items.
            var main = ""
            var rest = index
            for _ in 0..<5 {
                main = String(mainAlphabet[rest % mainAlphabet.count]) + main
                rest /= mainAlphabet.count
            }
            let baseCode = "52" + guide.type.nationalCode + main + "000"
            output.baseItems.append(BaseEntry(baseCode: baseCode, name: guide.name, type: guide.type, legalBasis: guide.legalBasis))
            output.items.append(CatalogDocument.Item(
                code: nil, baseCode: baseCode, department: department.creditCode, exerciseLevel: template.exerciseLevel,
                state: .published, guide: guide))
        }
        return output
    }
}

/// Latency statistics for benchmark reports.
public struct LatencySummary: Sendable {
    public var count: Int
    public var seconds: Double
    public var p50: Double
    public var p99: Double
    public var max: Double

    /// - Parameters:
    ///   - samples: latencies in milliseconds.
    ///   - seconds: wall time of the whole run.
    public init(samples: [Double], seconds: Double) {
        let sorted = samples.sorted()
        count = sorted.count
        self.seconds = seconds
        func percentile(_ p: Double) -> Double {
            guard !sorted.isEmpty else { return 0 }
            let rank = Int((p * Double(sorted.count)).rounded(.up)) - 1
            return sorted[Swift.max(0, Swift.min(sorted.count - 1, rank))]
        }
        p50 = percentile(0.50)
        p99 = percentile(0.99)
        max = sorted.last ?? 0
    }

    public var throughput: Double { seconds > 0 ? Double(count) / seconds : 0 }
}
