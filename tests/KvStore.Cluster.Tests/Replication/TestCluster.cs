using System.Collections.Immutable;
using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Membership;
using KvStore.Cluster.Replication;
using KvStore.Cluster.Routing;
using KvStore.Cluster.Tombstones;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Core.Serialization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KvStore.Cluster.Tests.Replication;

/// <summary>
/// Several nodes' coordinators, replicas and stores in one process, wired by an in-memory peer
/// transport. Membership is set by the test, the same view on every node; a node marked down
/// refuses every call, as a killed process would. Calls complete inline, so a request's background
/// work has finished when the request returns.
/// </summary>
internal sealed class TestCluster
{
    private readonly Dictionary<string, TestNode> _nodes = new(StringComparer.Ordinal);
    private readonly HashSet<string> _down = new(StringComparer.Ordinal);
    private readonly HashSet<string> _answersLost = new(StringComparer.Ordinal);
    private readonly HashSet<string> _refusing = new(StringComparer.Ordinal);
    private readonly HashSet<string> _partitioned = new(StringComparer.Ordinal);
    private ImmutableArray<Member> _members;
    private long _version;

    public TestCluster(int nodes, ReplicationOptions? options = null, AntiEntropyOptions? antiEntropy = null, TombstoneOptions? tombstones = null, TimeProvider? time = null)
    {
        CollectorTime = time ?? TimeProvider.System;
        Tombstones = Options.Create(tombstones ?? new TombstoneOptions { Grace = TimeSpan.Zero });
        var replication = Options.Create(options ?? new ReplicationOptions());
        _members = [.. Enumerable.Range(1, nodes).Select(i => new Member($"n{i}", $"127.0.0.1:{7000 + i}", "", MemberState.Alive, 0))];
        foreach (var m in _members)
        {
            _nodes[m.Id] = new TestNode(this, m.Id, replication, Options.Create(antiEntropy ?? new AntiEntropyOptions { MaxBytesPerSecond = 0 }));
        }
    }

    public IReadOnlyCollection<TestNode> Nodes => _nodes.Values;

    public IOptions<TombstoneOptions> Tombstones { get; }

    /// <summary>The tombstone collectors' clock (the rest of the cluster runs on the system clock).</summary>
    public TimeProvider CollectorTime { get; }

    public TestNode this[string id] => _nodes[id];

    /// <summary>A node's view: across a partition, the members of the other side look dead, as SWIM would declare them.</summary>
    public MembershipView ViewFor(string self) => _partitioned.Count == 0
        ? new(self, _members, _version)
        : new(self, [.. _members.Select(m => SameSide(self, m.Id) ? m : m with { State = MemberState.Dead })], _version);

    /// <summary>Cuts <paramref name="side"/> off from the other nodes: calls across fail, and each side sees the other dead.</summary>
    public void Partition(params string[] side)
    {
        _partitioned.UnionWith(side);
        PublishViews();
    }

    /// <summary>Ends the partition: calls go through again and every node sees the others alive.</summary>
    public void Heal()
    {
        _partitioned.Clear();
        PublishViews();
    }

    private bool SameSide(string a, string b) => _partitioned.Contains(a) == _partitioned.Contains(b);

    private void PublishViews()
    {
        _version++;
        foreach (var node in _nodes.Values)
        {
            node.Membership.Set(ViewFor(node.Id));
        }
    }

    /// <summary>Stops (or restarts) a node: calls to it fail, and every node's membership shows the state.</summary>
    public void SetDown(string id, bool down)
    {
        if (down)
        {
            _down.Add(id);
        }
        else
        {
            _down.Remove(id);
        }

        _members = _members.Select(m => m.Id == id ? m with { State = down ? MemberState.Dead : MemberState.Alive } : m).ToImmutableArray();
        _version++;
        foreach (var node in _nodes.Values)
        {
            node.Membership.Set(ViewFor(node.Id));
        }
    }

    /// <summary>Starts a new node with an empty store and adds it to every node's membership, alive.</summary>
    public TestNode AddNode(string id)
    {
        _members = _members.Add(new Member(id, $"127.0.0.1:{7000 + _members.Length + 1}", "", MemberState.Alive, 0));
        _version++;
        var first = _nodes.Values.First();
        var node = new TestNode(this, id, Options.Create(first.ReplicationOptions), first.AntiEntropyOptions);
        _nodes[id] = node;
        Publish();
        return node;
    }

