using System.Text;

namespace KvStore.Storage;

/// <summary>
/// The RocksDB key of a hint: [target length:u8][target UTF-8][key bytes]. The length prefix keeps
/// one target's hints contiguous and in key order, and no target's prefix is a prefix of another's.
/// </summary>
internal static class HintKey
{
    public const int MaxTargetBytes = byte.MaxValue;

    /// <summary>[length][target]: the first bytes of every hint key of <paramref name="target"/>.</summary>
    /// <exception cref="ArgumentException">The target is empty or longer than 255 UTF-8 bytes.</exception>
    public static byte[] Prefix(string target) => Encode(target, []);

    /// <exception cref="ArgumentException">The target is empty or longer than 255 UTF-8 bytes.</exception>
    public static byte[] Encode(string target, ReadOnlySpan<byte> key)
    {
        ArgumentException.ThrowIfNullOrEmpty(target);
        var length = Encoding.UTF8.GetByteCount(target);
        if (length > MaxTargetBytes)
        {
            throw new ArgumentException($"a hint target is at most {MaxTargetBytes} UTF-8 bytes (is {length})", nameof(target));
        }

        var bytes = new byte[1 + length + key.Length];
        bytes[0] = (byte)length;
        Encoding.UTF8.GetBytes(target, bytes.AsSpan(1));
        key.CopyTo(bytes.AsSpan(1 + length));
        return bytes;
    }

    /// <summary>Splits a stored hint key; false for bytes no <see cref="Encode"/> produced.</summary>
    public static bool TryDecode(ReadOnlySpan<byte> stored, out string target, out byte[] key)
    {
        if (stored.Length < 1 || stored[0] == 0 || stored.Length < 1 + stored[0])
        {
            target = "";
            key = [];
            return false;
        }

        target = Encoding.UTF8.GetString(stored.Slice(1, stored[0]));
        key = stored[(1 + stored[0])..].ToArray();
        return true;
    }
}
