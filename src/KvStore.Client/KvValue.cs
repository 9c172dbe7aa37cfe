using System.Text;

namespace KvStore.Client;

/// <summary>The value of a register key as read, with the context needed to overwrite it safely.</summary>
public sealed class KvValue
{
    public KvValue(ReadOnlyMemory<byte> value, KvContext context)
    {
        ArgumentNullException.ThrowIfNull(context);
        Value = value;
        Context = context;
    }

    /// <summary>The stored bytes, exactly as written.</summary>
    public ReadOnlyMemory<byte> Value { get; }

    /// <summary>
    /// What this read saw. Pass it to <see cref="KvClient.PutAsync(ReadOnlyMemory{byte}, ReadOnlyMemory{byte}, KvContext?, KvConsistency, CancellationToken)"/>
    /// or a delete so that the write supersedes exactly this value and nothing written concurrently.
    /// </summary>
    public KvContext Context { get; }

    /// <summary>The value decoded as UTF-8 (invalid sequences become U+FFFD).</summary>
    public string ValueAsString => Encoding.UTF8.GetString(Value.Span);

    /// <summary>The value decoded as UTF-8, so that string-valued keys print naturally.</summary>
    public override string ToString() => ValueAsString;
}
