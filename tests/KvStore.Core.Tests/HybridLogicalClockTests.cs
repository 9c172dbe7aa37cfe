using KvStore.Core.Clock;
using Microsoft.Extensions.Time.Testing;

namespace KvStore.Core.Tests;

public sealed class HybridLogicalClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Readings_increase_even_when_the_wall_clock_stands_still_or_goes_back()
    {
        var time = new SettableTime { Now = Start };
        var hlc = new HybridLogicalClock(time, TimeSpan.FromSeconds(1));
        var t1 = hlc.Now();
        var t2 = hlc.Now();
        time.Now = Start - TimeSpan.FromSeconds(5);
        var t3 = hlc.Now();
        Assert.Equal(new HlcTimestamp(Start.ToUnixTimeMilliseconds(), 0), t1);
        Assert.Equal(new HlcTimestamp(Start.ToUnixTimeMilliseconds(), 1), t2);
        Assert.Equal(new HlcTimestamp(Start.ToUnixTimeMilliseconds(), 2), t3);
        time.Now = Start + TimeSpan.FromMilliseconds(10);
        Assert.Equal(new HlcTimestamp(Start.ToUnixTimeMilliseconds() + 10, 0), hlc.Now());
    }

    [Fact]
    public void Observing_a_timestamp_ahead_within_drift_moves_the_clock_past_it()
    {
        var time = new FakeTimeProvider(Start);
        var hlc = new HybridLogicalClock(time, TimeSpan.FromSeconds(1));
        var remote = new HlcTimestamp(Start.ToUnixTimeMilliseconds() + 900, 4);
        Assert.Equal(remote with { Logical = 5 }, hlc.Observe(remote));
        Assert.True(hlc.Now() > remote);
    }

    [Fact]
    public void A_timestamp_beyond_the_drift_is_refused_counted_and_leaves_the_clock_alone()
    {
        var time = new FakeTimeProvider(Start);
        var hlc = new HybridLogicalClock(time, TimeSpan.FromSeconds(1));
        var before = hlc.Now();
        var e = Assert.Throws<ClockDriftException>(() => hlc.Observe(new HlcTimestamp(Start.ToUnixTimeMilliseconds() + 1001, 0)));
        Assert.Contains("1001 ms ahead", e.Message, StringComparison.Ordinal);
        Assert.Equal(1, hlc.RejectedCount);
        Assert.Equal(before with { Logical = before.Logical + 1 }, hlc.Now());
    }

    [Fact]
    public void After_a_stored_future_timestamp_needs_no_drift_check()
    {
        var time = new FakeTimeProvider(Start);
        var hlc = new HybridLogicalClock(time, TimeSpan.Zero);
        var stored = new HlcTimestamp(Start.ToUnixTimeMilliseconds() + 60_000, 3);
        Assert.Equal(stored with { Logical = 4 }, hlc.After(stored));
        Assert.Equal(0, hlc.RejectedCount);
    }

    [Fact]
    public void The_logical_counter_borrows_the_next_millisecond_instead_of_wrapping() =>
        Assert.Equal(new HlcTimestamp(11, 0), HybridLogicalClock.Advance(new HlcTimestamp(10, uint.MaxValue), 5));

    /// <summary>A wall clock that can be stepped backwards, as NTP may do; FakeTimeProvider refuses to.</summary>
    private sealed class SettableTime : TimeProvider
    {
        public DateTimeOffset Now { get; set; }

        public override DateTimeOffset GetUtcNow() => Now;
    }
}
