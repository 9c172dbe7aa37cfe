using System.Diagnostics;
using System.Text;

namespace KvStore.Simulation.Sim;

/// <summary>What one seed did and what the checker found.</summary>
internal sealed record SimResult(
    int Seed,
    CheckResult Check,
    bool Converged,
    string? Error,
    ulong TraceHash,
    string Digest,
    int Writes,
    int Acknowledged,
    long Events,
    TimeSpan Virtual,
    TimeSpan Wall,
    IReadOnlyList<string> Faults,
    SimStats Stats,
    long Collected = 0,
    long Transfers = 0)
{
    public bool Passed => Error is null && Converged && Check.Lost == 0 && Check.Resurrected == 0 && Check.Divergent == 0;

    public string Summary =>
        $"seed {Seed}: {Writes} writes ({Acknowledged} acknowledged), lost {Check.Lost}, resurrected {Check.Resurrected}, divergent {Check.Divergent}, " +
        $"{Check.Excused} level-ONE writes gone with their one copy, {Collected} tombstones collected, {Transfers} handoff transfers, " +
        $"converged {Converged}, {Events} events, trace {TraceHash:x16}, {Virtual.TotalSeconds:F1} s virtual, {Wall.TotalMilliseconds:F0} ms wall";
}

/// <summary>
/// One seeded run: a cluster of four nodes under a client workload while faults are scheduled from
/// the seed (partitions both ways and one way, loss, duplication, delay, crashes and restarts,
/// amnesia, clock skew, a join and sometimes a leave); then every fault is healed, the cluster
/// quiesces, ownership handoff, hints and anti-entropy run until a full round repairs nothing,
/// every node runs three tombstone collection passes a grace apart, the cluster converges again, and
/// the checker compares the history with the replicas.
/// </summary>
internal sealed class SimRun
{
    /// <summary>How long clients write and faults happen.</summary>
    public static readonly TimeSpan Chaos = TimeSpan.FromSeconds(20);

    /// <summary>Rounds of hint delivery and anti-entropy after healing before the run counts as not converging.</summary>
    public const int MaxHealRounds = 12;

    private readonly int _seed;
    private readonly SimLoop _loop = new();
    private readonly Random _random;
    private readonly SimCluster _cluster;
    private readonly History _history = new();
    private readonly List<string> _nodes = ["n1", "n2", "n3", "n4"];
    private readonly List<string> _faults = [];
    private bool _healing;

    public SimRun(int seed)
    {
        _seed = seed;
        _random = new Random(seed);
        _cluster = new SimCluster(_loop, _random);
    }

    public static SimResult Run(int seed) => new SimRun(seed).Execute();

    /// <summary>Runs the seed keeping every traced step, for reading what happened.</summary>
    public static (SimResult Result, IReadOnlyList<string> Log) RunWithLog(int seed)
    {
        var run = new SimRun(seed);
        run._loop.Log = [];
        return (run.Execute(), run._loop.Log);
    }

    private SimResult Execute()
    {
        var wall = Stopwatch.StartNew();
        string? error = null;
        var converged = false;
        CheckResult check = new(0, 0, 0, []);
        try
        {
            Setup();
            var workload = new Workload(_cluster, _history, _nodes);
            workload.Start(6, Chaos);
            PlanFaults();
            StartBackground();
            _loop.Run(() => false, Chaos);
            _healing = true;
            Heal();
            if (!Quiesce(workload))
            {
                error = "the cluster did not quiesce after healing";
            }
            else
            {
                // Collection after healing makes sure the deleted keys left at the end are collected,
                // then a second convergence gives anything collected wrongly a chance to come back.
                converged = Converge() && Collect() && Converge();
                check = Checker.Check(_cluster, _history);
            }

            if (_loop.Escaped is { } escaped)
            {
                error = "nondeterminism: " + escaped;
            }
        }
        catch (Exception e)
        {
            error = e.ToString();
        }

        return new SimResult(
            _seed, check, converged, error, _loop.TraceHash, Digest(), _history.Ops.Count, _history.Ops.Count(o => o.Ok),
            _loop.Events, _loop.Now, wall.Elapsed, _faults, SimStats.Of(_cluster, _history),
            _cluster.Started.Sum(n => n.Collected), _cluster.Started.Sum(n => n.TransfersRun));
    }

