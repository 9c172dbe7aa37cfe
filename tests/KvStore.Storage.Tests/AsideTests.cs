using System.Text;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Storage.Tests;

/// <summary>
/// What a directory set aside after a long absence keeps for the decision about it: the time of
/// the latest collection the node took part in, the pending mark (surviving restarts), and the
/// set-aside data itself, readable page by page.
/// </summary>
public sealed class AsideTests
{
    private static readonly DateTimeOffset T0 = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);
    private static readonly TimeSpan Horizon = TimeSpan.FromMinutes(30);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static StorageOptions Options(string dir) => new() { DataDir = dir };

    private static RocksObjectStore Open(string dir) => RocksObjectStore.Open(Options(dir), "n1", "n1", NullLogger.Instance);

    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    [Fact]
    public async Task The_latest_collection_is_kept_across_restarts_and_an_earlier_one_does_not_replace_it()
    {
        using var dir = new TempDir();
        await using (var store = Open(dir.Path))
        {
            Assert.Null(store.LastCollection);
            store.RecordCollection(T0);
            store.RecordCollection(T0 - TimeSpan.FromMinutes(5));
            Assert.Equal(T0, store.LastCollection);
        }

        await using (var store = Open(dir.Path))
        {
            Assert.Equal(T0, store.LastCollection);
            Assert.Null(store.AsidePendingSince);
        }
    }

    [Fact]
    public async Task Data_set_aside_stays_readable_and_pending_until_decided_even_if_the_node_is_away_again_meanwhile()
    {
        using var dir = new TempDir();
        var aside = RocksObjectStore.AsideDirectory(Options(dir.Path));
        try
        {
            var keys = Enumerable.Range(0, 25).Select(i => K($"k{i:D2}")).ToList();
            await using (var store = Open(dir.Path))
            {
                foreach (var key in keys)
                {
                    var obj = KvObject.Of(LwwRegister.Empty.Assign(store.Actor, new HlcTimestamp(1, 0), key, null));
                    await store.UpdateAsync(key, _ => obj, Ct);
                }

                Assert.True(await store.AddHintAsync("n2", K("hinted"), store.Get(keys[0])!, Ct));
                store.RecordCollection(T0 - TimeSpan.FromHours(1));
                store.MarkAlive(T0, ringMembers: 3);
            }

            Assert.NotNull(RocksObjectStore.DiscardIfAwayLongerThan(Options(dir.Path), Horizon, T0 + TimeSpan.FromDays(2), NullLogger.Instance));
            await using (var store = Open(dir.Path))
            {
                Assert.Null(store.Get(keys[0]));
                Assert.Equal(T0, store.AsidePendingSince);
                Assert.Equal(3, store.AsidePendingRingMembers);
                Assert.Equal(T0 - TimeSpan.FromHours(1), store.LastCollection);

                // Away again before deciding: marked alive at start, then stopped for longer than the horizon.
                await store.UpdateAsync(K("later"), _ => KvObject.Of(LwwRegister.Empty.Assign(store.Actor, new HlcTimestamp(2, 0), K("x"), null)), Ct);
                store.MarkAlive(T0 + TimeSpan.FromDays(2), ringMembers: 3);
            }

            Assert.NotNull(RocksObjectStore.DiscardIfAwayLongerThan(Options(dir.Path), Horizon, T0 + TimeSpan.FromDays(4), NullLogger.Instance));
            await using (var store = Open(dir.Path))
            {
                // The first set-aside data and its mark still wait; the later data is not put in their place.
                Assert.Equal(T0, store.AsidePendingSince);
                using (var data = RocksObjectStore.OpenAside(Options(dir.Path)))
                {
                    var read = new List<byte[]>();
                    byte[]? after = null;
                    while (data.Objects(after, 10) is { Count: > 0 } page)
                    {
                        Assert.True(page.Count <= 10);
                        read.AddRange(page.Select(p => p.Key));
                        Assert.All(page, p => Assert.Equal(p.Key, p.Object.Register!.Winner!.Value.Value.ToArray()));
                        after = page[^1].Key;
                    }

                    Assert.Equal(keys.Select(Convert.ToHexString), read.Select(Convert.ToHexString));
                    var hints = data.Hints(null, 10);
                    Assert.Equal(("n2", "hinted"), (hints.Single().Hint.Target, Encoding.UTF8.GetString(hints.Single().Hint.Key)));
                    Assert.Empty(data.Hints(hints[0].StoredKey, 10));
                    Assert.True(data.EstimatedCount > 0);
                }

                store.ClearAsidePending();
            }

            await using (var store = Open(dir.Path))
            {
                Assert.Null(store.AsidePendingSince);
            }
        }
        finally
        {
            if (Directory.Exists(aside))
            {
                Directory.Delete(aside, recursive: true);
            }
        }
    }
}
