import Foundation

/// Charts drawn on the server as SVG text, so the statistics pages need no script: vertical bars,
/// horizontal bars and lines. Each chart is an image with an accessible name and description;
/// bars carry their value as text and lines differ by dash and marker and are named at their
/// ends, so nothing is told by colour alone. Text and axes use `currentColor`, so a page's colour
/// scheme (the dark hall screen) carries over. Pure: labels and values in, SVG text out.
enum Chart {
    /// One bar: its label, its value, and the value as printed on it ("12", "85.0%").
    struct Bar: Sendable, Equatable {
        var label: String
        var value: Double
        var valueText: String
        var tone: Tone

        init(label: String, value: Double, valueText: String? = nil, tone: Tone = .primary) {
            self.label = label
            self.value = value
            self.valueText = valueText ?? Chart.number(value)
            self.tone = tone
        }
    }

    /// The fills a bar may take; all keep 3:1 contrast with white (WCAG non-text contrast).
    enum Tone: String, Sendable {
        case primary, secondary, bad

        var fill: String {
            switch self {
            case .primary: "#0b57a4"
            case .secondary: "#176b2c"
            case .bad: "#a4161a"
            }
        }
    }

    /// One line of a line chart: its name (written at its end) and one value per label.
    struct Series: Sendable, Equatable {
        var name: String
        var values: [Double]
    }

    /// The drawing's width in user units; the SVG scales to its container (`width="100%"`).
    static let width = 360.0
    static let fontSize = 14.0

    // MARK: Vertical bars

    /// Bars standing on a value axis, each with its value above it and its label (wrapped onto
    /// two lines, cut with "…" beyond) below.
    static func bars(_ bars: [Bar], id: String, title: String, summary: String) -> String {
        guard !bars.isEmpty else { return empty(id: id, title: title, summary: summary) }
        let scale = Scale(max: bars.map(\.value).max() ?? 0)
        let left = 12 + Double(scale.widestTick) * fontSize * 0.6
        let plotWidth = width - left - 8
        let slot = plotWidth / Double(bars.count)
        let perLine = max(1, Int((slot - 4) / fontSize))
        let labels = bars.map { wrap($0.label, perLine: perLine, lines: 2) }
        let labelLines = labels.map(\.count).max() ?? 1
        let top = fontSize + 10
        let plotHeight = 200.0
        let height = top + plotHeight + 10 + Double(labelLines) * (fontSize + 3)
        var out = open(id: id, title: title, summary: summary, height: height)
        out += axis(scale, left: left, right: width - 8, top: top, plotHeight: plotHeight)
        let barWidth = min(56, slot * 0.62)
        for (index, bar) in bars.enumerated() {
            let centre = left + slot * (Double(index) + 0.5)
            let barHeight = scale.fraction(bar.value) * plotHeight
            let y = top + plotHeight - barHeight
            out += "<g><title>\(escape(bar.label))：\(escape(bar.valueText))</title>"
            out += rect(bar.tone, x: centre - barWidth / 2, y: y, width: barWidth, height: barHeight)
            out += "<text x=\"\(f(centre))\" y=\"\(f(y - 5))\" text-anchor=\"middle\" font-weight=\"700\">\(escape(bar.valueText))</text>"
            for (line, text) in labels[index].enumerated() {
                let baseline = top + plotHeight + 8 + fontSize + Double(line) * (fontSize + 3)
                out += "<text x=\"\(f(centre))\" y=\"\(f(baseline))\" text-anchor=\"middle\">\(escape(text))</text>"
            }
            out += "</g>"
        }
        return out + "</svg>"
    }

    // MARK: Horizontal bars

    /// One row per bar: the label on the left, the bar, and its value after it (no axis needed).
    static func horizontalBars(_ bars: [Bar], id: String, title: String, summary: String) -> String {
        guard !bars.isEmpty else { return empty(id: id, title: title, summary: summary) }
        let longest = bars.map { $0.label.count }.max() ?? 1
        let labelWidth = min(Double(longest) * fontSize + 10, width * 0.38)
        let perLabel = max(1, Int((labelWidth - 10) / fontSize))
        let valueWidth = Double(bars.map { $0.valueText.count }.max() ?? 1) * fontSize * 0.62 + 12
        let plotWidth = width - labelWidth - valueWidth - 4
        let peak = bars.map(\.value).filter(\.isFinite).max() ?? 0
        let row = fontSize * 2
        let height = Double(bars.count) * row + 8
        var out = open(id: id, title: title, summary: summary, height: height)
        for (index, bar) in bars.enumerated() {
            let y = 4 + Double(index) * row
            let length = peak > 0 && bar.value.isFinite ? min(1, max(0, bar.value) / peak) * plotWidth : 0
            let middle = y + row / 2 + fontSize * 0.35
            out += "<g><title>\(escape(bar.label))：\(escape(bar.valueText))</title>"
            out += "<text x=\"\(f(labelWidth - 8))\" y=\"\(f(middle))\" text-anchor=\"end\">\(escape(wrap(bar.label, perLine: perLabel, lines: 1).first ?? ""))</text>"
            out += rect(bar.tone, x: labelWidth, y: y + row * 0.18, width: length, height: row * 0.64)
            out += "<text x=\"\(f(labelWidth + length + 6))\" y=\"\(f(middle))\" font-weight=\"700\">\(escape(bar.valueText))</text>"
            out += "</g>"
        }
        return out + "</svg>"
    }