    private void Setup()
    {
        var sync = _nodes.ToDictionary(n => n, _ => _random.Next(2) == 0);
        _cluster.SyncFor = id => sync.GetValueOrDefault(id, true);
        foreach (var id in _nodes)
        {
            // Skews within the allowed drift, and now and then one clock far ahead.
            var skew = TimeSpan.FromMilliseconds(_random.Next(-20_000, 20_000));
            if (_random.Next(6) == 0)
            {
                skew = TimeSpan.FromSeconds(90);
            }

            _cluster.Add(id, skew);
            _faults.Add($"skew {id} {skew.TotalSeconds:F1}s sync={sync[id]}");
        }

        // The cluster has formed before clients write: a node that still saw itself alone would
        // take writes at a level shrunk to one replica.
        _cluster.Settle();
        var net = _cluster.Network;
        net.Loss = _random.NextDouble() * 0.05;
        net.Duplication = _random.NextDouble() * 0.05;
        net.MaxDelay = TimeSpan.FromMilliseconds(_random.Next(5, 150));
        _faults.Add($"loss {net.Loss:P1} duplication {net.Duplication:P1} delay up to {net.MaxDelay.TotalMilliseconds}ms");
    }

    /// <summary>Schedules the faults of this seed; every seed mixes partitions, crashes, amnesia, skew and churn.</summary>
    private void PlanFaults()
    {
        // Data is destroyed (amnesia, a power loss without Sync, a leave) on one node only: with W=2 an
        // acknowledged write lives on two nodes, and losing two copies before they spread loses it
        // in any system.
        var victim = _nodes[_random.Next(_nodes.Count)];
        for (var i = 0; i < 1 + _random.Next(3); i++)
        {
            var at = Uniform(0, 16);
            var length = Uniform(1, 5);
            if (_random.Next(2) == 0)
            {
                var side = _nodes.Where(_ => _random.Next(2) == 0).ToList();
                At(at, $"partition {{{string.Join(',', side)}}} from the rest for {length.TotalSeconds:F1}s", () => Partition(side, length, oneWay: false));
            }
            else
            {
                var from = _nodes[_random.Next(_nodes.Count)];
                var to = _nodes[_random.Next(_nodes.Count)];
                At(at, $"one-way cut {from}->{to} for {length.TotalSeconds:F1}s", () => Partition([from], length, oneWay: true, only: to));
            }
        }

        for (var i = 0; i < 1 + _random.Next(2); i++)
        {
            var node = _nodes[_random.Next(_nodes.Count)];
            var down = Uniform(1, 5);
            // A power loss destroys a node's unflushed writes unless it runs with Storage:Sync, so
            // of the nodes without Sync only the victim, whose data this seed may destroy, loses power.
            var powerLoss = _random.Next(2) == 0 && (node == victim || _cluster.StoreOf(node).Sync);
            At(Uniform(0, 15), $"{(powerLoss ? "power loss" : "crash")} {node} for {down.TotalSeconds:F1}s", () => CrashFor(node, down, amnesia: false, powerLoss));
        }

        var forget = Uniform(1, 4);
        At(Uniform(2, 12), $"amnesia {victim} after {forget.TotalSeconds:F1}s down", () =>
        {
            _history.Destroyed(victim, _loop.Now);
            CrashFor(victim, forget, amnesia: true);
        });
        At(Uniform(3, 14), "clock jump", () =>
        {
            var node = _nodes[_random.Next(_nodes.Count)];
            _cluster.SetSkew(node, _cluster.SkewOf(node) + TimeSpan.FromMilliseconds(_random.Next(-10_000, 10_000)));
        });
        At(Uniform(1, 12), "join n5", () =>
        {
            _cluster.Add("n5", TimeSpan.FromMilliseconds(_random.Next(-20_000, 20_000)));
            _nodes.Add("n5");
        });
        if (_random.Next(3) == 0)
        {
            At(Uniform(14, 18), $"leave {victim}", () =>
            {
                _history.Destroyed(victim, _loop.Now);
                _cluster.Leave(victim);
                _nodes.Remove(victim);
            });
        }
    }

    private void Partition(List<string> side, TimeSpan length, bool oneWay, string? only = null)
    {
        var cut = new List<(string, string)>();
        foreach (var a in side)
        {
            foreach (var b in _cluster.Ids.Where(b => !side.Contains(b) && (only is null || b == only)))
            {
                cut.Add((a, b));
                if (!oneWay)
                {
                    cut.Add((b, a));
                }
            }
        }

        foreach (var (a, b) in cut)
        {
            _cluster.Network.Cut(a, b);
        }

        _loop.At(length, () =>
        {
            foreach (var (a, b) in cut)
            {
                _cluster.Network.Mend(a, b);
            }
        });
    }

