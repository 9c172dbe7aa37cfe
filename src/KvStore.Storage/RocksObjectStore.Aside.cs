using System.Buffers.Binary;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;
using RocksDbSharp;

namespace KvStore.Storage;

/// <summary>
/// What a node that came back after a long absence needs to decide whether it may take back the
/// data it set aside (<see cref="DiscardIfAwayLongerThan"/>): when it last took part in a
/// collection (asked by other returning nodes), and whether its set-aside data still waits for
/// that decision, which survives a restart in the middle of it.
/// </summary>
public sealed partial class RocksObjectStore : ICollectionLog
{
    private static readonly byte[] LastCollectionKey = "last-collection"u8.ToArray();
    private static readonly byte[] AsidePendingKey = "aside-pending"u8.ToArray();

    private readonly Lock _collectionLock = new();

    public DateTimeOffset? LastCollection
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return ReadTime(_db.Get(LastCollectionKey, _meta));
        }
    }

    public void RecordCollection(DateTimeOffset at)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        lock (_collectionLock)
        {
            if (ReadTime(_db.Get(LastCollectionKey, _meta)) is { } recorded && recorded >= at)
            {
                return;
            }

            _db.Put(LastCollectionKey, TimeBytes(at), _meta, SyncWrite);
        }
    }

    /// <summary>
    /// When the data set aside in <see cref="AsideDirectory"/> was last marked alive, while the
    /// decision whether to take it back is open; null when nothing waits.
    /// </summary>
    public DateTimeOffset? AsidePendingSince
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return ReadLastAlive(_db.Get(AsidePendingKey, _meta)).At;
        }
    }

    /// <summary>How many ring members the node saw when the set-aside data was last marked alive, if recorded.</summary>
    public int? AsidePendingRingMembers
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return ReadLastAlive(_db.Get(AsidePendingKey, _meta)).RingMembers;
        }
    }

    /// <summary>Closes the decision: the set-aside data was taken back, or stays aside for good.</summary>
    public void ClearAsidePending()
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        _db.Remove(AsidePendingKey, _meta, SyncWrite);
    }

    /// <summary>Opens the directory set aside read-only, to page through its objects and hints.</summary>
    /// <exception cref="StorageException">The set-aside directory cannot be opened.</exception>
    public static AsideData OpenAside(StorageOptions options) => AsideData.Open(AsideDirectory(options));

    private static DateTimeOffset? ReadTime(byte[]? stored) =>
        stored is { Length: 8 } ? DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(stored)) : null;

    private static byte[] TimeBytes(DateTimeOffset at)
    {
        var bytes = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(bytes, at.ToUnixTimeMilliseconds());
        return bytes;
    }
}

/// <summary>A data directory set aside after a long absence, opened read-only so what it held can be merged back.</summary>
public sealed class AsideData : IAsideSource
{
    private readonly RocksDb _db;
    private readonly ColumnFamilyHandle? _objects;
    private readonly ColumnFamilyHandle? _hints;

    private AsideData(RocksDb db, ColumnFamilyHandle? objects, ColumnFamilyHandle? hints)
    {
        _db = db;
        _objects = objects;
        _hints = hints;
    }

    public string Path { get; private init; } = "";

    internal static AsideData Open(string path)
    {
        if (!File.Exists(System.IO.Path.Combine(path, "CURRENT")))
        {
            throw new StorageException($"the set-aside directory {path} does not exist");
        }

        try
        {
            var names = RocksDb.ListColumnFamilies(new DbOptions(), path).ToList();
            var families = new ColumnFamilies();
            foreach (var name in names.Where(n => n != "default"))
            {
                families.Add(name, new ColumnFamilyOptions());
            }

            var db = RocksDb.OpenReadOnly(new DbOptions(), path, families, errIfLogFileExists: false);
            return new AsideData(
                db,
                names.Contains(RocksObjectStore.ObjectsFamily) ? db.GetColumnFamily(RocksObjectStore.ObjectsFamily) : null,
                names.Contains(RocksObjectStore.HintsFamily) ? db.GetColumnFamily(RocksObjectStore.HintsFamily) : null)
            { Path = path };
        }
        catch (RocksDbException e)
        {
            throw new StorageException($"cannot open the set-aside directory {path}: {e.Message}", e);
        }
    }

    /// <summary>How many objects and hints the directory holds (RocksDB's estimate), for progress.</summary>
    public long EstimatedCount =>
        (_objects is null ? 0 : long.Parse(_db.GetProperty("rocksdb.estimate-num-keys", _objects) ?? "0", System.Globalization.CultureInfo.InvariantCulture)) +
        (_hints is null ? 0 : long.Parse(_db.GetProperty("rocksdb.estimate-num-keys", _hints) ?? "0", System.Globalization.CultureInfo.InvariantCulture));

    /// <summary>Up to <paramref name="max"/> objects after <paramref name="afterKey"/> (null for the start), in key order.</summary>
    public IReadOnlyList<(byte[] Key, KvObject Object)> Objects(byte[]? afterKey, int max) =>
        Page(_objects, afterKey, max, (k, v) => (k, ObjectCodec.Decode(v)));

    /// <summary>Up to <paramref name="max"/> hints after <paramref name="afterStoredKey"/> (null for the start), each with its stored key to page on.</summary>
    public IReadOnlyList<(byte[] StoredKey, Hint Hint)> Hints(byte[]? afterStoredKey, int max) =>
        Page(_hints, afterStoredKey, max, (k, v) => HintKey.TryDecode(k, out var target, out var key)
            ? (k, new Hint(target, key, ObjectCodec.Decode(v)))
            : throw new StorageException($"the set-aside directory {Path} holds a malformed hint key {Convert.ToHexString(k)}"));

    private List<T> Page<T>(ColumnFamilyHandle? family, byte[]? after, int max, Func<byte[], byte[], T> read)
    {
        var page = new List<T>();
        if (family is null)
        {
            return page;
        }

        using var it = _db.NewIterator(family);
        if (after is null)
        {
            it.SeekToFirst();
        }
        else
        {
            it.Seek(after);
            if (it.Valid() && it.Key().AsSpan().SequenceEqual(after))
            {
                it.Next();
            }
        }

        for (; it.Valid() && page.Count < max; it.Next())
        {
            page.Add(read(it.Key(), it.Value()));
        }

        return page;
    }

    public void Dispose() => _db.Dispose();
}
