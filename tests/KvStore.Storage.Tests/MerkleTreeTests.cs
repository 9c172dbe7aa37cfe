using System.Text;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using KvStore.Core.Ring;
using KvStore.Core.Serialization;
using Microsoft.Extensions.Logging.Abstractions;
using RocksDbSharp;

namespace KvStore.Storage.Tests;

/// <summary>
/// The anti-entropy tree the writer maintains must equal, after any history of updates, the tree
/// built from scratch out of the objects stored: exactly, leaf by leaf and key by key, in memory
/// and on disk. Randomized; a failure names its seed, and MERKLE_SEED=SEED replays it.
/// </summary>
public sealed class MerkleTreeTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RocksObjectStore Open(string dir, int maxBatch = 512, long recentBytes = 32 << 20, long checkpointDeltas = 65_536) =>
        RocksObjectStore.Open(new StorageOptions { DataDir = dir, MaxBatchSize = maxBatch, RecentObjectsBytes = recentBytes, TreeCheckpointDeltas = checkpointDeltas }, "n1", "n1", NullLogger.Instance);

    private static IEnumerable<int> Seeds() =>
        Environment.GetEnvironmentVariable("MERKLE_SEED") is { Length: > 0 } replay
            ? [int.Parse(replay, System.Globalization.CultureInfo.InvariantCulture)]
            : Enumerable.Range(0, 4).Select(_ => Random.Shared.Next());

    [Fact]
    public async Task After_any_history_of_updates_the_tree_equals_a_rebuild_from_the_objects()
    {
        foreach (var seed in Seeds())
        {
            try
            {
                await RunHistoryAsync(seed);
            }
            catch (Exception e) when (e is not OperationCanceledException)
            {
                throw new InvalidOperationException($"failed with seed {seed} (replay: MERKLE_SEED={seed} dotnet test --project tests/KvStore.Storage.Tests): {e.Message}", e);
            }
        }
    }

    private static async Task RunHistoryAsync(int seed)
    {
        var rng = new Random(seed);
        using var dir = new TempDir();
        var keys = Enumerable.Range(0, rng.Next(5, 400)).Select(i => Encoding.UTF8.GetBytes($"key-{i}-{rng.Next()}")).ToArray();
        var registers = keys.Where(_ => rng.Next(2) == 0).ToHashSet(ByteOrder.Instance);
        // The tree's log is checkpointed every few changes, or (often) never in this history.
        var checkpointDeltas = rng.Next(2) == 0 ? rng.Next(1, 200) : 65_536;
        var maxBatch = rng.Next(1, 64);
        RocksObjectStore written;
        await using (var store = Open(dir.Path, maxBatch, recentBytes: rng.Next(3) == 0 ? 0 : rng.Next(1, 4) * 2048, checkpointDeltas))
        {
            written = store;
            for (var round = 0; round < 8; round++)
            {
                // Many updates in flight at once, so the writer groups them, often the same key twice in a group.
                // Some go into one UpdateManyAsync item instead, which the writer stages among the others.
                var pending = new List<Task>();
                var manyKeys = new List<byte[]>();
                var manyUpdates = new List<Func<KvObject?, KvObject?>>();
                var manyRefused = new List<bool>();
                for (var i = rng.Next(1, 300); i > 0; i--)
                {
                    var key = keys[rng.Next(keys.Length)];
                    var choice = rng.Next(12);
                    var value = rng.Next(1000);
                    if (choice == 11)
                    {
                        // Collect the tombstone as it is now; an update queued before it in the same group makes it refuse.
                        if (store.Get(key) is { IsLive: false } tombstone)
                        {
                            pending.Add(store.CollectAsync(key, tombstone, Ct));
                        }

                        continue;
                    }

                    Func<KvObject?, KvObject?> update = choice switch
                    {
                        0 => _ => null,
                        10 => current => current is null ? null : current.Register is { } r ? KvObject.Of(r.Clear(null)) : KvObject.Of(current.Set!.Clear(null)),
                        1 => _ => throw new MutationRejectedException(RejectReason.LimitExceeded, "refused on purpose"),
                        _ when registers.Contains(key) => current => KvObject.Of((current?.Register ?? LwwRegister.Empty)
                            .Assign(store.Actor, new HlcTimestamp(1000 + round, (uint)value), BitConverter.GetBytes(value), null)),
                        _ when choice < 8 => current => KvObject.Of((current?.Set ?? OrSet.Empty).Add(store.Actor, [BitConverter.GetBytes(value % 7)])),
                        _ => current => KvObject.Of((current?.Set ?? OrSet.Empty).Remove([BitConverter.GetBytes(value % 7)], null)),
                    };
                    if (rng.Next(3) == 0)
                    {
                        manyKeys.Add(key);
                        manyUpdates.Add(update);
                        manyRefused.Add(choice == 1);
                        continue;
                    }

                    pending.Add(store.UpdateAsync(key, update, Ct));
                }

                var many = store.UpdateManyAsync(manyKeys, (i, current) => manyUpdates[i](current), Ct);

                foreach (var task in pending)
                {
                    try
                    {
                        await task;
                    }
                    catch (MutationRejectedException)
                    {
                        // The refused ones fail alone.
                    }
                }

                var outcomes = await many;
                Assert.Equal(manyKeys.Count, outcomes.Length);
                for (var i = 0; i < outcomes.Length; i++)
                {
                    // Each key of the item succeeds or fails on its own.
                    Assert.Equal(manyRefused[i], outcomes[i].Error is MutationRejectedException);
                    Assert.True(manyRefused[i] || outcomes[i].Error is null, outcomes[i].Error?.ToString());
                }

                AssertTreeIsExact(store, keys);
                AssertTombstonesIndexed(store, keys);
                // The last group's checkpoint may still be under way: it runs after its callers are answered.
                var bound = checkpointDeltas + maxBatch + manyKeys.Count;
                Assert.True(store.TreeLogDeltas < bound, $"{store.TreeLogDeltas} leaf changes logged, checkpoint due at {checkpointDeltas} (at most {bound} after a group)");
            }

        }

        // Read once the store is closed, after the writer's last checkpoint.
        var logged = written.TreeLogDeltas;

        // Reopened: the stored tree is current, not rebuilt; the log since the checkpoint is replayed.
        await using (var store = Open(dir.Path))
        {
            Assert.Equal(-1, store.TreeBuiltFrom);
            Assert.Equal(logged, store.TreeLogDeltas);
            AssertTreeIsExact(store, keys);
        }

        // As an older directory without the tree or the tombstone index: built at open, to the same tree and index.
        ForgetTree(dir.Path);
        await using (var store = Open(dir.Path))
        {
            Assert.Equal(keys.Count(k => store.Get(k) is not null), store.TreeBuiltFrom);
            AssertTreeIsExact(store, keys);
            AssertTombstonesIndexed(store, keys);
        }
    }

    [Fact]
    public async Task Range_hashes_and_listings_cover_exactly_the_keys_in_the_interval()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        var keys = Enumerable.Range(0, 300).Select(i => Encoding.UTF8.GetBytes($"k{i}")).ToArray();
        await Task.WhenAll(keys.Select(k => store.UpdateAsync(k, _ => KvObject.Of(OrSet.Empty.Add(store.Actor, [k])), Ct)));
        var expected = Expected(store, keys);
        var rng = new Random(5);
        for (var i = 0; i < 50; i++)
        {
            var a = (ulong)rng.NextInt64() * 2;
            var b = (ulong)rng.NextInt64() * 2;
            var interval = new HashInterval(Math.Min(a, b), Math.Max(a, b));
            var inside = expected.Where(e => interval.Contains(e.Position)).ToList();
            Assert.Equal(inside.Aggregate(0UL, (h, e) => h ^ e.Hash), store.RangeHash(interval));
            Assert.Equal(inside.Select(e => e.Hash), store.ListKeyHashes(interval, null, 1000).Select(e => e.Hash));
            if (inside.Count > 2)
            {
                Assert.Equal(inside.Skip(2).Take(3).Select(e => e.Hash), store.ListKeyHashes(interval, inside[1].Key, 3).Select(e => e.Hash));
            }
        }
    }

    /// <summary>What the tree should be, computed from the stored objects alone.</summary>
    private static List<KeyHash> Expected(RocksObjectStore store, IEnumerable<byte[]> keys) =>
        keys.Select(k => (Key: k, Object: store.Get(k)))
            .Where(p => p.Object is not null)
            .Select(p => new KeyHash(p.Key, HashRing.KeyHash(p.Key), ObjectHash.Of(p.Key, ObjectCodec.Encode(p.Object!))))
            .OrderBy(e => e.Position).ThenBy(e => e.Key, ByteOrder.Instance)
            .ToList();

    private static void AssertTreeIsExact(RocksObjectStore store, IEnumerable<byte[]> keys)
    {
        var expected = Expected(store, keys);
        var listed = store.ListKeyHashes(HashInterval.Full, null, int.MaxValue);
        Assert.Equal(expected.Select(e => (Convert.ToHexString(e.Key), e.Position, e.Hash)), listed.Select(e => (Convert.ToHexString(e.Key), e.Position, e.Hash)));

        var leaves = new ulong[Segments.Count];
        foreach (var e in expected)
        {
            leaves[Segments.Of(e.Position)] ^= e.Hash;
        }

        for (var segment = 0; segment < Segments.Count; segment++)
        {
            if (store.NodeHash(Segments.LeafDepth, segment) != leaves[segment])
            {
                Assert.Fail($"leaf {segment} holds {store.NodeHash(Segments.LeafDepth, segment):x16}, the objects say {leaves[segment]:x16}");
            }
        }

        for (var depth = Segments.LeafDepth - 1; depth >= 0; depth--)
        {
            for (var node = 0; node < Segments.NodesAt(depth); node++)
            {
                var children = 0UL;
                for (var c = 0; c < Segments.FanOut; c++)
                {
                    children ^= store.NodeHash(depth + 1, (node * Segments.FanOut) + c);
                }

                Assert.Equal(children, store.NodeHash(depth, node));
            }
        }
    }

    /// <summary>The tombstone index lists exactly the keys whose stored object is a tombstone, in key order, and pages from any key.</summary>
    private static void AssertTombstonesIndexed(RocksObjectStore store, IEnumerable<byte[]> keys)
    {
        var expected = keys.Where(k => store.Get(k) is { IsLive: false }).Order(ByteOrder.Instance).Select(Convert.ToHexString).ToList();
        var listed = store.ListTombstones(null, int.MaxValue);
        Assert.Equal(expected, listed.Select(Convert.ToHexString));
        if (listed.Count > 1)
        {
            Assert.Equal(expected.Skip(1).Take(2), store.ListTombstones(listed[0], 2).Select(Convert.ToHexString));
        }
    }

    /// <summary>Turns the directory into one written before anti-entropy and tombstone collection: no tree or tombstone families, no markers.</summary>
    private static void ForgetTree(string path)
    {
        var families = new ColumnFamilies();
        foreach (var name in RocksDb.ListColumnFamilies(new DbOptions(), path))
        {
            families.Add(name, new ColumnFamilyOptions());
        }

        using var db = RocksDb.Open(new DbOptions(), path, families);
        db.DropColumnFamily(MerkleLayout.PositionsFamily);
        db.DropColumnFamily(MerkleLayout.SegmentsFamily);
        db.DropColumnFamily(RocksObjectStore.TombstonesFamily);
        db.Remove(Encoding.UTF8.GetBytes(MerkleLayout.FormatName), db.GetColumnFamily(RocksObjectStore.MetaFamily));
        db.Remove(Encoding.UTF8.GetBytes(RocksObjectStore.TombstoneIndexName), db.GetColumnFamily(RocksObjectStore.MetaFamily));
    }
}
