namespace KvStore.Core.Clock;

/// <summary>
/// A thread-safe hybrid logical clock. Every reading is greater than every earlier reading and
/// every timestamp observed, so a write made after reading a value carries a later timestamp than
/// that value even when the writer's wall clock is behind the reader's.
/// </summary>
/// <remarks>
/// A timestamp from elsewhere that is further ahead of the local wall clock than
/// <see cref="MaxDrift"/> is refused: accepting it would drag this clock (and every later write on
/// the key) into the future, where no correctly clocked writer could overtake it.
/// </remarks>
public sealed class HybridLogicalClock
{
    private readonly TimeProvider _time;
    private readonly Lock _gate = new();
    private HlcTimestamp _last;
    private long _rejected;

    public HybridLogicalClock(TimeProvider time, TimeSpan maxDrift)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(maxDrift, TimeSpan.Zero);
        _time = time;
        MaxDrift = maxDrift;
    }

    public TimeSpan MaxDrift { get; }

    /// <summary>How many remote timestamps were refused for being too far ahead.</summary>
    public long RejectedCount => Interlocked.Read(ref _rejected);

    /// <summary>A reading for a local event.</summary>
    public HlcTimestamp Now()
    {
        var wall = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_gate)
        {
            _last = Advance(_last, wall);
            return _last;
        }
    }

    /// <summary>
    /// Folds a timestamp seen elsewhere into the clock and returns a reading later than both it and
    /// every earlier reading.
    /// </summary>
    /// <exception cref="ClockDriftException">The timestamp is beyond the allowed drift; the clock is unchanged.</exception>
    public HlcTimestamp Observe(HlcTimestamp remote)
    {
        var wall = _time.GetUtcNow().ToUnixTimeMilliseconds();
        if (remote.WallMillis - wall > (long)MaxDrift.TotalMilliseconds)
        {
            Interlocked.Increment(ref _rejected);
            throw new ClockDriftException(remote, wall, MaxDrift);
        }

        lock (_gate)
        {
            _last = Advance(HlcTimestamp.Max(_last, remote), wall);
            return _last;
        }
    }

    /// <summary>
    /// A reading later than <paramref name="floor"/>, a timestamp this node already holds (such as
    /// the latest write stored under a key), so it is not checked for drift.
    /// </summary>
    public HlcTimestamp After(HlcTimestamp floor)
    {
        var wall = _time.GetUtcNow().ToUnixTimeMilliseconds();
        lock (_gate)
        {
            _last = Advance(HlcTimestamp.Max(_last, floor), wall);
            return _last;
        }
    }

    /// <summary>The next reading after <paramref name="floor"/> at wall time <paramref name="wall"/>.</summary>
    internal static HlcTimestamp Advance(HlcTimestamp floor, long wall)
    {
        if (wall > floor.WallMillis)
        {
            return new HlcTimestamp(wall, 0);
        }

        // The logical counter is 32 bits: four billion events in one millisecond cannot happen, but
        // if it ever did, borrowing the next millisecond keeps readings strictly increasing.
        return floor.Logical == uint.MaxValue
            ? new HlcTimestamp(floor.WallMillis + 1, 0)
            : floor with { Logical = floor.Logical + 1 };
    }
}
