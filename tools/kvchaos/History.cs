namespace KvStore.Kvchaos;

/// <summary>What a recorded operation did: a register put, or an add or remove of one set element.</summary>
internal enum OpKind
{
    Put = 1,
    Add = 2,
    Remove = 3,
}

/// <summary>
/// One operation as the client saw it. A failed operation is indeterminate: it may still have been
/// applied on some replicas (a timeout, or fewer acknowledgements than the level needed), so the
/// check allows it to show up or not.
/// </summary>
/// <param name="Value">The register value put, or the set element added or removed; unique within the run.</param>
/// <param name="Node">The index of the node the client sent it to.</param>
internal sealed record Op(
    int Writer, string Key, OpKind Kind, string Value, bool Ok, string? Error, TimeSpan Invoked, TimeSpan Completed, int Node, string Level);

/// <summary>
/// Every operation of a run. Each key belongs to one writer, which runs its operations one after
/// another, so the order in which a key's operations are recorded is the order they were invoked.
/// </summary>
internal sealed class History
{
    private readonly Lock _lock = new();
    private readonly List<Op> _ops = [];
    private int _invoked;

    public int Invoked => Volatile.Read(ref _invoked);

    /// <summary>Counts an operation as invoked, before it is sent.</summary>
    public void Invoke() => Interlocked.Increment(ref _invoked);

    public void Complete(Op op)
    {
        lock (_lock)
        {
            _ops.Add(op);
        }
    }

    public IReadOnlyList<Op> Ops
    {
        get
        {
            lock (_lock)
            {
                return _ops.ToList();
            }
        }
    }
}