    /// <param name="powerLoss">The machine goes down too: a node without Storage:Sync loses its unflushed writes.</param>
    private void CrashFor(string node, TimeSpan down, bool amnesia, bool powerLoss = false)
    {
        if (_cluster.Live(node) is null || _healing)
        {
            return;
        }

        _cluster.Crash(node, powerLoss: powerLoss && !amnesia);
        _loop.At(down, () =>
        {
            if (_cluster.Live(node) is null && _cluster.StateOf(node) != Core.Membership.MemberState.Left)
            {
                _cluster.Restart(node, amnesia);
                StartBackground(node);
            }
        });
    }

    /// <summary>
    /// Each node's timers: hint replay, anti-entropy with a random peer, tombstone collection,
    /// ownership handoff (its worker wakes on a routing change; here a short tick runs what is
    /// pending, failed transfers once their retry is due) and the disk write-back of unsynced stores.
    /// </summary>
    private void StartBackground()
    {
        foreach (var node in _cluster.Running.ToList())
        {
            StartBackground(node.Id);
        }
    }

    private void StartBackground(string id)
    {
        var node = _cluster[id];
        Every(node, _cluster.Replication.HintReplayInterval, () =>
        {
            if (node.Replaying is null or { IsCompleted: true })
            {
                node.Replaying = node.Handoff.ReplayOnceAsync(CancellationToken.None);
            }
        });
        Every(node, _cluster.AntiEntropy.Interval, () =>
        {
            var shared = node.Router.Current.SharedRanges;
            if (node.Exchanging is null or { IsCompleted: true } && shared.Count > 0)
            {
                var peer = shared.Keys.Order(StringComparer.Ordinal).ElementAt(_random.Next(shared.Count));
                node.Exchanging = node.Exchange.RunAsync(node.Router.Current.Find(peer)!, shared[peer], CancellationToken.None);
            }
        });
        Every(node, _cluster.Tombstones.Interval, () =>
        {
            if (node.Collecting is null or { IsCompleted: true })
            {
                node.Collecting = Count(node.Collector.RunPassAsync(CancellationToken.None), p => node.Collected += p.Collected);
            }
        });
        Every(node, TimeSpan.FromMilliseconds(250), () =>
        {
            if (node.Transferring is null or { IsCompleted: true } && !node.Ownership.IsIdle)
            {
                node.Transferring = Count(node.Ownership.RunPendingAsync(CancellationToken.None), n => node.TransfersRun += n);
            }
        });
        Every(node, TimeSpan.FromSeconds(1), node.Store.Flush);
    }

    private void Every(SimNode node, TimeSpan period, Action tick)
    {
        _loop.At(period * (0.5 + _random.NextDouble()), () =>
        {
            if (!node.Alive || _healing)
            {
                return;
            }

            tick();
            Every(node, period, tick);
        });
    }

    private void At(TimeSpan at, string what, Action action)
    {
        _faults.Add($"{at.TotalSeconds:F1}s {what}");
        _loop.At(at, () =>
        {
            if (!_healing)
            {
                _loop.Trace(what);
                action();
            }
        });
    }

    private TimeSpan Uniform(double fromSeconds, double toSeconds) => TimeSpan.FromSeconds(fromSeconds + ((toSeconds - fromSeconds) * _random.NextDouble()));

    /// <summary>Ends every fault: links mended, no loss or duplication, crashed nodes restarted on their disks, views settled.</summary>
    private void Heal()
    {
        var net = _cluster.Network;
        net.MendAll();
        net.Loss = 0;
        net.Duplication = 0;
        foreach (var id in _cluster.Ids.ToList())
        {
            if (_cluster.Live(id) is null && _cluster.StateOf(id) != Core.Membership.MemberState.Left)
            {
                _cluster.Restart(id);
            }
        }

        _cluster.Settle();
    }

    /// <summary>Runs until no client waits, no call is in flight and no background round runs.</summary>
    private bool Quiesce(Workload? workload = null) => _loop.Run(
        () => (workload is null || workload.Busy == 0) && _cluster.Network.InFlight == 0 && _loop.PendingWork == 0 &&
              _cluster.Running.All(n => n.Replaying is null or { IsCompleted: true } && n.Exchanging is null or { IsCompleted: true } && n.Coordinator.Pending == 0 &&
                                        n.Collecting is null or { IsCompleted: true } && n.Transferring is null or { IsCompleted: true }),
        _loop.Now + TimeSpan.FromMinutes(10));

