using System.IO.Hashing;

namespace KvStore.Core.AntiEntropy;

/// <summary>
/// The hash anti-entropy keeps per key: XxHash3 (seed 0) of the key's length (4 bytes,
/// little-endian), the key and the object's canonical encoding. Replicas with the same state hold
/// the same bytes (<see cref="Serialization.ObjectCodec"/> is canonical), hence the same hash; a
/// leaf is the XOR of its keys' hashes, so one write updates it with two XORs (Tictac AAE).
/// </summary>
/// <remarks>
/// Part of the wire contract: nodes compare these hashes. The key is in the hash so that two keys
/// holding equal objects do not cancel out in a leaf's XOR.
/// </remarks>
public static class ObjectHash
{
    public static ulong Of(ReadOnlySpan<byte> key, ReadOnlySpan<byte> encodedObject)
    {
        var hash = new XxHash3();
        Span<byte> length = stackalloc byte[4];
        System.Buffers.Binary.BinaryPrimitives.WriteInt32LittleEndian(length, key.Length);
        hash.Append(length);
        hash.Append(key);
        hash.Append(encodedObject);
        return hash.GetCurrentHashAsUInt64();
    }
}
