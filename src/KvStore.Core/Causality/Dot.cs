namespace KvStore.Core.Causality;

/// <summary>
/// One event: the <paramref name="Counter"/>-th update minted by <paramref name="Actor"/>.
/// A dot names a single write or set addition, so a remove can say exactly which additions it saw.
/// </summary>
public readonly record struct Dot(ActorId Actor, ulong Counter) : IComparable<Dot>
{
    public int CompareTo(Dot other)
    {
        var c = Actor.CompareTo(other.Actor);
        return c != 0 ? c : Counter.CompareTo(other.Counter);
    }

    public override string ToString() => $"{Actor}:{Counter}";
}
