namespace KvStore.Kvbench;

/// <summary>What one step of a caller's loop does.</summary>
internal enum Operation
{
    Read = 0,
    Update = 1,
    Insert = 2,
    ReadModifyWrite = 3,
    Empty = 4,

    /// <summary>One Batch call of --batch-size puts; counted as that many operations.</summary>
    BatchPut = 5,
}

/// <summary>
/// A workload: the mix of operations and whether reads favour recent inserts. The letters are
/// YCSB's core workloads (Cooper et al., "Benchmarking Cloud Serving Systems with YCSB", SoCC 2010)
/// mapped onto KvStore's register API: read = Get, update and insert = Put, read-modify-write = Get
/// then Put with the read's context.
/// </summary>
/// <remarks>
/// Workload E (short range scans) is left out: KvStore has no range scan, because keys are hashed
/// across the ring and no node holds a key range in order. Emulating a scan with many Gets would
/// measure something else under E's name.
/// </remarks>
internal sealed record Workload(string Name, string Description, double Read, double Update, double Insert, double ReadModifyWrite, double Empty, double BatchPut = 0)
{
    /// <summary>How many values <see cref="Operation"/> has, for arrays indexed by it.</summary>
    public const int OperationCount = 6;

    public static readonly Workload A = new("A", "50% read, 50% update", 0.5, 0.5, 0, 0, 0);
    public static readonly Workload B = new("B", "95% read, 5% update", 0.95, 0.05, 0, 0, 0);
    public static readonly Workload C = new("C", "100% read", 1, 0, 0, 0, 0);
    public static readonly Workload D = new("D", "95% read of the latest records, 5% insert", 0.95, 0, 0.05, 0, 0);
    public static readonly Workload F = new("F", "50% read, 50% read-modify-write", 0.5, 0, 0, 0.5, 0);
    public static readonly Workload Put = new("put", "100% put of a fresh value", 0, 1, 0, 0, 0);
    public static readonly Workload EmptyCall = new("empty", "100% gRPC health check (the empty-call baseline)", 0, 0, 0, 0, 1);
    public static readonly Workload Batch = new("batch", "Batch calls of puts of fresh values", 0, 0, 0, 0, 0, BatchPut: 1);

    public static IReadOnlyList<Workload> All { get; } = [A, B, C, D, F, Put, EmptyCall, Batch];

    /// <summary>Whether each call carries --batch-size operations rather than one.</summary>
    public bool Batched => BatchPut > 0;

    /// <summary>Operations one call of this workload carries.</summary>
    public int OperationsPerCall(int batchSize) => Batched ? batchSize : 1;

    /// <summary>Reads go to recently inserted records (workload D) rather than by --distribution.</summary>
    public bool ReadsLatest => Insert > 0;

    /// <summary>Whether there is anything to read, so the records are loaded before the run.</summary>
    public bool NeedsLoad => Read > 0 || ReadModifyWrite > 0;

    /// <summary>Finds a workload by name, ignoring case; null if there is none.</summary>
    public static Workload? Find(string name)
    {
        foreach (var w in All)
        {
            if (string.Equals(w.Name, name, StringComparison.OrdinalIgnoreCase))
            {
                return w;
            }
        }

        return null;
    }

    /// <summary>The operation for a uniform number <paramref name="u"/> in [0, 1).</summary>
    public Operation Choose(double u)
    {
        if (u < Read)
        {
            return Operation.Read;
        }

        u -= Read;
        if (u < Update)
        {
            return Operation.Update;
        }

        u -= Update;
        if (u < Insert)
        {
            return Operation.Insert;
        }

        u -= Insert;
        if (u < ReadModifyWrite)
        {
            return Operation.ReadModifyWrite;
        }

        u -= ReadModifyWrite;
        if (u < Empty)
        {
            return Operation.Empty;
        }

        // A batch, or rounding at the very top of the range: the last operation with a share.
        return BatchPut > 0 ? Operation.BatchPut
            : Empty > 0 ? Operation.Empty
            : ReadModifyWrite > 0 ? Operation.ReadModifyWrite
            : Insert > 0 ? Operation.Insert
            : Update > 0 ? Operation.Update
            : Operation.Read;
    }
}
