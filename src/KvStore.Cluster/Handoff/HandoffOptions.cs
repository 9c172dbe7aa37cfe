namespace KvStore.Cluster.Handoff;

/// <summary>How ranges move between nodes when ownership changes (configuration section "Handoff").</summary>
public sealed class HandoffOptions
{
    public const string Section = "Handoff";

    /// <summary>
    /// Push ranges to their new owners when the ring changes. Anti-entropy would get there too, but
    /// only between replicas that already share ranges and only as fast as its timer; off only to
    /// measure or debug.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Bytes per second this node's transfers may send and receive together (tree hashes, key
    /// listings and objects). Separate from anti-entropy's bound, so a join does not starve repair;
    /// 0 means no bound.
    /// </summary>
    public long MaxBytesPerSecond { get; set; } = 16L << 20;

    /// <summary>Transfers this node runs at once, each to a different target.</summary>
    public int MaxConcurrentTransfers { get; set; } = 2;

    /// <summary>Wait before a failed transfer is tried again; a retry only moves what still differs.</summary>
    public TimeSpan RetryDelay { get; set; } = TimeSpan.FromSeconds(5);

    /// <summary>
    /// How long a node that leaves (SIGTERM, or <c>kvctl cluster leave</c>) waits for its transfers
    /// before it stops anyway; what remains is logged, and anti-entropy among the others restores it.
    /// </summary>
    public TimeSpan LeaveTimeout { get; set; } = TimeSpan.FromSeconds(60);

    /// <summary>Finished transfers kept for the admin view; older ones are dropped.</summary>
    public int MaxFinishedShown { get; set; } = 32;

    public IEnumerable<string> Validate()
    {
        if (MaxBytesPerSecond is < 0 or (> 0 and < 65_536))
        {
            yield return $"Handoff:MaxBytesPerSecond must be 0 (no bound) or at least 65536 (is {MaxBytesPerSecond})";
        }

        if (MaxConcurrentTransfers is < 1 or > 16)
        {
            yield return $"Handoff:MaxConcurrentTransfers must be between 1 and 16 (is {MaxConcurrentTransfers})";
        }

        if (RetryDelay < TimeSpan.FromMilliseconds(10) || RetryDelay > TimeSpan.FromHours(1))
        {
            yield return $"Handoff:RetryDelay must be between 00:00:00.010 and 01:00:00 (is {RetryDelay})";
        }

        if (LeaveTimeout < TimeSpan.Zero || LeaveTimeout > TimeSpan.FromHours(1))
        {
            yield return $"Handoff:LeaveTimeout must be between 00:00:00 and 01:00:00 (is {LeaveTimeout})";
        }

        if (MaxFinishedShown is < 0 or > 1024)
        {
            yield return $"Handoff:MaxFinishedShown must be between 0 and 1024 (is {MaxFinishedShown})";
        }
    }
}
