using KvStore.Core.Causality;
using KvStore.Core.Clock;

namespace KvStore.Core.Crdt;

/// <summary>One write to a register: its dot, its timestamp and the bytes written.</summary>
/// <remarks>The value array is never mutated after construction.</remarks>
public readonly struct RegisterEntry(Dot dot, HlcTimestamp timestamp, byte[] value) : IEquatable<RegisterEntry>
{
    public Dot Dot { get; } = dot;

    public HlcTimestamp Timestamp { get; } = timestamp;

    public ReadOnlyMemory<byte> Value { get; } = value;

    /// <summary>
    /// Total order used to pick the visible value among concurrent writes: later timestamp wins,
    /// then the greater actor, then the greater counter, so every replica picks the same one.
    /// </summary>
    public int CompareRank(RegisterEntry other)
    {
        var c = Timestamp.CompareTo(other.Timestamp);
        return c != 0 ? c : Dot.CompareTo(other.Dot);
    }

    public bool Equals(RegisterEntry other) =>
        Dot == other.Dot && Timestamp == other.Timestamp && Value.Span.SequenceEqual(other.Value.Span);

    public override bool Equals(object? obj) => obj is RegisterEntry e && Equals(e);

    public override int GetHashCode() => HashCode.Combine(Dot, Timestamp, Value.Length);

    public static bool operator ==(RegisterEntry left, RegisterEntry right) => left.Equals(right);

    public static bool operator !=(RegisterEntry left, RegisterEntry right) => !left.Equals(right);
}
