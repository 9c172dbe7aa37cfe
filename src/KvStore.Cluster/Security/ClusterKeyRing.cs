using System.Buffers.Binary;
using System.Security.Cryptography;
using System.Text;

namespace KvStore.Cluster.Security;

/// <summary>
/// The shared secrets that admit a node to the cluster. The first key signs what this node sends;
/// every key is accepted on receipt. That makes rotation possible without a flag day (as
/// memberlist's keyring): add the new key second everywhere, then move it first everywhere, then
/// drop the old one. At every step each pair of nodes shares the key the sender uses.
/// </summary>
public sealed class ClusterKeyRing
{
    /// <summary>Shortest key accepted: 256 bits, the size of HMAC-SHA256's output.</summary>
    public const int MinKeyBytes = 32;

    /// <summary>Longest key accepted: HMAC-SHA256's block size; a longer key would be hashed first anyway.</summary>
    public const int MaxKeyBytes = 64;

    /// <summary>A ring longer than this is a configuration mistake, and every extra key is another secret that admits a sender.</summary>
    public const int MaxKeys = 8;

    private readonly Dictionary<uint, byte[]> _byId;

    public ClusterKeyRing(IReadOnlyList<byte[]> keys)
    {
        if (keys.Count is 0 or > MaxKeys)
        {
            throw new ArgumentException($"a key ring holds 1 to {MaxKeys} keys (has {keys.Count})", nameof(keys));
        }

        _byId = new Dictionary<uint, byte[]>(keys.Count);
        foreach (var key in keys)
        {
            if (key.Length is < MinKeyBytes or > MaxKeyBytes)
            {
                throw new ArgumentException($"a cluster key is {MinKeyBytes} to {MaxKeyBytes} bytes (one is {key.Length})", nameof(keys));
            }

            _byId.TryAdd(KeyId(key), (byte[])key.Clone());
        }

        PrimaryKeyId = KeyId(keys[0]);
        Count = _byId.Count;
    }

    /// <summary>
    /// A fixed key compiled into every build, so that a developer's local cluster works without
    /// configuration. It keeps out nobody who has read this source: production must set real keys.
    /// </summary>
    public static ClusterKeyRing Development { get; } =
        new([SHA256.HashData(Encoding.UTF8.GetBytes("kvstore development cluster key; never use in production"))]);

    /// <summary>The id of the key this node sends with.</summary>
    public uint PrimaryKeyId { get; }

    /// <summary>Distinct keys on the ring.</summary>
    public int Count { get; }

    internal byte[] PrimaryKey => _byId[PrimaryKeyId];

    /// <summary>
    /// Parses comma-separated base64 keys. Returns null with an error for bad input. An empty
    /// string yields <see cref="Development"/> with <paramref name="usesDevelopmentKey"/> set.
    /// </summary>
    public static ClusterKeyRing? TryParse(string? keys, out bool usesDevelopmentKey, out string? error)
    {
        usesDevelopmentKey = false;
        error = null;
        var parts = (keys ?? "").Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);
        if (parts.Length == 0)
        {
            usesDevelopmentKey = true;
            return Development;
        }

        if (parts.Length > MaxKeys)
        {
            error = $"at most {MaxKeys} keys are allowed (got {parts.Length})";
            return null;
        }

        var decoded = new List<byte[]>(parts.Length);
        for (var i = 0; i < parts.Length; i++)
        {
            byte[] key;
            try
            {
                key = Convert.FromBase64String(parts[i]);
            }
            catch (FormatException)
            {
                error = $"key {i + 1} is not valid base64";
                return null;
            }

            if (key.Length is < MinKeyBytes or > MaxKeyBytes)
            {
                error = $"key {i + 1} decodes to {key.Length} bytes; {MinKeyBytes} to {MaxKeyBytes} are required";
                return null;
            }

            decoded.Add(key);
        }

        return new ClusterKeyRing(decoded);
    }

    /// <summary>The first four bytes of the key's SHA-256: tells the receiver which key to check with, without revealing the key.</summary>
    public static uint KeyId(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadUInt32BigEndian(SHA256.HashData(key));

    internal bool TryGetKey(uint keyId, out byte[] key) => _byId.TryGetValue(keyId, out key!);
}
