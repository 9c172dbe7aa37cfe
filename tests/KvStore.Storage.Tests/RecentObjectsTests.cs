using System.Text;
using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Storage.Tests;

public sealed class RecentObjectsTests
{
    private static readonly ActorId Actor = new("n1", 1);

    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    private static KvObject Register(string value, long physical = 1) =>
        KvObject.Of(LwwRegister.Empty.Assign(Actor, new HlcTimestamp(physical, 0), Encoding.UTF8.GetBytes(value), null));

    [Fact]
    public void The_least_recently_used_entry_goes_first_when_the_bytes_pass_the_capacity()
    {
        var cache = new RecentObjects(capacityBytes: 400);
        cache.Set(K("a"), Register("a"), 100, 0);
        cache.Set(K("b"), Register("b"), 100, 0);
        cache.Set(K("c"), Register("c"), 100, 0);
        Assert.True(cache.TryGet(K("a"), out _, out _)); // a is now the most recent

        cache.Set(K("d"), Register("d"), 100, 0);
        cache.Set(K("e"), Register("e"), 100, 0);

        Assert.False(cache.TryGet(K("b"), out _, out _));
        Assert.True(cache.TryGet(K("a"), out var a, out _));
        Assert.Equal(Register("a"), a);
        Assert.Equal(4, cache.Count);
        Assert.Equal(400, cache.Bytes);
    }

    [Fact]
    public void Setting_a_key_again_replaces_its_entry_and_its_size()
    {
        var cache = new RecentObjects(capacityBytes: 1000);
        cache.Set(K("a"), Register("old"), 100, 0);
        cache.Set(K("a"), Register("new", 2), 60, 0);
        Assert.Equal(1, cache.Count);
        Assert.Equal(60, cache.Bytes);
        Assert.True(cache.TryGet(K("a"), out var value, out _));
        Assert.Equal(Register("new", 2), value);
    }

    [Fact]
    public void An_object_over_a_quarter_of_the_capacity_is_not_kept_and_drops_an_older_copy()
    {
        var cache = new RecentObjects(capacityBytes: 1000);
        cache.Set(K("a"), Register("small"), 100, 0);
        cache.Set(K("a"), Register("large", 2), 251, 0);
        Assert.False(cache.TryGet(K("a"), out _, out _));
        Assert.Equal(0, cache.Bytes);
    }

    [Fact]
    public void A_zero_capacity_keeps_nothing()
    {
        var cache = new RecentObjects(capacityBytes: 0);
        cache.Set(K("a"), Register("a"), 1, 0);
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public async Task The_store_answers_the_same_with_and_without_the_cache()
    {
        // The same seeded history of puts, refused updates and reopenings, run on two stores that
        // differ only in the cache, must leave identical objects.
        var seed = Environment.TickCount;
        var results = new List<Dictionary<string, KvObject?>>();
        foreach (var cacheBytes in new long[] { 0, 4096 })
        {
            using var dir = new TempDir();
            var random = new Random(seed);
            var store = Open(dir.Path, cacheBytes);
            try
            {
                for (var round = 0; round < 3; round++)
                {
                    var writes = new List<Task>();
                    for (var i = 0; i < 300; i++)
                    {
                        var key = K("k" + random.Next(40));
                        var value = new string('v', random.Next(1, 200));
                        var physical = round * 1000 + i + 1;
                        var refuse = random.Next(10) == 0;
                        writes.Add(Quietly(store.UpdateAsync(key, current => refuse
                            ? throw new MutationRejectedException(RejectReason.LimitExceeded, "refused by the test")
                            : KvObject.Of((current?.Register ?? LwwRegister.Empty).Assign(Actor, new HlcTimestamp(physical, 0), Encoding.UTF8.GetBytes(value), current?.Register?.Clock)),
                            TestContext.Current.CancellationToken)));
                    }

                    await Task.WhenAll(writes);
                    await store.DisposeAsync();
                    store = Open(dir.Path, cacheBytes);
                }

                results.Add(Enumerable.Range(0, 40).ToDictionary(i => "k" + i, i => store.Get(K("k" + i))));
            }
            finally
            {
                await store.DisposeAsync();
            }
        }

        foreach (var (key, value) in results[0])
        {
            Assert.True(Equals(value, results[1][key]), $"key {key} differs with the cache (seed {seed})");
        }
    }

    private static RocksObjectStore Open(string dir, long cacheBytes) =>
        RocksObjectStore.Open(new StorageOptions { DataDir = dir, RecentObjectsBytes = cacheBytes }, "n1", "n1", NullLogger.Instance);

    private static async Task Quietly(Task task)
    {
        try
        {
            await task;
        }
        catch (MutationRejectedException)
        {
            // Refused on purpose: the object stays as it was.
        }
    }
}
