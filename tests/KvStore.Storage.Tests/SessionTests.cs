using System.Text;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using Microsoft.Extensions.Logging.Abstractions;
using RocksDbSharp;

namespace KvStore.Storage.Tests;

/// <summary>
/// A directory left open when the machine went down, with writes acknowledged before fsync, may
/// have lost some of them; it comes back as a new epoch so that it never mints their counters again.
/// </summary>
public sealed class SessionTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RocksObjectStore Open(string dir, bool sync, string? bootId) =>
        RocksObjectStore.OpenOnBoot(new StorageOptions { DataDir = dir, Sync = sync }, "n1", "n1", NullLogger.Instance, bootId);

    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    /// <summary>Writes the session mark a run leaves behind when it never closes the store (killed, or the machine went down).</summary>
    private static void LeaveOpenSession(string dir, string bootId)
    {
        var families = new ColumnFamilies();
        foreach (var name in RocksDb.ListColumnFamilies(new DbOptions(), dir))
        {
            families.Add(name, new ColumnFamilyOptions());
        }

        using var db = RocksDb.Open(new DbOptions(), dir, families);
        db.Put(K(RocksObjectStore.SessionName), K(bootId), db.GetColumnFamily(RocksObjectStore.MetaFamily));
    }

    private static async Task<Core.Causality.ActorId> CreateAsync(string dir, bool sync)
    {
        await using var store = Open(dir, sync, "boot-1");
        await store.UpdateAsync(K("k"), _ => KvObject.Of(LwwRegister.Empty.Assign(store.Actor, new HlcTimestamp(1, 0), K("v"), null)), Ct);
        return store.Actor;
    }

    [Fact]
    public async Task A_store_closed_cleanly_keeps_its_epoch_across_a_reboot()
    {
        using var dir = new TempDir();
        var actor = await CreateAsync(dir.Path, sync: false);

        await using var reopened = Open(dir.Path, sync: false, "boot-2");
        Assert.Equal(actor, reopened.Actor);
    }

    [Fact]
    public async Task A_store_left_open_by_an_earlier_boot_without_fsync_continues_as_a_new_epoch_with_its_data()
    {
        using var dir = new TempDir();
        var actor = await CreateAsync(dir.Path, sync: false);
        LeaveOpenSession(dir.Path, "boot-1");

        await using (var reopened = Open(dir.Path, sync: false, "boot-2"))
        {
            Assert.Equal(actor.Node, reopened.Actor.Node);
            Assert.NotEqual(actor.Epoch, reopened.Actor.Epoch);
            var entries = reopened.Get(K("k"))!.Register!.Entries;
            Assert.Equal(1, entries.Length);
            Assert.Equal(K("v"), entries[0].Value.ToArray());
        }

        // The new epoch is the directory's from now on, not only for the run that minted it.
        await using var again = Open(dir.Path, sync: false, "boot-2");
        Assert.NotEqual(actor.Epoch, again.Actor.Epoch);
    }

    [Fact]
    public async Task A_killed_process_restarted_on_the_same_boot_keeps_its_epoch()
    {
        using var dir = new TempDir();
        var actor = await CreateAsync(dir.Path, sync: false);
        LeaveOpenSession(dir.Path, "boot-1");

        await using var reopened = Open(dir.Path, sync: false, "boot-1");
        Assert.Equal(actor, reopened.Actor);
    }

    [Fact]
    public async Task With_fsync_on_acknowledge_nothing_acknowledged_can_be_lost_so_the_epoch_stays()
    {
        using var dir = new TempDir();
        var actor = await CreateAsync(dir.Path, sync: true);
        LeaveOpenSession(dir.Path, "boot-1");

        await using var reopened = Open(dir.Path, sync: true, "boot-2");
        Assert.Equal(actor, reopened.Actor);
    }

    [Fact]
    public async Task Without_a_boot_id_an_unclosed_store_without_fsync_is_treated_as_possibly_lost()
    {
        using var dir = new TempDir();
        var actor = await CreateAsync(dir.Path, sync: false);
        LeaveOpenSession(dir.Path, "");

        await using var reopened = Open(dir.Path, sync: false, null);
        Assert.NotEqual(actor.Epoch, reopened.Actor.Epoch);
    }

    [Fact]
    public async Task The_session_mark_is_a_reserved_meta_name()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path, sync: false, "boot-1");
        Assert.Throws<ArgumentException>(() => store.WriteMeta(RocksObjectStore.SessionName, [1]));
    }
}
