namespace KvStore.Core.Crdt;

/// <summary>Unsigned lexicographic order on byte strings: the order of set members everywhere.</summary>
public sealed class ByteOrder : IComparer<byte[]>, IEqualityComparer<byte[]>
{
    public static ByteOrder Instance { get; } = new();

    public int Compare(byte[]? x, byte[]? y) => x.AsSpan().SequenceCompareTo(y);

    public bool Equals(byte[]? x, byte[]? y) => x.AsSpan().SequenceEqual(y);

    public int GetHashCode(byte[] obj)
    {
        var h = new HashCode();
        h.AddBytes(obj);
        return h.ToHashCode();
    }
}
