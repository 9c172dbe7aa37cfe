using System.Text;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Storage.Tests;

/// <summary>The tombstone index and the conditional removal of a tombstone (collection).</summary>
public sealed class TombstoneStoreTests
{
    private static readonly ObjectLimits Limits = new(1000, 64);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RocksObjectStore Open(string dir) =>
        RocksObjectStore.Open(new StorageOptions { DataDir = dir }, "n1", "n1", NullLogger.Instance);

    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    private static Func<KvObject?, KvObject?> Apply(RocksObjectStore store, Mutation mutation) =>
        current => MutationRules.Apply(current, mutation, store.Actor, new HlcTimestamp(1, 0), Limits, store.CollectedCounter);

    [Fact]
    public async Task A_collected_tombstone_leaves_no_object_index_entry_or_hash_and_stays_gone_after_reopening()
    {
        using var dir = new TempDir();
        var key = K("k");
        await using (var store = Open(dir.Path))
        {
            await store.UpdateAsync(key, Apply(store, new Mutation.Put(K("v"), null)), Ct);
            await store.UpdateAsync(key, Apply(store, new Mutation.Put(K("w"), null)), Ct);
            Assert.Empty(store.ListTombstones(null, 10));
            var tombstone = await store.UpdateAsync(key, Apply(store, new Mutation.Delete(null)), Ct);
            Assert.False(tombstone!.IsLive);
            Assert.Equal([key], store.ListTombstones(null, 10));
            Assert.NotEqual(0UL, store.NodeHash(0, 0));

            Assert.True(await store.CollectAsync(key, tombstone, Ct));

            Assert.Null(store.Get(key));
            Assert.Empty(store.ListTombstones(null, 10));
            Assert.Empty(store.ListKeyHashes(HashInterval.Full, null, 10));
            Assert.Equal(0UL, store.NodeHash(0, 0));
            Assert.Equal(2UL, store.CollectedCounter);
            Assert.False(await store.CollectAsync(key, tombstone, Ct));
        }

        await using (var reopened = Open(dir.Path))
        {
            Assert.Null(reopened.Get(key));
            Assert.Empty(reopened.ListTombstones(null, 10));
            Assert.Equal(0UL, reopened.NodeHash(0, 0));
            Assert.Equal(2UL, reopened.CollectedCounter);
        }
    }

    [Fact]
    public async Task A_write_that_landed_after_the_collector_looked_is_kept()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        var key = K("s");
        await store.UpdateAsync(key, Apply(store, new Mutation.SetAdd([K("a")])), Ct);
        var tombstone = await store.UpdateAsync(key, Apply(store, new Mutation.SetRemove([K("a")], null)), Ct);
        Assert.Equal([key], store.ListTombstones(null, 10));

        // The add and the removal are queued together; the add comes first, so the removal finds another object.
        var add = store.UpdateAsync(key, Apply(store, new Mutation.SetAdd([K("b")])), Ct);
        var collect = store.CollectAsync(key, tombstone!, Ct);
        await add;

        Assert.False(await collect);
        Assert.True(store.Get(key)!.Set!.Contains(K("b")));
        Assert.Empty(store.ListTombstones(null, 10));
        await Assert.ThrowsAsync<ArgumentException>(() => store.CollectAsync(key, store.Get(key)!, Ct));
    }

    [Fact]
    public async Task A_key_written_again_after_collection_counts_past_the_collected_tombstone()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        var key = K("r");
        for (var i = 0; i < 5; i++)
        {
            await store.UpdateAsync(key, Apply(store, new Mutation.Put(K($"old{i}"), null)), Ct);
        }

        var tombstone = (await store.UpdateAsync(key, Apply(store, new Mutation.Delete(null)), Ct))!;
        Assert.True(await store.CollectAsync(key, tombstone, Ct));

        var fresh = (await store.UpdateAsync(key, Apply(store, new Mutation.Put(K("new"), null)), Ct))!;

        // A copy of the old tombstone that was still travelling (an anti-entropy repair, say) must not swallow the new write.
        var merged = fresh.Merge(tombstone);
        Assert.Equal("new", Encoding.UTF8.GetString(merged.Register!.Winner!.Value.Value.Span));
        Assert.True(fresh.Clock[store.Actor] > tombstone.Clock[store.Actor]);
    }
}
