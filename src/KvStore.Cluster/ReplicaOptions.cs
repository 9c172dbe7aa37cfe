namespace KvStore.Cluster;

/// <summary>How a replica treats the writes it applies.</summary>
public sealed class ReplicaOptions
{
    /// <summary>
    /// How far ahead of this node's clock a timestamp from elsewhere (a client's context, later a
    /// peer) may be. A timestamp beyond it is refused and counted: taking it would push every later
    /// write on the key into the future. One minute tolerates badly synchronised clocks while still
    /// catching a clock that is hours or years off.
    /// </summary>
    public TimeSpan MaxClockDrift { get; set; } = TimeSpan.FromMinutes(1);

    /// <summary>Members one set may hold; an addition past it is refused.</summary>
    public int MaxSetElements { get; set; } = 100_000;

    /// <summary>
    /// Actors one key's version vector may name. Only replicas mint dots, so a key's vector is as
    /// wide as the number of storage incarnations that ever held it; this bounds that width.
    /// </summary>
    public int MaxVersionVectorWidth { get; set; } = 64;

    public IEnumerable<string> Validate()
    {
        if (MaxClockDrift < TimeSpan.Zero || MaxClockDrift > TimeSpan.FromDays(1))
        {
            yield return $"Replica:MaxClockDrift must be between 0 and 1 day (is {MaxClockDrift})";
        }

        if (MaxSetElements is < 1 or > 10_000_000)
        {
            yield return $"Replica:MaxSetElements must be between 1 and 10000000 (is {MaxSetElements})";
        }

        if (MaxVersionVectorWidth is < 1 or > 4096)
        {
            yield return $"Replica:MaxVersionVectorWidth must be between 1 and 4096 (is {MaxVersionVectorWidth})";
        }
    }
}
