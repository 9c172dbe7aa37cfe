using System.Text;
using KvStore.Cluster.Replication;
using KvStore.Cluster.Tests.Replication;
using KvStore.Cluster.Tombstones;
using KvStore.Core.Crdt;

namespace KvStore.Cluster.Tests.Tombstones;

/// <summary>A node that came back empty answers no reads until anti-entropy has filled it.</summary>
public sealed class ResyncGateTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static string? Value(KvObject? obj) => obj?.Register?.Winner is { } w ? Encoding.UTF8.GetString(w.Value.Span) : null;

    [Fact]
    public async Task An_empty_node_that_resyncs_is_left_out_of_read_quorums_until_anti_entropy_filled_it()
    {
        var cluster = new TestCluster(3);
        var key = Enumerable.Range(0, 1000).Select(i => Encoding.UTF8.GetBytes($"k{i}")).First(k => cluster.Replicas(k)[0] == "n1");

        // n1 missed the write and holds nothing, as after starting empty; the hint for it is never replayed here.
        cluster.SetDown("n1", true);
        await cluster["n2"].Coordinator.WriteAsync(key, new Mutation.Put(Encoding.UTF8.GetBytes("v"), null), ConsistencyLevel.Quorum, Ct);
        cluster.SetDown("n1", false);
        Assert.Null(cluster["n1"].Store.Get(key));
        cluster["n1"].Gate.Begin();

        // Its own empty answer would satisfy a read of one; the gate makes it ask the others.
        Assert.Equal("v", Value(await cluster["n1"].Coordinator.ReadAsync(key, ConsistencyLevel.One, Ct)));
        await Assert.ThrowsAsync<ReplicaUnavailableException>(() => cluster["n2"].Coordinator.ReadAsync(key, ConsistencyLevel.All, Ct));
        Assert.Equal("v", Value(await cluster["n2"].Coordinator.ReadAsync(key, ConsistencyLevel.Quorum, Ct)));

        var table = cluster["n1"].Router.Current;
        Assert.False(ResyncGate.Filled(table, cluster["n1"].AntiEntropy.LastExchanges));
        await cluster["n1"].AntiEntropy.RunRoundAsync(Ct);
        Assert.True(ResyncGate.Filled(table, cluster["n1"].AntiEntropy.LastExchanges));
        Assert.Equal("v", Value(cluster["n1"].Store.Get(key)));

        cluster["n1"].Gate.Finish();
        Assert.Equal("v", Value(await cluster["n2"].Coordinator.ReadAsync(key, ConsistencyLevel.All, Ct)));
    }
}
