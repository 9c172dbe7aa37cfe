using KvStore.Cluster;
using KvStore.Core.Serialization;
using KvStore.Server.Configuration;
using KvStore.Storage;

namespace KvStore.Server.Peer;

/// <summary>
/// Bounds on what peers send each other, derived from what a replica may store: a peer must be
/// able to pass on any object a replica holds (up to Storage:MaxObjectBytes), which can be larger
/// than any single client request.
/// </summary>
internal static class PeerLimits
{
    /// <summary>Largest peer message: one object, plus as many held hints as fit one more object's size, plus framing.</summary>
    public static int MaxMessageBytes(StorageOptions storage) => (int)Math.Min(int.MaxValue, 2L * storage.MaxObjectBytes + (1 << 20));

    /// <summary>
    /// Decoding bounds for objects from peers. Merges of replicas can pass the bounds a single
    /// client write is held to (two replicas' concurrent additions, actors of every replica), so
    /// these are looser; the message size bounds the rest.
    /// </summary>
    public static DecodeLimits Objects(ReplicaOptions replica, StorageOptions storage) =>
        new(Math.Min(1 << 16, replica.MaxVersionVectorWidth * 4), 1 << 24, storage.MaxObjectBytes);
}
