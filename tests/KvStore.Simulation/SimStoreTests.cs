using KvStore.Core.Causality;
using KvStore.Core.Crdt;
using KvStore.Simulation.Sim;
using static KvStore.Simulation.Sim.Scenario;

namespace KvStore.Simulation;

/// <summary>The simulated store keeps what RocksDB promises: the log survives a process crash; without Sync only flushed writes survive a power loss.</summary>
public sealed class SimStoreTests
{
    private static readonly ActorId Actor = new("n1", 7);

    [Theory]
    [InlineData(false)]
    [InlineData(true)]
    public void A_process_crash_keeps_every_acknowledged_write(bool sync)
    {
        var store = Written(sync, "a");
        store.Kill();
        var reopened = SimStore.Reopen(store, powerLoss: false);
        Assert.NotNull(reopened.Get(Bytes("a")));
        Assert.Equal(1, reopened.HintCounts["n2"]);
        Assert.Equal(Actor, reopened.Actor);
    }

    [Fact]
    public void A_power_loss_without_sync_drops_what_came_after_the_last_flush()
    {
        var store = Written(sync: false, "a");
        store.Flush();
        Write(store, "b");
        store.Kill();
        var reopened = SimStore.Reopen(store, powerLoss: true, newEpoch: 77);
        Assert.NotNull(reopened.Get(Bytes("a")));
        Assert.Null(reopened.Get(Bytes("b")));

        // It may have lost acknowledged writes, so it never mints their counters again.
        Assert.Equal(Actor with { Epoch = 77 }, reopened.Actor);
    }

    [Fact]
    public void A_power_loss_with_sync_keeps_every_acknowledged_write()
    {
        var store = Written(sync: true, "a");
        Write(store, "b");
        store.Kill();
        var reopened = SimStore.Reopen(store, powerLoss: true, newEpoch: 77);
        Assert.NotNull(reopened.Get(Bytes("b")));
        Assert.Equal(1, reopened.HintCounts["n2"]);
        Assert.Equal(Actor, reopened.Actor);
    }

    [Fact]
    public void A_dead_incarnation_writes_nothing()
    {
        var store = Written(sync: true, "a");
        store.Kill();
        Assert.False(store.IsHealthy);
        Assert.True(store.UpdateAsync(Bytes("c"), _ => KvObject.Of(OrSet.Empty.Add(Actor, [Bytes("x")])), TestContext.Current.CancellationToken).IsFaulted);
        Assert.Null(SimStore.Reopen(store, powerLoss: false).Get(Bytes("c")));
    }

    private static SimStore Written(bool sync, string key)
    {
        var store = new SimStore(Actor, sync, 10);
        Write(store, key);
        Assert.True(store.AddHintAsync("n2", Bytes(key), store.Get(Bytes(key))!, TestContext.Current.CancellationToken).Result);
        return store;
    }

    private static void Write(SimStore store, string key) =>
        Assert.True(store.UpdateAsync(Bytes(key), _ => KvObject.Of(OrSet.Empty.Add(Actor, [Bytes(key)])), TestContext.Current.CancellationToken).IsCompletedSuccessfully);
}