    /// <summary>Sets a member's state on every node's membership (a graceful leave is <see cref="MemberState.Left"/>), without stopping it.</summary>
    public void SetState(string id, MemberState state)
    {
        _members = _members.Select(m => m.Id == id ? m with { State = state } : m).ToImmutableArray();
        _version++;
        Publish();
    }

    /// <summary>Takes a member out of the cluster for good (reaped after leaving): it is dropped from every other node's membership and refuses calls.</summary>
    public void Remove(string id)
    {
        _members = _members.Where(m => m.Id != id).ToImmutableArray();
        _version++;
        _down.Add(id);
        foreach (var node in _nodes.Values.Where(n => n.Id != id))
        {
            node.Membership.Set(ViewFor(node.Id));
        }
    }

    private void Publish()
    {
        foreach (var node in _nodes.Values)
        {
            node.Membership.Set(ViewFor(node.Id));
        }
    }

    /// <summary>Connections to the node are refused while membership still thinks it alive (it just crashed).</summary>
    public void RefuseConnections(string id) => _refusing.Add(id);

    /// <summary>Calls to the node still run there, but the caller never hears back, as when a connection drops mid-call.</summary>
    public void LoseAnswersFrom(string id) => _answersLost.Add(id);

    internal void AfterCall(string to)
    {
        if (_answersLost.Contains(to))
        {
            throw new PeerUnreachableException(to, "connection reset after the request was sent");
        }
    }

    /// <summary>The preference list of a key, by node id.</summary>
    public IReadOnlyList<string> Replicas(byte[] key) => _nodes.Values.First().Router.Current.PreferenceList(key).Select(m => m.Id).ToList();

    internal TestNode Reach(string from, string to)
    {
        if (_down.Contains(to) || _down.Contains(from) || _refusing.Contains(to) || !SameSide(from, to))
        {
            throw new PeerUnreachableException(to, "connection refused", notDelivered: true);
        }

        return _nodes[to];
    }

    /// <summary>Objects cross the wire in their canonical encoding, as between real nodes.</summary>
    internal static KvObject? Wire(KvObject? obj) => obj is null ? null : ObjectCodec.Decode(ObjectCodec.Encode(obj));
}

internal sealed class TestNode
{
    public TestNode(TestCluster cluster, string id, IOptions<ReplicationOptions> options, IOptions<AntiEntropyOptions> antiEntropy)
    {
        Id = id;
        ReplicationOptions = options.Value;
        AntiEntropyOptions = antiEntropy;
        Transport = new InMemoryPeerTransport(cluster, id);
        Store = new MemoryObjectStore(new ActorId(id, (ulong)id.GetHashCode(StringComparison.Ordinal) & 0xffff));
        Membership = new FixedMembership(cluster.ViewFor(id));
        Router = new Router(Membership, options);
        Counters = new ClusterCounters();
        Replica = new LocalReplica(Store, new HybridLogicalClock(TimeProvider.System, TimeSpan.FromMinutes(1)), Options.Create(new ReplicaOptions()), Counters, Gate);
        var transport = new InMemoryPeerTransport(cluster, id);
        Coordinator = new Coordinator(Replica, Store, Router, transport, options, Counters, TimeProvider.System, NullLogger<Coordinator>.Instance);
        Handler = new PeerHandler(Coordinator, Replica, Store, Router);
        Handoff = new HintedHandoff(Store, Membership, transport, options, Counters, TimeProvider.System, NullLogger<HintedHandoff>.Instance, Router, Replica);
        AntiEntropyHandler = new AntiEntropyHandler(Store);
        Exchange = new AntiEntropyExchange(Replica, Store, transport, transport, antiEntropy, options, TimeProvider.System);
        AntiEntropyCounters = new AntiEntropyCounters();
        AntiEntropy = new AntiEntropyService(Router, Exchange, antiEntropy, AntiEntropyCounters, TimeProvider.System, NullLogger<AntiEntropyService>.Instance);
        TombstoneCounters = new TombstoneCounters();
        TombstoneHandler = new TombstoneHandler(Store, Store, TombstoneCounters, Collections, cluster.CollectorTime, Gate);
        Collector = new TombstoneCollector(Store, Store, Router, transport, cluster.Tombstones, TombstoneCounters, cluster.CollectorTime, NullLogger<TombstoneCollector>.Instance, Collections);
    }

    public string Id { get; }

    public ReplicationOptions ReplicationOptions { get; }

