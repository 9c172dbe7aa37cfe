using System.Text;
using KvStore.Cluster.Replication;
using KvStore.Cluster.Tests.Replication;
using KvStore.Cluster.Tombstones;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Storage;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KvStore.Cluster.Tests.Tombstones;

/// <summary>
/// A node back after being away longer than the tombstone horizon takes the data it set aside
/// back when no peer collected meanwhile, and leaves it aside when one did.
/// </summary>
public sealed class AwayRestoreTests
{
    private static readonly DateTimeOffset LastAlive = new(2026, 11, 20, 18, 0, 0, TimeSpan.Zero);

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static byte[] B(string s) => Encoding.UTF8.GetBytes(s);

    private static string? Value(KvObject? obj) => obj?.Register?.Winner is { } w ? Encoding.UTF8.GetString(w.Value.Span) : null;

    [Theory]
    [InlineData(new string[0], null, null, AwayVerdict.Wait)]
    [InlineData(new[] { "n2", "n3" }, null, null, AwayVerdict.Wait)]
    [InlineData(new[] { "n2", "n3" }, -60, null, AwayVerdict.Wait)]
    [InlineData(new[] { "n2", "n3" }, -60, -1, AwayVerdict.Restore)]
    [InlineData(new[] { "n2", "n3" }, 0, -1, AwayVerdict.Restore)]
    [InlineData(new[] { "n2", "n3" }, 1, null, AwayVerdict.KeepAside)]
    [InlineData(new[] { "n2" }, -5, 1, AwayVerdict.KeepAside)]
    public void The_decision_waits_for_every_alive_peer_and_keeps_the_data_aside_after_any_later_collection(string[] peers, int? n2Seconds, int? n3Seconds, AwayVerdict expected)
    {
        // Seconds relative to the mark; -1 for n3 stands for "answered: never collected".
        var answers = new Dictionary<string, DateTimeOffset?>();
        if (n2Seconds is { } a)
        {
            answers["n2"] = LastAlive.AddSeconds(a);
        }

        if (n3Seconds is { } b)
        {
            answers["n3"] = b == -1 ? null : LastAlive.AddSeconds(b);
        }

        Assert.Equal(expected, AwayDecision.Decide(LastAlive, peers, answers));
    }

    [Fact]
    public void The_decision_waits_for_as_many_peers_as_shared_the_ring_at_the_mark()
    {
        var answers = new Dictionary<string, DateTimeOffset?> { ["n2"] = null, ["n3"] = null };
        Assert.Equal(AwayVerdict.Wait, AwayDecision.Decide(LastAlive, ["n2", "n3"], answers, expectedPeers: 3));
        Assert.Equal(AwayVerdict.Restore, AwayDecision.Decide(LastAlive, ["n2", "n3"], answers, expectedPeers: 2));
        answers["n3"] = LastAlive.AddSeconds(1);
        Assert.Equal(AwayVerdict.KeepAside, AwayDecision.Decide(LastAlive, ["n2", "n3"], answers, expectedPeers: 3));
    }

    [Fact]
    public async Task A_node_that_shared_the_ring_with_more_peers_waits_for_them_but_not_for_ever()
    {
        var cluster = new TestCluster(3);
        var (aside, keys) = await WriteWhileAwayAsync(cluster);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var peers = new SilentPeers(cluster["n1"].Transport);

        // At its mark n1 saw four ring members; a fourth node has not come back.
        var restore = Restore(cluster["n1"], new ListAside(aside, []), time, peers, ringMembers: 4);
        var start = time.GetUtcNow();
        var run = restore.RunAsync(Ct);
        await WaitUntilAsync(() => peers.Asked >= 2);
        time.Advance(TimeSpan.FromMinutes(1));
        await WaitUntilAsync(() => peers.Asked >= 4);
        Assert.False(run.IsCompleted);
        Assert.Equal(AwayPhase.Deciding, restore.Status.Phase);
        Assert.All(keys, k => Assert.Null(cluster["n1"].Store.Get(k)));

        // Past AwayRestoreOptions.WaitForMembers it decides with the peers alive.
        while (!run.IsCompleted)
        {
            var asked = peers.Asked;
            time.Advance(TimeSpan.FromMinutes(1));
            await WaitUntilAsync(() => run.IsCompleted || peers.Asked >= asked + 2);
        }

        Assert.Equal(AwayPhase.Restored, await run);
        Assert.True(time.GetUtcNow() - start >= TimeSpan.FromMinutes(5));
        Assert.All(keys, k => Assert.NotNull(cluster["n1"].Store.Get(k)));
    }

