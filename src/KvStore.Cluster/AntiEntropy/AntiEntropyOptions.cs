namespace KvStore.Cluster.AntiEntropy;

/// <summary>How often and how hard replicas compare their trees (configuration section "AntiEntropy").</summary>
public sealed class AntiEntropyOptions
{
    public const string Section = "AntiEntropy";

    /// <summary>
    /// Compare trees on a timer. Hints and read repair only speed convergence up; this is what
    /// guarantees it, so turn it off only to measure or debug.
    /// </summary>
    public bool Enabled { get; set; } = true;

    /// <summary>
    /// Time between rounds; each round exchanges with the next <see cref="MaxConcurrentExchanges"/>
    /// peers that share ranges with this node, in turn. An exchange of trees that agree costs one
    /// round trip of a few dozen bytes, so ten seconds costs little and bounds how long a missed
    /// write stays on fewer replicas than N (Riak's AAE ticks every 15 s).
    /// </summary>
    public TimeSpan Interval { get; set; } = TimeSpan.FromSeconds(10);

    /// <summary>Each wait is the interval times a random factor in 1 ± this, so nodes started together do not exchange in lockstep.</summary>
    public double Jitter { get; set; } = 0.2;

    /// <summary>Exchanges this node runs at once (it also answers the exchanges others start).</summary>
    public int MaxConcurrentExchanges { get; set; } = 2;

    /// <summary>
    /// Bytes per second this node's exchanges may send and receive together: tree hashes, key
    /// listings and the repaired objects. It bounds the disk reads and writes an exchange causes on
    /// both ends as well as the network; 0 means no bound.
    /// </summary>
    public long MaxBytesPerSecond { get; set; } = 8L << 20;

    /// <summary>
    /// Differing keys one exchange repairs at most; the rest are found again by the next exchange.
    /// Bounds the memory of one exchange after a long partition.
    /// </summary>
    public int MaxKeysPerExchange { get; set; } = 10_000;

    public IEnumerable<string> Validate()
    {
        if (Interval < TimeSpan.FromMilliseconds(10) || Interval > TimeSpan.FromDays(1))
        {
            yield return $"AntiEntropy:Interval must be between 00:00:00.010 and 1.00:00:00 (is {Interval})";
        }

        if (double.IsNaN(Jitter) || Jitter is < 0 or > 0.9)
        {
            yield return $"AntiEntropy:Jitter must be between 0 and 0.9 (is {Jitter})";
        }

        if (MaxConcurrentExchanges is < 1 or > 64)
        {
            yield return $"AntiEntropy:MaxConcurrentExchanges must be between 1 and 64 (is {MaxConcurrentExchanges})";
        }

        if (MaxBytesPerSecond is < 0 or (> 0 and < 65_536))
        {
            yield return $"AntiEntropy:MaxBytesPerSecond must be 0 (no bound) or at least 65536 (is {MaxBytesPerSecond})";
        }

        if (MaxKeysPerExchange is < 1 or > 1_000_000)
        {
            yield return $"AntiEntropy:MaxKeysPerExchange must be between 1 and 1000000 (is {MaxKeysPerExchange})";
        }
    }
}
