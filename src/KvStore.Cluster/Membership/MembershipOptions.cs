using KvStore.Cluster.Security;

namespace KvStore.Cluster.Membership;

/// <summary>
/// SWIM and Lifeguard settings (configuration section "Membership"). The defaults are memberlist's
/// DefaultLANConfig, which HashiCorp tuned for clusters on one LAN: a member that stops answering is
/// suspected within about two probe periods and, unrefuted, declared dead some seconds later.
/// </summary>
public sealed class MembershipOptions
{
    public const string Section = "Membership";

    /// <summary>
    /// The protocol period: each node probes one member per period (SWIM section 3.1). One second
    /// keeps the load per node constant and small while detecting a failure in seconds.
    /// </summary>
    public TimeSpan ProbeInterval { get; set; } = TimeSpan.FromSeconds(1);

    /// <summary>
    /// How long to wait for a direct ack before asking others to probe (SWIM's round-trip bound).
    /// 500 ms is far above a LAN round trip, so a miss means loss or a busy peer, not distance.
    /// Scaled up by the local health awareness (Lifeguard).
    /// </summary>
    public TimeSpan ProbeTimeout { get; set; } = TimeSpan.FromMilliseconds(500);

    /// <summary>
    /// Members asked to probe a target that missed its direct ack (SWIM's k). Three routes around a
    /// single bad link make a false suspicion from one lossy path unlikely.
    /// </summary>
    public int IndirectChecks { get; set; } = 3;

    /// <summary>
    /// Multiplies log10(n) probe intervals into the least suspicion time (memberlist's SuspicionMult),
    /// giving the suspect time to hear of the suspicion through gossip and refute it.
    /// </summary>
    public int SuspicionMultiplier { get; set; } = 4;

    /// <summary>
    /// The longest suspicion, as a multiple of the least (Lifeguard's dynamic suspicion): a suspicion
    /// nobody else confirms lasts this much longer, because a lone accuser may be the sick one.
    /// </summary>
    public int SuspicionMaxTimeoutMultiplier { get; set; } = 6;

    /// <summary>Multiplies log10(n + 1) into the times each gossip update is retransmitted.</summary>
    public int RetransmitMultiplier { get; set; } = 4;

    /// <summary>How often queued gossip is sent to <see cref="GossipFanout"/> random members, besides riding on probes.</summary>
    public TimeSpan GossipInterval { get; set; } = TimeSpan.FromMilliseconds(200);

    /// <summary>Members each gossip round sends to.</summary>
    public int GossipFanout { get; set; } = 3;

