using KvStore.Cluster.Membership;
using KvStore.Cluster.Membership.Testing;
using KvStore.Cluster.Security;
using KvStore.Core.Membership;
using Microsoft.Extensions.Logging.Abstractions;
using Microsoft.Extensions.Time.Testing;

namespace KvStore.Cluster.Tests.Membership;

/// <summary>
/// Several <see cref="SwimMembership"/> nodes on one <see cref="InMemoryNetwork"/> and one fake
/// clock. Advancing the clock runs every due timer and delivery in order on the calling thread, so
/// a test is an exact replay of its seed.
/// </summary>
internal sealed class SwimCluster : IAsyncDisposable
{
    public static readonly DateTimeOffset Start = new(2026, 1, 1, 0, 0, 0, TimeSpan.Zero);

    private readonly List<Node> _nodes = [];

    public SwimCluster(int seed, Action<MembershipOptions>? configure = null)
    {
        Seed = seed;
        Network = new InMemoryNetwork(Clock, seed);
        Configure = configure;
    }

    public int Seed { get; }

    public FakeTimeProvider Clock { get; } = new(Start);

    public InMemoryNetwork Network { get; }

    public Action<MembershipOptions>? Configure { get; }

    public IReadOnlyList<Node> Nodes => _nodes;

    public Node this[int i] => _nodes[i];

    /// <summary>Every state each node has ever shown for each member: (observer, member) → states seen.</summary>
    public Dictionary<(string Observer, string Member), HashSet<MemberState>> History { get; } = [];

    /// <summary>Every view change as "time observer: member=state/incarnation ...", in order: two runs with one seed must match.</summary>
    public List<string> Trace { get; } = [];

    public static string Address(int i) => $"10.0.0.{i + 1}:7070";

    public Node Add(string? keys = null)
    {
        var i = _nodes.Count;
        var options = new MembershipOptions { Keys = keys ?? "" };
        Configure?.Invoke(options);
        var id = $"n{i}";
        var address = Address(i);
        var identity = NodeIdentity.Create();
        var membership = new SwimMembership(
            options,
            identity,
            new LocalMember(id, address, $"10.0.0.{i + 1}:7071"),
            Network.CreateTransport(address),
            Network.CreateChannel(address),
            Clock,
            NullLogger.Instance,
            new Random(Seed * 31 + i));
        Network.ServePushPull(address, r => membership.HandlePushPull(r));
        membership.Changed += view =>
        {
            Trace.Add($"{(Clock.GetUtcNow() - Start).TotalMilliseconds} {id}: "
                + string.Join(" ", view.Members.Select(m => $"{m.Id}={m.State}/{m.Incarnation}")));
            foreach (var m in view.Members)
            {
                if (!History.TryGetValue((id, m.Id), out var seen))
                {
                    History[(id, m.Id)] = seen = [];
                }

                seen.Add(m.State);
            }
        };
        var node = new Node(id, address, identity, options, membership);
        _nodes.Add(node);
        return node;
    }

    /// <summary>Adds <paramref name="n"/> nodes; the first starts the cluster and the rest join through it.</summary>
    public async Task<SwimCluster> StartAsync(int n, TimeSpan? settle = null)
    {
        for (var i = 0; i < n; i++)
        {
            Add();
        }

        var joins = _nodes.Select((node, i) => node.Membership.StartAsync(i == 0 ? [] : [Address(0)], CancellationToken.None)).ToList();
        Run(settle ?? TimeSpan.FromSeconds(2));
        foreach (var join in joins)
        {
            Assert.True(join.IsCompleted, Because("a join finishes once its push-pull is answered"));
            Assert.True(await join, Because("the seed answers"));
        }

        return this;
    }

    /// <summary>
    /// Advances the fake clock a millisecond at a time, running every timer and delivery due on the
    /// way, in order. One big step would not do: FakeTimeProvider runs what is due at the target
    /// time, but a timer that a callback creates on the way is due relative to the target time, so
    /// chains of messages would stall. Every timer here is due at a whole millisecond and at least
    /// one millisecond out, so stepping by one is exact.
    /// </summary>
    public void Run(TimeSpan duration)
    {
        var until = Clock.GetUtcNow() + duration;
        while (Clock.GetUtcNow() < until)
        {
            Clock.Advance(TimeSpan.FromMilliseconds(1));
        }
    }

    /// <summary>Advances in <paramref name="step"/>s until <paramref name="done"/> holds; returns the time taken, or null after <paramref name="max"/>.</summary>
    public TimeSpan? RunUntil(Func<bool> done, TimeSpan max, TimeSpan? step = null)
    {
        var began = Clock.GetUtcNow();
        while (!done())
        {
            if (Clock.GetUtcNow() - began >= max)
            {
                return null;
            }

            Run(step ?? TimeSpan.FromMilliseconds(10));
        }

        return Clock.GetUtcNow() - began;
    }

    public bool AllSee(Func<Node, bool> observers, string member, MemberState state) =>
        _nodes.Where(observers).All(o => o.Membership.Current.Find(member)?.State == state);

    public bool AllSeeEveryoneAlive(IEnumerable<Node>? nodes = null)
    {
        var set = (nodes ?? _nodes).ToList();
        return set.All(o => set.All(m => o.Membership.Current.Find(m.Id)?.State == MemberState.Alive));
    }

    public bool EverSaw(string member, MemberState state) =>
        History.Any(kv => kv.Key.Member == member && kv.Key.Observer != member && kv.Value.Contains(state));

    public string Because(string what) => $"{what} (seed {Seed}, at +{Clock.GetUtcNow() - Start})\n{Describe()}";

    public string Describe() => string.Join(
        "\n",
        _nodes.Select(n => $"{n.Id}: " + string.Join(" ", n.Membership.Current.Members.Select(m => $"{m.Id}={m.State}/{m.Incarnation}"))
            + $" [{n.Membership.Counters}]"));

    public async ValueTask DisposeAsync()
    {
        foreach (var n in _nodes)
        {
            await n.Membership.DisposeAsync();
            n.Identity.Dispose();
        }
    }

    internal sealed record Node(string Id, string Address, NodeIdentity Identity, MembershipOptions Options, SwimMembership Membership)
    {
        public MembershipView View => Membership.Current;
        public DropCounters Counters => Membership.Counters;
    }
}
