namespace KvStore.Kvbench.Generators;

/// <summary>
/// Draws integers in [0, items) with a Zipfian distribution: item 0 is the most popular, item 1
/// the next, and so on, with the popularity of rank i proportional to 1 / (i + 1)^theta.
/// </summary>
/// <remarks>
/// The algorithm is the one of Gray, Sundaresan, Englert, Baclawski and Weinberger, "Quickly
/// generating billion-record synthetic databases" (SIGMOD 1994), section 4.2, as YCSB's
/// ZipfianGenerator implements it: after computing zeta(n, theta) once, each draw costs one
/// uniform number and one power. The item count may grow (workload D inserts keys): zeta is then
/// extended incrementally over the new items instead of recomputed, which is exact because zeta is
/// a prefix sum. Not thread-safe: each caller owns one.
/// </remarks>
internal sealed class ZipfianGenerator
{
    /// <summary>YCSB's default skew: about 80% of requests go to the most popular few percent of keys.</summary>
    public const double YcsbConstant = 0.99;

    private readonly double _theta;
    private readonly double _alpha;
    private readonly double _zeta2Theta;
    private readonly double _halfPowTheta;
    private long _items;
    private double _zetaN;
    private double _eta;

    public ZipfianGenerator(long items, double theta = YcsbConstant)
        : this(items, theta, Zeta(items, theta))
    {
    }

    /// <summary>With zeta(items, theta) already known, which saves O(items) work per instance.</summary>
    public ZipfianGenerator(long items, double theta, double zetaN)
    {
        ArgumentOutOfRangeException.ThrowIfLessThan(items, 1);
        if (!(theta > 0 && theta < 1))
        {
            throw new ArgumentOutOfRangeException(nameof(theta), theta, "theta must be in (0, 1)");
        }

        _theta = theta;
        _alpha = 1.0 / (1.0 - theta);
        _zeta2Theta = Zeta(2, theta);
        _halfPowTheta = Math.Pow(0.5, theta);
        _items = items;
        _zetaN = zetaN;
        _eta = Eta();
    }

    public long Items => _items;

    /// <summary>zeta(n, theta) = sum over i = 1..n of 1 / i^theta.</summary>
    public static double Zeta(long n, double theta) => ZetaFrom(0, n, theta, 0);

    /// <summary>Extends <paramref name="sum"/> = zeta(<paramref name="from"/>, theta) to zeta(<paramref name="to"/>, theta).</summary>
    private static double ZetaFrom(long from, long to, double theta, double sum)
    {
        for (var i = from; i < to; i++)
        {
            sum += 1.0 / Math.Pow(i + 1, theta);
        }

        return sum;
    }

    /// <summary>Lets later draws cover [0, <paramref name="items"/>); a smaller count is ignored (zeta only extends).</summary>
    public void Grow(long items)
    {
        if (items > _items)
        {
            _zetaN = ZetaFrom(_items, items, _theta, _zetaN);
            _items = items;
            _eta = Eta();
        }
    }

    public long Next(Random random) => Next(random.NextDouble());

    /// <summary>The item for the uniform number <paramref name="u"/> in [0, 1).</summary>
    public long Next(double u)
    {
        var uz = u * _zetaN;
        if (uz < 1.0)
        {
            return 0;
        }

        if (uz < 1.0 + _halfPowTheta)
        {
            return 1;
        }

        var item = (long)(_items * Math.Pow((_eta * u) - _eta + 1, _alpha));
        return Math.Min(item, _items - 1);
    }

    private double Eta() => (1 - Math.Pow(2.0 / _items, 1 - _theta)) / (1 - (_zeta2Theta / _zetaN));
}
