using KvStore.Cluster;
using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Handoff;
using KvStore.Cluster.Membership;
using KvStore.Cluster.Replication;
using KvStore.Cluster.Routing;
using KvStore.Cluster.Tombstones;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Core.Serialization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KvStore.Simulation.Sim;

/// <summary>
/// One incarnation of one node: the real replica, coordinator, peer handler, hinted handoff,
/// anti-entropy exchange, tombstone collector and ownership handoff, wired to the simulated store,
/// clock and network. Every service a node runs is built here and nowhere else, so a new one is
/// added to the simulation in one place. A crash ends the incarnation; a restart builds a new one.
/// The simulator drives the periodic services itself (<see cref="SimRun"/>): none of their own
/// timer loops is started.
/// </summary>
internal sealed class SimNode
{
    public SimNode(SimCluster cluster, string id, int incarnation, SimStore store, SkewedTime time, MembershipView view)
    {
        Id = id;
        Incarnation = incarnation;
        Store = store;
        Time = time;
        var replication = Options.Create(cluster.Replication);
        var antiEntropy = Options.Create(cluster.AntiEntropy);
        Membership = new SimMembership(view);
        Router = new Router(Membership, replication);
        Counters = new ClusterCounters();
        Clock = new HybridLogicalClock(time, cluster.ReplicaOptions.MaxClockDrift);
        Replica = new LocalReplica(store, Clock, Options.Create(cluster.ReplicaOptions), Counters);
        var transport = new SimTransport(cluster, this);
        Coordinator = new Coordinator(Replica, store, Router, transport, replication, Counters, time, NullLogger<Coordinator>.Instance);
        Handler = new PeerHandler(Coordinator, Replica, store, Router);
        Handoff = new HintedHandoff(store, Membership, transport, replication, Counters, time, NullLogger<HintedHandoff>.Instance, Router, Replica);
        AntiEntropyHandler = new AntiEntropyHandler(store);
        Exchange = new AntiEntropyExchange(Replica, store, transport, transport, antiEntropy, replication, time);
        TombstoneCounters = new TombstoneCounters();
        TombstoneHandler = new TombstoneHandler(store, store, TombstoneCounters);
        Collector = new TombstoneCollector(store, store, Router, transport, Options.Create(cluster.Tombstones), TombstoneCounters, time, NullLogger<TombstoneCollector>.Instance);
        Ownership = new HandoffService(Router, Replica, store, transport, transport, Options.Create(cluster.Handoff), replication, time, NullLogger<HandoffService>.Instance);
    }

    public string Id { get; }

    public int Incarnation { get; }

    public string Name => $"{Id}/{Incarnation}";

    /// <summary>False once this incarnation's process died.</summary>
    public bool Alive { get; private set; } = true;

    /// <summary>Completes when this incarnation dies: a client waiting on it gets no answer.</summary>
    public TaskCompletionSource Died { get; } = new();

    public SimStore Store { get; }

    /// <summary>This incarnation started on an empty data directory after a crash.</summary>
    public bool Amnesiac { get; set; }

    public SkewedTime Time { get; }

    public SimMembership Membership { get; }

    public Router Router { get; }

    public ClusterCounters Counters { get; }

    public HybridLogicalClock Clock { get; }

    public LocalReplica Replica { get; }

    public Coordinator Coordinator { get; }

    public PeerHandler Handler { get; }

    public HintedHandoff Handoff { get; }

    public AntiEntropyHandler AntiEntropyHandler { get; }

    public AntiEntropyExchange Exchange { get; }

    public TombstoneCounters TombstoneCounters { get; }

    public TombstoneHandler TombstoneHandler { get; }

    public TombstoneCollector Collector { get; }

    /// <summary>Ownership handoff: reacts to this node's routing changes; the simulator runs its pending transfers.</summary>
    public HandoffService Ownership { get; }

    /// <summary>Keys this incarnation collected as their first replica.</summary>
    public long Collected { get; set; }

    /// <summary>Handoff transfers (attempts) this incarnation ran.</summary>
    public long TransfersRun { get; set; }

    /// <summary>The hint replay or anti-entropy exchange this node runs now, if any: rounds do not overlap, as under their timers.</summary>
    public Task? Replaying { get; set; }

    public Task? Exchanging { get; set; }

