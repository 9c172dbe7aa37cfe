using KvStore.Cluster.AntiEntropy;
using Microsoft.Extensions.Time.Testing;

namespace KvStore.Cluster.Tests.AntiEntropy;

public sealed class ByteRateAndOptionsTests
{
    [Fact]
    public async Task Spending_past_the_bucket_waits_until_the_debt_is_paid_at_the_rate()
    {
        var time = new FakeTimeProvider();
        var rate = new ByteRate(1000, time);
        await rate.SpendAsync(1000, TestContext.Current.CancellationToken);

        var waiting = rate.SpendAsync(500, TestContext.Current.CancellationToken);
        time.Advance(TimeSpan.FromMilliseconds(400));
        Assert.False(waiting.IsCompleted);
        time.Advance(TimeSpan.FromMilliseconds(100));
        await waiting;

        // Idle time refills at most one second's worth.
        time.Advance(TimeSpan.FromSeconds(10));
        await rate.SpendAsync(1000, TestContext.Current.CancellationToken);
        Assert.False(rate.SpendAsync(100, TestContext.Current.CancellationToken).IsCompleted);
    }

    [Fact]
    public void Without_a_rate_nothing_waits() =>
        Assert.True(new ByteRate(0, new FakeTimeProvider()).SpendAsync(long.MaxValue, TestContext.Current.CancellationToken).IsCompleted);

    [Fact]
    public void The_defaults_are_valid_and_each_bound_is_checked()
    {
        Assert.Empty(new AntiEntropyOptions().Validate());
        var bad = new AntiEntropyOptions
        {
            Interval = TimeSpan.Zero,
            Jitter = 1.5,
            MaxConcurrentExchanges = 0,
            MaxBytesPerSecond = 10,
            MaxKeysPerExchange = 0,
        }.Validate().ToList();
        Assert.Equal(5, bad.Count);
        Assert.All(bad, e => Assert.StartsWith("AntiEntropy:", e, StringComparison.Ordinal));
        Assert.Empty(new AntiEntropyOptions { MaxBytesPerSecond = 0 }.Validate());
    }
}
