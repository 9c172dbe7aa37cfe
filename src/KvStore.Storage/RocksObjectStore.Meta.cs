using System.Text;
using RocksDbSharp;

namespace KvStore.Storage;

public sealed partial class RocksObjectStore
{
    private static readonly WriteOptions SyncWrite = new WriteOptions().SetSync(true);

    /// <summary>A named value kept with the data directory (for example the node's identity key); null when absent.</summary>
    /// <exception cref="ArgumentException">The name is empty or reserved for the directory's own identity.</exception>
    public byte[]? ReadMeta(string name)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        return _db.Get(MetaKey(name), _meta);
    }

    /// <summary>
    /// Stores a named value, fsynced before returning whatever Storage:Sync says: meta values are
    /// written rarely and are things a node must not forget, such as its identity key. Bypasses the
    /// writer queue, which never touches the meta family, so it neither waits behind nor delays writes.
    /// </summary>
    /// <exception cref="ArgumentException">The name is empty or reserved for the directory's own identity.</exception>
    public void WriteMeta(string name, byte[] value)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        ArgumentNullException.ThrowIfNull(value);
        _db.Put(MetaKey(name), value, _meta, SyncWrite);
    }

    /// <summary>
    /// The format version, node id and epoch share the family; overwriting them would change the
    /// actor id under a running node (the KV679 hazard), so their names are refused.
    /// </summary>
    private static byte[] MetaKey(string name)
    {
        ArgumentException.ThrowIfNullOrEmpty(name);
        if (DataDirectoryMeta.ReservedNames.Contains(name))
        {
            throw new ArgumentException($"the meta name '{name}' is reserved for the data directory's identity", nameof(name));
        }

        return Encoding.UTF8.GetBytes(name);
    }
}
