using System.Threading.Channels;
using KvStore.Core.Causality;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;
using Microsoft.Extensions.Logging;
using RocksDbSharp;

namespace KvStore.Storage;

/// <summary>
/// The object store on RocksDB. One writer thread applies every update: it drains the queue into
/// one <see cref="WriteBatch"/>, running each update against the latest state of its key (including
/// earlier updates in the same batch), writes the batch once and then acknowledges every update in
/// it. A single writer is what makes read-merge-write atomic per key; the batch is group commit.
/// Hints (<see cref="IHintStore"/>) go through the same writer and batches, in their own column family,
/// and so does the anti-entropy tree (<see cref="Core.AntiEntropy.IMerkleSource"/>): a key's leaf changes in the batch
/// that writes the key.
/// </summary>
public sealed partial class RocksObjectStore : IObjectStore
{
    internal const string MetaFamily = "meta";
    internal const string ObjectsFamily = "objects";
    internal const string HintsFamily = "hints";

    private readonly RocksDb _db;
    private readonly ColumnFamilyHandle _objects;
    private readonly ColumnFamilyHandle _hints;
    private readonly ColumnFamilyHandle _meta;
    private readonly ColumnFamilyHandle _positions;
    private readonly ColumnFamilyHandle _segments;
    private readonly ColumnFamilyHandle _treeLog;
    private readonly WriteOptions _writeOptions;
    private readonly Channel<WriteItem> _queue;
    private readonly Thread _writer;
    private readonly int _maxBatch;
    private readonly int _maxObjectBytes;
    private readonly int _maxHintsPerTarget;
    private readonly long _treeCheckpointDeltas;
    private readonly ILogger _logger;
    private readonly RecentObjects _recent;
    private int _disposed;

    private RocksObjectStore(RocksDb db, ActorId actor, StorageOptions options, ILogger logger)
    {
        _db = db;
        _objects = db.GetColumnFamily(ObjectsFamily);
        _hints = db.GetColumnFamily(HintsFamily);
        _meta = db.GetColumnFamily(MetaFamily);
        _positions = db.GetColumnFamily(MerkleLayout.PositionsFamily);
        _segments = db.GetColumnFamily(MerkleLayout.SegmentsFamily);
        _treeLog = db.GetColumnFamily(MerkleLayout.TreeLogFamily);
        _treeCheckpointDeltas = options.TreeCheckpointDeltas;
        LoadTree();
        LoadTombstoneState();
        _hintCounts = CountHints(db, _hints);
        _writeOptions = new WriteOptions().SetSync(options.Sync);
        _maxBatch = options.MaxBatchSize;
        _maxObjectBytes = options.MaxObjectBytes;
        _maxHintsPerTarget = options.MaxHintsPerTarget;
        _recent = new RecentObjects(options.RecentObjectsBytes);
        _logger = logger;
        Actor = actor;
        _queue = Channel.CreateBounded<WriteItem>(new BoundedChannelOptions(options.QueueCapacity)
        {
            SingleReader = true,
            FullMode = BoundedChannelFullMode.Wait,
        });
        _writer = new Thread(WriterLoop) { Name = "kvstore-writer", IsBackground = true };
        _writer.Start();
    }

    public ActorId Actor { get; }

    public StorageStats Stats { get; } = new();

    public bool IsHealthy => Volatile.Read(ref _disposed) == 0 && _writer.IsAlive;

    /// <summary>
    /// Objects are rewritten whole on every update, so a hot key leaves many versions in the
    /// memtable, and each insert searches a skiplist of all of them. A 16 MiB memtable (RocksDB's
    /// default is 64) keeps that search short and in cache; flushes drop the superseded versions.
    /// </summary>
    private static ColumnFamilyOptions ObjectsFamilyOptions() => new ColumnFamilyOptions().SetWriteBufferSize(16UL * 1024 * 1024);

    /// <summary>
    /// The tree's checkpoint pages are fixed-size and rewritten together: updated in place in the
    /// memtable, which then holds each page once instead of a version per checkpoint. Nothing
    /// reads this family through a snapshot, which in-place updates would not honour. The memtable
    /// is a hash table on the whole (4-byte) key; a scan of the family must therefore ask for total
    /// order (<see cref="LoadTree"/>).
    /// </summary>
    private static ColumnFamilyOptions SegmentsFamilyOptions() => new ColumnFamilyOptions()
        .SetInplaceUpdateSupport(true)
        .SetPrefixExtractor(SliceTransform.CreateFixedPrefix(4))
        .SetHashSkipListRep(MerkleLayout.Pages, 1, 4);

    /// <summary>
    /// Opens (creating if needed) the data directory. A new directory gets the format version, the
    /// node id and a fresh random epoch; an existing one must have this build's format and, when
    /// <paramref name="nodeId"/> is given, belong to that node.
    /// </summary>
    /// <param name="nodeId">The configured node id, or null to use the stored one (or <paramref name="defaultNodeId"/> for a new directory).</param>
    /// <exception cref="StorageException">The directory cannot be used; the message says why.</exception>
    public static RocksObjectStore Open(StorageOptions options, string? nodeId, string defaultNodeId, ILogger logger) =>
        OpenOnBoot(options, nodeId, defaultNodeId, logger, CurrentBootId());