    /// <summary>
    /// How often the full member table is exchanged with one random member. Piggybacked gossip is
    /// retransmitted only a bounded number of times; push-pull repairs whatever it missed.
    /// </summary>
    public TimeSpan PushPullInterval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>How long one push-pull exchange (including a join) may take before it is abandoned.</summary>
    public TimeSpan PushPullTimeout { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>
    /// The cap on Lifeguard's local health multiplier: probe timeouts stretch up to this many times
    /// while this node keeps missing acks, and shrink back as probes succeed.
    /// </summary>
    public int AwarenessMaxMultiplier { get; set; } = 8;

    /// <summary>
    /// Dead and left members are removed from the table this long after they reached that state. An
    /// hour lets operators see what happened and keeps late gossip from resurrecting them, while
    /// bounding how long the table remembers nodes that are gone for good.
    /// </summary>
    public TimeSpan ReapAfter { get; set; } = TimeSpan.FromHours(1);

    /// <summary>Rows the member table holds at most, this node included; new members beyond it are refused and counted.</summary>
    public int MaxMembers { get; set; } = 1024;

    /// <summary>
    /// The largest gossip datagram sent or accepted. 1400 bytes fits an Ethernet MTU with IP and UDP
    /// headers and some tunnel overhead, so datagrams are never fragmented.
    /// </summary>
    public int MaxPacketBytes { get; set; } = 1400;

    /// <summary>Gossip updates waiting to be sent at most; the most retransmitted are dropped first, and counted.</summary>
    public int BroadcastQueueCapacity { get; set; } = 1024;

    /// <summary>
    /// How far a message's sent-at time may be from this node's clock, and how long its nonce is
    /// remembered to refuse a replay. A minute tolerates ordinary clock skew.
    /// </summary>
    public TimeSpan ReplayWindow { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>
    /// Nonces remembered for <see cref="ReplayWindow"/>. SWIM's load is a few dozen messages per
    /// second per node whatever the cluster size, so this covers a window many times over.
    /// </summary>
    public int ReplayCacheCapacity { get; set; } = 65_536;

    /// <summary>
    /// Comma-separated base64 cluster keys of 32 to 64 bytes. The first seals what this node sends;
    /// all are accepted, so a key can be rotated: add the new key second everywhere, move it first
    /// everywhere, then drop the old one. Empty means the built-in development key.
    /// </summary>
    public string Keys { get; set; } = "";

    /// <summary>True when <see cref="Keys"/> is empty and the publicly known development key is in use.</summary>
    public bool UsesDevelopmentKey => string.IsNullOrWhiteSpace(Keys);

    /// <summary>The parsed <see cref="Keys"/>.</summary>
    /// <exception cref="InvalidOperationException">The keys do not validate.</exception>
    public ClusterKeyRing KeyRing() =>
        ClusterKeyRing.TryParse(Keys, out _, out var error) ?? throw new InvalidOperationException($"{Section}:Keys: {error}");

    public IEnumerable<string> Validate()
    {
        foreach (var (name, value) in new[]
                 {
                     (nameof(ProbeInterval), ProbeInterval), (nameof(ProbeTimeout), ProbeTimeout),
                     (nameof(GossipInterval), GossipInterval), (nameof(PushPullInterval), PushPullInterval),
                     (nameof(PushPullTimeout), PushPullTimeout), (nameof(ReapAfter), ReapAfter),
                     (nameof(ReplayWindow), ReplayWindow),
                 })
        {
            // Timers run at millisecond resolution; a day is far beyond any sensible setting.
            if (value < TimeSpan.FromMilliseconds(1) || value > TimeSpan.FromDays(1))
            {
                yield return $"{Section}:{name} must be between 1 ms and 1 day (is {value})";
            }
        }

        if (ProbeTimeout >= ProbeInterval)
        {
            yield return $"{Section}:ProbeTimeout ({ProbeTimeout}) must be shorter than ProbeInterval ({ProbeInterval}), leaving time for indirect probes";
        }

        foreach (var (name, value, min, max) in new[]
                 {
                     (nameof(IndirectChecks), IndirectChecks, 0, 16),
                     (nameof(SuspicionMultiplier), SuspicionMultiplier, 1, 100),
                     (nameof(SuspicionMaxTimeoutMultiplier), SuspicionMaxTimeoutMultiplier, 1, 100),
                     (nameof(RetransmitMultiplier), RetransmitMultiplier, 1, 100),
                     (nameof(GossipFanout), GossipFanout, 1, 64),
                     (nameof(AwarenessMaxMultiplier), AwarenessMaxMultiplier, 1, 64),
                     (nameof(MaxMembers), MaxMembers, 2, 100_000),
                     (nameof(MaxPacketBytes), MaxPacketBytes, 512, 65_000),
                     (nameof(BroadcastQueueCapacity), BroadcastQueueCapacity, 16, 1_000_000),
                     (nameof(ReplayCacheCapacity), ReplayCacheCapacity, 1024, 10_000_000),
                 })
        {
            if (value < min || value > max)
            {
                yield return $"{Section}:{name} must be between {min} and {max} (is {value})";
            }
        }

        if (ClusterKeyRing.TryParse(Keys, out _, out var error) is null)
        {
            yield return $"{Section}:Keys: {error}";
        }
    }
}
