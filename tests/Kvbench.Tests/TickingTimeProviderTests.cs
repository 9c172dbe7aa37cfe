using KvStore.Kvbench.Running;

namespace KvStore.Kvbench.Tests;

/// <summary>The pacing clock's timers on real time: only that they fire, not how precisely.</summary>
public sealed class TickingTimeProviderTests
{
    [Fact]
    public async Task A_wait_on_it_ends_no_sooner_than_asked()
    {
        using var time = new TickingTimeProvider();
        var started = time.GetTimestamp();

        await Task.Delay(TimeSpan.FromMilliseconds(20), time, TestContext.Current.CancellationToken);

        Assert.True(time.GetElapsedTime(started) >= TimeSpan.FromMilliseconds(20));
    }

    [Fact]
    public async Task A_periodic_timer_fires_again_until_disposed()
    {
        using var time = new TickingTimeProvider();
        var fired = 0;
        var thrice = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        void Fire(object? state)
        {
            if (Interlocked.Increment(ref fired) == 3)
            {
                thrice.TrySetResult();
            }
        }

        var timer = time.CreateTimer(Fire, null, TimeSpan.FromMilliseconds(1), TimeSpan.FromMilliseconds(5));

        await thrice.Task.WaitAsync(TimeSpan.FromSeconds(30), TestContext.Current.CancellationToken);
        timer.Dispose();

        Assert.True(Volatile.Read(ref fired) >= 3);
    }
}
