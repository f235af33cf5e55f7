#if canImport(Glibc)
import Glibc
#endif
import HAModel

/// Who this host is: its hostname (of the UTS namespace haexplain runs in).
public enum HostIdentity {
    public static func hostname() -> String {
        var buffer = [CChar](repeating: 0, count: 256)
        guard gethostname(&buffer, buffer.count - 1) == 0 else { return "localhost" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    /// Now, as RFC 3339 UTC with seconds, for snapshots.
    public static func now() -> String {
        UTCTime.format(seconds: Int64(time(nil)))
    }

    /// Seconds on the monotonic clock, for durations that wall-clock jumps must not bend.
    public static func monotonicSeconds() -> Double {
        var spec = timespec()
        clock_gettime(CLOCK_MONOTONIC, &spec)
        return Double(spec.tv_sec) + Double(spec.tv_nsec) / 1e9
    }

    /// A duration as seconds with one decimal, e.g. "2.1".
    public static func tenths(_ seconds: Double) -> String { DurationText.tenths(seconds) }
}
