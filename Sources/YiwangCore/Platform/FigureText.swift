import Foundation

/// Numbers as the pages and exports write them: a fixed number of decimals, rounded half away
/// from zero. Written out by hand because `String(format:)` is slow on Linux, and a statistics
/// export writes some ten thousand of them.
public enum FigureText {
    /// `value` with `places` decimals (0…4), e.g. `fixed(96.9, places: 2)` is "96.90".
    public static func fixed(_ value: Double, places: Int) -> String {
        let places = min(max(places, 0), 4)
        let scale: Int64 = [1, 10, 100, 1000, 10000][places]
        let scaled = (abs(value) * Double(scale)).rounded()
        // Not finite or too large for the integer path: the slow, general way.
        guard value.isFinite, scaled < 9e15 else { return String(format: "%.\(places)f", value) }
        let units = Int64(scaled)
        var text = value < 0 && units != 0 ? "-" : ""
        text += String(units / scale)
        if places > 0 {
            let fraction = String(units % scale)
            text += "." + String(repeating: "0", count: places - fraction.count) + fraction
        }
        return text
    }

    /// A share (0…1) as a percentage, e.g. `percent(0.969, places: 1)` is "96.9%"; `absent` when
    /// there is nothing to divide by.
    public static func percent(_ share: Double?, places: Int, absent: String = "—") -> String {
        guard let share, share.isFinite else { return absent }
        return fixed(share * 100, places: places) + "%"
    }
}
