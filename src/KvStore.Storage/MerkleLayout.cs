using System.Buffers.Binary;
using System.Globalization;
using System.Text;
using KvStore.Core.AntiEntropy;

namespace KvStore.Storage;

/// <summary>
/// How the anti-entropy tree is kept on disk, in column families written in the same batch as the
/// objects. "positions" holds (ring position, 8 bytes big-endian) + key, with no value, for every
/// stored key, so the keys of any stretch of the ring are one ordered range scan; it is written
/// only when a key is created, not on every update.
/// <para>
/// The leaves, the XOR of their keys' <see cref="ObjectHash"/>es, are a checkpoint plus a log. The
/// checkpoint is "segments": the 65,536 leaves in pages of <see cref="LeavesPerPage"/>, keyed by
/// page (4 bytes big-endian), each leaf 8 bytes little-endian, an absent page all zero. The log is
/// "tree-log": one record per write batch that changed a leaf, keyed by a sequence number (8 bytes
/// big-endian) and holding (segment, 4 bytes; XOR delta, 8 bytes) pairs, little-endian. A leaf is
/// its checkpointed value XOR every logged delta with a sequence above the checkpoint's (kept in
/// meta as <see cref="CheckpointName"/>). The writer checkpoints, in one batch that also deletes the
/// log up to it, once the log holds enough deltas; so a write batch adds one small log record
/// instead of rewriting every leaf it touched, and opening replays a log of bounded length.
/// </para>
/// </summary>
internal static class MerkleLayout
{
    public const string PositionsFamily = "positions";
    public const string SegmentsFamily = "segments";
    public const string TreeLogFamily = "tree-log";

    /// <summary>The meta entry that says the families are complete and in which layout; without it (an older directory) they are rebuilt at open.</summary>
    public const string FormatName = "merkle-format";

    /// <summary>The meta entry holding the log sequence number the stored pages are current to (8 bytes big-endian).</summary>
    public const string CheckpointName = "merkle-checkpoint";

    public const int LeavesPerPage = 1024;

    public const int Pages = Segments.Count / LeavesPerPage;

    /// <summary>Bytes of one log entry: a segment and a delta.</summary>
    public const int LogEntryBytes = 12;

    /// <summary>Layout version 3 with the segment bits: changing either rebuilds the tree from the objects.</summary>
    public static readonly byte[] FormatValue = Encoding.ASCII.GetBytes(string.Create(CultureInfo.InvariantCulture, $"3/{Segments.Bits}"));

    public static readonly byte[] CheckpointKey = Encoding.ASCII.GetBytes(CheckpointName);

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

    public static byte[] PageKey(int page)
    {
        var result = new byte[4];
        BinaryPrimitives.WriteInt32BigEndian(result, page);
        return result;
    }

    public static int PageOf(ReadOnlySpan<byte> pageKey) => BinaryPrimitives.ReadInt32BigEndian(pageKey);

    public static byte[] SequenceKey(long sequence)
    {
        var result = new byte[8];
        BinaryPrimitives.WriteInt64BigEndian(result, sequence);
        return result;
    }

    public static long SequenceOf(ReadOnlySpan<byte> key) => BinaryPrimitives.ReadInt64BigEndian(key);
}
