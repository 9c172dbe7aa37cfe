namespace KvStore.Core.Crdt;

/// <summary>A client's change to one key, before a replica gives it a dot and a timestamp.</summary>
public abstract record Mutation
{
    private Mutation()
    {
    }

    /// <summary>The type of object the mutation needs, or null when it applies to either type.</summary>
    public abstract ObjectType? TargetType { get; }

    /// <summary>The context the client sent back, if any: what the mutation supersedes.</summary>
    public CausalContext? SeenContext => this switch
    {
        Put p => p.Context,
        Delete d => d.Context,
        SetRemove r => r.Context,
        _ => null,
    };

    public sealed record Put(byte[] Value, CausalContext? Context) : Mutation
    {
        public override ObjectType? TargetType => ObjectType.Register;
    }

    public sealed record Delete(CausalContext? Context) : Mutation
    {
        public override ObjectType? TargetType => null;
    }

    public sealed record SetAdd(IReadOnlyList<byte[]> Elements) : Mutation
    {
        public override ObjectType? TargetType => ObjectType.Set;
    }

    public sealed record SetRemove(IReadOnlyList<byte[]> Elements, CausalContext? Context) : Mutation
    {
        public override ObjectType? TargetType => ObjectType.Set;
    }
}
