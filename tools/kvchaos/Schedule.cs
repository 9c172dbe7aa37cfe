namespace KvStore.Kvchaos;

/// <summary>What the nemesis does at one moment of the run.</summary>
internal enum FaultKind
{
    Kill = 1,
    Restart = 2,

    /// <summary>Cut every link between two groups of nodes, both ways.</summary>
    Partition = 3,

    /// <summary>Drop what one node sends to another; the other direction still flows.</summary>
    OneWay = 4,
    Heal = 5,
}

/// <param name="Nodes">Kill and Restart: the node. Partition: one side (the rest is the other). OneWay: sender, then receiver.</param>
internal sealed record Fault(TimeSpan At, FaultKind Kind, IReadOnlyList<int> Nodes)
{
    public override string ToString() => Kind switch
    {
        FaultKind.Kill => $"kill -9 node{Nodes[0] + 1}",
        FaultKind.Restart => $"restart node{Nodes[0] + 1}",
        FaultKind.Partition => $"partition {{{string.Join(",", Nodes.Select(n => $"node{n + 1}"))}}} from the rest",
        FaultKind.OneWay => $"drop node{Nodes[0] + 1} -> node{Nodes[1] + 1}",
        _ => "heal all links",
    };
}

/// <summary>
/// The faults of a run, drawn up front from the seed alone, so a replay with the same seed does
/// the same things in the same order at the same planned times (how the processes interleave
/// with them still varies). At most <see cref="MaxDown"/> nodes are down at once, one partition is
/// in force at a time, and by the end every node is back and every link healed.
/// </summary>
internal static class Schedule
{
    public const int MaxDown = 2;

    public static IReadOnlyList<Fault> Generate(int seed, int nodes, TimeSpan duration, bool partitions)
    {
        var rng = new Random(seed);
        var faults = new List<Fault>();
        var upAgainAt = new TimeSpan?[nodes];
        var healAt = TimeSpan.Zero;
        var t = TimeSpan.FromSeconds(3);
        while (t < duration)
        {
            var down = Enumerable.Range(0, nodes).Where(n => upAgainAt[n] is { } up && up > t).ToList();
            var choice = rng.Next(partitions ? 3 : 1);
            if (choice == 0 && down.Count < MaxDown)
            {
                var up = Enumerable.Range(0, nodes).Except(down).ToList();
                var node = up[rng.Next(up.Count)];
                var back = Min(t + Seconds(rng, 1, 8), duration);
                upAgainAt[node] = back;
                faults.Add(new Fault(t, FaultKind.Kill, [node]));
                faults.Add(new Fault(back, FaultKind.Restart, [node]));
            }
            else if (choice > 0 && t >= healAt)
            {
                healAt = Min(t + Seconds(rng, 3, 12), duration);
                if (choice == 1)
                {
                    var side = Enumerable.Range(0, nodes).OrderBy(_ => rng.Next()).Take(rng.Next(1, (nodes / 2) + 1)).Order().ToList();
                    faults.Add(new Fault(t, FaultKind.Partition, side));
                }
                else
                {
                    var from = rng.Next(nodes);
                    var to = (from + rng.Next(1, nodes)) % nodes;
                    faults.Add(new Fault(t, FaultKind.OneWay, [from, to]));
                }

                faults.Add(new Fault(healAt, FaultKind.Heal, []));
            }

            t += Seconds(rng, 2, 5);
        }

        // Restarts and heals first at equal times, so a kill never finds its node still down.
        return faults.OrderBy(f => f.At).ThenBy(f => f.Kind is FaultKind.Restart or FaultKind.Heal ? 0 : 1).ToList();
    }

    private static TimeSpan Seconds(Random rng, double min, double max) => TimeSpan.FromSeconds(min + (rng.NextDouble() * (max - min)));

    private static TimeSpan Min(TimeSpan a, TimeSpan b) => a < b ? a : b;
}
