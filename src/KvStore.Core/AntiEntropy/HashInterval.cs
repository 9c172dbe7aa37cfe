namespace KvStore.Core.AntiEntropy;

/// <summary>Ring positions from <see cref="First"/> to <see cref="Last"/>, both included (so the whole ring fits).</summary>
public readonly record struct HashInterval
{
    public HashInterval(ulong first, ulong last)
    {
        if (first > last)
        {
            throw new ArgumentException($"an interval's first position {first} is after its last {last}");
        }

        First = first;
        Last = last;
    }

    public static HashInterval Full { get; } = new(0, ulong.MaxValue);

    public ulong First { get; }

    public ulong Last { get; }

    public bool Contains(ulong position) => position >= First && position <= Last;

    /// <summary>Positions covered, as a fraction of the ring.</summary>
    public double Fraction => ((double)(Last - First) + 1) / 18446744073709551616.0;

    public override string ToString() => $"[{First:x16}, {Last:x16}]";
}
