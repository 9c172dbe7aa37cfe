using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;
using KvStore.Core.Causality;
using RocksDbSharp;

namespace KvStore.Storage;

/// <summary>The identity and format of a data directory, kept in its "meta" column family.</summary>
internal static class DataDirectoryMeta
{
    /// <summary>The on-disk format this build reads and writes. Bump it, with a migration, when the layout changes.</summary>
    public const int FormatVersion = 1;

    private static readonly byte[] FormatKey = "format-version"u8.ToArray();
    private static readonly byte[] FormatValue = Encoding.ASCII.GetBytes(FormatVersion.ToString(System.Globalization.CultureInfo.InvariantCulture));
    private static readonly byte[] NodeIdKey = "node-id"u8.ToArray();
    private static readonly byte[] EpochKey = "epoch"u8.ToArray();

    /// <summary>The names this class keeps in the family; <see cref="RocksObjectStore.WriteMeta"/> may not use them.</summary>
    public static IReadOnlySet<string> ReservedNames { get; } = new HashSet<string>(StringComparer.Ordinal) 
    {
        "format-version", "node-id", "epoch", MerkleLayout.FormatName, MerkleLayout.CheckpointName, RocksObjectStore.TombstoneIndexName, RocksObjectStore.CollectedCounterName, RocksObjectStore.LastAliveName, RocksObjectStore.SessionName,
    };

    public static (ActorId Actor, bool Created) LoadOrCreate(RocksDb db, string path, string? nodeId, string defaultNodeId)
    {
        var meta = db.GetColumnFamily(RocksObjectStore.MetaFamily);
        var format = db.Get(FormatKey, meta);
        if (format is null)
        {
            using (var it = db.NewIterator(db.GetColumnFamily(RocksObjectStore.ObjectsFamily)))
            {
                it.SeekToFirst();
                if (it.Valid())
                {
                    throw new StorageException($"data directory {path} holds objects but no format version; it was not written by KvStore or is damaged");
                }
            }

            var id = nodeId ?? defaultNodeId;
            var epoch = MintEpoch();
            using var batch = new WriteBatch();
            batch.Put(FormatKey, FormatValue, meta);
            batch.Put(NodeIdKey, Encoding.UTF8.GetBytes(id), meta);
            var epochBytes = new byte[8];
            BinaryPrimitives.WriteUInt64BigEndian(epochBytes, epoch);
            batch.Put(EpochKey, epochBytes, meta);
            db.Write(batch, new WriteOptions().SetSync(true));
            return (new ActorId(id, epoch), true);
        }

        if (!format.AsSpan().SequenceEqual(FormatValue))
        {
            throw new StorageException($"data directory {path} has format version {Encoding.ASCII.GetString(format)}; this build reads version {FormatVersion}");
        }

        var storedNode = db.Get(NodeIdKey, meta) is { } n ? Encoding.UTF8.GetString(n) : null;
        var storedEpoch = db.Get(EpochKey, meta);
        if (storedNode is null || storedEpoch is not { Length: 8 })
        {
            throw new StorageException($"data directory {path} is missing its node id or epoch; it is damaged");
        }

        if (nodeId is not null && nodeId != storedNode)
        {
            throw new StorageException($"data directory {path} belongs to node '{storedNode}', not '{nodeId}'");
        }

        return (new ActorId(storedNode, BinaryPrimitives.ReadUInt64BigEndian(storedEpoch)), false);
    }

    /// <summary>
    /// Gives the directory a new epoch in <paramref name="batch"/>: the node comes back as a new
    /// incarnation that never reuses a counter of the old one (the KV679 lesson), used when its data
    /// is discarded or may have lost acknowledged writes.
    /// </summary>
    /// <returns>The new epoch.</returns>
    public static ulong RenewEpoch(RocksDb db, WriteBatch batch)
    {
        var epoch = MintEpoch();
        var epochBytes = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(epochBytes, epoch);
        batch.Put(EpochKey, epochBytes, db.GetColumnFamily(RocksObjectStore.MetaFamily));
        return epoch;
    }

    /// <summary>A random non-zero epoch: with 64 random bits, two incarnations of one node id never collide in practice.</summary>
    private static ulong MintEpoch()
    {
        Span<byte> b = stackalloc byte[8];
        ulong epoch;
        do
        {
            RandomNumberGenerator.Fill(b);
            epoch = BinaryPrimitives.ReadUInt64LittleEndian(b);
        }
        while (epoch == 0);
        return epoch;
    }
}