    /// <param name="bootId">This boot of the machine, as <see cref="CurrentBootId"/> reads it; tests give their own.</param>
    internal static RocksObjectStore OpenOnBoot(StorageOptions options, string? nodeId, string defaultNodeId, ILogger logger, string? bootId)
    {
        var path = Path.GetFullPath(options.DataDir);
        Directory.CreateDirectory(path);
        if (options.LowPriorityBackground && !RocksBackgroundPriority.TryLower(out var failure))
        {
            LogBackgroundPriorityFailed(logger, failure);
        }

        var dbOptions = new DbOptions()
            .SetCreateIfMissing(true)
            .SetCreateMissingColumnFamilies(true)
            // One writer thread makes nearly every write; in-place page updates require this.
            .SetAllowConcurrentMemtableWrite(false)
            // Write-ahead log files whose memtables were flushed are written over again instead of
            // deleted, so the log's pages are reused rather than allocated and zeroed by the kernel.
            .SetRecycleLogFileNum(4);
        var families = new ColumnFamilies
        {
            { MetaFamily, new ColumnFamilyOptions() },
            { ObjectsFamily, ObjectsFamilyOptions() },
            // Added after the first release; SetCreateMissingColumnFamilies adds it to older directories.
            { HintsFamily, new ColumnFamilyOptions() },
            // Added with anti-entropy; an older directory gets them empty and its tree is built at open.
            { MerkleLayout.PositionsFamily, new ColumnFamilyOptions() },
            { MerkleLayout.SegmentsFamily, SegmentsFamilyOptions() },
            { MerkleLayout.TreeLogFamily, new ColumnFamilyOptions() },
            // Added with tombstone collection; an older directory gets its index built at open.
            { TombstonesFamily, new ColumnFamilyOptions() },
        };

        RocksDb db;
        try
        {
            db = RocksDb.Open(dbOptions, path, families);
        }
        catch (RocksDbException e) when (e.Message.Contains("lock", StringComparison.OrdinalIgnoreCase))
        {
            throw new StorageException($"data directory {path} is in use by another process ({e.Message})", e);
        }
        catch (RocksDbException e)
        {
            throw new StorageException($"cannot open data directory {path}: {e.Message}", e);
        }

        try
        {
            var (actor, created) = DataDirectoryMeta.LoadOrCreate(db, path, nodeId, defaultNodeId);
            actor = BeginSession(db, actor, options.Sync, bootId, logger);
            LogOpened(logger, path, actor.ToString(), created, options.Sync);
            var builtFrom = PrepareTree(db, path, logger);
            PrepareTombstoneIndex(db, path, logger);
            var store = new RocksObjectStore(db, actor, options, logger) { TreeBuiltFrom = builtFrom };
            foreach (var (target, count) in store.HintCounts)
            {
                LogHintsPending(logger, count, target);
            }

            return store;
        }
        catch
        {
            db.Dispose();
            throw;
        }
    }

    public KvObject? Get(ReadOnlySpan<byte> key)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        var bytes = _db.Get(key.ToArray(), _objects);
        return bytes is null ? null : ObjectCodec.Decode(bytes);
    }

    public Task<KvObject?> UpdateAsync(byte[] key, Func<KvObject?, KvObject?> update, CancellationToken cancellationToken = default) =>
        EnqueueAsync(new PendingUpdate(key, update, cancellationToken));

    public Task<UpdateOutcome[]> UpdateManyAsync(IReadOnlyList<byte[]> keys, Func<int, KvObject?, KvObject?> update, CancellationToken cancellationToken = default) =>
        keys.Count == 0 ? Task.FromResult(Array.Empty<UpdateOutcome>()) : EnqueueAsync(new PendingUpdates(keys, update, cancellationToken));

    /// <summary>Queues an item for the writer (waiting while the queue is full) and awaits its outcome.</summary>
    private async Task<TResult> EnqueueAsync<TResult>(WriteItem<TResult> item)
    {
        ObjectDisposedException.ThrowIf(Volatile.Read(ref _disposed) != 0, this);
        try
        {
            await _queue.Writer.WriteAsync(item, item.CancellationToken);
        }
        catch (ChannelClosedException)
        {
            throw new ObjectDisposedException(nameof(RocksObjectStore));
        }

        return await item.Completion.Task;
    }

    /// <summary>Stops taking updates, finishes the queued ones, then closes the database.</summary>
    public async ValueTask DisposeAsync()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        _queue.Writer.TryComplete();
        await Task.Run(_writer.Join);
        EndSession();
        _db.Dispose();
        LogClosed(_logger);
    }

    [LoggerMessage(Level = LogLevel.Information, Message = "Opened data directory {Path} as actor {Actor} (new: {Created}, fsync on acknowledge: {Sync})")]
    private static partial void LogOpened(ILogger logger, string path, string actor, bool created, bool sync);

    [LoggerMessage(Level = LogLevel.Warning, Message = "Could not lower the priority of RocksDB's flushes and compactions ({Failure}); they run at normal priority")]
    private static partial void LogBackgroundPriorityFailed(ILogger logger, string? failure);

    [LoggerMessage(Level = LogLevel.Information, Message = "{Count} hints pending for {Target}")]
    private static partial void LogHintsPending(ILogger logger, int count, string target);

    [LoggerMessage(Level = LogLevel.Information, Message = "Closed the data directory after finishing queued writes")]
    private static partial void LogClosed(ILogger logger);

    [LoggerMessage(Level = LogLevel.Error, Message = "A write batch of {Count} updates failed")]
    private static partial void LogBatchFailed(ILogger logger, int count, Exception exception);
}
