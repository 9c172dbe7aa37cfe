namespace KvStore.Storage;

/// <summary>Where and how the node keeps its data.</summary>
public sealed class StorageOptions
{
    /// <summary>The RocksDB directory; relative paths are taken from the working directory.</summary>
    public string DataDir { get; set; } = "data";

    /// <summary>
    /// Fsync the write-ahead log before acknowledging. Off by default: the WAL is written before
    /// every acknowledgement either way, which survives a crash of the process; fsync also survives
    /// a crash of the machine, at the cost of one disk flush per write group.
    /// </summary>
    public bool Sync { get; set; }

    /// <summary>
    /// Run RocksDB's flushes and compactions at the lowest CPU priority, so that on shared cores
    /// they take the time requests leave rather than stalling them. Turn it off on a node whose
    /// writes outrun its flushes with the cores busy, where RocksDB would then slow writes down.
    /// </summary>
    public bool LowPriorityBackground { get; set; } = true;

    /// <summary>Keys one RocksDB write batch (and, with <see cref="Sync"/>, one fsync) takes items for; an item that writes many keys at once still goes whole into one batch.</summary>
    public int MaxBatchSize { get; set; } = 512;

    /// <summary>Mutations waiting for the writer. When full, callers wait: backpressure, not unbounded memory.</summary>
    public int QueueCapacity { get; set; } = 8192;

    /// <summary>
    /// Largest encoded object one key may hold. Every update reads, merges and rewrites the whole
    /// object, so this bounds the memory and I/O of one write; a write that would pass it is refused.
    /// </summary>
    public int MaxObjectBytes { get; set; } = 16 * 1024 * 1024;

    /// <summary>
    /// Most hints kept for one target node. A node that stays down long enough would otherwise fill
    /// the disk of every fallback; past the bound a write for a new key is not hinted (and counted),
    /// and anti-entropy brings the target up to date when it returns. One hint per key, so this is
    /// also the number of distinct keys waiting for the target.
    /// </summary>
    public int MaxHintsPerTarget { get; set; } = 100_000;

    /// <summary>
    /// Bytes of recently written objects (encoded, with their keys) the writer keeps in memory, so
    /// updating a hot key needs no RocksDB lookup. Zero turns it off; at most 1 GiB.
    /// </summary>
    public long RecentObjectsBytes { get; set; } = 32 * 1024 * 1024;

    /// <summary>
    /// Leaf changes the anti-entropy tree's log takes before the writer checkpoints the whole tree
    /// (512 KiB) and empties the log. Not a setting: tests lower it to checkpoint often.
    /// </summary>
    internal long TreeCheckpointDeltas { get; init; } = 65_536;

    public IEnumerable<string> Validate()
    {
        if (RecentObjectsBytes is < 0 or > RecentObjects.MaxCapacityBytes)
        {
            yield return $"Storage:RecentObjectsBytes must be between 0 and {RecentObjects.MaxCapacityBytes} (is {RecentObjectsBytes})";
        }

        if (MaxObjectBytes is < 1024 or > 512 * 1024 * 1024)
        {
            yield return $"Storage:MaxObjectBytes must be between 1024 and 536870912 (is {MaxObjectBytes})";
        }

        if (string.IsNullOrWhiteSpace(DataDir))
        {
            yield return "data directory must not be empty";
        }

        if (MaxBatchSize is < 1 or > 100_000)
        {
            yield return $"Storage:MaxBatchSize must be between 1 and 100000 (is {MaxBatchSize})";
        }

        if (QueueCapacity is < 1 or > 1_000_000)
        {
            yield return $"Storage:QueueCapacity must be between 1 and 1000000 (is {QueueCapacity})";
        }

        if (MaxHintsPerTarget is < 1 or > 10_000_000)
        {
            yield return $"Storage:MaxHintsPerTarget must be between 1 and 10000000 (is {MaxHintsPerTarget})";
        }
    }
}
