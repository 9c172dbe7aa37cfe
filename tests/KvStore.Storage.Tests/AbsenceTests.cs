using System.Text;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Storage.Tests;

/// <summary>A data directory away longer than the tombstone horizon gives up its data and comes back as a new incarnation.</summary>
public sealed class AbsenceTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Horizon = TimeSpan.FromMinutes(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StorageOptions Options(string dir) => new() { DataDir = dir };

    private static RocksObjectStore Open(string dir) => RocksObjectStore.Open(Options(dir), "n1", "n1", NullLogger.Instance);

    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    private static async Task FillAsync(RocksObjectStore store)
    {
        var obj = KvObject.Of(LwwRegister.Empty.Assign(store.Actor, new HlcTimestamp(1, 0), K("v"), null));
        await store.UpdateAsync(K("live"), _ => obj, Ct);
        await store.UpdateAsync(K("dead"), _ => KvObject.Of(obj.Register!.Clear(null)), Ct);
        Assert.True(await store.AddHintAsync("n2", K("hinted"), obj, Ct));
        store.WriteMeta("node-identity", [7, 7]);
    }

    [Fact]
    public async Task A_directory_away_longer_than_the_horizon_is_emptied_and_gets_a_new_epoch_keeping_its_node_id_and_identity()
    {
        using var dir = new TempDir();
        using var cleanup = new AsideCleanup(RocksObjectStore.AsideDirectory(Options(dir.Path)));
        Core.Causality.ActorId before;
        await using (var store = Open(dir.Path))
        {
            before = store.Actor;
            await FillAsync(store);
            store.MarkAlive(T0, ringMembers: 3);
            Assert.Equal(T0, store.LastAlive);
        }

        Assert.Null(RocksObjectStore.DiscardIfAwayLongerThan(Options(dir.Path), Horizon, T0 + Horizon, NullLogger.Instance));
        await using (var store = Open(dir.Path))
        {
            Assert.Equal(before, store.Actor);
            Assert.NotNull(store.Get(K("live")));
        }

        Assert.Equal(Horizon + TimeSpan.FromSeconds(1), RocksObjectStore.DiscardIfAwayLongerThan(Options(dir.Path), Horizon, T0 + Horizon + TimeSpan.FromSeconds(1), NullLogger.Instance));
        await using (var store = Open(dir.Path))
        {
            Assert.Equal(before.Node, store.Actor.Node);
            Assert.NotEqual(before.Epoch, store.Actor.Epoch);
            Assert.Null(store.Get(K("live")));
            Assert.Null(store.Get(K("dead")));
            Assert.Empty(store.HintCounts);
            Assert.Empty(store.ListTombstones(null, 10));
            Assert.Empty(store.ListKeyHashes(Core.AntiEntropy.HashInterval.Full, null, 10));
            Assert.Equal(0UL, store.NodeHash(0, 0));
            Assert.Null(store.LastAlive);
            Assert.Equal([7, 7], store.ReadMeta("node-identity")!);

            // The old data is kept aside, readable as it was.
            await using (var aside = RocksObjectStore.Open(new StorageOptions { DataDir = RocksObjectStore.AsideDirectory(Options(dir.Path)) }, "n1", "n1", NullLogger.Instance))
            {
                Assert.Equal(before, aside.Actor);
                Assert.NotNull(aside.Get(K("live")));
            }

            // It works as a fresh store.
            await FillAsync(store);
            Assert.Equal([K("dead")], store.ListTombstones(null, 10));
        }
    }

    [Fact]
    public async Task A_directory_last_marked_as_the_only_ring_member_keeps_its_data_however_long_it_was_away()
    {
        using var dir = new TempDir();
        await using (var store = Open(dir.Path))
        {
            await FillAsync(store);
            store.MarkAlive(T0, ringMembers: 1);

            // A mark at start, before joining, keeps the count seen before.
            store.MarkAlive(T0, ringMembers: null);
        }

        Assert.Null(RocksObjectStore.DiscardIfAwayLongerThan(Options(dir.Path), Horizon, T0 + TimeSpan.FromDays(30), NullLogger.Instance));
        await using (var store = Open(dir.Path))
        {
            Assert.NotNull(store.Get(K("live")));
            store.MarkAlive(T0, ringMembers: 2);
            store.MarkAlive(T0, ringMembers: null);
        }

        Assert.NotNull(RocksObjectStore.DiscardIfAwayLongerThan(Options(dir.Path), Horizon, T0 + TimeSpan.FromDays(30), NullLogger.Instance));
        Directory.Delete(RocksObjectStore.AsideDirectory(Options(dir.Path)), recursive: true);
    }

    [Fact]
    public async Task A_directory_never_marked_alive_or_missing_is_left_alone()
    {
        using var dir = new TempDir();
        Assert.Null(RocksObjectStore.DiscardIfAwayLongerThan(Options(dir.Path), Horizon, T0, NullLogger.Instance));
        await using (var store = Open(dir.Path))
        {
            await FillAsync(store);
        }

        Assert.Null(RocksObjectStore.DiscardIfAwayLongerThan(Options(dir.Path), Horizon, T0 + TimeSpan.FromDays(365), NullLogger.Instance));
        await using (var store = Open(dir.Path))
        {
            Assert.NotNull(store.Get(K("live")));
        }
    }

    private sealed class AsideCleanup(string path) : IDisposable
    {
        public void Dispose()
        {
            if (Directory.Exists(path))
            {
                Directory.Delete(path, recursive: true);
            }
        }
    }
}
