using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using KvStore.Core.AntiEntropy;

namespace KvStore.Storage;

/// <summary>
/// How the anti-entropy tree is kept on disk, in two column families written in the same batch as
/// the objects: "positions" holds (ring position, 8 bytes big-endian) + key, with no value, for
/// every stored key, so the keys of any stretch of the ring are one ordered range scan; it is
/// written only when a key is created, not on every update. "segments" maps a leaf segment
/// (4 bytes big-endian) to its hash, the XOR of its keys' <see cref="ObjectHash"/>es (absent when zero).
/// </summary>
internal static class MerkleLayout
{
    public const string PositionsFamily = "positions";
    public const string SegmentsFamily = "segments";

    /// <summary>The meta entry that says the families are complete and in which layout; without it (an older directory) they are rebuilt at open.</summary>
    public const string FormatName = "merkle-format";

    /// <summary>Layout version 2 with the segment bits: changing either rebuilds the tree from the objects.</summary>
    public static readonly byte[] FormatValue = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"2/{Segments.Bits}"));

    public static byte[] IndexKey(ulong position, ReadOnlySpan<byte> key)
    {
        var result = new byte[8 + key.Length];
        BinaryPrimitives.WriteUInt64BigEndian(result, position);
        key.CopyTo(result.AsSpan(8));
        return result;
    }

    public static byte[] PositionKey(ulong position)
    {
        var result = new byte[8];
        BinaryPrimitives.WriteUInt64BigEndian(result, position);
        return result;
    }

    public static ulong PositionOf(ReadOnlySpan<byte> indexKey) => BinaryPrimitives.ReadUInt64BigEndian(indexKey);

    public static byte[] SegmentKey(int segment)
    {
        var result = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(result, segment);
        return result;
    }

    public static int SegmentOf(ReadOnlySpan<byte> segmentKey) => BinaryPrimitives.ReadInt32BigEndian(segmentKey);

    public static byte[] Hash(ulong hash)
    {
        var result = new byte[8];
        BinaryPrimitives.WriteUInt64LittleEndian(result, hash);
        return result;
    }

    public static ulong HashOf(ReadOnlySpan<byte> value) => BinaryPrimitives.ReadUInt64LittleEndian(value);
}
