using System.Text;
using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Storage.Tests;

public sealed class HintStoreTests
{
    private static readonly ActorId A = new("a", 1);
    private static readonly ActorId B = new("b", 2);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RocksObjectStore Open(string dir, int maxHintsPerTarget = 100_000) =>
        RocksObjectStore.Open(new StorageOptions { DataDir = dir, MaxHintsPerTarget = maxHintsPerTarget }, "n1", "default-node", NullLogger.Instance);

    private static byte[] K(string s) => Encoding.UTF8.GetBytes(s);

    private static KvObject SetOf(ActorId actor, params string[] elements) =>
        KvObject.Of(OrSet.Empty.Add(actor, elements.Select(K)));

    private static string[] Elements(KvObject o) =>
        o.Set!.Members.ToArray().Select(m => Encoding.UTF8.GetString(m.Element)).ToArray();

    private static string[] KeysOf(IEnumerable<Hint> hints) => hints.Select(h => Encoding.UTF8.GetString(h.Key)).ToArray();

    [Fact]
    public async Task A_hint_is_added_read_and_deleted()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        var obj = SetOf(A, "x");
        Assert.True(await store.AddHintAsync("n2", K("k"), obj, Ct));

        var hint = Assert.Single(store.ReadHints("n2", 10));
        Assert.Equal("n2", hint.Target);
        Assert.Equal(K("k"), hint.Key);
        Assert.Equal(obj, hint.Object);
        Assert.Equal(new Dictionary<string, int> { ["n2"] = 1 }, store.HintCounts);
        Assert.Empty(store.ReadHints("n3", 10));
        Assert.Null(store.Get(K("k")));

