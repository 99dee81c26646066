public import Foundation

/// Meta's timestamps: Unix seconds as a decimal string.
public enum MetaTimestamp {
    /// The latest date taken as real: 2100-01-01. A signed but broken or hostile timestamp past it
    /// (say `"99999999999999"`) is treated as absent, so it never reaches date arithmetic or a
    /// database column that cannot hold it.
    public static let latest: Int64 = 4_102_444_800

    /// The date of `text`, or nil when it is not a whole number of seconds after 1970 and before
    /// `latest`.
    public static func date(_ text: String) -> Date? {
        guard let seconds = Int64(text), seconds > 0, seconds < latest else { return nil }
        return Date(timeIntervalSince1970: TimeInterval(seconds))
    }
}
