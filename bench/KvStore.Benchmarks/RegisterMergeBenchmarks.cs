using BenchmarkDotNet.Attributes;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;

namespace KvStore.Benchmarks;

/// <summary>
/// Merging two copies of a register, as replication, read repair and hint delivery do for every
/// object they receive.
/// </summary>
[MemoryDiagnoser]
public class RegisterMergeBenchmarks
{
    private LwwRegister _left = LwwRegister.Empty;
    private LwwRegister _right = LwwRegister.Empty;
    private LwwRegister _older = LwwRegister.Empty;
    private LwwRegister _newer = LwwRegister.Empty;

    [GlobalSetup]
    public void Setup()
    {
        var common = Fixtures.Register(valueBytes: 100);
        var ts = new HlcTimestamp(Fixtures.WallMillis + 100, 0);

        // Two replicas each took a write without seeing the other's: both survive as siblings.
        _left = common.Assign(Fixtures.Replicas[0], ts, Fixtures.Value(100, seed: 2), null);
        _right = common.Assign(Fixtures.Replicas[1], ts, Fixtures.Value(100, seed: 3), null);

        // One copy is a later write over the other: the older copy's write is dropped.
        _older = common;
        _newer = common.Assign(Fixtures.Replicas[2], ts, Fixtures.Value(100, seed: 4), null);
    }

    /// <summary>Concurrent writes: the result holds two siblings.</summary>
    [Benchmark]
    public LwwRegister ConcurrentSiblings() => _left.Merge(_right);

    /// <summary>One side dominates, the common case once replicas are in step.</summary>
    [Benchmark]
    public LwwRegister Dominated() => _older.Merge(_newer);
}
