using System.Numerics;

namespace KvStore.Cluster.AntiEntropy;

/// <summary>
/// The size in bytes of each peer message an exchange sends or receives: the protobuf encoding of
/// the PeerRequest and PeerResponse (proto/kvstore/peer/v1/peer.proto), without the sealed envelope
/// around a batch of them. Computed here so that every transport, the in-memory one of the tests
/// included, counts the same bytes; the server's tests hold it to the generated code's sizes.
/// </summary>
public static class AntiEntropyWire
{
    /// <summary>PeerRequest { tree: TreeRequest { ranges, depth, parents } }.</summary>
    public static int TreeRequest(int intervals, int depth, IReadOnlyList<int> parents)
    {
        var inner = PackedFixed64(intervals * 2) + UInt32Field((uint)depth) + PackedVarints(parents);
        return Message(inner);
    }

    /// <summary>PeerResponse { node_hashes }.</summary>
    public static int TreeResponse(int hashes) => PackedFixed64(hashes);

    /// <summary>PeerRequest { key_hashes: KeyHashesRequest { ranges, segments, after, max } }.</summary>
    public static int KeyHashesRequest(int intervals, IReadOnlyList<int> segments, byte[]? after, int max)
    {
        var inner = PackedFixed64(intervals * 2) + PackedVarints(segments) + BytesField(after?.Length ?? 0) + UInt32Field((uint)max);
        return Message(inner);
    }

    /// <summary>PeerResponse { key_hashes: repeated KeyHashEntry { key, hash }, more }.</summary>
    public static int KeyHashesResponse(IReadOnlyList<(byte[] Key, ulong Hash)> entries, bool more)
    {
        var size = more ? 2 : 0;
        foreach (var (key, hash) in entries)
        {
            size += Message(BytesField(key.Length) + (hash == 0 ? 0 : 9));
        }

        return size;
    }

    /// <summary>PeerRequest { read: ReadRequest { key } }.</summary>
    public static int ReadRequest(int keyBytes) => Message(BytesField(keyBytes));

    /// <summary>PeerResponse { object }.</summary>
    public static int ReadResponse(int objectBytes) => BytesField(objectBytes);

    /// <summary>PeerRequest { merge: MergeRequest { key, object } }; its answer is an empty PeerResponse, zero bytes.</summary>
    public static int MergeRequest(int keyBytes, int objectBytes) => Message(BytesField(keyBytes) + BytesField(objectBytes));

    private static int VarintSize(ulong value) => value < 0x80 ? 1 : (BitOperations.Log2(value) / 7) + 1;

    /// <summary>A length-delimited field (tag below 16) holding <paramref name="inner"/> bytes.</summary>
    private static int Message(int inner) => 1 + VarintSize((ulong)inner) + inner;

    /// <summary>A bytes field; proto3 leaves an empty one out.</summary>
    private static int BytesField(int length) => length == 0 ? 0 : Message(length);

    private static int UInt32Field(uint value) => value == 0 ? 0 : 1 + VarintSize(value);

    private static int PackedFixed64(int count) => count == 0 ? 0 : Message(count * 8);

    private static int PackedVarints(IReadOnlyList<int> values)
    {
        if (values.Count == 0)
        {
            return 0;
        }

        var inner = 0;
        foreach (var v in values)
        {
            inner += VarintSize((uint)v);
        }

        return Message(inner);
    }
}