    /// <summary>The collection pass or the handoff transfers this node runs now, if any: they do not overlap either.</summary>
    public Task? Collecting { get; set; }

    public Task? Transferring { get; set; }

    public void Kill()
    {
        Alive = false;
        Store.Kill();
        Router.Dispose();
        Died.TrySetResult();

        // Its worker was never started: this only stops it listening to routing changes.
        _ = Ownership.DisposeAsync();
    }
}

/// <summary>Membership as the simulator decides it: views are delivered to each node, possibly late; SWIM itself is tested on its own.</summary>
internal sealed class SimMembership(MembershipView view) : IMembership
{
    public MembershipView Current { get; private set; } = view;

    public event Action<MembershipView>? Changed;

    public void Set(MembershipView view)
    {
        if (view.Version <= Current.Version)
        {
            return;
        }

        Current = view;
        Changed?.Invoke(view);
    }
}

/// <summary>One node's end of the simulated network: every peer call becomes messages on <see cref="SimNetwork"/>.</summary>
internal sealed class SimTransport(SimCluster cluster, SimNode self) : IPeerTransport, IAntiEntropyTransport, ITombstoneTransport
{
    /// <summary>Both kinds are safe to repeat: a collect removes a key only while it still holds exactly the tombstone sent.</summary>
    public Task<IReadOnlyList<TombstoneState>> TombstonesAsync(Member target, bool collect, IReadOnlyList<KeyTombstone> entries, CancellationToken cancellationToken)
    {
        var sent = entries.Select(e => e with { Tombstone = Wire(e.Tombstone)! }).ToList();
        return Call(target, $"tombstones collect={collect} {string.Join(',', sent.Select(e => Text(e.Key)))}", true,
            n => n.TombstoneHandler.HandleAsync(collect, sent, CancellationToken.None), cancellationToken);
    }

    public Task<ulong[]> TreeNodesAsync(Member target, HashRanges ranges, int depth, IReadOnlyList<int> parents, CancellationToken cancellationToken) =>
        Call(target, $"tree {depth}", true, n => Task.FromResult(n.AntiEntropyHandler.TreeNodes(ranges, depth, [.. parents])), cancellationToken);

    public Task<KeyHashPage> KeyHashesAsync(Member target, HashRanges ranges, IReadOnlyList<int> segments, byte[]? after, int max, CancellationToken cancellationToken) =>
        Call(target, "keys", true, n => Task.FromResult(n.AntiEntropyHandler.KeyHashes(ranges, [.. segments], after, max)), cancellationToken);

    public Task<KvObject?> CoordinateAsync(Member target, byte[] key, Mutation mutation, ConsistencyLevel level, CancellationToken cancellationToken) =>
        Call(target, $"coordinate {Text(key)}", false, async n => Wire(await n.Handler.CoordinateAsync(key, mutation, level, CancellationToken.None)), cancellationToken);

    public Task<ReplicaRead> ReadAsync(Member target, byte[] key, bool includeHints, CancellationToken cancellationToken) =>
        Call(target, $"read {Text(key)}", true, n =>
        {
            var read = n.Handler.Read(key, includeHints);
            return Task.FromResult(new ReplicaRead(Wire(read.Object), read.Hints));
        }, cancellationToken);

    public Task MergeAsync(Member target, byte[] key, KvObject obj, string? hintFor, CancellationToken cancellationToken)
    {
        var sent = Wire(obj)!;
        return Call(target, $"merge {Text(key)} {hintFor}", true, async n =>
        {
            await n.Handler.MergeAsync(key, sent, hintFor, CancellationToken.None);
            return true;
        }, cancellationToken);
    }

    private Task<T> Call<T>(Member target, string what, bool repeatable, Func<SimNode, Task<T>> handle, CancellationToken cancellationToken) =>
        cluster.Network.Call(self, target.Id, what, repeatable, handle, () => cluster.Live(target.Id), cancellationToken);

    /// <summary>Objects cross the wire in their canonical encoding, as between real nodes.</summary>
    private static KvObject? Wire(KvObject? obj) => obj is null ? null : ObjectCodec.Decode(ObjectCodec.Encode(obj));

    private static string Text(byte[] key) => System.Text.Encoding.UTF8.GetString(key);
}
