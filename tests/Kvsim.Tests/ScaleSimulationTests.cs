using KvStore.Kvsim.Membership;

namespace KvStore.Kvsim.Tests;

public sealed class ScaleSimulationTests
{
    private const int Seed = 20260101;

    private static ScaleSettings Settings(int seed = Seed) => new()
    {
        Seed = seed,
        Trials = 2,
        SteadyWindow = TimeSpan.FromSeconds(60),
        // Simulated time: generous, and it costs wall time only if something is wrong.
        Patience = TimeSpan.FromMinutes(5),
    };

    [Theory]
    [InlineData(10)]
    [InlineData(50)]
    public async Task Every_join_and_every_death_reaches_every_node(int n)
    {
        var r = await ScaleSimulation.RunAsync(Settings(), n, TestContext.Current.CancellationToken);
        var why = $"(N={n}, seed {Seed})";

        Assert.True(r.Convergence is not null, $"the initial cluster converged {why}");
        Assert.Equal(2, r.Trials.Count);
        foreach (var t in r.Trials)
        {
            // The joiner is news to the N nodes that were there; the victim's death to the N that are left.
            foreach (var spread in new[] { t.Join, t.Suspect, t.Dead })
            {
                Assert.True(spread.Observers == n && spread.Reached == n, $"{spread} {why}");
                Assert.True(spread.First <= spread.Median && spread.Median <= spread.All, $"{spread} {why}");
            }

            Assert.True(t.Join.First > TimeSpan.Zero, $"news travels: {t.Join} {why}");
            Assert.True(t.Suspect.All <= t.Dead.All, $"nobody holds a member dead before suspecting it: {t.Suspect} vs {t.Dead} {why}");

            // Only an expired suspicion declares a death, and no suspicion starts before the crash.
            Assert.True(t.Dead.First >= r.SuspicionMin, $"{t.Dead} dead before the least suspicion timeout {r.SuspicionMin} {why}");
            Assert.True(t.Dead.All <= r.SuspicionMax + TimeSpan.FromSeconds(30), $"{t.Dead} {why}");
        }

        Assert.True(r.Complete, why);

        // SWIM's load per node does not depend on N: a quiet node sends one ping per protocol period
        // and answers one on average, and starts one push-pull per PushPullInterval (30 s).
        Assert.InRange(r.Load.DatagramsPerNodePerSecond, 1.9, 2.1);
        Assert.InRange(r.Load.PushPullsPerNodePerSecond, 0.03, 0.037);
        Assert.True(r.Load.DatagramBytesPerNodePerSecond > 0 && r.Load.PushPullBytesPerNodePerSecond > 0, why);
        Assert.True(r.Callbacks > 0 && r.Wall > TimeSpan.Zero, why);
    }

    [Fact]
    public async Task The_same_seed_gives_the_same_figures()
    {
        var first = await ScaleSimulation.RunAsync(Settings(), 10, TestContext.Current.CancellationToken);
        var second = await ScaleSimulation.RunAsync(Settings(), 10, TestContext.Current.CancellationToken);

        Assert.Equal(first.Convergence, second.Convergence);
        Assert.Equal(first.Load, second.Load);
        Assert.True(first.Trials.SequenceEqual(second.Trials), $"seed {Seed}: {string.Join("; ", first.Trials)} vs {string.Join("; ", second.Trials)}");
        Assert.Equal(first.Callbacks, second.Callbacks);
    }

    [Fact]
    public async Task A_cancelled_run_stops()
    {
        using var cts = new CancellationTokenSource();
        var settings = Settings() with { Progress = line => cts.Cancel() };
        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => ScaleSimulation.RunAsync(settings, 10, cts.Token));
    }

    [Fact]
    public async Task A_size_the_member_table_cannot_hold_is_refused()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ScaleSimulation.RunAsync(Settings(), 1023, TestContext.Current.CancellationToken));
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => ScaleSimulation.RunAsync(Settings(), 1, TestContext.Current.CancellationToken));
    }
}
