namespace KvStore.Core.AntiEntropy;

/// <summary>
/// Every node of the segment tree, held in memory: the 65,536 leaves and their 4,369 ancestors,
/// each the XOR of the keys' hashes under it. A change of one key's hash XORs the same delta into
/// one node per depth, so the whole tree stays current at five XORs a write and reading any node
/// is an array access.
/// </summary>
/// <remarks>One writer at a time; readers may run concurrently and see a change half applied (one depth updated, the next not yet), which only makes an exchange look at a few more nodes.</remarks>
public sealed class SegmentLeaves
{
    private readonly ulong[][] _levels;

    public SegmentLeaves()
    {
        _levels = new ulong[Segments.LeafDepth + 1][];
        for (var depth = 0; depth <= Segments.LeafDepth; depth++)
        {
            _levels[depth] = new ulong[Segments.NodesAt(depth)];
        }
    }

    public ulong Node(int depth, int index) => Volatile.Read(ref _levels[depth][index]);

    public ulong Leaf(int segment) => Node(Segments.LeafDepth, segment);

    /// <summary>Applies a change of the leaf's hash by XOR (old hash XOR new hash of one key), up to the root.</summary>
    public void Xor(int segment, ulong delta)
    {
        if (delta == 0)
        {
            return;
        }

        for (var depth = Segments.LeafDepth; depth >= 0; depth--)
        {
            ref var node = ref _levels[depth][segment >> (Segments.BitsPerLevel * (Segments.LeafDepth - depth))];
            Volatile.Write(ref node, node ^ delta);
        }
    }

    /// <summary>Sets a leaf to a value (as loaded from disk), adjusting its ancestors.</summary>
    public void Set(int segment, ulong value) => Xor(segment, Leaf(segment) ^ value);
}
