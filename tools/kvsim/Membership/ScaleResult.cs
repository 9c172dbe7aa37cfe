namespace KvStore.Kvsim.Membership;

/// <summary>What one cluster size measured.</summary>
/// <param name="Nodes">Members before the first join.</param>
/// <param name="Convergence">Simulated time until every node of the initial cluster saw every other alive (null if it did not within the patience).</param>
/// <param name="Load">Messages sent per node per second by the quiet cluster.</param>
/// <param name="Trials">One join and one death each.</param>
/// <param name="ProbeInterval">The protocol period: rounds are this long.</param>
/// <param name="GossipInterval">How often queued gossip goes to GossipFanout random members: a gossip round.</param>
/// <param name="SuspicionMin">The least suspicion timeout for this size (SwimTiming).</param>
/// <param name="SuspicionMax">The longest, for a suspicion nobody confirms.</param>
/// <param name="RetransmitLimit">Times each gossip update is retransmitted at this size.</param>
/// <param name="Wall">Real time the whole size took to simulate.</param>
/// <param name="Callbacks">Timer callbacks (deliveries included) the simulated clock ran.</param>
internal sealed record ScaleResult(
    int Nodes,
    int Seed,
    TimeSpan? Convergence,
    SteadyLoad Load,
    IReadOnlyList<Trial> Trials,
    TimeSpan ProbeInterval,
    TimeSpan GossipInterval,
    int GossipFanout,
    TimeSpan SuspicionMin,
    TimeSpan SuspicionMax,
    int RetransmitLimit,
    TimeSpan Wall,
    long Callbacks)
{
    /// <summary>Every join reached every node, and every death was known everywhere.</summary>
    public bool Complete => Convergence is not null && Trials.All(t => t.Join.All is not null && t.Dead.All is not null && t.Suspect.All is not null);

    public double Rounds(TimeSpan t) => t / ProbeInterval;

    /// <summary>The mean over trials of what <paramref name="select"/> picks, or null if any trial lacks it.</summary>
    public TimeSpan? Mean(Func<Trial, TimeSpan?> select)
    {
        var values = Trials.Select(select).ToList();
        return values.Count == 0 || values.Any(v => v is null) ? null : TimeSpan.FromTicks((long)values.Average(v => v!.Value.Ticks));
    }
}

/// <summary>One join and one death.</summary>
/// <param name="Joiner">The id of the node that joined.</param>
/// <param name="Join">How the joiner's alive record reached the others.</param>
/// <param name="Victim">The id of the node that crashed.</param>
/// <param name="Suspect">How the first suspicion (or death) of the victim reached the survivors.</param>
/// <param name="Dead">How the victim's death reached the survivors.</param>
internal sealed record Trial(string Joiner, Spread Join, string Victim, Spread Suspect, Spread Dead);

/// <summary>Messages and bytes sent per node per second in a quiet cluster, over <paramref name="Window"/>.</summary>
internal sealed record SteadyLoad(
    TimeSpan Window,
    double DatagramsPerNodePerSecond,
    double PushPullsPerNodePerSecond,
    double DatagramBytesPerNodePerSecond,
    double PushPullBytesPerNodePerSecond)
{
    public double MessagesPerNodePerSecond => DatagramsPerNodePerSecond + PushPullsPerNodePerSecond;

    public double BytesPerNodePerSecond => DatagramBytesPerNodePerSecond + PushPullBytesPerNodePerSecond;
}
