using BenchmarkDotNet.Attributes;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using KvStore.Storage;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Benchmarks;

/// <summary>
/// The RocksDB object store with its default options (write-ahead log written but not fsynced
/// before acknowledging), in a fresh temporary directory. Each update is the write path of a put:
/// read the stored register, assign a 100-byte value with a new dot and timestamp, encode, write.
/// </summary>
[MemoryDiagnoser]
public class StorageBenchmarks
{
    /// <summary>Updates in flight at once; also the default concurrency of tools/kvbench.</summary>
    private const int Concurrency = 64;

    /// <summary>Keys the updates cycle over, so they overwrite objects as a steady workload does.</summary>
    private const int KeyCount = 1_024;

    private static readonly ObjectLimits Limits = new(MaxSetElements: 100_000, MaxVersionVectorWidth: 64);

    private readonly string _dir = Path.Combine(Path.GetTempPath(), "kvstore-bench-" + Guid.NewGuid().ToString("N"));
    private readonly byte[][] _keys = Enumerable.Range(0, KeyCount).Select(i => Fixtures.Element(i)).ToArray();
    private readonly Task<KvObject?>[] _inFlight = new Task<KvObject?>[Concurrency];
    private readonly HybridLogicalClock _clock = new(TimeProvider.System, TimeSpan.FromMinutes(1));
    private RocksObjectStore? _store;
    private Func<KvObject?, KvObject?> _put = static current => current;
    private int _next;

    private RocksObjectStore Store => _store ?? throw new InvalidOperationException("GlobalSetup has not run");

    [GlobalSetup]
    public async Task Setup()
    {
        _store = RocksObjectStore.Open(new StorageOptions { DataDir = _dir }, "node1", "node1", NullLogger.Instance);
        var put = new Mutation.Put(Fixtures.Value(100), null);
        var actor = _store.Actor;

        // As LocalReplica.WriteAsync: the timestamp follows the latest write the key holds.
        _put = current => MutationRules.Apply(current, put, actor, _clock.After(current?.MaxTimestamp ?? HlcTimestamp.Zero), Limits);
        foreach (var key in _keys)
        {
            await _store.UpdateAsync(key, _put);
        }
    }

    [GlobalCleanup]
    public async Task Cleanup()
    {
        if (_store is not null)
        {
            await _store.DisposeAsync();
        }

        Directory.Delete(_dir, recursive: true);
    }

    /// <summary>One update at a time: every write is a group of one.</summary>
    [Benchmark]
    public Task<KvObject?> UpdateOneAtATime() => Store.UpdateAsync(NextKey(), _put);

    /// <summary>
    /// 64 updates of different keys in flight together, so the writer commits them in shared
    /// batches; reported per update, to set beside <see cref="UpdateOneAtATime"/>.
    /// </summary>
    [Benchmark(OperationsPerInvoke = Concurrency)]
    public async Task<KvObject?[]> UpdateConcurrent64()
    {
        for (var i = 0; i < _inFlight.Length; i++)
        {
            _inFlight[i] = Store.UpdateAsync(NextKey(), _put);
        }

        return await Task.WhenAll(_inFlight);
    }

    /// <summary>A point read of a stored 100-byte register: RocksDB get and decode.</summary>
    [Benchmark]
    public KvObject? PointRead() => Store.Get(NextKey());

    private byte[] NextKey()
    {
        var key = _keys[_next];
        _next = (_next + 1) % _keys.Length;
        return key;
    }
}
