using KvStore.Core.AntiEntropy;
using KvStore.Core.Crdt;
using KvStore.Core.Ring;
using KvStore.Core.Serialization;

namespace KvStore.Testing.Memory;

/// <summary>
/// The anti-entropy side of an in-memory store: each key's (position, hash) in ring order and the
/// XOR-leaved segment tree, kept exact as keys are set and removed, as RocksObjectStore keeps them
/// in its write batches. Not thread-safe: the store that owns it serializes its calls. Shared by
/// the cluster tests' and the simulator's stores (the file is linked into both projects).
/// </summary>
internal sealed class MemoryMerkleIndex
{
    private readonly Dictionary<byte[], KeyHash> _hashes = new(ByteOrder.Instance);
    private readonly SortedSet<KeyHash> _index = new(RingOrder.Instance);
    private readonly SegmentLeaves _tree = new();

    /// <summary>Records the key's new object, taking its old hash out of its leaf.</summary>
    public void Set(byte[] key, KvObject obj)
    {
        var entry = new KeyHash(key, HashRing.KeyHash(key), ObjectHash.Of(key, ObjectCodec.Encode(obj)));
        var old = 0UL;
        if (_hashes.Remove(key, out var previous))
        {
            _index.Remove(previous);
            old = previous.Hash;
        }

        _hashes[key] = entry;
        _index.Add(entry);
        _tree.Xor(Segments.Of(entry.Position), old ^ entry.Hash);
    }

    /// <summary>Takes a removed key out of the index and its hash out of its leaf.</summary>
    public void Remove(byte[] key)
    {
        if (_hashes.Remove(key, out var entry))
        {
            _index.Remove(entry);
            _tree.Xor(Segments.Of(entry.Position), entry.Hash);
        }
    }

    public ulong NodeHash(int depth, int index) => _tree.Node(depth, index);

    public ulong RangeHash(HashInterval interval) => Between(interval).Aggregate(0UL, (h, e) => h ^ e.Hash);

    public IReadOnlyList<KeyHash> ListKeyHashes(HashInterval interval, byte[]? after, int max)
    {
        var afterEntry = after is null ? null : new KeyHash(after, HashRing.KeyHash(after), 0);
        return Between(interval).Where(e => afterEntry is null || RingOrder.Instance.Compare(e, afterEntry) > 0).Take(max).ToList();
    }

    private IEnumerable<KeyHash> Between(HashInterval interval)
    {
        if (_index.Count == 0)
        {
            return [];
        }

        // Keys are never empty, so (position, empty key) sorts before every key at that position.
        var lower = new KeyHash([], interval.First, 0);
        var upper = interval.Last == ulong.MaxValue ? _index.Max! : new KeyHash([], interval.Last + 1, 0);
        return RingOrder.Instance.Compare(lower, upper) > 0 ? [] : _index.GetViewBetween(lower, upper).Where(e => interval.Contains(e.Position));
    }

    private sealed class RingOrder : IComparer<KeyHash>
    {
        public static RingOrder Instance { get; } = new();

        public int Compare(KeyHash? x, KeyHash? y)
        {
            var c = x!.Position.CompareTo(y!.Position);
            return c != 0 ? c : ByteOrder.Instance.Compare(x.Key, y.Key);
        }
    }
}
