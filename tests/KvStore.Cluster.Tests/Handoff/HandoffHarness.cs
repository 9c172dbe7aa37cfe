using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Handoff;
using KvStore.Cluster.Replication;
using KvStore.Cluster.Tests.Replication;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;
using KvStore.Core.Serialization;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Options;

namespace KvStore.Cluster.Tests.Handoff;

/// <summary>
/// A <see cref="HandoffService"/> on every node of a <see cref="TestCluster"/>, each pushing
/// through a transport that counts the objects it merged into each target. No worker runs: the
/// test drives the transfers with <see cref="RunAllAsync"/>, so every phase ends at a known point.
/// </summary>
internal sealed class HandoffHarness
{
    private readonly TestCluster _cluster;
    private readonly HandoffOptions _options;
    private readonly TimeProvider _time;
    private readonly Dictionary<string, HandoffService> _services = new(StringComparer.Ordinal);

    public HandoffHarness(TestCluster cluster, HandoffOptions? options = null, TimeProvider? time = null)
    {
        _cluster = cluster;
        _options = options ?? new HandoffOptions { MaxBytesPerSecond = 0 };
        _time = time ?? TimeProvider.System;
        foreach (var node in cluster.Nodes)
        {
            Attach(node);
        }
    }

    public CountingTransport Counts { get; } = new();

    public HandoffService this[string id] => _services[id];

    /// <summary>Gives a node (one just added) its service.</summary>
    public HandoffService Attach(TestNode node)
    {
        var transport = new CountingTransport.Wrapped(node.Transport, Counts);
        var service = new HandoffService(
            node.Router, node.Replica, node.Store, transport, node.Transport, Options.Create(_options),
            Options.Create(node.ReplicationOptions), _time, NullLogger<HandoffService>.Instance);
        _services[node.Id] = service;
        return service;
    }

    /// <summary>Runs every node's runnable transfers until a pass over all nodes runs none; returns how many ran.</summary>
    public async Task<int> RunAllAsync(CancellationToken cancellationToken)
    {
        var total = 0;
        for (var pass = 0; pass < 100; pass++)
        {
            var ran = 0;
            foreach (var service in _services.Values)
            {
                ran += await service.RunPendingAsync(cancellationToken);
            }

            if (ran == 0)
            {
                return total;
            }

            total += ran;
        }

        throw new InvalidOperationException("transfers kept being queued for 100 passes");
    }

    /// <summary>
    /// Stores the key on its N replicas as one identical object (written on the first, merged
    /// into the others), as a cluster whose replicas agree would hold it.
    /// </summary>
    public async Task LoadAsync(byte[] key, Mutation mutation, CancellationToken cancellationToken)
    {
        var replicas = _cluster.Replicas(key);
        var stored = await _cluster[replicas[0]].Replica.WriteAsync(key, mutation, cancellationToken);
        foreach (var other in replicas.Skip(1))
        {
            await _cluster[other].Replica.MergeAsync(key, stored!, cancellationToken);
        }
    }

    /// <summary>
    /// Every key on every node: the keys some replica that serves in <paramref name="viewOf"/>'s
    /// table lacks or holds differently from <paramref name="expected"/>, as "key@node".
    /// </summary>
    public List<string> MissingReplicas(IReadOnlyDictionary<string, string> expected, string viewOf)
    {
        var table = _cluster[viewOf].Router.Current;
        var stores = _cluster.Nodes.ToDictionary(n => n.Id, n => n.Store, StringComparer.Ordinal);
        var missing = new List<string>();
        foreach (var (hex, encoded) in expected)
        {
            var key = Convert.FromHexString(hex);
            foreach (var id in WantedReplicas(table, key))
            {
                var held = stores[id].Get(key);
                if (held is null || Convert.ToHexString(ObjectCodec.Encode(held)) != encoded)
                {
                    missing.Add($"{hex}@{id}");
                }
            }
        }

        return missing;
    }

    /// <summary>The first N serving members of the key's walk: its preference list, with a dead member's stand-in in its place.</summary>
    public static IReadOnlyList<string> WantedReplicas(Routing.RoutingTable table, byte[] key) =>
        table.Ring.Walk(key).Where(id => HandoffPlan.Serves(table.Find(id))).Take(table.ReplicationFactor).ToList();
}

/// <summary>Counts the objects handoff merged into each target.</summary>
internal sealed class CountingTransport
{
    private readonly Dictionary<string, long> _merged = new(StringComparer.Ordinal);
    private readonly Lock _lock = new();

    /// <summary>Cancelled once <see cref="StopAfter"/> merges happened, to interrupt a transfer.</summary>
    public CancellationTokenSource Interrupt { get; } = new();

    public long StopAfter { get; set; } = long.MaxValue;

    public long Total
    {
        get
        {
            lock (_lock)
            {
                return _merged.Values.Sum();
            }
        }
    }

    public long To(string target)
    {
        lock (_lock)
        {
            return _merged.GetValueOrDefault(target);
        }
    }

    private void Count(string target)
    {
        bool stop;
        lock (_lock)
        {
            _merged[target] = _merged.GetValueOrDefault(target) + 1;
            stop = _merged.Values.Sum() >= StopAfter;
        }

        if (stop)
        {
            Interrupt.Cancel();
        }
    }

    internal sealed class Wrapped(IPeerTransport inner, CountingTransport counts) : IPeerTransport
    {
        public Task<KvObject?> CoordinateAsync(Member target, byte[] key, Mutation mutation, ConsistencyLevel level, CancellationToken cancellationToken) =>
            inner.CoordinateAsync(target, key, mutation, level, cancellationToken);

        public Task<ReplicaRead> ReadAsync(Member target, byte[] key, bool includeHints, CancellationToken cancellationToken) =>
            inner.ReadAsync(target, key, includeHints, cancellationToken);

        public async Task MergeAsync(Member target, byte[] key, KvObject obj, string? hintFor, CancellationToken cancellationToken)
        {
            await inner.MergeAsync(target, key, obj, hintFor, cancellationToken);
            counts.Count(target.Id);
        }
    }
}