    /// <summary>
    /// Finishes ownership handoff, delivers hints and runs anti-entropy between every pair of
    /// replicas until a whole round repairs nothing and moves nothing.
    /// </summary>
    private bool Converge()
    {
        for (var round = 0; round < MaxHealRounds; round++)
        {
            _cluster.Settle();
            var work = 0;
            if (!FinishTransfers(n => work += n))
            {
                return false;
            }

            foreach (var node in _cluster.Running.ToList())
            {
                // Started from a loop event: async work begun outside the loop would resume elsewhere.
                _loop.At(TimeSpan.Zero, () => node.Replaying = Count(node.Handoff.ReplayOnceAsync(CancellationToken.None), n => work += n));
                if (!Quiesce())
                {
                    return false;
                }
            }

            foreach (var node in _cluster.Running.ToList())
            {
                foreach (var (peer, ranges) in node.Router.Current.SharedRanges.OrderBy(p => p.Key, StringComparer.Ordinal))
                {
                    _loop.At(TimeSpan.Zero, () => node.Exchanging = Count(
                        node.Exchange.RunAsync(node.Router.Current.Find(peer)!, ranges, CancellationToken.None),
                        r => work += r.Error is null ? r.KeysFetched + r.KeysPushed : 1));
                    if (!Quiesce())
                    {
                        return false;
                    }
                }
            }

            var hints = _cluster.Running.Sum(n => n.Store.HintCounts.Where(h => _cluster.Live(h.Key) is not null).Sum(h => h.Value));
            _loop.Trace($"heal round {round}: {work} repairs, {hints} hints");
            if (work == 0 && hints == 0)
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Runs every node's pending transfers until none is left, waiting out retry delays in virtual time.</summary>
    private bool FinishTransfers(Action<int> ran)
    {
        for (var attempt = 0; attempt < 20; attempt++)
        {
            var busy = _cluster.Running.Where(n => !n.Ownership.IsIdle).ToList();
            if (busy.Count == 0)
            {
                return true;
            }

            foreach (var node in busy)
            {
                _loop.At(TimeSpan.Zero, () => node.Transferring = Count(node.Ownership.RunPendingAsync(CancellationToken.None), n =>
                {
                    node.TransfersRun += n;
                    ran(n);
                }));
            }

            if (!Quiesce())
            {
                return false;
            }

            // A transfer that failed during the faults is retried only once its delay has passed.
            if (_cluster.Running.Any(n => !n.Ownership.IsIdle))
            {
                Wait(_cluster.Handoff.RetryDelay);
            }
        }

        _loop.Trace("handoff did not finish: " + string.Join("; ", _cluster.Running.SelectMany(n => n.Ownership.Transfers.Where(t => t.State is not (Cluster.Handoff.TransferState.Done or Cluster.Handoff.TransferState.Abandoned)).Select(t => $"{n.Id}->{t.Target} {t.State} {t.Error}"))));
        return false;
    }

    /// <summary>
    /// Three collection passes on every node, a grace apart: a pass whose predecessor (maybe from
    /// before healing) found keys stable collects those once the grace is over, and only then
    /// checks the next ones, which the following pass collects.
    /// </summary>
    private bool Collect()
    {
        for (var pass = 0; pass < 3; pass++)
        {
            foreach (var node in _cluster.Running.ToList())
            {
                _loop.At(TimeSpan.Zero, () => node.Collecting = Count(node.Collector.RunPassAsync(CancellationToken.None), p => node.Collected += p.Collected));
                if (!Quiesce())
                {
                    return false;
                }
            }

            if (pass < 2)
            {
                Wait(_cluster.Tombstones.Grace);
            }
        }

        return true;
    }

    /// <summary>Lets virtual time pass (the loop does not move its clock past its last event on its own).</summary>
    private void Wait(TimeSpan span)
    {
        var end = _loop.Now + span;
        _loop.At(span, () => { });
        _loop.Run(() => false, end);
    }

    private static async Task Count<T>(Task<T> task, Action<T> add) => add(await task);

    /// <summary>A digest of every replica's objects, to compare two runs of one seed.</summary>
    private string Digest()
    {
        var sb = new StringBuilder();
        foreach (var node in _cluster.Running.OrderBy(n => n.Id, StringComparer.Ordinal))
        {
            sb.Append(node.Name).Append(':').Append(node.Store.Actor).Append(';');
            foreach (var key in node.Store.Keys)
            {
                sb.Append(Encoding.UTF8.GetString(key)).Append('=').Append(Core.AntiEntropy.ObjectHash.Of(key, Core.Serialization.ObjectCodec.Encode(node.Store.Get(key)!)).ToString("x16", null)).Append(',');
            }
        }

        return sb.ToString();
    }
}