    /// A bar's mark; the class lets a page's style sheet recolour it (the dark hall screen).
    private static func rect(_ tone: Tone, x: Double, y: Double, width: Double, height: Double) -> String {
        "<rect class=\"chart-bar chart-\(tone.rawValue)\" x=\"\(f(x))\" y=\"\(f(y))\" width=\"\(f(width))\" height=\"\(f(height))\" fill=\"\(tone.fill)\"/>"
    }

    // MARK: Lines

    /// The look of the n-th line: colour, dash pattern and marker differ together.
    private static let lineStyles: [(stroke: String, dash: String?, marker: Marker)] = [
        ("#0b57a4", nil, .circle), ("#a4161a", "7 4", .square), ("#176b2c", "2 3", .triangle),
    ]

    private enum Marker { case circle, square, triangle }

    /// Lines over the labels (days); markers on every point up to two months of them; x labels
    /// thinned to at most six; each line's name written at its last point.
    static func lines(_ series: [Series], labels: [String], id: String, title: String, summary: String) -> String {
        let count = labels.count
        guard count > 0, !series.isEmpty else { return empty(id: id, title: title, summary: summary) }
        let scale = Scale(max: series.flatMap(\.values).max() ?? 0)
        let left = 12 + Double(scale.widestTick) * fontSize * 0.6
        let right = 14 + Double(series.map { $0.name.count }.max() ?? 0) * fontSize
        let plotWidth = width - left - right
        let top = fontSize
        let plotHeight = 190.0
        let height = top + plotHeight + 10 + fontSize + 6
        func x(_ index: Int) -> Double { count == 1 ? left + plotWidth / 2 : left + plotWidth * Double(index) / Double(count - 1) }
        func y(_ value: Double) -> Double { top + plotHeight - scale.fraction(value) * plotHeight }
        var out = open(id: id, title: title, summary: summary, height: height)
        out += axis(scale, left: left, right: left + plotWidth, top: top, plotHeight: plotHeight)
        let step = max(1, Int((Double(count - 1) / 5).rounded(.up)))
        var shown = Array(stride(from: 0, to: count, by: step))
        if let last = shown.last, last != count - 1 {
            // Keep the last day; drop the tick before it when the two would collide.
            if count - 1 - last < step / 2 { shown.removeLast() }
            shown.append(count - 1)
        }
        for index in shown {
            out += "<text x=\"\(f(x(index)))\" y=\"\(f(top + plotHeight + 8 + fontSize))\" text-anchor=\"middle\">\(escape(labels[index]))</text>"
        }
        var ends: [(y: Double, text: String, stroke: String)] = []
        for (number, line) in series.enumerated() {
            let style = lineStyles[number % lineStyles.count]
            let points = (0..<count).map { (x($0), y($0 < line.values.count ? line.values[$0] : 0)) }
            let path = points.map { "\(f($0.0)),\(f($0.1))" }.joined(separator: " ")
            out += "<g><title>\(escape(line.name))</title>"
            out += "<polyline class=\"chart-line\" points=\"\(path)\" fill=\"none\" stroke=\"\(style.stroke)\" stroke-width=\"2.5\""
            if let dash = style.dash { out += " stroke-dasharray=\"\(dash)\"" }
            out += "/>"
            if count <= 62 {
                for point in points { out += marker(style.marker, x: point.0, y: point.1, fill: style.stroke) }
            }
            out += "</g>"
            if let last = points.last { ends.append((last.1, line.name, style.stroke)) }
        }
        // Names at the line ends, pushed apart when two lines end close together.
        ends.sort { $0.y < $1.y }
        var previous = -Double.infinity
        for end in ends {
            let baseline = max(end.y + fontSize * 0.35, previous + fontSize + 2)
            previous = baseline
            out += "<text x=\"\(f(left + plotWidth + 8))\" y=\"\(f(baseline))\" font-weight=\"700\">\(escape(end.text))</text>"
        }
        return out + "</svg>"
    }

    private static func marker(_ kind: Marker, x: Double, y: Double, fill: String) -> String {
        switch kind {
        case .circle:
            "<circle cx=\"\(f(x))\" cy=\"\(f(y))\" r=\"3.5\" fill=\"\(fill)\"/>"
        case .square:
            "<rect x=\"\(f(x - 3.5))\" y=\"\(f(y - 3.5))\" width=\"7\" height=\"7\" fill=\"\(fill)\"/>"
        case .triangle:
            "<path d=\"M\(f(x)) \(f(y - 4.5))L\(f(x + 4.5)) \(f(y + 3.5))L\(f(x - 4.5)) \(f(y + 3.5))Z\" fill=\"\(fill)\"/>"
        }
    }

