namespace KvStore.Kvbench.Generators;

/// <summary>Picks the record a read or update goes to. One per caller; not thread-safe.</summary>
internal abstract class KeyChooser
{
    public abstract long Next(Random random);

    public static KeyChooser Create(Distribution distribution, long records) => distribution switch
    {
        Distribution.Uniform => new Uniform(records),
        _ => new Zipfian(records),
    };

    private sealed class Uniform(long records) : KeyChooser
    {
        public override long Next(Random random) => random.NextInt64(records);
    }

    private sealed class Zipfian(long records) : KeyChooser
    {
        private readonly ScrambledZipfianGenerator _generator = new(records);

        public override long Next(Random random) => _generator.Next(random);
    }
}

/// <summary>
/// Workload D's reads: skewed towards the most recently inserted records (YCSB's
/// SkewedLatestGenerator). Rank 0 of a Zipfian is the newest key, rank 1 the one before, and the
/// Zipfian grows with the insert count.
/// </summary>
internal sealed class LatestKeyChooser(InsertCounter inserts, ZipfianGenerator zipfian) : KeyChooser
{
    public override long Next(Random random)
    {
        var latest = inserts.Count;
        zipfian.Grow(latest);
        return Math.Max(0, latest - 1 - zipfian.Next(random));
    }
}

/// <summary>
/// The shared key counter of workload D: the records loaded are keys [0, records), and each insert
/// takes the next key. A read may pick a key whose insert is still in flight and find nothing,
/// which counts as a read (YCSB waits for acknowledgement; at 5% inserts the difference is tiny).
/// </summary>
internal sealed class InsertCounter(long records)
{
    private long _count = records;

    public long Count => Volatile.Read(ref _count);

    /// <summary>Claims the next fresh key.</summary>
    public long Next() => Interlocked.Increment(ref _count) - 1;
}
