namespace KvStore.Cluster.Tests.Membership;

public sealed class DeterminismTests
{
    private static async Task<List<string>> RunAsync(int seed)
    {
        await using var c = new SwimCluster(seed);
        c.Network.DropProbability = 0.2;
        c.Network.DuplicateProbability = 0.1;
        c.Network.Jitter = TimeSpan.FromMilliseconds(20);
        for (var i = 0; i < 6; i++)
        {
            c.Add();
        }

        for (var i = 0; i < 6; i++)
        {
            _ = c[i].Membership.StartAsync(i == 0 ? [] : [SwimCluster.Address(0)], CancellationToken.None);
        }

        c.Run(TimeSpan.FromSeconds(10));
        c.Network.Isolate(c[3].Address);
        c.Run(TimeSpan.FromSeconds(40));
        return c.Trace;
    }

    [Fact]
    public async Task The_same_seed_replays_the_same_history()
    {
        const int seed = 424242;
        var first = await RunAsync(seed);
        var second = await RunAsync(seed);
        Assert.True(first.Count > 20, $"a lossy run with a crash changes views often (seed {seed})");
        Assert.True(first.SequenceEqual(second), $"runs with seed {seed} diverged at change {first.Zip(second).TakeWhile(p => p.First == p.Second).Count()}");
    }
}
