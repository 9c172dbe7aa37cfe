using System.Buffers.Binary;

namespace KvStore.Storage;

/// <summary>
/// The encoded objects the writer committed most recently, so that an update of a hot key skips
/// the RocksDB lookup. Every write of the objects family goes through the single writer, so an
/// entry here is always the key's latest committed state. Each entry keeps the object's
/// <see cref="Core.AntiEntropy.ObjectHash"/> too, which the writer needs to take the old object
/// out of its Merkle leaf. Used by the writer thread only; not thread-safe.
/// <para>
/// The entries hold no references for the garbage collector to follow. Every write makes a new
/// entry that lives on, and as objects on the heap those entries were what each collection of the
/// youngest generation had to copy out: a node writing 20,000 keys a second paused for 15 ms
/// several times a second. Here entries are records appended to one byte array used as a ring,
/// found through a table of plain structs, and a write allocates nothing.
/// </para>
/// <para>
/// A record is a 16-byte header (key length, object length, object hash), the key and the object,
/// padded to 8 bytes. A key's new object that needs as many bytes as the one held (the usual case:
/// a value rewritten at the same size, with the same actors in its clock) is written over the old
/// one in place. Otherwise the write appends a record, and the key's older record stays behind,
/// dead, until the ring comes round to it. When the ring is full, the oldest records are dropped
/// to make room: first in, first out, so a hot key written in place leaves once a lap and comes
/// back on its next write. Appending every write instead let a few hot keys fill the ring with
/// dead copies of themselves and push most other keys out. A record that does not fit before the
/// ring's end leaves a skip mark there and starts again at the beginning. The ring starts small
/// and doubles up to the capacity, before it first wraps.
/// </para>
/// </summary>
internal sealed class RecentObjects
{
    /// <summary>The most <see cref="StorageOptions.RecentObjectsBytes"/> can be: one array.</summary>
    public const long MaxCapacityBytes = 1L << 30;

    private const int HeaderBytes = 16;
    private const int SkipMark = -1;
    private const int FirstRingBytes = 64 * 1024;
    private const int FirstSlots = 1024;

    private readonly int _capacity;
    private byte[] _ring = [];
    private Slot[] _slots = [];

    // Logical offsets, counting every byte ever appended; the live records lie in [_tail, _head).
    // A record at logical offset p is at p % _ring.Length: the ring grows only before it first
    // wraps, while every offset is still below its length.
    private long _head;
    private long _tail;
    private int _count;

