using System.Collections.Immutable;
using KvStore.Cluster;
using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Handoff;
using KvStore.Cluster.Membership;
using KvStore.Cluster.Tombstones;
using KvStore.Core.Causality;
using KvStore.Core.Crdt;
using KvStore.Core.Membership;

namespace KvStore.Simulation.Sim;

/// <summary>
/// The simulated cluster: its nodes' current incarnations, the membership the simulator decides,
/// each node's durable store and clock skew, and the faults applied to them. Membership views reach
/// each node after its own seeded delay, as gossip would, so nodes briefly disagree about the ring.
/// </summary>
internal sealed class SimCluster
{
    private readonly Dictionary<string, SimNode?> _live = new(StringComparer.Ordinal);
    private readonly Dictionary<string, SimStore> _stores = new(StringComparer.Ordinal);
    private readonly Dictionary<string, TimeSpan> _skews = new(StringComparer.Ordinal);
    private readonly Dictionary<string, int> _incarnations = new(StringComparer.Ordinal);
    private readonly List<SimNode> _started = [];
    private ImmutableArray<Member> _members = [];
    private long _version;

    public SimCluster(SimLoop loop, Random random)
    {
        Loop = loop;
        Random = random;
        Network = new SimNetwork(loop, random);
    }

    public SimLoop Loop { get; }

    public Random Random { get; }

    public SimNetwork Network { get; }

    public ReplicationOptions Replication { get; } = new() { TokensPerNode = 8, PeerTimeout = TimeSpan.FromSeconds(1), HintReplayInterval = TimeSpan.FromSeconds(1) };

    public AntiEntropyOptions AntiEntropy { get; } = new() { MaxBytesPerSecond = 0, Interval = TimeSpan.FromSeconds(5) };

    public ReplicaOptions ReplicaOptions { get; } = new();

    /// <summary>
    /// Collection every 2 s; the grace must outlast any peer call still carrying an object older
    /// than the tombstone: five simulated peer timeouts, as long as a client waits for an answer.
    /// </summary>
    public TombstoneOptions Tombstones { get; } = new() { Interval = TimeSpan.FromSeconds(2), Grace = TimeSpan.FromSeconds(5), PeerTimeout = TimeSpan.FromSeconds(1), KeysPerPass = 64 };

    /// <summary>Ownership handoff; KVSIM_HANDOFF=0 turns it off, to see what it prevents.</summary>
    public HandoffOptions Handoff { get; } = new()
    {
        Enabled = Environment.GetEnvironmentVariable("KVSIM_HANDOFF") != "0",
        MaxBytesPerSecond = 0,
        RetryDelay = TimeSpan.FromSeconds(1),
        MaxFinishedShown = 1024,
    };

    /// <summary>Each store's acknowledgement waits for the disk (Storage:Sync) when this returns true for its node.</summary>
    public Func<string, bool> SyncFor { get; set; } = _ => true;

    /// <summary>Longest a membership change takes to reach a node.</summary>
    public TimeSpan ViewDelay { get; set; } = TimeSpan.FromMilliseconds(300);

    public IEnumerable<string> Ids => _live.Keys;

    /// <summary>The nodes whose process runs now.</summary>
    public IEnumerable<SimNode> Running => _live.Values.Where(n => n is not null).Select(n => n!);

    /// <summary>Members on the ring (not left), by id.</summary>
    public IEnumerable<string> RingMembers => _members.Where(m => m.State != MemberState.Left).Select(m => m.Id);

    public MemberState StateOf(string id) => _members.First(m => m.Id == id).State;

    /// <summary>Every incarnation of every node started so far, for the run's totals.</summary>
    public IReadOnlyList<SimNode> Started => _started;

    /// <summary>Every tombstone any store removed, in order: the checker makes sure nothing it had covered came back.</summary>
    public List<Collection> Collections { get; } = [];

    /// <summary>Node processes that died so far.</summary>
    public int Crashes { get; private set; }

    /// <summary>Crashes that took the machine of a node without Storage:Sync down: its unflushed writes were lost and it came back under a new epoch.</summary>
    public int PowerLosses { get; private set; }

    public SimNode? Live(string id) => _live.GetValueOrDefault(id);

    public SimNode this[string id] => _live[id] ?? throw new InvalidOperationException($"{id} is down");

    public SimStore StoreOf(string id) => _stores[id];

    /// <summary>Starts a node on an empty store (a new epoch) and announces it to everyone.</summary>
    public SimNode Add(string id, TimeSpan skew = default)
    {
        _skews[id] = skew;
        _members = _members.Add(new Member(id, $"127.0.0.1:{7000 + _members.Length + 1}", "", MemberState.Alive, 0));
        var node = Start(id, NewStore(id));
        Announce();
        return node;
    }

    public void SetSkew(string id, TimeSpan skew)
    {
        _skews[id] = skew;
        if (Live(id) is { } node)
        {
            node.Time.Skew = skew;
        }
    }

