using KvStore.Kvbench.Running;

namespace KvStore.Kvbench.Tests;

public sealed class PacingTests
{
    private const long Frequency = TimeSpan.TicksPerSecond;

    [Fact]
    public void Callers_share_the_rate_and_are_spread_within_one_interval()
    {
        var pacing = new Pacing(OperationsPerSecond: 1000, Callers: 4, OperationsPerCall: 1);

        Assert.Equal(0.004, pacing.CallInterval, 12);
        Assert.Equal(
            [0, 1, 2, 3, 4, 5, 6, 7],
            Enumerable.Range(0, 2).SelectMany(call => Enumerable.Range(0, 4).Select(caller => pacing.Due(0, Frequency, caller, call) / TimeSpan.TicksPerMillisecond)).Order());
        var dueInOneSecond = Enumerable.Range(0, 4).Sum(caller => Enumerable.Range(0, 2000).Count(call => pacing.Due(0, Frequency, caller, call) < Frequency));
        Assert.Equal(1000, dueInOneSecond);
    }

    [Fact]
    public void A_batch_call_counts_as_its_operations()
    {
        var pacing = new Pacing(OperationsPerSecond: 10_000, Callers: 2, OperationsPerCall: 100);

        // 100 calls a second between two callers: each calls every 20 ms, the second 10 ms after the first.
        Assert.Equal(0.02, pacing.CallInterval, 12);
        Assert.Equal(500 + 60, pacing.Due(500 * TimeSpan.TicksPerMillisecond, Frequency, caller: 0, call: 3) / TimeSpan.TicksPerMillisecond);
        Assert.Equal(500 + 70, pacing.Due(500 * TimeSpan.TicksPerMillisecond, Frequency, caller: 1, call: 3) / TimeSpan.TicksPerMillisecond);
    }

    [Fact]
    public void Latency_counts_from_the_due_time_unless_the_call_went_out_earlier()
    {
        Assert.Equal(100, Pacing.TimedFrom(due: 100, sent: 130));
        Assert.Equal(98, Pacing.TimedFrom(due: 100, sent: 98));
    }
}