    [Fact]
    public async Task With_no_collection_meanwhile_the_set_aside_objects_and_hints_come_back_through_the_merge_path()
    {
        var cluster = new TestCluster(3);
        var (aside, keys) = await WriteWhileAwayAsync(cluster);
        var hint = new Hint("n3", B("hinted"), cluster["n2"].Store.Get(keys[0])!);
        var source = new ListAside(aside, [hint]);

        var restore = Restore(cluster["n1"], source, TimeProvider.System, cluster["n1"].Transport);
        Assert.Equal(AwayPhase.Deciding, restore.Status.Phase);
        Assert.Equal(AwayPhase.Restored, await restore.RunAsync(Ct));

        Assert.All(keys, k => Assert.Equal(Value(cluster["n2"].Store.Get(k)), Value(cluster["n1"].Store.Get(k))));
        Assert.Equal(1, cluster["n1"].Store.HintCounts.GetValueOrDefault("n3"));
        Assert.Equal(aside.Count + 1, restore.Status.Restored);
        Assert.Equal(["n2", "n3"], restore.Status.Answers.Keys.Order());

        // Merged through the replica, so n1's Merkle tree matches its peers': anti-entropy finds nothing to fetch.
        await cluster["n1"].AntiEntropy.RunRoundAsync(Ct);
        Assert.Equal(0, cluster["n1"].AntiEntropyCounters.KeysFetched);
        Assert.True(ResyncGate.Filled(cluster["n1"].Router.Current, cluster["n1"].AntiEntropy.LastExchanges));
    }

    [Fact]
    public async Task A_peer_that_collected_after_the_mark_keeps_the_data_aside()
    {
        var cluster = new TestCluster(3);
        var (aside, keys) = await WriteWhileAwayAsync(cluster);

        // Since n1's mark, n2 took part in a collection: the handler records it before removing anything.
        var gone = B("gone");
        await cluster["n2"].Coordinator.WriteAsync(gone, new Mutation.Put(B("v"), null), ConsistencyLevel.All, Ct);
        await cluster["n2"].Coordinator.WriteAsync(gone, new Mutation.Delete(cluster["n2"].Store.Get(gone)!.Context), ConsistencyLevel.All, Ct);
        var states = await cluster["n2"].TombstoneHandler.HandleAsync(collect: true, [new KeyTombstone(gone, cluster["n2"].Store.Get(gone)!)], Ct);
        Assert.True(states[0].Collected);
        Assert.NotNull(cluster["n2"].Collections.LastCollection);

        var restore = Restore(cluster["n1"], new ListAside(aside, []), TimeProvider.System, cluster["n1"].Transport);
        Assert.Equal(AwayPhase.KeptAside, await restore.RunAsync(Ct));
        Assert.Contains("n2 collected", restore.Status.Reason, StringComparison.Ordinal);
        Assert.All(keys, k => Assert.Null(cluster["n1"].Store.Get(k)));
    }

    [Fact]
    public async Task A_peer_that_does_not_answer_keeps_the_node_deciding_until_it_does()
    {
        var cluster = new TestCluster(3);
        var (aside, keys) = await WriteWhileAwayAsync(cluster);
        var time = new FakeTimeProvider(DateTimeOffset.UtcNow);
        var peers = new SilentPeers(cluster["n1"].Transport) { Silent = "n3" };

        var restore = Restore(cluster["n1"], new ListAside(aside, []), time, peers);
        var run = restore.RunAsync(Ct);
        await WaitUntilAsync(() => peers.Asked >= 2);
        Assert.False(run.IsCompleted);
        Assert.Equal(AwayPhase.Deciding, restore.Status.Phase);
        Assert.Equal(["n2"], restore.Status.Answers.Keys);
        Assert.All(keys, k => Assert.Null(cluster["n1"].Store.Get(k)));

        // Several rounds, backing off, and still no answer from n3: still deciding.
        for (var round = 0; round < 3; round++)
        {
            var asked = peers.Asked;
            time.Advance(TimeSpan.FromMinutes(1));
            await WaitUntilAsync(() => peers.Asked >= asked + 2);
        }

        Assert.Equal(AwayPhase.Deciding, restore.Status.Phase);
        peers.Silent = null;
        time.Advance(TimeSpan.FromMinutes(1));
        Assert.Equal(AwayPhase.Restored, await run.WaitAsync(TimeSpan.FromSeconds(30), Ct));
        Assert.All(keys, k => Assert.NotNull(cluster["n1"].Store.Get(k)));
    }

    [Fact]
    public async Task A_resyncing_node_takes_part_in_no_collection()
    {
        var cluster = new TestCluster(3);
        var key = B("k");
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.Put(B("v"), null), ConsistencyLevel.All, Ct);
        await cluster["n1"].Coordinator.WriteAsync(key, new Mutation.Delete(cluster["n1"].Store.Get(key)!.Context), ConsistencyLevel.All, Ct);
        var entry = new KeyTombstone(key, cluster["n1"].Store.Get(key)!);

