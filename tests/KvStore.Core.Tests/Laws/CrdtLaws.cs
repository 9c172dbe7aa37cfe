using CsCheck;
using KvStore.Core.Crdt;

namespace KvStore.Core.Tests.Laws;

/// <summary>
/// The one law harness every CRDT runs through (after riak_dt's shared state-machine property):
/// over states reachable by random histories, merge is commutative, associative and idempotent,
/// and replicas that receive the same operations in different orders converge to what the model
/// says. Histories are seeded by CsCheck: a failure prints the seed, and setting it (the seed
/// argument or the CsCheck_Seed environment variable) replays the same history.
/// </summary>
public static class CrdtLaws
{
    public const long Iterations = 3000;

    /// <summary>Checks the semilattice laws using <paramref name="merge"/> (normally the type's own Merge).</summary>
    public static void CheckSemilattice<T>(Func<IReplicaModel<T>> newModel, Func<T, T, T> merge, string? seed = null)
        where T : ICrdt<T>
    {
        Gen.Select(History.StepsGen, Gen.Int.Array[3]).Sample(
            (steps, picks) =>
            {
                var model = newModel();
                var run = History.Execute(model, steps);
                var n = run.AllStates.Count;
                var a = run.AllStates[(int)((uint)picks[0] % n)];
                var b = run.AllStates[(int)((uint)picks[1] % n)];
                var c = run.AllStates[(int)((uint)picks[2] % n)];
                Same(model, merge(a, b), merge(b, a), "merge is not commutative");
                Same(model, merge(merge(a, b), c), merge(a, merge(b, c)), "merge is not associative");
                Same(model, merge(a, a), a, "merge is not idempotent");
                Same(model, merge(merge(a, b), b), merge(a, b), "merging a state twice changes the result");
            },
            iter: Iterations,
            seed: seed);
    }

    /// <summary>
    /// Runs a history, then delivers every replica's final state to every other in a random order,
    /// and checks that all replicas agree, byte for byte, and show what the model expects.
    /// </summary>
    public static void CheckConvergence<T>(Func<IReplicaModel<T>> newModel, Func<T, T, T> merge, string? seed = null)
        where T : ICrdt<T>
    {
        Gen.Select(History.StepsGen, Gen.Int[0, int.MaxValue]).Sample(
            (steps, shuffleSeed) =>
            {
                var model = newModel();
                var run = History.Execute(model, steps);
                var rng = new Random(shuffleSeed);
                var converged = run.Finals.Select(own =>
                {
                    var order = run.Finals.OrderBy(_ => rng.Next()).ToArray();
                    return order.Aggregate(own, merge);
                }).ToArray();
                for (var i = 1; i < converged.Length; i++)
                {
                    Same(model, converged[i], converged[0], $"replica {i} did not converge with replica 0");
                }

                var observed = model.Observe(converged[0]);
                var expected = model.Expected();
                if (observed != expected)
                {
                    throw new CrdtLawException($"converged state differs from the model: observed {observed}, expected {expected}");
                }
            },
            iter: Iterations,
            seed: seed);
    }

    private static void Same<T>(IReplicaModel<T> model, T x, T y, string what) where T : ICrdt<T>
    {
        if (!model.Canonical(x).AsSpan().SequenceEqual(model.Canonical(y)))
        {
            throw new CrdtLawException($"{what}: {model.Observe(x)} vs {model.Observe(y)}");
        }
    }
}

public sealed class CrdtLawException(string message) : Exception(message);
