using System.Text;
using KvStore.Cluster.Replication;
using KvStore.Core.Crdt;

namespace KvStore.Cluster.Tests.Replication;

/// <summary>
/// A forwarded write that arrives after its sender stopped waiting is refused rather than minted
/// with a fresh timestamp, which would let it overwrite writes the client made after it was told
/// this one was not confirmed. A chaos run showed it: a put that timed out while its link was cut
/// ended up the register's value, over three puts acknowledged after it, once the link healed.
/// </summary>
public sealed class StaleForwardTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] Bytes(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task A_forwarded_write_arriving_after_its_sender_stopped_waiting_is_refused_and_writes_nothing()
    {
        var cluster = new TestCluster(3);
        var node = cluster["n1"];

        var stale = await Assert.ThrowsAsync<ReplicaUnavailableException>(() => node.Handler.CoordinateAsync(
            Bytes("late"), new Mutation.Put(Bytes("v"), null), ConsistencyLevel.Quorum, DateTimeOffset.UtcNow - TimeSpan.FromSeconds(1), Ct));
        Assert.Contains("nothing was written", stale.Message, StringComparison.Ordinal);
        Assert.Null(node.Replica.Read(Bytes("late")));
        Assert.Equal(1, node.Counters.StaleForwardsRefused);

        // One whose sender still waits is coordinated as usual.
        var stored = await node.Handler.CoordinateAsync(
            Bytes("timely"), new Mutation.Put(Bytes("v"), null), ConsistencyLevel.Quorum, DateTimeOffset.UtcNow + TimeSpan.FromSeconds(30), Ct);
        Assert.NotNull(stored);
        Assert.NotNull(node.Replica.Read(Bytes("timely")));
        Assert.Equal(1, node.Counters.StaleForwardsRefused);
    }
}