        Assert.True(await store.DeleteHintAsync("n2", K("k"), hint.Object, Ct));
        Assert.Empty(store.ReadHints("n2", 10));
        Assert.Empty(store.HintCounts);
        Assert.False(await store.DeleteHintAsync("n2", K("k"), hint.Object, Ct));
        Assert.Equal(1, store.Stats.HintsStored);
        Assert.Equal(1, store.Stats.HintsDeleted);
        Assert.Equal(0, store.Stats.HintsDropped);
        Assert.Equal(0, store.Stats.Writes);
    }

    [Fact]
    public async Task Two_hints_for_one_key_are_merged()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        var first = SetOf(A, "x");
        var second = SetOf(B, "y");
        Assert.True(await store.AddHintAsync("n2", K("k"), first, Ct));
        Assert.True(await store.AddHintAsync("n2", K("k"), second, Ct));

        var hint = Assert.Single(store.ReadHints("n2", 10));
        Assert.Equal(["x", "y"], Elements(hint.Object));
        Assert.Equal(first.Merge(second), hint.Object);
        Assert.Equal(1, store.HintCounts["n2"]);
        Assert.Equal(2, store.Stats.HintsStored);
    }

    [Fact]
    public async Task Concurrent_hints_for_one_key_lose_nothing()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        var adds = Enumerable.Range(0, 500).Select(i => Task.Run(() => store.AddHintAsync("n2", K("k"), SetOf(new ActorId("a", (ulong)i + 1), $"e{i}"), Ct)));
        Assert.All(await Task.WhenAll(adds), Assert.True);

        var hint = Assert.Single(store.ReadHints("n2", 10));
        Assert.Equal(500, hint.Object.Set!.Count);
        Assert.Equal(1, store.HintCounts["n2"]);
    }

    [Fact]
    public async Task A_hint_merged_after_it_was_read_is_not_deleted()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        await store.AddHintAsync("n2", K("k"), SetOf(A, "x"), Ct);
        var read = Assert.Single(store.ReadHints("n2", 10));

        // A newer write for the down replica arrives while the old state is being delivered.
        await store.AddHintAsync("n2", K("k"), SetOf(B, "y"), Ct);
        Assert.False(await store.DeleteHintAsync("n2", K("k"), read.Object, Ct));

        var kept = Assert.Single(store.ReadHints("n2", 10));
        Assert.Equal(["x", "y"], Elements(kept.Object));
        Assert.Equal(1, store.HintCounts["n2"]);
        Assert.Equal(0, store.Stats.HintsDeleted);

        Assert.True(await store.DeleteHintAsync("n2", K("k"), kept.Object, Ct));
        Assert.Empty(store.HintCounts);
    }

    [Fact]
    public async Task Deleting_leaves_other_targets_and_keys_alone()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        var obj = SetOf(A, "x");
        await store.AddHintAsync("n2", K("k"), obj, Ct);
        await store.AddHintAsync("n3", K("k"), obj, Ct);
        await store.AddHintAsync("n2", K("other"), obj, Ct);
        Assert.True(await store.DeleteHintAsync("n2", K("k"), obj, Ct));
        Assert.Equal(["other"], KeysOf(store.ReadHints("n2", 10)));
        Assert.Equal(["k"], KeysOf(store.ReadHints("n3", 10)));
        Assert.Equal(new Dictionary<string, int> { ["n2"] = 1, ["n3"] = 1 }, store.HintCounts);
    }

    [Fact]
    public async Task The_bound_refuses_a_new_key_but_merges_into_an_existing_hint()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path, maxHintsPerTarget: 2);
        Assert.True(await store.AddHintAsync("n2", K("k1"), SetOf(A, "x"), Ct));
        Assert.True(await store.AddHintAsync("n2", K("k2"), SetOf(A, "x"), Ct));
        Assert.False(await store.AddHintAsync("n2", K("k3"), SetOf(A, "x"), Ct));
        Assert.Equal(1, store.Stats.HintsDropped);

        Assert.True(await store.AddHintAsync("n2", K("k1"), SetOf(B, "y"), Ct));
        Assert.True(await store.AddHintAsync("n3", K("k3"), SetOf(A, "x"), Ct));

        Assert.Equal(["k1", "k2"], KeysOf(store.ReadHints("n2", 10)));
        Assert.Equal(["x", "y"], Elements(store.ReadHints("n2", 1)[0].Object));
        Assert.Equal(new Dictionary<string, int> { ["n2"] = 2, ["n3"] = 1 }, store.HintCounts);
        Assert.Equal(4, store.Stats.HintsStored);

        // Delivering one frees a place.
        Assert.True(await store.DeleteHintAsync("n2", K("k2"), SetOf(A, "x"), Ct));
        Assert.True(await store.AddHintAsync("n2", K("k3"), SetOf(A, "x"), Ct));
        Assert.Equal(1, store.Stats.HintsDropped);
    }

    [Fact]
    public async Task The_bound_holds_for_hints_queued_together()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path, maxHintsPerTarget: 10);
        var adds = Enumerable.Range(0, 100).Select(i => store.AddHintAsync("n2", K($"k{i:D3}"), SetOf(A, "x"), Ct)).ToArray();
        var accepted = await Task.WhenAll(adds);

        // The writer takes them in queue order, so exactly the first ten fit, whatever the grouping.
        Assert.Equal(Enumerable.Range(0, 100).Select(i => i < 10), accepted);
        Assert.Equal(10, store.HintCounts["n2"]);
        Assert.Equal(10, store.ReadHints("n2", 1000).Count);
        Assert.Equal(90, store.Stats.HintsDropped);
    }

    [Fact]
    public async Task Hint_counts_survive_reopening()
    {
        using var dir = new TempDir();
        await using (var store = Open(dir.Path))
        {
            foreach (var key in new[] { "a", "b", "c" })
            {
                await store.AddHintAsync("n2", K(key), SetOf(A, key), Ct);
            }

            await store.AddHintAsync("n3", K("a"), SetOf(A, "a"), Ct);
            await store.AddHintAsync("n3", K("b"), SetOf(A, "b"), Ct);
        }

        await using (var reopened = Open(dir.Path, maxHintsPerTarget: 3))
        {
            Assert.Equal(new Dictionary<string, int> { ["n2"] = 3, ["n3"] = 2 }, reopened.HintCounts);
            Assert.False(await reopened.AddHintAsync("n2", K("d"), SetOf(A, "d"), Ct));
            Assert.True(await reopened.DeleteHintAsync("n3", K("a"), SetOf(A, "a"), Ct));
            Assert.Equal(new Dictionary<string, int> { ["n2"] = 3, ["n3"] = 1 }, reopened.HintCounts);
        }
    }

    [Fact]
    public async Task Hints_for_one_key_are_found_across_targets()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        await store.AddHintAsync("n3", K("k"), SetOf(B, "y"), Ct);
        await store.AddHintAsync("n2", K("k"), SetOf(A, "x"), Ct);
        await store.AddHintAsync("n2", K("k2"), SetOf(A, "z"), Ct);
        await store.AddHintAsync("n4", K("k2"), SetOf(A, "z"), Ct);

        var hints = store.HintsForKey(K("k"));
        Assert.Equal(["n2", "n3"], hints.Select(h => h.Target));
        Assert.All(hints, h => Assert.Equal(K("k"), h.Key));
        Assert.Equal(["x"], Elements(hints[0].Object));
        Assert.Equal(["y"], Elements(hints[1].Object));
        Assert.Single(store.HintsForKey(K("k"), max: 1));
        Assert.Empty(store.HintsForKey(K("none")));
    }

    [Fact]
    public async Task Hints_are_read_in_key_order_a_page_at_a_time()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        foreach (var key in new[] { "k3", "k0", "k4", "k1", "k2" })
        {
            await store.AddHintAsync("n2", K(key), SetOf(A, key), Ct);
        }

        // Neighbours whose encoded keys sort next to n2's must not leak into its pages.
        await store.AddHintAsync("n", K("2k"), SetOf(A, "x"), Ct);
        await store.AddHintAsync("n2x", K("k"), SetOf(A, "x"), Ct);
        await store.AddHintAsync("n3", K("k"), SetOf(A, "x"), Ct);

        Assert.Equal(["k0", "k1"], KeysOf(store.ReadHints("n2", 2)));
        Assert.Equal(["k2", "k3"], KeysOf(store.ReadHints("n2", 2, afterKey: K("k1"))));
        Assert.Equal(["k4"], KeysOf(store.ReadHints("n2", 2, afterKey: K("k3"))));
        Assert.Empty(store.ReadHints("n2", 2, afterKey: K("k4")));
        Assert.Equal(["k2", "k3", "k4"], KeysOf(store.ReadHints("n2", 10, afterKey: K("k1x"))));
        Assert.Equal(["k0", "k1", "k2", "k3", "k4"], KeysOf(store.ReadHints("n2", 10, afterKey: [])));
        Assert.All(store.ReadHints("n2", 10), h => Assert.Equal([Encoding.UTF8.GetString(h.Key)], Elements(h.Object)));
    }

    [Fact]
    public async Task Hints_and_objects_written_together_all_land()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        var writes = new List<Task>();
        for (var i = 0; i < 500; i++)
        {
            var n = i;
            writes.Add(store.UpdateAsync(K($"o{n:D3}"), _ => SetOf(A, $"o{n}"), Ct));
            writes.Add(store.AddHintAsync("n2", K($"h{n:D3}"), SetOf(A, $"h{n}"), Ct));
        }

        await Task.WhenAll(writes);
        Assert.All(Enumerable.Range(0, 500), i => Assert.Equal([$"o{i}"], Elements(store.Get(K($"o{i:D3}"))!)));
        Assert.Equal(500, store.ReadHints("n2", 1000).Count);
        Assert.Equal(500, store.HintCounts["n2"]);
        Assert.Equal(500, store.Stats.Writes);
        Assert.Equal(500, store.Stats.HintsStored);
        Assert.True(store.Stats.Batches < 1000, $"expected grouped commits, got {store.Stats.Batches} batches for 1000 writes");
    }

    [Fact]
    public async Task A_hint_of_another_type_is_refused_and_the_held_one_kept()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        var set = SetOf(A, "x");
        await store.AddHintAsync("n2", K("k"), set, Ct);
        var register = KvObject.Of(LwwRegister.Empty.Assign(A, new HlcTimestamp(1, 0), K("v"), null));
        var e = await Assert.ThrowsAsync<MutationRejectedException>(() => store.AddHintAsync("n2", K("k"), register, Ct));
        Assert.Equal(RejectReason.WrongType, e.Reason);
        Assert.Equal(set, Assert.Single(store.ReadHints("n2", 10)).Object);
        Assert.Equal(1, store.Stats.HintsStored);
    }

    [Fact]
    public async Task Bad_targets_are_refused()
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        await Assert.ThrowsAsync<ArgumentException>(() => store.AddHintAsync("", K("k"), SetOf(A, "x"), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.AddHintAsync(new string('n', 256), K("k"), SetOf(A, "x"), Ct));
        await Assert.ThrowsAsync<ArgumentException>(() => store.DeleteHintAsync("", K("k"), SetOf(A, "x"), Ct));
        Assert.Throws<ArgumentException>(() => store.ReadHints("", 10));
        Assert.Throws<ArgumentOutOfRangeException>(() => store.ReadHints("n2", 0));
        Assert.True(await store.AddHintAsync(new string('n', 255), K("k"), SetOf(A, "x"), Ct));
        Assert.Single(store.ReadHints(new string('n', 255), 10));
    }
}