    public TimeSpan SkewOf(string id) => _skews[id];

    /// <summary>
    /// The node's process dies. With <paramref name="powerLoss"/> the machine goes down too, and
    /// what its store had not flushed is gone when it restarts. Others notice after a while.
    /// </summary>
    public void Crash(string id, bool powerLoss = false)
    {
        var node = this[id];
        Loop.Trace($"crash {id} powerLoss={powerLoss}");
        Crashes++;
        if (powerLoss && !node.Store.Sync)
        {
            PowerLosses++;
        }
        node.Kill();
        _live[id] = null;
        _stores[id] = SimStore.Reopen(node.Store, powerLoss, NewEpoch());
        Loop.At(Delay(TimeSpan.FromSeconds(2)), () =>
        {
            if (Live(id) is null && StateOf(id) == MemberState.Alive)
            {
                SetState(id, MemberState.Dead);
            }
        });
    }

    /// <summary>Restarts a crashed node on what its disk kept, or, with <paramref name="amnesia"/>, on an empty data directory: same node id, new epoch.</summary>
    /// <param name="id">The node.</param>
    /// <param name="amnesia">Start on an empty store.</param>
    /// <param name="keepEpoch">
    /// With <paramref name="amnesia"/>, keep the old actor id as a store that did not mint a new
    /// epoch would: Riak's KV679 bug, for tests that show what the epoch prevents.
    /// </param>
    public SimNode Restart(string id, bool amnesia = false, bool keepEpoch = false)
    {
        if (Live(id) is not null)
        {
            throw new InvalidOperationException($"{id} is running");
        }

        Loop.Trace($"restart {id} amnesia={amnesia}");
        if (amnesia)
        {
            _stores[id] = keepEpoch ? new SimStore(_stores[id].Actor, _stores[id].Sync, _stores[id].MaxHintsPerTarget) : NewStore(id);
        }

        var node = Start(id, _stores[id]);
        node.Amnesiac = amnesia;
        SetState(id, MemberState.Alive);
        return node;
    }

    /// <summary>The node leaves the cluster for good: it gives up its place on the ring and stops.</summary>
    public void Leave(string id)
    {
        Loop.Trace($"leave {id}");
        if (Live(id) is { } node)
        {
            node.Kill();
            _live[id] = null;
        }

        SetState(id, MemberState.Left);
    }

    /// <summary>Delivers the current view to every running node now (after healing: gossip has settled).</summary>
    public void Settle()
    {
        foreach (var node in Running)
        {
            node.Membership.Set(ViewFor(node.Id));
        }
    }

    /// <summary>The preference list of a key as the settled ring has it.</summary>
    public IReadOnlyList<string> Replicas(byte[] key) => Running.First().Router.Current.PreferenceList(key).Select(m => m.Id).ToList();

    private SimStore NewStore(string id)
    {
        return new SimStore(new ActorId(id, NewEpoch()), SyncFor(id), 1000);
    }

    // Epochs come from the seeded random, so a replay mints the same actors.
    private ulong NewEpoch() => (ulong)Random.NextInt64(1, long.MaxValue);

    private SimNode Start(string id, SimStore store)
    {
        _incarnations[id] = _incarnations.GetValueOrDefault(id) + 1;
        _stores[id] = store;
        store.OnCollected = (key, tombstone) => Collections.Add(new Collection(id, key, tombstone));
        // As a server does, the node starts routing with a view of itself alone and then learns
        // the cluster: that routing change makes its handoff push what it holds to the keys'
        // current owners (writes a crash kept it from handing over).
        var alone = new MembershipView(id, [_members.First(m => m.Id == id) with { State = MemberState.Alive }], 0);
        var node = new SimNode(this, id, _incarnations[id], store, new SkewedTime(Loop.Time, _skews[id]), alone);
        node.Membership.Set(ViewFor(id));
        _live[id] = node;
        _started.Add(node);
        return node;
    }

    private MembershipView ViewFor(string self) => new(self, _members, _version);

    private void SetState(string id, MemberState state)
    {
        _members = _members.Select(m => m.Id == id ? m with { State = state } : m).ToImmutableArray();
        Announce();
    }

    private void Announce()
    {
        _version++;
        Loop.Trace($"view {_version} {string.Join(',', _members.Select(m => $"{m.Id}:{m.State}"))}");
        foreach (var id in _live.Keys.ToList())
        {
            var view = ViewFor(id);
            Loop.At(Delay(ViewDelay), () => Live(id)?.Membership.Set(view));
        }
    }

    private TimeSpan Delay(TimeSpan max) => max * Random.NextDouble();
}

/// <summary>A tombstone that <paramref name="Node"/>'s store removed.</summary>
internal sealed record Collection(string Node, byte[] Key, KvObject Tombstone);
