using KvStore.Cluster;
using KvStore.Core.Crdt;

namespace KvStore.Simulation.Sim;

public enum OpKind
{
    Add,
    Remove,
    Put,
    Delete,
}

/// <summary>One client write as the checker sees it: what was asked, when, and whether it was acknowledged.</summary>
internal sealed class Op(int id, OpKind kind, string key, string node, ConsistencyLevel level, TimeSpan invoked)
{
    public int Id { get; } = id;

    public OpKind Kind { get; } = kind;

    public string Key { get; } = key;

    public string Node { get; } = node;

    public ConsistencyLevel Level { get; } = level;

    public TimeSpan Invoked { get; } = invoked;

    /// <summary>The element added or removed (sets) or the value put (registers); unique per run.</summary>
    public IReadOnlyList<string> Items { get; init; } = [];

    /// <summary>The causal context sent with the write, from the client's read.</summary>
    public CausalContext? Context { get; init; }

    /// <summary>When the client heard the outcome; null while pending or when it never heard.</summary>
    public TimeSpan? Completed { get; private set; }

    /// <summary>How many writes had been invoked when the client heard the outcome: orders it among invocations at the same virtual instant.</summary>
    public int CompletedBefore { get; private set; }

    /// <summary>Acknowledged: the client was told the write succeeded.</summary>
    public bool Ok { get; set; }

    public string? Error { get; set; }

    /// <summary>This write ended, acknowledged or refused, before <paramref name="other"/> was invoked.</summary>
    public bool Precedes(Op other) => Completed is not null && CompletedBefore <= other.Id;

    /// <summary>Ids are handed out in invocation order, so a later id was invoked later, even at the same virtual instant.</summary>
    public bool InvokedAfter(Op other) => Id > other.Id;

    public void Complete(TimeSpan now, int invokedSoFar)
    {
        Completed = now;
        CompletedBefore = invokedSoFar;
    }

    public override string ToString() =>
        $"#{Id} {Kind} {Key} [{string.Join(',', Items)}] via {Node} at {Level} invoked {Invoked.TotalMilliseconds:F0}ms " +
        (Completed is { } c ? $"completed {c.TotalMilliseconds:F0}ms " : "no answer ") + (Ok ? "ok" : $"failed ({Error})");
}

/// <summary>Every client write of one run, in invocation order.</summary>
internal sealed class History
{
    private readonly List<Op> _ops = [];

    public IReadOnlyList<Op> Ops => _ops;

    /// <summary>When a node's data was destroyed (amnesia, or a leave without handoff), in order.</summary>
    public List<(string Node, TimeSpan At)> Destructions { get; } = [];

    public void Destroyed(string node, TimeSpan at) => Destructions.Add((node, at));

    /// <summary>
    /// A write acknowledged by one replica only (level ONE) promises one copy, which a destroyed
    /// disk may take with it before anything spreads it: its loss then is the level's, not a bug.
    /// </summary>
    public bool MayBeGoneWithOneCopy(Op op) => op.Level == KvStore.Cluster.ConsistencyLevel.One && Destructions.Any(d => d.At >= op.Invoked);

    public Op Begin(OpKind kind, string key, string node, ConsistencyLevel level, TimeSpan now, IReadOnlyList<string> items, CausalContext? context)
    {
        var op = new Op(_ops.Count, kind, key, node, level, now) { Items = items, Context = context };
        _ops.Add(op);
        return op;
    }
}
