namespace KvStore.Kvbench.Generators;

/// <summary>
/// Zipfian popularity, but with the popular items scattered over [0, items) instead of packed at
/// its start, as YCSB's ScrambledZipfianGenerator does: draw from a Zipfian over a huge fixed item
/// space and map the rank through a 64-bit FNV-1a hash modulo the item count.
/// </summary>
/// <remarks>
/// Without the scramble the hot keys would be user000..., neighbours in key order; KvStore hashes
/// keys onto its ring anyway, but a store that orders keys would get an unfairly cache-friendly hot
/// set. The huge space (10^10 items, with YCSB's precomputed zeta for theta 0.99) makes the skew
/// independent of the record count, so runs with different --records stay comparable. As in YCSB,
/// the hash folds some ranks together, so the hottest key here is somewhat less hot than rank 0 of
/// a plain Zipfian over the same count.
/// </remarks>
internal sealed class ScrambledZipfianGenerator
{
    private const long ItemSpace = 10_000_000_000L;

    /// <summary>zeta(10^10, 0.99), as YCSB precomputes it (summing 10^10 terms would take minutes).</summary>
    private const double ZetaOfItemSpace = 26.46902820178302;

    private readonly ZipfianGenerator _zipfian = new(ItemSpace, ZipfianGenerator.YcsbConstant, ZetaOfItemSpace);
    private readonly ulong _items;

    public ScrambledZipfianGenerator(long items)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        _items = (ulong)items;
    }

    public long Next(Random random) => (long)(Fnv1a64((ulong)_zipfian.Next(random)) % _items);

    /// <summary>FNV-1a over the 8 bytes of <paramref name="value"/>, low byte first (YCSB's fnvhash64).</summary>
    internal static ulong Fnv1a64(ulong value)
    {
        const ulong OffsetBasis = 0xCBF29CE484222325UL;
        const ulong Prime = 1099511628211UL;
        var hash = OffsetBasis;
        for (var i = 0; i < 8; i++)
        {
            hash ^= value & 0xFF;
            hash *= Prime;
            value >>= 8;
        }

        return hash;
    }
}
