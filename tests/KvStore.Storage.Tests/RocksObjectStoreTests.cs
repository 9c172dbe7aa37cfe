using System.Text;
using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Storage.Tests;

public sealed class RocksObjectStoreTests
{
    private static RocksObjectStore Open(string dir, string? nodeId = "n1", int maxBatch = 512, int maxObjectBytes = 1 << 20) =>
        RocksObjectStore.Open(new StorageOptions { DataDir = dir, MaxBatchSize = maxBatch, MaxObjectBytes = maxObjectBytes }, nodeId, "default-node", NullLogger.Instance);

    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    private static Func<KvObject?, KvObject?> Put(ActorId actor, string value) =>
        current => KvObject.Of((current?.Register ?? LwwRegister.Empty).Assign(actor, new HlcTimestamp(1, 0), Encoding.UTF8.GetBytes(value), null));

    private static string? Value(KvObject? o) => o?.Register?.Winner is { } w ? Encoding.UTF8.GetString(w.Value.Span) : null;

    [Fact]
    public async Task Written_objects_are_read_back_after_reopening_with_the_same_actor()
    {
        using var dir = new TempDir();
        ActorId actor;
        await using (var store = Open(dir.Path))
        {
            actor = store.Actor;
            var stored = await store.UpdateAsync(K("k"), Put(store.Actor, "v1"), TestContext.Current.CancellationToken);
            Assert.Equal("v1", Value(stored));
            Assert.Null(store.Get(K("missing")));
        }

        await using (var reopened = Open(dir.Path, nodeId: null))
        {
            Assert.Equal(actor, reopened.Actor);
            Assert.Equal("v1", Value(reopened.Get(K("k"))));
        }
    }

    [Fact]
    public async Task Updating_many_keys_at_once_reports_each_in_order_and_a_refused_key_fails_alone()
    {
        using var dir = new TempDir();
        var ct = TestContext.Current.CancellationToken;
        await using (var store = Open(dir.Path, maxObjectBytes: 256))
        {
            await store.UpdateAsync(K("b"), Put(store.Actor, "old"), ct);
            var keys = new[] { K("a"), K("b"), K("big"), K("c") };
            var outcomes = await store.UpdateManyAsync(
                keys,
                (i, current) => i switch
                {
                    1 => Put(store.Actor, Value(current) + "+new")(current),
                    2 => Put(store.Actor, new string('x', 300))(current),
                    _ => Put(store.Actor, $"v{i}")(current),
                },
                ct);

            Assert.Equal(["v0", "old+new", null, "v3"], outcomes.Select(o => Value(o.Object)));
            Assert.Null(outcomes[0].Error);
            Assert.Equal(RejectReason.LimitExceeded, Assert.IsType<MutationRejectedException>(outcomes[2].Error).Reason);
            Assert.Null(store.Get(K("big")));
            Assert.Empty(await store.UpdateManyAsync([], (_, _) => throw new InvalidOperationException("no keys, no calls"), ct));
        }

        await using (var reopened = Open(dir.Path))
        {
            Assert.Equal(["v0", "old+new", null, "v3"], new[] { "a", "b", "big", "c" }.Select(k => Value(reopened.Get(K(k)))));
        }
    }

    [Fact]
    public async Task A_new_data_directory_mints_a_new_epoch_for_the_same_node_id()
    {
        using var first = new TempDir();
        using var second = new TempDir();
        await using var a = Open(first.Path);
        await using var b = Open(second.Path);
        Assert.Equal("n1", a.Actor.Node);
        Assert.Equal("n1", b.Actor.Node);
        Assert.NotEqual(a.Actor.Epoch, b.Actor.Epoch);
    }

    [Fact]
    public async Task Without_a_configured_id_a_new_directory_takes_the_default()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path, nodeId: null);
        Assert.Equal("default-node", store.Actor.Node);
    }

    [Fact]
    public async Task Another_nodes_directory_is_refused()
    {
        using var dir = new TempDir();
        await Open(dir.Path, "n1").DisposeAsync();
        var e = Assert.Throws<StorageException>(() => Open(dir.Path, "n2"));
        Assert.Contains("belongs to node 'n1'", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_directory_in_use_is_refused()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        var e = Assert.Throws<StorageException>(() => Open(dir.Path));
        Assert.Contains("in use", e.Message, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Concurrent_updates_of_one_key_lose_nothing_and_share_batches()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        var key = K("set");
        var tasks = Enumerable.Range(0, 2000).Select(i => Task.Run(() => store.UpdateAsync(
            key,
            current => KvObject.Of((current?.Set ?? OrSet.Empty).Add(store.Actor, [BitConverter.GetBytes(i)])),
            TestContext.Current.CancellationToken)));
        await Task.WhenAll(tasks);
        var set = store.Get(key)!.Set!;
        Assert.Equal(2000, set.Count);
        Assert.Equal(2000UL, set.Clock[store.Actor]);
        Assert.Equal(2000, store.Stats.Writes);
        Assert.True(store.Stats.Batches < 2000, $"expected grouped commits, got {store.Stats.Batches} batches for 2000 writes");
    }

    [Fact]
    public async Task A_failing_update_fails_only_its_own_call()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path, maxBatch: 64);
        var ok = store.UpdateAsync(K("a"), Put(store.Actor, "fine"), TestContext.Current.CancellationToken);
        var bad = store.UpdateAsync(K("b"), _ => throw new MutationRejectedException(RejectReason.WrongType, "no"), TestContext.Current.CancellationToken);
        Assert.Equal("fine", Value(await ok));
        await Assert.ThrowsAsync<MutationRejectedException>(() => bad);
        Assert.Null(store.Get(K("b")));
    }

    [Fact]
    public async Task An_update_returning_null_stores_nothing_and_returns_the_current_object()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        Assert.Null(await store.UpdateAsync(K("k"), _ => null, TestContext.Current.CancellationToken));
        Assert.Equal(0, store.Stats.Writes);
    }

    [Fact]
    public async Task Updates_queued_before_dispose_are_finished_and_later_ones_refused()
    {
        using var dir = new TempDir();
        var store = Open(dir.Path);
        var pending = Enumerable.Range(0, 100).Select(i => store.UpdateAsync(K($"k{i}"), Put(store.Actor, "v"), TestContext.Current.CancellationToken)).ToArray();
        await store.DisposeAsync();
        await Task.WhenAll(pending);
        await Assert.ThrowsAsync<ObjectDisposedException>(() => store.UpdateAsync(K("late"), Put(store.Actor, "v"), TestContext.Current.CancellationToken));
        await using var reopened = Open(dir.Path);
        Assert.All(Enumerable.Range(0, 100), i => Assert.Equal("v", Value(reopened.Get(K($"k{i}")))));
    }

    [Fact]
    public async Task An_object_past_the_size_bound_is_refused_and_the_writer_keeps_serving()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path, maxObjectBytes: 4096);
        var small = await store.UpdateAsync(K("k"), Put(store.Actor, "small"), TestContext.Current.CancellationToken);
        var e = await Assert.ThrowsAsync<MutationRejectedException>(() =>
            store.UpdateAsync(K("k"), Put(store.Actor, new string('x', 5000)), TestContext.Current.CancellationToken));
        Assert.Equal(RejectReason.LimitExceeded, e.Reason);
        Assert.Contains("Storage:MaxObjectBytes", e.Message, StringComparison.Ordinal);
        Assert.Equal(small, store.Get(K("k")));
        Assert.Equal("next", Value(await store.UpdateAsync(K("k2"), Put(store.Actor, "next"), TestContext.Current.CancellationToken)));
        Assert.True(store.IsHealthy);
    }
}