    // MARK: Parts

    /// A value axis with round steps: 0 up to a multiple of 1, 2 or 5 × 10ⁿ above the largest value.
    struct Scale: Equatable {
        var step: Double
        var top: Double

        init(max value: Double, ticks: Int = 4) {
            let peak = Swift.max(0, value.isFinite ? value : 0)
            guard peak > 0 else {
                (step, top) = (1, Double(ticks))
                return
            }
            let rough = peak / Double(ticks)
            let magnitude = pow(10, (log10(rough)).rounded(.down))
            let nice = [1.0, 2, 5, 10].first { $0 * magnitude >= rough - 1e-9 } ?? 10
            step = Swift.max(nice * magnitude, 1)
            top = (peak / step).rounded(.up) * step
        }

        var ticks: [Double] { stride(from: 0, through: top + step / 2, by: step).map { $0 } }
        var widestTick: Int { ticks.map { Chart.number($0).count }.max() ?? 1 }
        func fraction(_ value: Double) -> Double { top > 0 && value.isFinite ? Swift.min(1, Swift.max(0, value) / top) : 0 }
    }

    private static func axis(_ scale: Scale, left: Double, right: Double, top: Double, plotHeight: Double) -> String {
        var out = "<g class=\"chart-axis\">"
        for tick in scale.ticks {
            let y = top + plotHeight - scale.fraction(tick) * plotHeight
            out += "<line x1=\"\(f(left))\" y1=\"\(f(y))\" x2=\"\(f(right))\" y2=\"\(f(y))\" stroke=\"currentColor\" stroke-opacity=\"\(tick == 0 ? "0.8" : "0.2")\"/>"
            out += "<text x=\"\(f(left - 6))\" y=\"\(f(y + fontSize * 0.35))\" text-anchor=\"end\">\(number(tick))</text>"
        }
        return out + "</g>"
    }

    private static func open(id: String, title: String, summary: String, height: Double) -> String {
        let id = escape(id)
        return "<svg xmlns=\"http://www.w3.org/2000/svg\" class=\"chart\" viewBox=\"0 0 \(f(width)) \(f(height))\" width=\"100%\" "
            + "role=\"img\" aria-label=\"\(escape(title))\" aria-describedby=\"\(id)-desc\" font-size=\"\(f(fontSize))\" fill=\"currentColor\">"
            + "<title id=\"\(id)-title\">\(escape(title))</title><desc id=\"\(id)-desc\">\(escape(summary))</desc>"
    }

    /// A chart with nothing to draw still answers with an image that says so.
    static func empty(id: String, title: String, summary: String) -> String {
        open(id: id, title: title, summary: summary, height: 80)
            + "<text x=\"\(f(width / 2))\" y=\"46\" text-anchor=\"middle\">暂无数据</text></svg>"
    }

    // MARK: Text

    /// Text made safe for XML content and attribute values; control characters XML cannot
    /// carry are dropped.
    static func escape(_ text: String) -> String {
        var out = ""
        out.reserveCapacity(text.count)
        for scalar in text.unicodeScalars {
            switch scalar {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&#39;"
            case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
            default:
                if scalar.value >= 0x20 && scalar.value != 0xFFFE && scalar.value != 0xFFFF { out.unicodeScalars.append(scalar) }
            }
        }
        return out
    }

    /// A label cut into lines of `perLine` characters, at most `lines` of them, the last ending
    /// in "…" when the label is longer.
    static func wrap(_ label: String, perLine: Int, lines: Int) -> [String] {
        let characters = Array(label)
        guard characters.count > perLine * lines else {
            return stride(from: 0, to: characters.count, by: perLine).map { String(characters[$0..<min($0 + perLine, characters.count)]) }
        }
        var out = stride(from: 0, to: perLine * lines, by: perLine).map { String(characters[$0..<($0 + perLine)]) }
        out[out.count - 1] = String(out[out.count - 1].dropLast()) + "…"
        return out
    }

    /// A count as an integer, anything else with one decimal; "—" for what is not a number.
    static func number(_ value: Double) -> String {
        guard value.isFinite else { return "—" }
        return value == value.rounded() && abs(value) < 1e15 ? String(Int(value)) : String(format: "%.1f", value)
    }

    /// Coordinates with at most one decimal, so the SVG stays small.
    private static func f(_ value: Double) -> String {
        guard value.isFinite, abs(value) < 1e9 else { return "0" }
        let rounded = (value * 10).rounded() / 10
        return rounded == rounded.rounded() ? String(Int(rounded)) : String(format: "%.1f", rounded)
    }
}
