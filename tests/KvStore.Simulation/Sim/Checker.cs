using System.Text;
using KvStore.Core.Crdt;

namespace KvStore.Simulation.Sim;

/// <summary>What the checker found after healing: the three counts must be zero, and each finding says why.</summary>
internal sealed record CheckResult(int Lost, int Resurrected, int Divergent, IReadOnlyList<string> Findings, int Excused = 0);

/// <summary>
/// Holds a run's history against the replicas' state after healing and quiescence.
/// <list type="bullet">
/// <item>Lost: an acknowledged add whose element is missing, when no remove of it was invoked (every
/// remove names elements its read observed); an acknowledged put whose value is not the register's
/// winner, when nothing explains it: no write of the key invoked after it, none overlapping it in
/// real time, and not an earlier write that its context had not seen (which may carry a later
/// timestamp when clocks are skewed). An empty register is explained only by a delete invoked after the put.</item>
/// <item>Resurrected: an element whose remove was acknowledged and which is present (elements are
/// never re-added); a register write whose dot an acknowledged write's context covered (it was
/// superseded) and which is still held.</item>
/// <item>Resurrected after collection: a register value or set element whose dot a collected
/// tombstone's clock covers, whatever the history says.</item>
/// <item>Divergent: a key whose replicas (the preference list) hold different objects.</item>
/// </list>
/// A write (or remove) acknowledged at level ONE whose effect is missing after a node's data was
/// destroyed is not counted as lost or resurrected but as excused
/// (<see cref="History.MayBeGoneWithOneCopy"/>): one copy was all it was promised.
/// </summary>
internal static class Checker
{
    public static CheckResult Check(SimCluster cluster, History history)
    {
        var findings = new List<string>();
        int lost = 0, resurrected = 0, divergent = 0, excused = 0;
        foreach (var keyOps in history.Ops.GroupBy(o => o.Key).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            var key = Encoding.UTF8.GetBytes(keyOps.Key);
            var replicas = cluster.Replicas(key);
            var objects = replicas.Select(r => cluster[r].Store.Get(key)).ToList();
            if (objects.Any(o => !Equals(o, objects[0])))
            {
                divergent++;
                findings.Add($"divergent {keyOps.Key}: " + string.Join(" | ", replicas.Select((r, i) => $"{r}={Describe(objects[i])}")));
            }

            var final = objects.Aggregate((KvObject?)null, (a, b) => a is null ? b : b is null ? a : a.Merge(b));
            resurrected += CheckCollected(cluster, keyOps.Key, key, final, findings);
            var ops = keyOps.ToList();
            if (ops[0].Kind is OpKind.Add or OpKind.Remove)
            {
                var before = findings.Count;
                CheckSet(final?.Set, ops, history, findings, ref lost, ref resurrected, ref excused);
                Locate(cluster, key, replicas, findings, before);
            }
            else
            {
                CheckRegister(final?.Register, ops, history, findings, ref lost, ref resurrected, ref excused);
            }
        }

        return new CheckResult(lost, resurrected, divergent, findings, excused);
    }

    /// <summary>
    /// A collected tombstone had seen every dot in its clock and held none of them: after the key
    /// is gone, no replica may hold a register value or a set element with such a dot (new writes
    /// get dots above every collected counter). Whether or not the delete was acknowledged.
    /// </summary>
    private static int CheckCollected(SimCluster cluster, string name, byte[] key, KvObject? final, List<string> findings)
    {
        if (final is null)
        {
            return 0;
        }

        var dots = final.Register is { } r
            ? r.Entries.ToArray().Select(e => (Encoding.UTF8.GetString(e.Value.Span), e.Dot)).ToList()
            : Enumerable.Range(0, final.Set!.Members.Length).SelectMany(i => final.Set.Members[i].Dots.Select(d => (Encoding.UTF8.GetString(final.Set.Members[i].Element), d))).ToList();
        var count = 0;
        foreach (var (value, dot) in dots)
        {
            if (cluster.Collections.FirstOrDefault(c => c.Key.AsSpan().SequenceEqual(key) && c.Tombstone.Clock.Contains(dot)) is { } collection)
            {
                count++;
                findings.Add($"resurrected: {value} ({dot}) of {name} after {collection.Node} collected its tombstone (clock {collection.Tombstone.Clock})");
            }
        }

        return count;
    }

