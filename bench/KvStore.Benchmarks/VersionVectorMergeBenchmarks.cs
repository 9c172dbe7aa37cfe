using BenchmarkDotNet.Attributes;
using KvStore.Core.Causality;

namespace KvStore.Benchmarks;

/// <summary>
/// The pointwise maximum of two concurrent version vectors, each ahead of the other for half of
/// the actors. 3 actors is a key written only by its N = 3 replicas; 64 is the default
/// Replica:MaxVersionVectorWidth, the widest clock a key may have.
/// </summary>
[MemoryDiagnoser]
public class VersionVectorMergeBenchmarks
{
    private VersionVector _left = VersionVector.Empty;
    private VersionVector _right = VersionVector.Empty;

    [Params(3, 64)]
    public int Actors { get; set; }

    [GlobalSetup]
    public void Setup()
    {
        var actors = Enumerable.Range(0, Actors).Select(i => new ActorId($"node{i + 1}", (ulong)(i + 1) * 0x9e3779b97f4a7c15)).ToArray();
        _left = VersionVector.From(actors.Select((a, i) => new VersionVector.Entry(a, i % 2 == 0 ? 1_000UL : 999UL)));
        _right = VersionVector.From(actors.Select((a, i) => new VersionVector.Entry(a, i % 2 == 0 ? 999UL : 1_000UL)));
    }

    [Benchmark]
    public VersionVector Concurrent() => _left.Merge(_right);
}
