using KvStore.Cluster.Membership.Testing;

namespace KvStore.Kvsim.Tests;

public sealed class SimulatedClockTests
{
    private static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    [Fact]
    public void Timers_run_in_due_order_and_ties_in_the_order_they_were_scheduled()
    {
        var clock = new SimulatedClock(Start);
        var log = new List<string>();
        void At(int ms, string name) => clock.CreateTimer(_ => log.Add($"{name}@{(clock.GetUtcNow() - Start).TotalMilliseconds}"), null, TimeSpan.FromMilliseconds(ms), Timeout.InfiniteTimeSpan);
        At(30, "c");
        At(10, "a");
        At(30, "d");
        At(20, "b");

        clock.Advance(TimeSpan.FromMilliseconds(25));
        Assert.Equal(["a@10", "b@20"], log);
        Assert.Equal(Start.AddMilliseconds(25), clock.GetUtcNow());

        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(["a@10", "b@20", "c@30", "d@30"], log);
    }

    [Fact]
    public void A_timer_set_by_a_callback_is_due_from_that_callback_so_a_chain_finishes_in_one_advance()
    {
        // FakeTimeProvider would run only the first link in one big step: the rest would be due
        // relative to the end of the step. Here each link sees the clock at its own due time.
        var clock = new SimulatedClock(Start);
        var times = new List<double>();
        void Link(object? _)
        {
            times.Add((clock.GetUtcNow() - Start).TotalMilliseconds);
            if (times.Count < 5)
            {
                clock.CreateTimer(Link, null, TimeSpan.FromMilliseconds(3), Timeout.InfiniteTimeSpan);
            }
        }

        clock.CreateTimer(Link, null, TimeSpan.FromMilliseconds(3), Timeout.InfiniteTimeSpan);
        clock.Advance(TimeSpan.FromSeconds(10));
        Assert.Equal([3.0, 6, 9, 12, 15], times);
    }

    [Fact]
    public void A_periodic_timer_repeats_until_changed_or_disposed()
    {
        var clock = new SimulatedClock(Start);
        var fired = 0;
        var timer = clock.CreateTimer(_ => fired++, null, TimeSpan.FromMilliseconds(100), TimeSpan.FromMilliseconds(100));

        clock.Advance(TimeSpan.FromMilliseconds(350));
        Assert.Equal(3, fired);

        Assert.True(timer.Change(TimeSpan.FromMilliseconds(10), Timeout.InfiniteTimeSpan));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(4, fired);

        Assert.True(timer.Change(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10)));
        timer.Dispose();
        Assert.False(timer.Change(TimeSpan.FromMilliseconds(10), TimeSpan.FromMilliseconds(10)));
        clock.Advance(TimeSpan.FromSeconds(1));
        Assert.Equal(4, fired);
    }

    [Fact]
    public void Running_until_a_condition_stops_at_the_callback_that_made_it_true()
    {
        var clock = new SimulatedClock(Start);
        var count = 0;
        using var timer = clock.CreateTimer(_ => count++, null, TimeSpan.FromMilliseconds(7), TimeSpan.FromMilliseconds(7));

        Assert.True(clock.RunUntil(() => count == 4, Start.AddSeconds(10)));
        Assert.Equal(Start.AddMilliseconds(28), clock.GetUtcNow());

        Assert.False(clock.RunUntil(() => count == 1000, Start.AddMilliseconds(100)));
        Assert.Equal(Start.AddMilliseconds(100), clock.GetUtcNow());
        Assert.Equal(14, count);
    }

    [Fact]
    public void A_timeout_token_on_the_clock_cancels_when_its_time_comes()
    {
        var clock = new SimulatedClock(Start);
        using var cts = new CancellationTokenSource(TimeSpan.FromSeconds(10), clock);
        clock.Advance(TimeSpan.FromSeconds(9.999));
        Assert.False(cts.IsCancellationRequested);
        clock.Advance(TimeSpan.FromMilliseconds(1));
        Assert.True(cts.IsCancellationRequested);
    }
}
