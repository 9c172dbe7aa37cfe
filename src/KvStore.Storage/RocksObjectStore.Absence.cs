using System.Buffers.Binary;
using Microsoft.Extensions.Logging;
using RocksDbSharp;

namespace KvStore.Storage;

/// <summary>
/// How long a data directory was away. A running node marks its directory alive from time to time;
/// one that was away longer than the tombstone collection horizon may hold objects of keys the
/// others collected meanwhile, which its anti-entropy and hints would bring back. Such a directory
/// sets its data aside before the node starts: it comes back empty, as a new incarnation, and takes
/// the data back only if its peers say none collected meanwhile (see RocksObjectStore.Aside.cs);
/// otherwise it is filled again by anti-entropy, as Cassandra requires of a node down longer than gc_grace.
/// </summary>
public sealed partial class RocksObjectStore
{
    internal const string LastAliveName = "last-alive";

    private static readonly byte[] LastAliveKey = "last-alive"u8.ToArray();

    /// <summary>The families holding replicated data (everything but meta), emptied when the data is discarded.</summary>
    private static readonly string[] DataFamilies = [ObjectsFamily, HintsFamily, MerkleLayout.PositionsFamily, MerkleLayout.SegmentsFamily, MerkleLayout.TreeLogFamily, TombstonesFamily];

    /// <summary>When the directory was last marked alive, or null if never.</summary>
    public DateTimeOffset? LastAlive
    {
        get
        {
            ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
            return ReadLastAlive(_db.Get(LastAliveKey, _meta)).At;
        }
    }

    /// <summary>
    /// Records that the node is alive at <paramref name="now"/>, fsynced, with the number of ring
    /// members it sees (null keeps the number recorded before). A node that was the only ring member
    /// cannot have been left out of anyone's collection, so its data is never discarded.
    /// </summary>
    public void MarkAlive(DateTimeOffset now, int? ringMembers)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var members = ringMembers ?? ReadLastAlive(_db.Get(LastAliveKey, _meta)).RingMembers;
        var bytes = new byte[members is null ? 8 : 12];
        BinaryPrimitives.WriteInt64BigEndian(bytes, now.ToUnixTimeMilliseconds());
        if (members is { } m)
        {
            BinaryPrimitives.WriteInt32BigEndian(bytes.AsSpan(8), m);
        }

        _db.Put(LastAliveKey, bytes, _meta, SyncWrite);
    }

    /// <summary>The stored mark: 8 bytes of Unix milliseconds, then optionally 4 bytes of ring members (both big-endian).</summary>
    private static (DateTimeOffset? At, int? RingMembers) ReadLastAlive(byte[]? stored) => stored switch
    {
        { Length: 12 } => (DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(stored)), BinaryPrimitives.ReadInt32BigEndian(stored.AsSpan(8))),
        { Length: 8 } => (DateTimeOffset.FromUnixTimeMilliseconds(BinaryPrimitives.ReadInt64BigEndian(stored)), null),
        _ => (null, null),
    };

    /// <summary>
    /// Before <see cref="Open"/>: if the directory was last marked alive more than
    /// <paramref name="horizon"/> before <paramref name="now"/>, empties its objects, hints, tree
    /// and tombstone index and gives it a new epoch. Its node id and other meta values (the node's
    /// identity key) stay. A directory never marked alive, last marked as the only ring member, or
    /// absent, is left alone. The data is
    /// not destroyed: a checkpoint of the directory as it was is kept beside it, in
    /// <see cref="AsideDirectory"/> (replacing any older one), for an operator to recover from.
    /// </summary>
    /// <returns>How long the directory had been away when its data was discarded, or null when it was kept.</returns>
    /// <exception cref="StorageException">The directory cannot be opened.</exception>
    public static TimeSpan? DiscardIfAwayLongerThan(StorageOptions options, TimeSpan horizon, DateTimeOffset now, ILogger logger)
    {
        var path = Path.GetFullPath(options.DataDir);
        if (!File.Exists(Path.Combine(path, "CURRENT")))
        {
            return null;
        }

        var families = new ColumnFamilies();
        List<string> names;
        try
        {
            names = [.. RocksDb.ListColumnFamilies(new DbOptions(), path)];
        }
        catch (RocksDbException e)
        {
            throw new StorageException($"cannot open data directory {path}: {e.Message}", e);
        }

        foreach (var name in names.Where(n => n != "default"))
        {
            families.Add(name, new ColumnFamilyOptions());
        }

        if (!names.Contains(MetaFamily))
        {
            return null;
        }

        RocksDb db;
        try
        {
            db = RocksDb.Open(new DbOptions(), path, families);
        }
        catch (RocksDbException e)
        {
            throw new StorageException($"cannot open data directory {path}: {e.Message}", e);
        }

        using (db)
        {
            var meta = db.GetColumnFamily(MetaFamily);
            var mark = db.Get(LastAliveKey, meta);
            var (at, ringMembers) = ReadLastAlive(mark);
            if (at is null || ringMembers <= 1)
            {
                return null;
            }

            var away = now - at.Value;
            if (away <= horizon)
            {
                return null;
            }

            var aside = AsideDirectory(options);
            // The pending mark is the set-aside data's alive mark, ring size included.
            var pending = db.Get(AsidePendingKey, meta);
            if (ReadLastAlive(pending).At is { } pendingAt && File.Exists(Path.Combine(aside, "CURRENT")))
            {
                // Away again before deciding about the data set aside last time: that data, last
                // alive earlier, stays aside and waits; what came since is discarded.
                LogAsideStillPending(logger, aside, pendingAt);
            }
            else
            {
                if (Directory.Exists(aside))
                {
                    Directory.Delete(aside, recursive: true);
                }

                using (var checkpoint = db.Checkpoint())
                {
                    checkpoint.Save(aside);
                }

                pending = mark!;
            }

            foreach (var name in DataFamilies.Where(names.Contains))
            {
                db.DropColumnFamily(name);
            }

            using var batch = new WriteBatch();
            batch.Delete(System.Text.Encoding.UTF8.GetBytes(MerkleLayout.FormatName), meta);
            batch.Delete(MerkleLayout.CheckpointKey, meta);
            batch.Delete(TombstoneIndexKey, meta);
            batch.Delete(CollectedCounterKey, meta);
            batch.Delete(LastAliveKey, meta);
            batch.Put(AsidePendingKey, pending!, meta);
            DataDirectoryMeta.RenewEpoch(db, batch);
            db.Write(batch, SyncWrite);
            LogDiscarded(logger, path, away, horizon, aside);
            return away;
        }
    }

    /// <summary>Where the data of a directory that was away too long is kept: the directory's path with ".away" appended.</summary>
    public static string AsideDirectory(StorageOptions options) => Path.GetFullPath(options.DataDir).TrimEnd(Path.DirectorySeparatorChar) + ".away";

    [LoggerMessage(Level = LogLevel.Warning, Message = "The data set aside in {Aside}, last alive at {LastAlive}, still waits for its peers' answer: it stays there, and what this directory took since is discarded")]
    private static partial void LogAsideStillPending(ILogger logger, string aside, DateTimeOffset lastAlive);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Data directory {Path} was away for {Away}, longer than the tombstone horizon {Horizon}: it starts empty as a new incarnation; the old data is kept in {Aside} and merged back if no peer collected a tombstone since, else anti-entropy and hints fill it again")]
    private static partial void LogDiscarded(ILogger logger, string path, TimeSpan away, TimeSpan horizon, string aside);
}