    /// <param name="capacityBytes">Most bytes of records held; zero turns the cache off.</param>
    public RecentObjects(long capacityBytes)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(capacityBytes);
        ArgumentOutOfRangeException.ThrowIfGreaterThan(capacityBytes, MaxCapacityBytes);
        _capacity = (int)(capacityBytes & ~7L);
    }

    /// <summary>Keys held.</summary>
    public int Count => _count;

    /// <summary>Bytes of the ring in use, dead records (of keys appended again or removed) included until they are dropped.</summary>
    public long Bytes => _head - _tail;

    /// <summary>Finds a key's latest object.</summary>
    /// <param name="encoded">The encoded object, valid until the next <see cref="Set"/>, <see cref="Remove"/> or <see cref="Clear"/>.</param>
    public bool TryGet(byte[] key, out ReadOnlySpan<byte> encoded, out ulong hash)
    {
        var slot = Find(key, Hash(key));
        if (slot < 0)
        {
            encoded = default;
            hash = 0;
            return false;
        }

        var at = Physical(_slots[slot].Position);
        var header = _ring.AsSpan(at, HeaderBytes);
        var keyLength = BinaryPrimitives.ReadInt32LittleEndian(header);
        var objectLength = BinaryPrimitives.ReadInt32LittleEndian(header[4..]);
        hash = BinaryPrimitives.ReadUInt64LittleEndian(header[8..]);
        encoded = _ring.AsSpan(at + HeaderBytes + keyLength, objectLength);
        return true;
    }

    /// <summary>Records a key's committed object; a record over a quarter of the capacity is not kept.</summary>
    public void Set(byte[] key, ReadOnlySpan<byte> encoded, ulong hash)
    {
        var size = RecordBytes(key.Length, encoded.Length);
        if (size > _capacity / 4)
        {
            Remove(key);
            return;
        }

        var keyHash = Hash(key);
        var slot = Find(key, keyHash);
        if (slot >= 0)
        {
            var held = _slots[slot].Position;
            var heldObjectLength = BinaryPrimitives.ReadInt32LittleEndian(_ring.AsSpan(Physical(held) + 4));
            if (RecordBytes(key.Length, heldObjectLength) == size)
            {
                // The same room: the record is written over in place and the ring keeps no dead copy.
                Write(held, key, encoded, hash);
                return;
            }
        }

        var position = Reserve(size);
        Write(position, key, encoded, hash);

        // Reserve may have dropped records and moved slots: look the key up again.
        slot = Find(key, keyHash);
        if (slot >= 0)
        {
            // The older record stays in the ring, unreferenced, until the tail passes it.
            _slots[slot].Position = position;
            return;
        }

        if (_count + 1 > _slots.Length / 2)
        {
            GrowSlots();
        }

        var mask = _slots.Length - 1;
        var i = keyHash & mask;
        while (_slots[i].Used)
        {
            i = (i + 1) & mask;
        }

        _slots[i] = new Slot(keyHash, position);
        _count++;
    }

    public void Remove(byte[] key)
    {
        var slot = Find(key, Hash(key));
        if (slot >= 0)
        {
            RemoveSlot(slot);
        }
    }

    public void Clear()
    {
        Array.Clear(_slots);
        _count = 0;
        _tail = _head;
    }

    private void Write(long position, byte[] key, ReadOnlySpan<byte> encoded, ulong hash)
    {
        var record = _ring.AsSpan(Physical(position), RecordBytes(key.Length, encoded.Length));
        BinaryPrimitives.WriteInt32LittleEndian(record, key.Length);
        BinaryPrimitives.WriteInt32LittleEndian(record[4..], encoded.Length);
        BinaryPrimitives.WriteUInt64LittleEndian(record[8..], hash);
        key.CopyTo(record[HeaderBytes..]);
        encoded.CopyTo(record[(HeaderBytes + key.Length)..]);
    }

    private static int RecordBytes(int keyLength, int objectLength) => (HeaderBytes + keyLength + objectLength + 7) & ~7;

    private static int Hash(ReadOnlySpan<byte> key)
    {
        var hash = new HashCode();
        hash.AddBytes(key);
        return hash.ToHashCode();
    }

    private int Physical(long position) => (int)(position % _ring.Length);

    /// <summary>Makes room for a record of <paramref name="size"/> bytes and returns where it goes.</summary>
    private long Reserve(int size)
    {
        if (_ring.Length < _capacity && _head + size > _ring.Length)
        {
            // Still filling the ring for the first time: grow it rather than wrap.
            var length = Math.Max(FirstRingBytes, _ring.Length);
            while (length < _head + size)
            {
                length *= 2;
            }

            Array.Resize(ref _ring, (int)Math.Min(length, _capacity));
        }

        var position = _head;
        var room = _ring.Length - Physical(position);
        if (room < size)
        {
            // Not enough room before the ring's end: the record starts again at its beginning.
            position += room;
        }

        // Everything that started a lap before the new record's end is written over.
        DropBefore(position + size - _ring.Length);
        if (position != _head)
        {
            BinaryPrimitives.WriteInt32LittleEndian(_ring.AsSpan(Physical(_head)), SkipMark);
        }

        if (_tail == _head)
        {
            _tail = position;
        }

        _head = position + size;
        return position;
    }

    /// <summary>Drops the records that start before <paramref name="limit"/>, oldest first.</summary>
    private void DropBefore(long limit)
    {
        while (_tail < limit && _tail < _head)
        {
            var at = Physical(_tail);
            var keyLength = BinaryPrimitives.ReadInt32LittleEndian(_ring.AsSpan(at));
            if (keyLength == SkipMark)
            {
                _tail += _ring.Length - at;
                continue;
            }

            var objectLength = BinaryPrimitives.ReadInt32LittleEndian(_ring.AsSpan(at + 4));
            var key = _ring.AsSpan(at + HeaderBytes, keyLength);
            var slot = Find(key, Hash(key));
            if (slot >= 0 && _slots[slot].Position == _tail)
            {
                RemoveSlot(slot);
            }

            _tail += RecordBytes(keyLength, objectLength);
        }
    }

    /// <summary>The slot of a key, or -1.</summary>
    private int Find(ReadOnlySpan<byte> key, int keyHash)
    {
        if (_count == 0)
        {
            return -1;
        }

        var mask = _slots.Length - 1;
        for (var i = keyHash & mask; _slots[i].Used; i = (i + 1) & mask)
        {
            if (_slots[i].KeyHash == keyHash && KeyAt(_slots[i].Position).SequenceEqual(key))
            {
                return i;
            }
        }

        return -1;
    }

    private ReadOnlySpan<byte> KeyAt(long position)
    {
        var at = Physical(position);
        return _ring.AsSpan(at + HeaderBytes, BinaryPrimitives.ReadInt32LittleEndian(_ring.AsSpan(at)));
    }

    /// <summary>Empties a slot, moving later slots of its probe run back so that every key stays reachable.</summary>
    private void RemoveSlot(int slot)
    {
        var mask = _slots.Length - 1;
        var hole = slot;
        for (var i = (hole + 1) & mask; _slots[i].Used; i = (i + 1) & mask)
        {
            // A slot may fill the hole if its home is not in the cyclic range (hole, i].
            var home = _slots[i].KeyHash & mask;
            var homeAfterHole = hole <= i ? home > hole && home <= i : home > hole || home <= i;
            if (!homeAfterHole)
            {
                _slots[hole] = _slots[i];
                hole = i;
            }
        }

        _slots[hole] = default;
        _count--;
    }

    private void GrowSlots()
    {
        var old = _slots;
        _slots = new Slot[Math.Max(FirstSlots, old.Length * 2)];
        var mask = _slots.Length - 1;
        foreach (var slot in old)
        {
            if (slot.Used)
            {
                var i = slot.KeyHash & mask;
                while (_slots[i].Used)
                {
                    i = (i + 1) & mask;
                }

                _slots[i] = slot;
            }
        }
    }

    /// <summary>A key's place in the table: its hash and its record's logical offset (plus one; zero is an empty slot).</summary>
    private struct Slot(int keyHash, long position)
    {
        public readonly int KeyHash = keyHash;
        private long _position = position + 1;

        public readonly bool Used => _position != 0;

        public long Position
        {
            readonly get => _position - 1;
            set => _position = value + 1;
        }
    }
}
