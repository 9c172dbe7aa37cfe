using System.Text;

namespace KvStore.Client;

/// <summary>The members of a set key as read, with the context needed to remove them safely.</summary>
public sealed class KvSet
{
    private IReadOnlyList<string>? _membersAsStrings;

    public KvSet(IReadOnlyList<ReadOnlyMemory<byte>> members, KvContext context)
    {
        ArgumentNullException.ThrowIfNull(members);
        ArgumentNullException.ThrowIfNull(context);
        Members = members;
        Context = context;
    }

    /// <summary>The members in ascending byte order (the order the server sends them in).</summary>
    public IReadOnlyList<ReadOnlyMemory<byte>> Members { get; }

    /// <summary>
    /// What this read saw. A remove carrying it removes exactly the additions seen here; an element
    /// added concurrently (add-wins) survives.
    /// </summary>
    public KvContext Context { get; }

    /// <summary>The number of members.</summary>
    public int Count => Members.Count;

    /// <summary>The members decoded as UTF-8 (invalid sequences become U+FFFD), in the same order.</summary>
    public IReadOnlyList<string> MembersAsStrings =>
        _membersAsStrings ??= Members.Select(m => Encoding.UTF8.GetString(m.Span)).ToArray();
}
