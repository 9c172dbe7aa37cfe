using System.Diagnostics;
using KvStore.Cluster.Membership;
using KvStore.Cluster.Membership.Testing;
using KvStore.Core.Membership;

namespace KvStore.Kvsim.Membership;

/// <summary>
/// Measures SWIM at one cluster size, on the in-memory network and a <see cref="SimulatedClock"/>:
/// N real <see cref="SwimMembership"/> nodes join through the first, converge and fall quiet; then
/// the quiet cluster's messages are counted, and, for each trial, one node joins through the first
/// and one node crashes, and the time until every other node knows is recorded. Everything random
/// comes from the seed, so a run is reproducible (the envelopes' nonces aside, which only have to
/// be unique).
/// </summary>
internal sealed class ScaleSimulation : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    /// <summary>How often convergence and quiet are checked: scanning every view is O(N²), too much to do after every event.</summary>
    private static readonly TimeSpan PollEvery = TimeSpan.FromMilliseconds(100);

    private readonly ScaleSettings _settings;
    private readonly int _size;
    private readonly SimulatedClock _clock = new(Start);
    private readonly InMemoryNetwork _network;
    private readonly Random _random;
    private readonly MembershipOptions _options;
    private readonly List<SimNode> _all = [];
    private readonly List<SimNode> _live = [];
    private readonly Stopwatch _wall = Stopwatch.StartNew();
    private readonly CancellationToken _ct;

    private ScaleSimulation(ScaleSettings settings, int size, CancellationToken ct)
    {
        _settings = settings;
        _size = size;
        _ct = ct;
        _options = settings.Options();
        _network = new InMemoryNetwork(_clock, settings.Seed)
        {
            DropProbability = settings.DropProbability,
            Latency = settings.Latency,
        };
        _random = new Random(settings.Seed);
    }

    /// <summary>Runs the measurements for a cluster of <paramref name="size"/> nodes.</summary>
    /// <exception cref="ArgumentOutOfRangeException">The size is below 2, or the member table could not hold the cluster and its joiners.</exception>
    public static async Task<ScaleResult> RunAsync(ScaleSettings settings, int size, CancellationToken ct)
    {
        var options = settings.Options();
        if (size < 2 || size + settings.Trials > options.MaxMembers)
        {
            throw new ArgumentOutOfRangeException(nameof(size), size, $"a size must be at least 2 and, with {settings.Trials} joiners, at most MaxMembers ({options.MaxMembers})");
        }

        await using var sim = new ScaleSimulation(settings, size, ct);
        return await sim.MeasureAsync();
    }

    public async ValueTask DisposeAsync()
    {
        foreach (var node in _all)
        {
            await node.DisposeAsync();
        }
    }

    private async Task<ScaleResult> MeasureAsync()
    {
        var convergence = Converge();
        var load = convergence is null ? new SteadyLoad(TimeSpan.Zero, 0, 0, 0, 0) : MeasureLoad();
        var trials = new List<Trial>();
        for (var t = 0; convergence is not null && t < _settings.Trials; t++)
        {
            var (joiner, join) = Join();
            Settle();
            var (victim, suspect, dead) = await CrashAsync();
            Settle();
            trials.Add(new Trial(joiner, join, victim, suspect, dead));
        }

        return new ScaleResult(
            _size,
            _settings.Seed,
            convergence,
            load,
            trials,
            _options.ProbeInterval,
            _options.GossipInterval,
            _options.GossipFanout,
            SwimTiming.SuspicionTimeout(_options.SuspicionMultiplier, _size, _options.ProbeInterval),
            SwimTiming.SuspicionTimeout(_options.SuspicionMultiplier, _size, _options.ProbeInterval) * _options.SuspicionMaxTimeoutMultiplier,
            SwimTiming.RetransmitLimit(_options.RetransmitMultiplier, _size),
            _wall.Elapsed,
            _clock.Fired);
    }

    private TimeSpan Now => _clock.GetUtcNow() - Start;

    private void Progress(string what) => _settings.Progress?.Invoke($"N={_size}: {what} (simulated +{Now.TotalSeconds:F1} s, wall {_wall.Elapsed.TotalSeconds:F1} s)");

    /// <summary>Every node joins through the first at once; returns when all see all alive and the gossip has died down.</summary>
    private TimeSpan? Converge()
    {
        for (var i = 0; i < _size; i++)
        {
            Add();
        }

        var seed = _all[0].Address;
        foreach (var node in _all)
        {
            _ = node.Membership.StartAsync(node.Index == 0 ? [] : [seed], CancellationToken.None);
        }

        var began = Now;
        if (!Poll(() => _live.All(n => n.AliveCount() == _live.Count), "converging"))
        {
            Progress("did not converge");
            return null;
        }

        var converged = Now - began;
        Progress($"converged in {converged.TotalSeconds:F1} s");
        Settle();
        return converged;
    }

    /// <summary>Counts what the quiet cluster sends over the steady window.</summary>
    private SteadyLoad MeasureLoad()
    {
        var before = Totals();
        _clock.RunUntil(() => _ct.IsCancellationRequested, _clock.GetUtcNow() + _settings.SteadyWindow);
        _ct.ThrowIfCancellationRequested();
        var after = Totals();
        var perNodeSecond = _live.Count * _settings.SteadyWindow.TotalSeconds;
        Progress("counted the steady load");
        return new SteadyLoad(
            _settings.SteadyWindow,
            (after.Datagrams - before.Datagrams) / perNodeSecond,
            (after.PushPulls - before.PushPulls) / perNodeSecond,
            (after.DatagramBytes - before.DatagramBytes) / perNodeSecond,
            (after.PushPullBytes - before.PushPullBytes) / perNodeSecond);
    }

    private (long Datagrams, long PushPulls, long DatagramBytes, long PushPullBytes) Totals() =>
        (_live.Sum(n => n.DatagramsSent), _live.Sum(n => n.PushPullsStarted), _live.Sum(n => n.DatagramBytesSent), _live.Sum(n => n.PushPullBytesSent));

    /// <summary>One new node joins through the first; returns when every other node has it alive.</summary>
    private (string Joiner, Spread Join) Join()
    {
        var others = _live.Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        var joiner = Add();
        var seen = Observe(new Observation(joiner.Id, others, _clock.GetUtcNow(), MemberState.Alive));
        _ = joiner.Membership.StartAsync([_all[0].Address], CancellationToken.None);
        RunUntil(() => seen.Complete);
        StopObserving();
        var spread = seen.Spread();
        Progress($"{joiner.Id} joined: all {spread.Observers} knew after {Describe(spread.All)}");
        return (joiner.Id, spread);
    }

    /// <summary>A random node other than the first crashes: it is cut off and stops; returns when every survivor has it dead.</summary>
    private async Task<(string Victim, Spread Suspect, Spread Dead)> CrashAsync()
    {
        var victim = _live[1 + _random.Next(_live.Count - 1)];
        _live.Remove(victim);
        var survivors = _live.Select(n => n.Id).ToHashSet(StringComparer.Ordinal);
        var now = _clock.GetUtcNow();
        var suspected = Observe(new Observation(victim.Id, survivors, now, MemberState.Suspect, MemberState.Dead));
        var dead = Observe(new Observation(victim.Id, survivors, now, MemberState.Dead));
        _network.Isolate(victim.Address);
        await victim.Membership.DisposeAsync();
        RunUntil(() => dead.Complete && suspected.Complete);
        StopObserving();
        var (s, d) = (suspected.Spread(), dead.Spread());
        Progress($"{victim.Id} crashed: all suspected after {Describe(s.All)}, all had it dead after {Describe(d.All)}");
        return (victim.Id, s, d);
    }

    /// <summary>Runs until no node has gossip left to send, so that one measurement does not carry the last one's traffic.</summary>
    private void Settle()
    {
        if (!Poll(() => _live.All(n => n.Membership.QueuedBroadcasts == 0), "waiting for gossip to die down"))
        {
            Progress("gossip did not die down");
        }
    }

    /// <summary>Advances in <see cref="PollEvery"/> steps until <paramref name="done"/> holds or the patience runs out; says how it goes every ten simulated seconds.</summary>
    private bool Poll(Func<bool> done, string what)
    {
        var deadline = _clock.GetUtcNow() + _settings.Patience;
        var polls = 0;
        while (!done())
        {
            if (_clock.GetUtcNow() >= deadline)
            {
                return false;
            }

            _clock.RunUntil(() => _ct.IsCancellationRequested, _clock.GetUtcNow() + PollEvery);
            _ct.ThrowIfCancellationRequested();
            if (++polls % 100 == 0)
            {
                Progress($"{what}...");
            }
        }

        return true;
    }

    /// <summary>Runs event by event until <paramref name="done"/> holds or the patience runs out; a cancellation stops it between events.</summary>
    private void RunUntil(Func<bool> done)
    {
        _clock.RunUntil(() => done() || _ct.IsCancellationRequested, _clock.GetUtcNow() + _settings.Patience);
        _ct.ThrowIfCancellationRequested();
    }

    private SimNode Add()
    {
        var node = SimNode.Create(_all.Count, _network, _clock, _settings.Options(), _settings.Seed);
        _all.Add(node);
        _live.Add(node);
        return node;
    }

    private Observation Observe(Observation observation)
    {
        foreach (var n in _live)
        {
            n.Report(observation);
        }

        return observation;
    }

    private void StopObserving()
    {
        foreach (var n in _all)
        {
            n.StopReporting();
        }
    }

    private static string Describe(TimeSpan? t) => t is { } v ? $"{v.TotalSeconds:F3} s" : "(not everyone)";
}
