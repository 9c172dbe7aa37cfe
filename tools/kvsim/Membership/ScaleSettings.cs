using KvStore.Cluster.Membership;

namespace KvStore.Kvsim.Membership;

/// <summary>What <c>kvsim membership</c> measures, and for how long it waits.</summary>
internal sealed record ScaleSettings
{
    /// <summary>Cluster sizes to measure, each in a fresh cluster.</summary>
    public IReadOnlyList<int> Sizes { get; init; } = [10, 100, 1000];

    /// <summary>Seeds the network's faults and choices, each node's random source and the choice of victims.</summary>
    public int Seed { get; init; } = 1;

    /// <summary>Joins and deaths measured per size, one after the other in the same cluster.</summary>
    public int Trials { get; init; } = 3;

    /// <summary>How long the quiet cluster is watched to count its messages: two push-pull periods by default, so both kinds are counted fairly.</summary>
    public TimeSpan SteadyWindow { get; init; } = TimeSpan.FromSeconds(60);

    /// <summary>Simulated time a phase (converging, a join, a death, settling) may take before it is reported as not reached.</summary>
    public TimeSpan Patience { get; init; } = TimeSpan.FromMinutes(10);

    /// <summary>Builds the options of every node: the production defaults unless a test or an option changes them.</summary>
    public Func<MembershipOptions> Options { get; init; } = static () => new MembershipOptions();

    /// <summary>Chance that the in-memory network loses a datagram or a push-pull leg.</summary>
    public double DropProbability { get; init; }

    /// <summary>One-way latency of every message (at least 1 ms).</summary>
    public TimeSpan Latency { get; init; } = TimeSpan.FromMilliseconds(1);

    /// <summary>Called with a line of progress (phase and wall time), for the console.</summary>
    public Action<string>? Progress { get; init; }
}
