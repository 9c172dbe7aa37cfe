using KvStore.Core.Crdt;

namespace KvStore.Storage;

/// <summary>The data a node set aside after a long absence, paged in key order so it can be merged back at a bounded pace.</summary>
public interface IAsideSource : IDisposable
{
    /// <summary>Where the data is, for logs and the admin view.</summary>
    string Path { get; }

    /// <summary>About how many objects and hints it holds, for progress.</summary>
    long EstimatedCount { get; }

    /// <summary>Up to <paramref name="max"/> objects after <paramref name="afterKey"/> (null for the start).</summary>
    IReadOnlyList<(byte[] Key, KvObject Object)> Objects(byte[]? afterKey, int max);

    /// <summary>Up to <paramref name="max"/> hints after <paramref name="afterStoredKey"/> (null for the start), each with the key to page on.</summary>
    IReadOnlyList<(byte[] StoredKey, Hint Hint)> Hints(byte[]? afterStoredKey, int max);
}
