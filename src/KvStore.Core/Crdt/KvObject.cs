using KvStore.Core.Causality;
using KvStore.Core.Clock;

namespace KvStore.Core.Crdt;

/// <summary>
/// What a key holds: a register or a set, with its causal metadata. A key keeps one type for its
/// whole life; merging objects of different types is refused.
/// </summary>
public sealed class KvObject : IEquatable<KvObject>
{
    private KvObject(LwwRegister? register, OrSet? set)
    {
        Register = register;
        Set = set;
    }

    public static KvObject Of(LwwRegister register) => new(register, null);

    public static KvObject Of(OrSet set) => new(null, set);

    public ObjectType Type => Register is not null ? ObjectType.Register : ObjectType.Set;

    public LwwRegister? Register { get; }

    public OrSet? Set { get; }

    public VersionVector Clock => Register?.Clock ?? Set!.Clock;

    /// <summary>False for a deleted register or an empty set: the state that remains is a tombstone.</summary>
    public bool IsLive => Register is not null ? Register.Entries.Length > 0 : Set!.Count > 0;

    /// <summary>The latest write timestamp held (sets carry none, so zero).</summary>
    public HlcTimestamp MaxTimestamp => Register?.MaxTimestamp ?? HlcTimestamp.Zero;

    /// <summary>The context a client gets back with a read of this object.</summary>
    public CausalContext Context => new(Clock, MaxTimestamp);

    /// <exception cref="MutationRejectedException">The objects hold different types.</exception>
    public KvObject Merge(KvObject other)
    {
        if (Type != other.Type)
        {
            throw MutationRejectedException.WrongType(Type, other.Type);
        }

        return Register is not null ? Of(Register.Merge(other.Register!)) : Of(Set!.Merge(other.Set!));
    }

    public bool Equals(KvObject? other) =>
        other is not null && Type == other.Type &&
        (Register is not null ? Register.Equals(other.Register) : Set!.Equals(other.Set));

    public override bool Equals(object? obj) => Equals(obj as KvObject);

    public override int GetHashCode() => HashCode.Combine(Type, Clock);
}
