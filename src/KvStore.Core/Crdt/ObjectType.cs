namespace KvStore.Core.Crdt;

/// <summary>The type a key holds. Values are persisted: append only, never renumber.</summary>
public enum ObjectType : byte
{
    Register = 1,
    Set = 2,
}
