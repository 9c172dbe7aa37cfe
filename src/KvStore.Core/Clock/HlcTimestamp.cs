namespace KvStore.Core.Clock;

/// <summary>
/// A hybrid logical clock reading: wall-clock milliseconds since the Unix epoch plus a logical
/// counter that orders events within one millisecond (Kulkarni et al., "Logical Physical Clocks",
/// 2014). Ordered by wall time, then logical counter.
/// </summary>
public readonly record struct HlcTimestamp(long WallMillis, uint Logical) : IComparable<HlcTimestamp>
{
    public static HlcTimestamp Zero => default;

    public int CompareTo(HlcTimestamp other)
    {
        var c = WallMillis.CompareTo(other.WallMillis);
        return c != 0 ? c : Logical.CompareTo(other.Logical);
    }

    public static HlcTimestamp Max(HlcTimestamp a, HlcTimestamp b) => a.CompareTo(b) >= 0 ? a : b;

    public DateTimeOffset ToDateTimeOffset() => DateTimeOffset.FromUnixTimeMilliseconds(WallMillis);

    public override string ToString() =>
        $"{DateTimeOffset.FromUnixTimeMilliseconds(WallMillis):yyyy-MM-ddTHH:mm:ss.fffZ}+{Logical}";

    public static bool operator <(HlcTimestamp left, HlcTimestamp right) => left.CompareTo(right) < 0;
    public static bool operator >(HlcTimestamp left, HlcTimestamp right) => left.CompareTo(right) > 0;
    public static bool operator <=(HlcTimestamp left, HlcTimestamp right) => left.CompareTo(right) <= 0;
    public static bool operator >=(HlcTimestamp left, HlcTimestamp right) => left.CompareTo(right) >= 0;
}
