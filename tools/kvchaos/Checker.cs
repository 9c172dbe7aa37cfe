namespace KvStore.Kvchaos;

/// <summary>What one key looks like after the run: the merge of its replicas, and each replica's own object.</summary>
/// <param name="Found">Whether the merge holds a live value.</param>
/// <param name="Value">The register's winning value (null for a set or when not found).</param>
/// <param name="Members">The set's members (empty for a register).</param>
internal sealed record KeyObservation(bool Found, string? Value, IReadOnlyList<string> Members, IReadOnlyList<ReplicaObservation> Replicas);

/// <summary>One replica's stored object, as canonical text so that equal objects compare equal; null when it holds nothing or could not be asked.</summary>
/// <param name="Summary">A short description for the report: the register's value or the set's size, and the version vector.</param>
internal sealed record ReplicaObservation(string Node, string? Version, string? Error, string? Summary = null);

/// <summary>A problem the check found: its kind (lost, resurrected, phantom, divergent, unverified), the key, and what was seen.</summary>
internal sealed record Finding(string Kind, string Key, string Detail);

/// <summary>
/// The check after a run, a pure function of the history and what the replicas hold:
/// <list type="bullet">
/// <item>lost: an acknowledged write that is not visible (a set element added and never removed
/// is missing; a register shows neither its last acknowledged value nor a write that may have
/// followed or been concurrent with it);</item>
/// <item>resurrected: a set element whose remove was acknowledged is back, or a register shows a
/// value an acknowledged later write had overwritten;</item>
/// <item>phantom: a value nobody wrote;</item>
/// <item>divergent: the key's replicas hold different objects after the cluster went quiet.</item>
/// </list>
/// </summary>
internal static class Checker
{
    public static IReadOnlyList<Finding> Check(IReadOnlyList<Op> history, IReadOnlyDictionary<string, KeyObservation> observed)
    {
        var findings = new List<Finding>();
        foreach (var ops in history.GroupBy(o => o.Key, StringComparer.Ordinal).OrderBy(g => g.Key, StringComparer.Ordinal))
        {
            if (!observed.TryGetValue(ops.Key, out var seen))
            {
                findings.Add(new Finding("unverified", ops.Key, "the key could not be inspected"));
                continue;
            }

            var list = ops.ToList();
            if (list[0].Kind == OpKind.Put)
            {
                CheckRegister(ops.Key, list, seen, findings);
            }
            else
            {
                CheckSet(ops.Key, list, seen, findings);
            }

            CheckReplicas(ops.Key, seen, findings);
        }

        return findings;
    }

    /// <summary>
    /// Each put carries the context of the key's previous acknowledged put, so it supersedes that
    /// put and everything before it; a put that failed after it is concurrent with the next
    /// acknowledged put and may win by its timestamp. The allowed final values are therefore the
    /// last acknowledged put and the failed puts since the acknowledged put before it.
    /// </summary>
    internal static IReadOnlySet<string?> AllowedRegisterValues(IReadOnlyList<Op> puts)
    {
        var allowed = new HashSet<string?>(StringComparer.Ordinal) { null };
        var failedSinceOk = new List<string>();
        foreach (var put in puts)
        {
            if (put.Ok)
            {
                allowed = new HashSet<string?>(failedSinceOk, StringComparer.Ordinal) { put.Value };
                failedSinceOk.Clear();
            }
            else
            {
                allowed.Add(put.Value);
                failedSinceOk.Add(put.Value);
            }
        }

        return allowed;
    }

    private static void CheckRegister(string key, List<Op> puts, KeyObservation seen, List<Finding> findings)
    {
        var value = seen.Found ? seen.Value : null;
        var allowed = AllowedRegisterValues(puts);
        if (allowed.Contains(value))
        {
            return;
        }

        var lastOk = puts.LastOrDefault(p => p.Ok);
        var written = puts.FirstOrDefault(p => p.Value == value);
        if (value is null)
        {
            findings.Add(new Finding("lost", key, $"absent, but put {lastOk?.Value} was acknowledged"));
        }
        else if (written is null)
        {
            findings.Add(new Finding("phantom", key, $"holds {value}, which no put wrote"));
        }
        else
        {
            findings.Add(new Finding("resurrected", key, $"holds {value} ({(written.Ok ? "acknowledged" : "failed")} at {written.Completed.TotalSeconds:F1} s), overwritten by acknowledged put {lastOk?.Value}"));
        }
    }

    private static void CheckSet(string key, List<Op> ops, KeyObservation seen, List<Finding> findings)
    {
        var members = seen.Found ? seen.Members.ToHashSet(StringComparer.Ordinal) : [];
        var adds = ops.Where(o => o.Kind == OpKind.Add).ToDictionary(o => o.Value, StringComparer.Ordinal);
        var removes = ops.Where(o => o.Kind == OpKind.Remove).ToLookup(o => o.Value, StringComparer.Ordinal);
        foreach (var (element, add) in adds)
        {
            var removed = removes[element].ToList();
            var present = members.Contains(element);
            if (removed.Any(r => r.Ok))
            {
                if (present)
                {
                    findings.Add(new Finding("resurrected", key, $"{element} is present, but its remove was acknowledged at {removed.First(r => r.Ok).Completed.TotalSeconds:F1} s"));
                }
            }
            else if (add.Ok && removed.Count == 0 && !present)
            {
                findings.Add(new Finding("lost", key, $"{element} is missing, but its add was acknowledged at {add.Completed.TotalSeconds:F1} s and it was never removed"));
            }
        }

        foreach (var member in members.Where(m => !adds.ContainsKey(m)).Order(StringComparer.Ordinal))
        {
            findings.Add(new Finding("phantom", key, $"{member} is present, but nobody added it"));
        }
    }

    private static void CheckReplicas(string key, KeyObservation seen, List<Finding> findings)
    {
        foreach (var r in seen.Replicas.Where(r => r.Error is not null))
        {
            findings.Add(new Finding("unverified", key, $"replica {r.Node} did not answer: {r.Error}"));
        }

        var answered = seen.Replicas.Where(r => r.Error is null).ToList();
        if (answered.Select(r => r.Version).Distinct(StringComparer.Ordinal).Count() > 1)
        {
            findings.Add(new Finding("divergent", key, string.Join("; ", answered.Select(r => $"{r.Node}: {(r.Version is null ? "(nothing)" : r.Summary ?? r.Version)}"))));
        }
    }
}
