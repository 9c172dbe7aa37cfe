using Google.Protobuf;

namespace KvStore.Client;

/// <summary>
/// The opaque causal context of a read or a write: which versions of a key the caller has seen.
/// A write carrying the context of a read supersedes exactly what was read, so a concurrent write
/// that the read did not see survives instead of being silently overwritten. Without a context a
/// write supersedes whatever the coordinating replica holds.
/// </summary>
/// <remarks>
/// The bytes are produced and interpreted only by the server; clients store and return them
/// unchanged. <see cref="ToBase64"/> and <see cref="FromBase64"/> exist so that a context can
/// cross a process boundary (a web form, a command line) between the read and the write.
/// Instances are immutable and compare by content.
/// </remarks>
public sealed class KvContext : IEquatable<KvContext>
{
    private KvContext(ByteString bytes) => Bytes = bytes;

    /// <summary>The context of nothing: a write carrying it behaves like a write without a context.</summary>
    public static KvContext Empty { get; } = new(ByteString.Empty);

    /// <summary>True when the context names no version at all.</summary>
    public bool IsEmpty => Bytes.IsEmpty;

    /// <summary>The raw context bytes; never modify the array behind them.</summary>
    public ReadOnlyMemory<byte> Memory => Bytes.Memory;

    /// <summary>Kept as a protobuf ByteString so that sending a context back costs no copy.</summary>
    internal ByteString Bytes { get; }

    /// <summary>Wraps a copy of context bytes obtained earlier from <see cref="Memory"/>.</summary>
    public static KvContext FromBytes(ReadOnlySpan<byte> bytes) =>
        bytes.IsEmpty ? Empty : new KvContext(ByteString.CopyFrom(bytes));

    /// <summary>Parses the output of <see cref="ToBase64"/>.</summary>
    /// <exception cref="FormatException">The text is not valid base64.</exception>
    public static KvContext FromBase64(string base64)
    {
        ArgumentNullException.ThrowIfNull(base64);
        var bytes = Convert.FromBase64String(base64);
        return bytes.Length == 0 ? Empty : new KvContext(UnsafeByteOperations.UnsafeWrap(bytes));
    }

    /// <summary>The context as standard base64 (with padding); empty for an empty context.</summary>
    public string ToBase64() => Bytes.ToBase64();

    /// <summary>Wraps a context received from the server; the message owns the bytes and never changes them.</summary>
    internal static KvContext FromWire(ByteString bytes) => bytes.IsEmpty ? Empty : new KvContext(bytes);

    /// <summary>The wire form of an optional context: absent means empty.</summary>
    internal static ByteString ToWire(KvContext? context) => context?.Bytes ?? ByteString.Empty;

    public bool Equals(KvContext? other) => other is not null && Bytes.Span.SequenceEqual(other.Bytes.Span);

    public override bool Equals(object? obj) => Equals(obj as KvContext);

    public override int GetHashCode()
    {
        var hash = new HashCode();
        hash.AddBytes(Bytes.Span);
        return hash.ToHashCode();
    }

    public static bool operator ==(KvContext? left, KvContext? right) =>
        left is null ? right is null : left.Equals(right);

    public static bool operator !=(KvContext? left, KvContext? right) => !(left == right);

    /// <summary>The base64 form, so that a context shows up readably in logs and debuggers.</summary>
    public override string ToString() => ToBase64();
}
