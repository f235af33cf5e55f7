#if canImport(Glibc)
import Glibc
#endif

/// A small deterministic generator (SplitMix64): a random test prints its seed and a failure
/// repeats from it.
public struct SeededGenerator: RandomNumberGenerator {
    public var state: UInt64
    /// What it started from: name it in every failure message of a random test.
    public let seed: UInt64

    public init(seed: UInt64) {
        state = seed
        self.seed = seed
    }
    public init(state: UInt64) { self.init(seed: state) }

    /// A fresh seed per run (so runs cover more), or HAEXPLAIN_TEST_SEED's to replay a failure.
    public static func forTest() -> SeededGenerator {
        if let text = getenv("HAEXPLAIN_TEST_SEED"), let seed = UInt64(String(cString: text)) { return SeededGenerator(seed: seed) }
        return SeededGenerator(seed: UInt64.random(in: 0...UInt64.max))
    }

    /// "seed N": the words a failure message carries to be replayed with HAEXPLAIN_TEST_SEED=N.
    public var label: String { "seed \(seed) (replay with HAEXPLAIN_TEST_SEED=\(seed))" }

    public mutating func next() -> UInt64 {
        state &+= 0x9e37_79b9_7f4a_7c15
        var z = state
        z = (z ^ (z >> 30)) &* 0xbf58_476d_1ce4_e5b9
        z = (z ^ (z >> 27)) &* 0x94d0_49bb_1331_11eb
        return z ^ (z >> 31)
    }
}

/// Draws for generated corpora (keepalived and haproxy differential runs).
extension SeededGenerator {
    /// 0..<n.
    public mutating func below(_ n: Int) -> Int { Int(next() % UInt64(n)) }
    public mutating func chance(_ percent: Int) -> Bool { below(100) < percent }
    public mutating func pick<T>(_ items: [T]) -> T { items[below(items.count)] }
}

/// The name the haproxy differential run uses for the same generator.
public typealias SeededRandom = SeededGenerator
