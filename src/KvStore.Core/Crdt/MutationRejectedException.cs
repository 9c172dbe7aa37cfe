namespace KvStore.Core.Crdt;

/// <summary>Why a mutation was refused. Values are stable: append only.</summary>
public enum RejectReason
{
    /// <summary>The key holds the other type.</summary>
    WrongType = 1,

    /// <summary>The result would break a configured bound.</summary>
    LimitExceeded = 2,
}

/// <summary>A mutation that was refused; the stored object is unchanged.</summary>
public sealed class MutationRejectedException(RejectReason reason, string message) : Exception(message)
{
    public RejectReason Reason { get; } = reason;

    public static MutationRejectedException WrongType(ObjectType held, ObjectType wanted) =>
        new(RejectReason.WrongType,
            $"key holds a {Describe(held)}, not a {Describe(wanted)}; a key keeps its type, even after a delete, until its tombstone is collected");

    private static string Describe(ObjectType t) => t == ObjectType.Register ? "register" : "set";
}