        cluster["n2"].Gate.Begin();
        var states = await cluster["n2"].TombstoneHandler.HandleAsync(collect: true, [entry], Ct);
        Assert.Equal(new TombstoneState(Holds: false, Hinted: true, Collected: false, Present: true), states[0]);
        Assert.NotNull(cluster["n2"].Store.Get(key));
        Assert.Null(cluster["n2"].Collections.LastCollection);

        cluster["n2"].Gate.Finish();
        states = await cluster["n2"].TombstoneHandler.HandleAsync(collect: true, [entry], Ct);
        Assert.True(states[0].Collected);
        Assert.NotNull(cluster["n2"].Collections.LastCollection);
    }

    /// <summary>Writes keys while n1 is down, and returns what n1 would have held for them (its set-aside data), with the keys.</summary>
    private static async Task<(List<(byte[] Key, KvObject Object)> Aside, List<byte[]> Keys)> WriteWhileAwayAsync(TestCluster cluster)
    {
        cluster.SetDown("n1", true);
        var keys = Enumerable.Range(0, 200).Select(i => B($"k{i}")).Where(k => cluster.Replicas(k).Contains("n1")).Take(20).ToList();
        foreach (var key in keys)
        {
            await cluster["n2"].Coordinator.WriteAsync(key, new Mutation.Put(B("v-" + Encoding.UTF8.GetString(key)), null), ConsistencyLevel.Quorum, Ct);
        }

        cluster.SetDown("n1", false);
        cluster["n1"].Gate.Begin();
        var aside = keys.Select(k => (k, TestCluster.Wire(cluster["n2"].Store.Get(k))!)).OrderBy(e => e.k, ByteComparer.Instance).ToList();
        Assert.All(keys, k => Assert.Null(cluster["n1"].Store.Get(k)));
        return (aside, keys);
    }

    private static AwayRestore Restore(TestNode node, IAsideSource source, TimeProvider time, ICollectionTransport peers, int ringMembers = 3) => new(
        LastAlive,
        ringMembers,
        "/data/n1.away",
        () => source,
        node.Router,
        peers,
        node.Replica,
        node.Store,
        new AwayRestoreOptions { Allowance = TimeSpan.FromMinutes(1), BatchSize = 7, KeysPerSecond = 0 },
        time,
        NullLogger.Instance);

    private static async Task WaitUntilAsync(Func<bool> condition)
    {
        using var timeout = CancellationTokenSource.CreateLinkedTokenSource(Ct);
        timeout.CancelAfter(TimeSpan.FromSeconds(30));
        while (!condition())
        {
            await Task.Delay(5, timeout.Token);
        }
    }

    private sealed class ByteComparer : IComparer<byte[]>
    {
        public static readonly ByteComparer Instance = new();

        public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);
    }

    /// <summary>Set-aside data held in lists, paged as the RocksDB checkpoint is.</summary>
    private sealed class ListAside(List<(byte[] Key, KvObject Object)> objects, List<Hint> hints) : IAsideSource
    {
        public string Path => "/data/n1.away";

        public long EstimatedCount => objects.Count + hints.Count;

        public IReadOnlyList<(byte[] Key, KvObject Object)> Objects(byte[]? afterKey, int max) =>
            objects.Where(o => afterKey is null || o.Key.AsSpan().SequenceCompareTo(afterKey) > 0).Take(max).ToList();

        public IReadOnlyList<(byte[] StoredKey, Hint Hint)> Hints(byte[]? afterStoredKey, int max)
        {
            var start = afterStoredKey is null ? 0 : int.Parse(Encoding.UTF8.GetString(afterStoredKey), System.Globalization.CultureInfo.InvariantCulture) + 1;
            return hints.Skip(start).Take(max).Select((h, i) => (B((start + i).ToString(System.Globalization.CultureInfo.InvariantCulture)), h)).ToList();
        }

        public void Dispose()
        {
        }
    }

    /// <summary>Peers as the node reaches them, except one that does not answer.</summary>
    private sealed class SilentPeers(ICollectionTransport inner) : ICollectionTransport
    {
        private int _asked;

        public volatile string? Silent;

        public int Asked => Volatile.Read(ref _asked);

        public Task<DateTimeOffset?> LastCollectionAsync(Member target, CancellationToken cancellationToken)
        {
            Interlocked.Increment(ref _asked);
            return target.Id == Silent
                ? Task.FromException<DateTimeOffset?>(new PeerUnreachableException(target.Id, "no answer"))
                : inner.LastCollectionAsync(target, cancellationToken);
        }
    }
}
