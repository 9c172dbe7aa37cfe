using System.Text;
using KvStore.Cluster.Replication;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;

namespace KvStore.Cluster.Tests.Replication;

/// <summary>Hints for a member that left go to the key's current replicas instead of waiting forever.</summary>
public sealed class LeftHintTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>
    /// Found by the simulator: hints for a node that left stayed on their holder for good, so the
    /// tombstone collector, which refuses a key any node holds a hint for, never collected those keys.
    /// </summary>
    [Fact]
    public async Task A_hint_for_a_member_that_left_is_delivered_to_the_keys_current_replicas_and_removed()
    {
        var cluster = new TestCluster(5);
        var key = Encoding.UTF8.GetBytes("hinted-key");
        var holder = cluster.Nodes.First(n => !cluster.Replicas(key).Contains(n.Id));
        var gone = cluster.Replicas(key)[0];

        // A write reached only the replica that then left, and the holder keeps it as a hint for it.
        var written = await cluster[gone].Replica.WriteAsync(key, new Mutation.Put(key, null), Ct);
        Assert.NotNull(written);
        Assert.True(await holder.Store.AddHintAsync(gone, key, written, Ct));

        cluster.SetState(gone, MemberState.Left);
        Assert.Equal(1, await holder.Handoff.ReplayOnceAsync(Ct));

        Assert.Empty(holder.Store.HintsForKey(key));
        var replicas = cluster.Replicas(key);
        Assert.DoesNotContain(gone, replicas);
        Assert.All(replicas, r => Assert.True(cluster[r].Store.Get(key) is { IsLive: true }, $"{r} lacks the hinted write"));
    }
}
