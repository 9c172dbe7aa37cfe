using System.Text;

namespace KvStore.Kvbench;

/// <summary>
/// Record keys as bytes: "user" and the record number in 12 digits, YCSB's naming at a fixed width.
/// A fixed width lets each caller keep one key buffer and rewrite it in place for every request.
/// </summary>
internal static class KeyFormat
{
    private const string Prefix = "user";
    private const int Digits = 12;

    public const int Length = 4 + Digits;

    /// <summary>Writes record <paramref name="record"/>'s key into the first <see cref="Length"/> bytes of <paramref name="destination"/>.</summary>
    public static void Write(long record, Span<byte> destination)
    {
        ArgumentOutOfRangeException.ThrowIfNegative(record);
        "user"u8.CopyTo(destination);
        for (var i = Length - 1; i >= Prefix.Length; i--)
        {
            destination[i] = (byte)('0' + (record % 10));
            record /= 10;
        }
    }

    public static byte[] ToBytes(long record)
    {
        var key = new byte[Length];
        Write(record, key);
        return key;
    }

    public static string ToText(long record) => Encoding.ASCII.GetString(ToBytes(record));
}
