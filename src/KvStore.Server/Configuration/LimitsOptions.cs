namespace KvStore.Server.Configuration;

/// <summary>Bounds on what one request may carry. Each is checked before anything is stored.</summary>
public sealed class LimitsOptions
{
    /// <summary>Longest key. Keys are copied into every replica's index and every Merkle leaf, so they are kept short.</summary>
    public int MaxKeyBytes { get; set; } = 1024;

    /// <summary>Largest register value. Objects are read and rewritten whole on every update; past a megabyte that copy dominates.</summary>
    public int MaxValueBytes { get; set; } = 1024 * 1024;

    /// <summary>Largest set element.</summary>
    public int MaxElementBytes { get; set; } = 64 * 1024;

    /// <summary>Elements in one SetAdd or SetRemove.</summary>
    public int MaxElementsPerRequest { get; set; } = 10_000;

    /// <summary>Largest causal context a client may send back.</summary>
    public int MaxContextBytes { get; set; } = 64 * 1024;

    /// <summary>
    /// Operations in one Batch call. A batch holds its operations and their results in memory until
    /// the last one ends, and runs many of them at once, so one call must not be able to take the
    /// node's memory or all of its <c>Replication:MaxPendingRequests</c> slots.
    /// </summary>
    public int MaxBatchOperations { get; set; } = 1000;

    /// <summary>
    /// Largest gRPC message the node accepts; bigger ones are refused with RESOURCE_EXHAUSTED before
    /// they are read in full. Must leave room for a maximal value plus key and context.
    /// </summary>
    public int MaxMessageBytes { get; set; } = 4 * 1024 * 1024;

    public IEnumerable<string> Validate()
    {
        if (MaxKeyBytes is < 1 or > 65_536)
        {
            yield return $"Limits:MaxKeyBytes must be between 1 and 65536 (is {MaxKeyBytes})";
        }

        if (MaxValueBytes is < 1 or > 64 * 1024 * 1024)
        {
            yield return $"Limits:MaxValueBytes must be between 1 and 67108864 (is {MaxValueBytes})";
        }

        if (MaxElementBytes is < 1 or > 1024 * 1024)
        {
            yield return $"Limits:MaxElementBytes must be between 1 and 1048576 (is {MaxElementBytes})";
        }

        if (MaxElementsPerRequest is < 1 or > 1_000_000)
        {
            yield return $"Limits:MaxElementsPerRequest must be between 1 and 1000000 (is {MaxElementsPerRequest})";
        }

        if (MaxBatchOperations is < 1 or > 100_000)
        {
            yield return $"Limits:MaxBatchOperations must be between 1 and 100000 (is {MaxBatchOperations})";
        }

        if (MaxContextBytes is < 16 or > 16 * 1024 * 1024)
        {
            yield return $"Limits:MaxContextBytes must be between 16 and 16777216 (is {MaxContextBytes})";
        }

        var needed = (long)MaxValueBytes + MaxKeyBytes + MaxContextBytes;
        if (MaxMessageBytes < needed || MaxMessageBytes > 256 * 1024 * 1024)
        {
            yield return $"Limits:MaxMessageBytes must be at least MaxValueBytes + MaxKeyBytes + MaxContextBytes ({needed}) and at most 268435456 (is {MaxMessageBytes})";
        }
    }
}
