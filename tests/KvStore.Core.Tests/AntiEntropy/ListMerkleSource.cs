using KvStore.Core.AntiEntropy;
using KvStore.Core.Ring;

namespace KvStore.Core.Tests.AntiEntropy;

/// <summary>A replica's keys as a plain sorted list, with the maintained tree beside it: the simplest store that answers <see cref="IMerkleSource"/>.</summary>
internal sealed class ListMerkleSource : IMerkleSource
{
    private readonly List<KeyHash> _entries;
    private readonly SegmentLeaves _tree = new();

    public ListMerkleSource(IEnumerable<(byte[] Key, ulong Hash)> keys)
    {
        _entries = keys.Select(k => new KeyHash(k.Key, HashRing.KeyHash(k.Key), k.Hash))
            .OrderBy(e => e.Position).ThenBy(e => e.Key, Crdt.ByteOrder.Instance).ToList();
        foreach (var e in _entries)
        {
            _tree.Xor(Segments.Of(e.Position), e.Hash);
        }
    }

    public IReadOnlyList<KeyHash> Entries => _entries;

    public ulong NodeHash(int depth, int index) => _tree.Node(depth, index);

    public ulong RangeHash(HashInterval interval) =>
        _entries.Where(e => interval.Contains(e.Position)).Aggregate(0UL, (h, e) => h ^ e.Hash);

    public IReadOnlyList<KeyHash> ListKeyHashes(HashInterval interval, byte[]? after, int max)
    {
        var afterPosition = after is null ? 0 : HashRing.KeyHash(after);
        return _entries.Where(e => interval.Contains(e.Position))
            .Where(e => after is null || e.Position > afterPosition || (e.Position == afterPosition && Crdt.ByteOrder.Instance.Compare(e.Key, after) > 0))
            .Take(max).ToList();
    }
}
