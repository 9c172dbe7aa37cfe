using System.Runtime.InteropServices;
using KvStore.Core.Crdt;

namespace KvStore.Storage;

/// <summary>
/// The decoded objects the writer committed most recently, least recently used evicted first,
/// bounded by their encoded size. Every write of the objects family goes through the single writer,
/// so an entry here is always the key's latest committed state and an update of a hot key skips
/// the RocksDB lookup and the decode. Each entry keeps the object's <see cref="Core.AntiEntropy.ObjectHash"/>
/// too, which the writer needs to take the old object out of its Merkle leaf. Used by the writer
/// thread only; not thread-safe.
/// </summary>
internal sealed class RecentObjects
{
    private readonly long _capacityBytes;
    private readonly Dictionary<byte[], LinkedListNode<Entry>> _entries = new(ByteOrder.Instance);
    private readonly LinkedList<Entry> _order = new();
    private long _bytes;

    /// <param name="capacityBytes">Most encoded bytes held; zero turns the cache off.</param>
    public RecentObjects(long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        _capacityBytes = capacityBytes;
    }

    public int Count => _entries.Count;

    public long Bytes => _bytes;

    public bool TryGet(byte[] key, out KvObject? value, out ulong hash)
    {
        if (_entries.TryGetValue(key, out var node))
        {
            _order.Remove(node);
            _order.AddFirst(node);
            value = node.Value.Object;
            hash = node.Value.Hash;
            return true;
        }

        value = null;
        hash = 0;
        return false;
    }

    /// <summary>Records a key's committed object; one larger than a quarter of the capacity is not kept.</summary>
    public void Set(byte[] key, KvObject value, int encodedBytes, ulong hash)
    {
        if (encodedBytes > _capacityBytes / 4)
        {
            Remove(key);
            return;
        }

        // A key already held keeps its list node, so rewriting a hot key allocates nothing here.
        ref var node = ref CollectionsMarshal.GetValueRefOrAddDefault(_entries, key, out var held);
        if (held)
        {
            _bytes -= node!.Value.EncodedBytes;
            node.Value = new Entry(node.Value.Key, value, encodedBytes, hash);
            _order.Remove(node);
            _order.AddFirst(node);
        }
        else
        {
            node = _order.AddFirst(new Entry(key, value, encodedBytes, hash));
        }

        _bytes += encodedBytes;
        while (_bytes > _capacityBytes && _order.Last is { } oldest)
        {
            Remove(oldest.Value.Key);
        }
    }

    public void Remove(byte[] key)
    {
        if (_entries.Remove(key, out var node))
        {
            _order.Remove(node);
            _bytes -= node.Value.EncodedBytes;
        }
    }

    public void Clear()
    {
        _entries.Clear();
        _order.Clear();
        _bytes = 0;
    }

    private readonly record struct Entry(byte[] Key, KvObject Object, int EncodedBytes, ulong Hash);
}