    public IOptions<AntiEntropyOptions> AntiEntropyOptions { get; }

    /// <summary>This node's way to the others, for services a test builds on top of the node.</summary>
    public InMemoryPeerTransport Transport { get; }

    public MemoryObjectStore Store { get; }

    public FixedMembership Membership { get; }

    public Router Router { get; }

    public ClusterCounters Counters { get; }

    public LocalReplica Replica { get; }

    public Coordinator Coordinator { get; }

    public PeerHandler Handler { get; }

    public HintedHandoff Handoff { get; }

    public AntiEntropyHandler AntiEntropyHandler { get; }

    public AntiEntropyExchange Exchange { get; }

    public AntiEntropyCounters AntiEntropyCounters { get; }

    public AntiEntropyService AntiEntropy { get; }

    public TombstoneCounters TombstoneCounters { get; }

    public TombstoneHandler TombstoneHandler { get; }

    public TombstoneCollector Collector { get; }

    public ResyncGate Gate { get; } = new();

    public MemoryCollectionLog Collections { get; } = new();
}

internal sealed class FixedMembership(MembershipView view) : IMembership
{
    public MembershipView Current { get; private set; } = view;

    public event Action<MembershipView>? Changed;

    public void Set(MembershipView view)
    {
        Current = view;
        Changed?.Invoke(view);
    }
}

internal sealed class InMemoryPeerTransport(TestCluster cluster, string self) : IPeerTransport, IAntiEntropyTransport, ITombstoneTransport, ICollectionTransport
{
    public Task<DateTimeOffset?> LastCollectionAsync(Member target, CancellationToken cancellationToken)
    {
        var at = cluster.Reach(self, target.Id).TombstoneHandler.LastCollection;
        cluster.AfterCall(target.Id);
        return Task.FromResult(at);
    }

    public async Task<IReadOnlyList<TombstoneState>> TombstonesAsync(Member target, bool collect, IReadOnlyList<KeyTombstone> entries, CancellationToken cancellationToken)
    {
        var wired = entries.Select(e => e with { Tombstone = TestCluster.Wire(e.Tombstone)! }).ToList();
        var states = await cluster.Reach(self, target.Id).TombstoneHandler.HandleAsync(collect, wired, cancellationToken);
        cluster.AfterCall(target.Id);
        return states;
    }

    public Task<ulong[]> TreeNodesAsync(Member target, HashRanges ranges, int depth, IReadOnlyList<int> parents, CancellationToken cancellationToken)
    {
        var hashes = cluster.Reach(self, target.Id).AntiEntropyHandler.TreeNodes(ranges, depth, parents);
        cluster.AfterCall(target.Id);
        return Task.FromResult(hashes);
    }

    public Task<KeyHashPage> KeyHashesAsync(Member target, HashRanges ranges, IReadOnlyList<int> segments, byte[]? after, int max, CancellationToken cancellationToken)
    {
        var page = cluster.Reach(self, target.Id).AntiEntropyHandler.KeyHashes(ranges, segments, after, max);
        cluster.AfterCall(target.Id);
        return Task.FromResult(page);
    }

    public async Task<KvObject?> CoordinateAsync(Member target, byte[] key, Mutation mutation, ConsistencyLevel level, CancellationToken cancellationToken)
    {
        var stored = await cluster.Reach(self, target.Id).Handler.CoordinateAsync(key, mutation, level, cancellationToken);
        cluster.AfterCall(target.Id);
        return TestCluster.Wire(stored);
    }

    public Task<ReplicaRead> ReadAsync(Member target, byte[] key, bool includeHints, CancellationToken cancellationToken)
    {
        ReplicaRead read;
        try
        {
            read = cluster.Reach(self, target.Id).Handler.Read(key, includeHints);
        }
        catch (ReplicaUnavailableException e)
        {
            // As the gRPC transport reports a replica's refusal to read.
            throw new PeerUnreachableException(target.Id, e.Message);
        }

        cluster.AfterCall(target.Id);
        return Task.FromResult(new ReplicaRead(TestCluster.Wire(read.Object), read.Hints));
    }

    public async Task MergeAsync(Member target, byte[] key, KvObject obj, string? hintFor, CancellationToken cancellationToken)
    {
        await cluster.Reach(self, target.Id).Handler.MergeAsync(key, TestCluster.Wire(obj)!, hintFor, cancellationToken);
        cluster.AfterCall(target.Id);
    }
}
