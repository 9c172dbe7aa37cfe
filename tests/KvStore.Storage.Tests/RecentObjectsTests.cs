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

    private static byte[] Bytes(int length, byte fill) => Enumerable.Repeat(fill, length).ToArray();

    private static (byte[] Encoded, ulong Hash)? Get(RecentObjects cache, byte[] key) =>
        cache.TryGet(key, out var encoded, out var hash) ? (encoded.ToArray(), hash) : null;

    [Fact]
    public void A_key_reads_back_the_object_and_hash_last_set_for_it()
    {
        var cache = new RecentObjects(capacityBytes: 4096);
        cache.Set(K("a"), Bytes(30, 1), 11);
        cache.Set(K("b"), Bytes(5, 2), 22);
        cache.Set(K("a"), Bytes(50, 3), 33);

        Assert.Equal(2, cache.Count);
        var a = Get(cache, K("a"));
        Assert.NotNull(a);
        Assert.Equal(Bytes(50, 3), a.Value.Encoded);
        Assert.Equal(33UL, a.Value.Hash);
        Assert.Equal(Bytes(5, 2), Get(cache, K("b"))!.Value.Encoded);
        Assert.Null(Get(cache, K("c")));
    }

    [Fact]
    public void A_key_written_again_at_its_size_stays_in_its_place_and_the_oldest_place_goes_first()
    {
        // Each record is 16 bytes of header, a 1-byte key and 47 bytes of object: 64 bytes, so a
        // 256-byte ring holds four.
        var cache = new RecentObjects(capacityBytes: 256);
        cache.Set(K("a"), Bytes(47, 1), 1);
        cache.Set(K("b"), Bytes(47, 2), 2);
        cache.Set(K("c"), Bytes(47, 3), 3);
        cache.Set(K("a"), Bytes(41, 4), 4); // 41 bytes pad to the same 64: written over in place
        Assert.Equal(192, cache.Bytes);

        cache.Set(K("d"), Bytes(47, 5), 5);
        Assert.Equal(4, cache.Count);
        Assert.Equal(256, cache.Bytes);
        Assert.Equal(Bytes(41, 4), Get(cache, K("a"))!.Value.Encoded);
        Assert.Equal(4UL, Get(cache, K("a"))!.Value.Hash);

        cache.Set(K("e"), Bytes(47, 6), 6); // a's place is the oldest, however recently it was written
        Assert.Null(Get(cache, K("a")));
        Assert.Equal(Bytes(47, 2), Get(cache, K("b"))!.Value.Encoded);
        Assert.Equal(4, cache.Count);
        Assert.Equal(256, cache.Bytes);
    }

    [Fact]
    public void A_key_written_again_at_another_size_moves_to_the_newest_end()
    {
        var cache = new RecentObjects(capacityBytes: 320);
        cache.Set(K("a"), Bytes(47, 1), 1);
        cache.Set(K("b"), Bytes(47, 2), 2);
        cache.Set(K("c"), Bytes(47, 3), 3);
        cache.Set(K("a"), Bytes(48, 4), 4); // 72 bytes: appended, and a's first record is dead
        Assert.Equal(264, cache.Bytes);
        Assert.Equal(3, cache.Count);

        cache.Set(K("d"), Bytes(47, 5), 5); // skips the 56 bytes at the end; drops only a's dead record
        Assert.Equal(4, cache.Count);
        Assert.Equal(Bytes(47, 2), Get(cache, K("b"))!.Value.Encoded);

        cache.Set(K("e"), Bytes(47, 6), 6); // drops b
        Assert.Null(Get(cache, K("b")));
        Assert.Equal(Bytes(48, 4), Get(cache, K("a"))!.Value.Encoded);
        Assert.Equal(4UL, Get(cache, K("a"))!.Value.Hash);
        Assert.Equal(4, cache.Count);
    }

    [Fact]
    public void An_object_over_a_quarter_of_the_capacity_is_not_kept_and_drops_an_older_copy()
    {
        var cache = new RecentObjects(capacityBytes: 1000);
        cache.Set(K("a"), Bytes(100, 1), 0);
        cache.Set(K("a"), Bytes(251, 2), 0);
        Assert.Null(Get(cache, K("a")));
        Assert.Equal(0, cache.Count);
    }

    [Fact]
    public void A_zero_capacity_keeps_nothing()
    {
        var cache = new RecentObjects(capacityBytes: 0);
        cache.Set(K("a"), Bytes(1, 1), 0);
        Assert.Equal(0, cache.Count);
        Assert.Null(Get(cache, K("a")));
    }

    [Fact]
    public void Removed_and_cleared_keys_are_gone_and_the_ring_takes_new_writes_after()
    {
        var cache = new RecentObjects(capacityBytes: 512);
        cache.Set(K("a"), Bytes(10, 1), 1);
        cache.Set(K("b"), Bytes(10, 2), 2);
        cache.Remove(K("a"));
        Assert.Null(Get(cache, K("a")));
        Assert.Equal(1, cache.Count);

        cache.Clear();
        Assert.Equal(0, cache.Count);
        Assert.Null(Get(cache, K("b")));
        cache.Set(K("b"), Bytes(10, 3), 3);
        Assert.Equal(Bytes(10, 3), Get(cache, K("b"))!.Value.Encoded);
    }

    [Fact]
    public void A_seeded_history_of_writes_and_removals_matches_a_model_of_the_ring()
    {
        // The model keeps every key's latest write with the ring position of its record, computed
        // independently: a write at the held record's size keeps that position, any other appends.
        // A key is held exactly when its record still lies within the last `capacity` bytes of
        // the ring, counting the gaps left at the ring's end.
        var seed = int.TryParse(Environment.GetEnvironmentVariable("RECENT_SEED"), out var s) ? s : Environment.TickCount;
        var random = new Random(seed);
        foreach (var capacity in new[] { 1024, 4096, 200_000 })
        {
            var cache = new RecentObjects(capacity);
            var model = new Dictionary<string, (byte[] Encoded, ulong Hash, long End)>();
            long head = 0;
            var ringLength = 0L;
            for (var step = 0; step < 20_000; step++)
            {
                var key = "k" + random.Next(random.Next(2) == 0 ? 8 : 300);
                if (random.Next(20) == 0)
                {
                    cache.Remove(K(key));
                    model.Remove(key);
                }
                else
                {
                    // Half the writes of a held key keep its length, so that many are written in place.
                    var length = model.TryGetValue(key, out var prior) && random.Next(2) == 0 ? prior.Encoded.Length : random.Next(0, capacity / 8);
                    var encoded = Bytes(length, (byte)random.Next(256));
                    var hash = (ulong)random.NextInt64();
                    cache.Set(K(key), encoded, hash);
                    var size = RecordSize(key, encoded);
                    if (size > capacity / 4)
                    {
                        model.Remove(key);
                    }
                    else if (model.ContainsKey(key) && RecordSize(key, prior.Encoded) == size)
                    {
                        // Written over in place: the key keeps its place in the ring.
                        model[key] = (encoded, hash, prior.End);
                    }
                    else
                    {
                        // The ring grows by doubling from 64 KiB (or is the capacity if smaller)
                        // until the capacity, and wraps only once it is that large.
                        while (ringLength < capacity && head + size > ringLength)
                        {
                            ringLength = Math.Min(capacity, Math.Max(64 * 1024, ringLength * 2));
                        }

                        var start = head;
                        if (ringLength - head % ringLength < size)
                        {
                            start += ringLength - head % ringLength;
                        }

                        head = start + size;
                        model[key] = (encoded, hash, head);
                    }
                }

                foreach (var gone in model.Where(e => head - e.Value.End > ringLength - RecordSize(e.Key, e.Value.Encoded)).Select(e => e.Key).ToList())
                {
                    model.Remove(gone);
                }

                if (step % 97 == 0 || step == 19_999)
                {
                    Assert.True(model.Count == cache.Count, $"capacity {capacity}, step {step}: {cache.Count} keys held, the model {model.Count} (seed {seed}, replay with RECENT_SEED={seed})");
                    foreach (var (k, (encoded, hash, _)) in model)
                    {
                        var held = Get(cache, K(k));
                        Assert.True(held is not null && held.Value.Encoded.AsSpan().SequenceEqual(encoded) && held.Value.Hash == hash,
                            $"capacity {capacity}, step {step}: key {k} differs (seed {seed}, replay with RECENT_SEED={seed})");
                    }
                }
            }
        }
    }

    private static long RecordSize(string key, byte[] encoded) => (16 + K(key).Length + encoded.Length + 7) & ~7;

    [Fact]
    public async Task The_store_answers_the_same_with_and_without_the_cache()
    {
        // The same seeded history of puts, refused updates and reopenings, run on two stores that
        // differ only in the cache, must leave identical objects.
        var seed = int.TryParse(Environment.GetEnvironmentVariable("RECENT_SEED"), out var s) ? s : Environment.TickCount;
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
            Assert.True(Equals(value, results[1][key]), $"key {key} differs with the cache (seed {seed}, replay with RECENT_SEED={seed})");
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
