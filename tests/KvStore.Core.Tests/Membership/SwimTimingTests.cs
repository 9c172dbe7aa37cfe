using KvStore.Core.Membership;

namespace KvStore.Core.Tests.Membership;

public sealed class SwimTimingTests
{
    [Theory]
    [InlineData(4, 0, 1000, 4000)]
    [InlineData(4, 1, 1000, 4000)]
    [InlineData(4, 3, 1000, 4000)]
    [InlineData(4, 10, 1000, 4000)]
    [InlineData(4, 50, 1000, 6792)]
    [InlineData(4, 100, 1000, 8000)]
    [InlineData(4, 1000, 1000, 12000)]
    [InlineData(3, 1000, 500, 4500)]
    [InlineData(5, 20, 200, 1301)]
    public void Suspicion_timeout_scales_with_the_log_of_the_cluster_size(int multiplier, int n, int intervalMs, int expectedMs) =>
        Assert.Equal(
            TimeSpan.FromMilliseconds(expectedMs),
            SwimTiming.SuspicionTimeout(multiplier, n, TimeSpan.FromMilliseconds(intervalMs)));

    [Theory]
    [InlineData(0, 3, 0, 2, 30, 30000)]
    [InlineData(1, 3, 2, 2, 30, 14000)]
    [InlineData(2, 3, 3, 2, 30, 4810)]
    [InlineData(3, 3, 1, 2, 30, 1000)]
    [InlineData(3, 3, 4, 2, 30, 0)]
    [InlineData(4, 3, 5, 2, 30, 0)]
    [InlineData(9, 3, 0, 2, 30, 2000)]
    [InlineData(0, 0, 1, 4, 24, 3000)]
    [InlineData(0, 2, 0, 4, 24, 24000)]
    [InlineData(1, 2, 0, 4, 24, 11381)]
    [InlineData(2, 2, 0, 4, 24, 4000)]
    public void Remaining_suspicion_shrinks_with_confirmations_and_never_goes_below_zero(
        int confirmations, int expected, int elapsedS, int minS, int maxS, int remainingMs) =>
        Assert.Equal(
            TimeSpan.FromMilliseconds(remainingMs),
            SwimTiming.RemainingSuspicion(
                confirmations, expected, TimeSpan.FromSeconds(elapsedS), TimeSpan.FromSeconds(minS), TimeSpan.FromSeconds(maxS)));

    [Theory]
    [InlineData(3, 0, 0)]
    [InlineData(3, 1, 3)]
    [InlineData(3, 99, 6)]
    [InlineData(4, 3, 4)]
    [InlineData(4, 9, 4)]
    [InlineData(4, 10, 8)]
    [InlineData(4, 100, 12)]
    [InlineData(4, 1024, 16)]
    public void Retransmit_limit_is_the_multiplier_times_the_ceiling_of_log10_n_plus_1(int multiplier, int n, int expected) =>
        Assert.Equal(expected, SwimTiming.RetransmitLimit(multiplier, n));

    [Theory]
    [InlineData(500, 0, 500)]
    [InlineData(500, 1, 1000)]
    [InlineData(500, 7, 4000)]
    [InlineData(500, -1, 500)]
    public void Probe_timeout_grows_with_local_health_awareness(int baseMs, int awareness, int expectedMs) =>
        Assert.Equal(
            TimeSpan.FromMilliseconds(expectedMs),
            SwimTiming.ProbeTimeout(TimeSpan.FromMilliseconds(baseMs), awareness));
}
