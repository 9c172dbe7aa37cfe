namespace KvStore.Cluster.Tombstones;

/// <summary>When and how tombstones are collected (configuration section "Tombstones").</summary>
public sealed class TombstoneOptions
{
    public const string Section = "Tombstones";

    /// <summary>Collect tombstones on a timer. Off, they are kept forever: safe, but deleted keys keep their space.</summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Time between passes. Each pass re-checks the keys the previous one found stable and
    /// collects them (once <see cref="Grace"/> has passed), then checks the next
    /// <see cref="KeysPerPass"/> tombstones. One check message goes to every ring member per pass.
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(30);

    /// <summary>Tombstones checked per pass: bounds the pass's messages and the keys it remembers between passes.</summary>
    public int KeysPerPass { get; set; } = 256;

    /// <summary>
    /// How long a tombstone must have been held by every replica, with no hint for the key anywhere,
    /// before it is collected. Stable means no store and no hint holds an older object, but a
    /// message that left before (a read repair, an anti-entropy push, a replica write) may still be
    /// travelling with one; every such call ends within the peer timeouts, which this must exceed.
    /// </summary>
    public TimeSpan Grace { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>
    /// A node whose data directory was last marked alive longer ago than this sets its data aside at
    /// start and comes back as a new incarnation; it takes the data back if no peer collected
    /// meanwhile (<see cref="AwayRestore"/>), else anti-entropy and hints fill it. Collection waits
    /// for every ring member, and a down member keeps its ring place until it is reaped
    /// (Membership:ReapAfter), so only a node away longer than that can have missed a collection:
    /// its old objects would bring collected keys back. Must be less than Membership:ReapAfter.
    /// </summary>
    public TimeSpan Horizon { get; set; } = TimeSpan.FromMinutes(30);

    /// <summary>How long the collector waits for each node's answer; a node that does not answer in time leaves its keys for a later pass.</summary>
    public TimeSpan PeerTimeout { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// Whether a node away longer than <see cref="Horizon"/> sets its data aside (in DATADIR.away)
    /// and takes it back only once every alive peer says it collected nothing meanwhile
    /// (<see cref="AwayRestore"/>). Off, it keeps its data unchecked: safe only when no node can
    /// have collected meanwhile.
    /// </summary>
    public bool ResyncWhenAway { get; set; } = true;

    /// <summary>
    /// How fast a node back from a long absence merges its set-aside data back once its peers say
    /// none collected meanwhile (objects and hints per second; 0 for no limit), so the restore leaves
    /// the disk to the node's own traffic.
    /// </summary>
    public int RestoreKeysPerSecond { get; set; } = 20_000;

    /// <summary>
    /// How long a node back from a long absence waits for as many peers as were on the ring with it
    /// before deciding about its set-aside data with the peers alive then. A peer that collected
    /// while this node was away may be slower to restart than the others; one that never comes back
    /// must not keep the node's reads refused for ever.
    /// </summary>
    public TimeSpan AwayWaitForMembers { get; set; } = TimeSpan.FromMinutes(5);

    /// <summary>How often a running node records in its data directory that it is alive; must be well under <see cref="Horizon"/>.</summary>
    public TimeSpan AliveMarkInterval { get; set; } = TimeSpan.FromMinutes(1);

    public IEnumerable<string> Validate(TimeSpan reapAfter)
    {
        if (Interval < TimeSpan.FromMilliseconds(10) || Interval > TimeSpan.FromDays(1))
        {
            yield return $"Tombstones:Interval must be between 00:00:00.010 and 1.00:00:00 (is {Interval})";
        }

        if (KeysPerPass is < 1 or > 10_000)
        {
            yield return $"Tombstones:KeysPerPass must be between 1 and 10000 (is {KeysPerPass})";
        }

        if (Grace < TimeSpan.Zero || Grace > TimeSpan.FromDays(1))
        {
            yield return $"Tombstones:Grace must be between 00:00:00 and 1.00:00:00 (is {Grace})";
        }

        if (PeerTimeout <= TimeSpan.Zero || PeerTimeout > TimeSpan.FromMinutes(5))
        {
            yield return $"Tombstones:PeerTimeout must be positive and at most 5 minutes (is {PeerTimeout})";
        }

        if (AliveMarkInterval < TimeSpan.FromMilliseconds(10) || AliveMarkInterval * 4 > Horizon)
        {
            yield return $"Tombstones:AliveMarkInterval must be at least 00:00:00.010 and at most a quarter of Tombstones:Horizon (is {AliveMarkInterval}, horizon {Horizon})";
        }

        if (AwayWaitForMembers < TimeSpan.Zero || AwayWaitForMembers > TimeSpan.FromDays(1))
        {
            yield return $"Tombstones:AwayWaitForMembers must be between 00:00:00 and 1.00:00:00 (is {AwayWaitForMembers})";
        }

        if (RestoreKeysPerSecond is < 0 or > 10_000_000)
        {
            yield return $"Tombstones:RestoreKeysPerSecond must be between 0 (no limit) and 10000000 (is {RestoreKeysPerSecond})";
        }

        if (Horizon >= reapAfter)
        {
            yield return $"Tombstones:Horizon must be less than Membership:ReapAfter (is {Horizon}, reap after {reapAfter}): a node away longer than the reap time may have missed collections";
        }
    }
}
