using CsCheck;
using KvStore.Core.Causality;
using KvStore.Core.Crdt;

namespace KvStore.Core.Tests.Laws;

/// <summary>A step of a random history: a local operation at a replica, or one replica merging another's state.</summary>
public readonly record struct Step(bool IsMerge, int Replica, int From, uint Choice)
{
    public override string ToString() => IsMerge ? $"merge {From}->{Replica}" : $"op#{Choice} at {Replica}";
}

/// <summary>Runs random histories of local operations and merges over a few replicas.</summary>
public static class History
{
    public const int Replicas = 3;

    public static readonly ActorId[] Actors =
    [
        new("a", 0x1111), new("b", 0x2222), new("c", 0x3333),
    ];

    public static Gen<Step> StepGen { get; } =
        Gen.Select(Gen.Int[0, 9], Gen.Int[0, Replicas - 1], Gen.Int[0, Replicas - 1], Gen.UInt)
            .Select((kind, r, from, choice) => new Step(kind < 4, r, from, choice));

    public static Gen<Step[]> StepsGen { get; } = StepGen.Array[0, 40];

    /// <summary>The outcome of running a history: every state any replica passed through, and the final ones.</summary>
    public sealed record Run<T>(List<T> AllStates, T[] Finals);

    public static Run<T> Execute<T>(IReplicaModel<T> model, IEnumerable<Step> steps) where T : ICrdt<T>
    {
        var states = Enumerable.Repeat(model.Empty, Replicas).ToArray();
        var earlier = Enumerable.Repeat(VersionVector.Empty, Replicas).ToArray();
        var all = new List<T> { model.Empty };
        foreach (var step in steps)
        {
            var r = step.Replica;
            if (step.IsMerge)
            {
                states[r] = states[r].Merge(states[step.From]);
            }
            else
            {
                var read = earlier[r];
                earlier[r] = states[r].Clock;
                states[r] = model.ApplyLocal(states[r], Actors[r], read, step.Choice);
            }

            all.Add(states[r]);
        }

        return new Run<T>(all, states);
    }

    /// <summary>Merges the given states in the given order.</summary>
    public static T MergeAll<T>(IEnumerable<T> states) where T : ICrdt<T> => states.Aggregate((x, y) => x.Merge(y));
}
