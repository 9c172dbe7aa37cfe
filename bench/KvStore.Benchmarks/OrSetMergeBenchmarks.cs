using BenchmarkDotNet.Attributes;
using KvStore.Core.Crdt;

namespace KvStore.Benchmarks;

/// <summary>
/// Merging two copies of a set that share their history and then diverged by a few concurrent
/// additions and removals, including an addition concurrent with a removal of the same member.
/// </summary>
[MemoryDiagnoser]
public class OrSetMergeBenchmarks
{
    private OrSet _left = OrSet.Empty;
    private OrSet _right = OrSet.Empty;

    [Params(10, 1_000)]
    public int Size { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var common = Fixtures.Set(Size);

        // Replica 1 adds three members and removes two it saw.
        _left = common
            .Add(Fixtures.Replicas[0], [Fixtures.Element(Size), Fixtures.Element(Size + 1), Fixtures.Element(Size + 2)])
            .Remove([Fixtures.Element(0), Fixtures.Element(Size / 2)], null);

        // Replica 2, without seeing that, adds two members, re-adds one replica 1 removed (the add
        // wins) and removes another.
        _right = common
            .Add(Fixtures.Replicas[1], [Fixtures.Element(Size + 3), Fixtures.Element(Size + 4), Fixtures.Element(0)])
            .Remove([Fixtures.Element(Size - 1)], null);
    }

    [Benchmark]
    public OrSet Concurrent() => _left.Merge(_right);
}
