namespace KvStore.Cluster.Membership;

/// <summary>
/// What the membership engine refused or could not keep, by reason, plus its packet totals. Every
/// bounded structure and every check has a counter here, so an operator can tell an attack or a
/// misconfigured key from ordinary loss. Thread-safe; the values only grow.
/// </summary>
public sealed class DropCounters
{
    private readonly long[] _counts = new long[(int)Reason.Count];
    private readonly Func<long> _replayCacheFull;

    internal DropCounters(Func<long> replayCacheFull) => _replayCacheFull = replayCacheFull;

    internal enum Reason
    {
        Unauthenticated,
        Malformed,
        Oversized,
        Replayed,
        Expired,
        StaleIncarnation,
        ForgedAlive,
        ForgedLeft,
        UnknownSender,
        BroadcastDropped,
        MemberTableFull,
        PacketsSent,
        PacketsReceived,
        Count,
    }

    /// <summary>Sealed with a key not on the ring, or with a bad tag.</summary>
    public long Unauthenticated => Get(Reason.Unauthenticated);

    /// <summary>Authentic, but not a message this version can decode, or inconsistent (a ping for another node).</summary>
    public long Malformed => Get(Reason.Malformed);

    /// <summary>Datagrams larger than MaxPacketBytes, dropped before decoding.</summary>
    public long Oversized => Get(Reason.Oversized);

    /// <summary>A nonce seen before within the replay window (duplicates included), or no room to remember it.</summary>
    public long Replayed => Get(Reason.Replayed);

    /// <summary>Of <see cref="Replayed"/>: refused because the nonce cache was full of unexpired entries.</summary>
    public long ReplayCacheFull => _replayCacheFull();

    /// <summary>Sent-at outside the replay window: an old capture, or a clock far off.</summary>
    public long Expired => Get(Reason.Expired);

    /// <summary>Claims naming an older incarnation than the table holds.</summary>
    public long StaleIncarnation => Get(Reason.StaleIncarnation);

    /// <summary>Alive records not signed by the key bound to the member's id.</summary>
    public long ForgedAlive => Get(Reason.ForgedAlive);

    /// <summary>Left records not signed by the key bound to the member's id.</summary>
    public long ForgedLeft => Get(Reason.ForgedLeft);

    /// <summary>Messages from a sender that is not in the table and did not introduce itself with a valid alive record.</summary>
    public long UnknownSender => Get(Reason.UnknownSender);

    /// <summary>Gossip updates dropped from a full broadcast queue.</summary>
    public long BroadcastDropped => Get(Reason.BroadcastDropped);

    /// <summary>New members refused because the table held MaxMembers rows.</summary>
    public long MemberTableFull => Get(Reason.MemberTableFull);

    public long PacketsSent => Get(Reason.PacketsSent);

    public long PacketsReceived => Get(Reason.PacketsReceived);

    /// <summary>Every counter by name, for metrics and the admin view.</summary>
    public IReadOnlyDictionary<string, long> Snapshot()
    {
        var d = new SortedDictionary<string, long>(StringComparer.Ordinal);
        for (var r = (Reason)0; r < Reason.Count; r++)
        {
            d[r.ToString()] = Get(r);
        }

        d[nameof(ReplayCacheFull)] = ReplayCacheFull;
        return d;
    }

    public override string ToString() => string.Join(", ", Snapshot().Select(kv => $"{kv.Key}={kv.Value}"));

    internal void Add(Reason reason, long n = 1) => Interlocked.Add(ref _counts[(int)reason], n);

    private long Get(Reason reason) => Interlocked.Read(ref _counts[(int)reason]);
}