    private static void CheckSet(OrSet? set, List<Op> ops, History history, List<string> findings, ref int lost, ref int resurrected, ref int excused)
    {
        var present = new HashSet<string>(StringComparer.Ordinal);
        for (var i = 0; set is not null && i < set.Members.Length; i++)
        {
            present.Add(Encoding.UTF8.GetString(set.Members[i].Element));
        }

        var removeInvoked = ops.Where(o => o.Kind == OpKind.Remove).SelectMany(o => o.Items).ToHashSet(StringComparer.Ordinal);
        foreach (var add in ops.Where(o => o.Kind == OpKind.Add && o.Ok))
        {
            foreach (var e in add.Items.Where(e => !present.Contains(e) && !removeInvoked.Contains(e)))
            {
                if (history.MayBeGoneWithOneCopy(add))
                {
                    excused++;
                    continue;
                }

                lost++;
                findings.Add($"lost: element {e} of acknowledged {add}");
            }
        }

        foreach (var remove in ops.Where(o => o.Kind == OpKind.Remove && o.Ok))
        {
            foreach (var e in remove.Items.Where(present.Contains))
            {
                if (history.MayBeGoneWithOneCopy(remove))
                {
                    excused++;
                    continue;
                }

                resurrected++;
                findings.Add($"resurrected: element {e} after acknowledged {remove}");
            }
        }
    }

    private static void CheckRegister(LwwRegister? register, List<Op> ops, History history, List<string> findings, ref int lost, ref int resurrected, ref int excused)
    {
        var byValue = ops.Where(o => o.Kind == OpKind.Put).ToDictionary(o => o.Items[0], StringComparer.Ordinal);
        RegisterEntry? winner = register?.Winner;
        var winnerOp = winner is { } w ? byValue.GetValueOrDefault(Encoding.UTF8.GetString(w.Value.Span)) : null;
        foreach (var put in ops.Where(o => o.Kind == OpKind.Put && o.Ok))
        {
            if (winnerOp == put)
            {
                continue;
            }

            var explained = winner is null
                ? ops.Any(o => o.Kind == OpKind.Delete && o.InvokedAfter(put))
                : ops.Any(o => o != put && o.InvokedAfter(put))
                  || (winnerOp is not null && !winnerOp.Precedes(put))
                  || (winnerOp is not null && !(put.Context?.Clock.Contains(winner.Value.Dot) ?? false));
            if (!explained && history.MayBeGoneWithOneCopy(put))
            {
                excused++;
            }
            else if (!explained)
            {
                lost++;
                findings.Add($"lost: acknowledged {put}; the register holds {Describe(register)}");
            }
        }

        if (register is null)
        {
            return;
        }

        foreach (var entry in register.Entries)
        {
            foreach (var write in ops.Where(o => o.Ok && o.Context is not null && o.Context.Clock.Contains(entry.Dot)))
            {
                if (history.MayBeGoneWithOneCopy(write))
                {
                    excused++;
                    continue;
                }

                resurrected++;
                findings.Add($"resurrected: {Encoding.UTF8.GetString(entry.Value.Span)} ({entry.Dot}) though acknowledged {write} had seen it");
            }
        }
    }

    /// <summary>
    /// Adds to each new "lost" finding of a set element which running nodes outside the preference
    /// list still hold it: data stranded on a former replica, which ownership handoff would move.
    /// </summary>
    private static void Locate(SimCluster cluster, byte[] key, IReadOnlyList<string> replicas, List<string> findings, int from)
    {
        for (var i = from; i < findings.Count; i++)
        {
            if (!findings[i].StartsWith("lost: element ", StringComparison.Ordinal))
            {
                continue;
            }

            var element = Encoding.UTF8.GetBytes(findings[i]["lost: element ".Length..].Split(' ')[0]);
            var holders = cluster.Running.Where(n => !replicas.Contains(n.Id) && (n.Store.Get(key)?.Set?.Contains(element) ?? false)).Select(n => n.Id).ToList();
            if (holders.Count > 0)
            {
                findings[i] += $"; still held by {string.Join(',', holders)}, no longer a replica of the key";
            }
        }
    }

    private static string Describe(KvObject? obj) => obj switch
    {
        null => "absent",
        { Set: { } s } => $"set{{{string.Join(',', Enumerable.Range(0, s.Members.Length).Select(i => Encoding.UTF8.GetString(s.Members[i].Element)))}}} clock {s.Clock}",
        { Register: { } r } => $"register[{string.Join(',', r.Entries.ToArray().Select(e => $"{Encoding.UTF8.GetString(e.Value.Span)}@{e.Dot}/{e.Timestamp}"))}] clock {r.Clock}",
        _ => "?",
    };

    private static string Describe(LwwRegister? r) => r is null ? "absent" : Describe(KvObject.Of(r));
}
