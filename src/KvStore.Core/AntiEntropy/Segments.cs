namespace KvStore.Core.AntiEntropy;

/// <summary>
/// The fixed partition of the ring that anti-entropy hashes: a key belongs to leaf segment = the
/// top <see cref="Bits"/> bits of its ring position (<see cref="Ring.HashRing.KeyHash"/>), and the
/// segments are the leaves of a tree of fan-out <see cref="FanOut"/>. Being fixed, rather than cut
/// at the ring's tokens, the leaves survive every membership change, so the store can maintain them
/// on the write path (the scheme of Riak's Tictac AAE, which uses fixed segments for the same reason).
/// </summary>
/// <remarks>
/// Part of the wire contract and of the on-disk format: two nodes compare node hashes by depth and
/// index, so both must cut the ring the same way.
/// </remarks>
public static class Segments
{
    /// <summary>
    /// Leaf segments are 2^16: about 1.5 keys per leaf at 100,000 keys, so a differing leaf lists
    /// few keys, and 65,536 × 8 bytes of leaves (plus a fifteenth for the inner levels) stay in memory.
    /// </summary>
    public const int Bits = 16;

    /// <summary>Number of leaf segments.</summary>
    public const int Count = 1 << Bits;

    /// <summary>Children per inner node: a descent costs 16 hashes per differing node.</summary>
    public const int FanOut = 16;

    /// <summary>Bits of the ring position one level of the tree consumes.</summary>
    public const int BitsPerLevel = 4;

    /// <summary>Depth of the leaves; the root is depth 0.</summary>
    public const int LeafDepth = Bits / BitsPerLevel;

    /// <summary>The leaf segment of a ring position.</summary>
    public static int Of(ulong position) => (int)(position >> (64 - Bits));

    /// <summary>Nodes at <paramref name="depth"/>: 16^depth.</summary>
    public static int NodesAt(int depth)
    {
        CheckDepth(depth);
        return 1 << (BitsPerLevel * depth);
    }

    /// <summary>The node at <paramref name="depth"/> that holds a ring position.</summary>
    public static int NodeOf(int depth, ulong position)
    {
        CheckDepth(depth);
        return depth == 0 ? 0 : (int)(position >> (64 - (BitsPerLevel * depth)));
    }

    /// <summary>The first and last ring positions under node <paramref name="index"/> at <paramref name="depth"/>, inclusive.</summary>
    public static HashInterval Span(int depth, int index)
    {
        CheckDepth(depth);
        if (depth == 0)
        {
            return HashInterval.Full;
        }

        var shift = 64 - (BitsPerLevel * depth);
        var first = (ulong)index << shift;
        return new HashInterval(first, first | ((1UL << shift) - 1));
    }

    private static void CheckDepth(int depth) => ArgumentOutOfRangeException.ThrowIfGreaterThan((uint)depth, (uint)LeafDepth, nameof(depth));
}
