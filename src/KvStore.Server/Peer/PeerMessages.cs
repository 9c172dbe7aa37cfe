using Google.Protobuf;
using Google.Protobuf.Collections;
using KvStore.Cluster;
using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Replication;
using KvStore.Core.AntiEntropy;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;
using KvStore.Protocol.Peer.V1;

namespace KvStore.Server.Peer;

/// <summary>Converts between the peer protocol's messages and core types, both ways, in one place.</summary>
internal static class PeerMessages
{
    public static MutationMessage ToMessage(Mutation mutation) => mutation switch
    {
        Mutation.Put p => new MutationMessage { Put = new PutMutation { Value = UnsafeByteOperations.UnsafeWrap(p.Value), Context = Context(p.Context) } },
        Mutation.Delete d => new MutationMessage { Delete = new DeleteMutation { Context = Context(d.Context) } },
        Mutation.SetAdd a => new MutationMessage { SetAdd = new SetAddMutation { Elements = { a.Elements.Select(e => UnsafeByteOperations.UnsafeWrap(e)) } } },
        Mutation.SetRemove r => new MutationMessage { SetRemove = new SetRemoveMutation { Elements = { r.Elements.Select(e => UnsafeByteOperations.UnsafeWrap(e)) }, Context = Context(r.Context) } },
        _ => throw new ArgumentOutOfRangeException(nameof(mutation)),
    };

    /// <summary>Serializes a message into a buffer of exactly its size (for <c>MessageAuthenticator.Seal</c>).</summary>
    public static void WriteMessage(IMessage message, Span<byte> destination) => message.WriteTo(destination);

    public static ByteString Object(KvObject? obj) =>
        obj is null ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(ObjectCodec.Encode(obj));

    /// <summary>Decodes an object a peer sent; empty bytes mean none.</summary>
    /// <exception cref="MalformedDataException">Not a canonical object within the limits.</exception>
    public static KvObject? Object(ByteString bytes, DecodeLimits limits) =>
        bytes.IsEmpty ? null : ObjectCodec.Decode(bytes.Span, limits);

    /// <summary>Reads an anti-entropy request's ranges, refusing more than a request may name before building anything.</summary>
    /// <exception cref="RequestRejectedException">Too many intervals.</exception>
    /// <exception cref="ArgumentException">Not canonical (<see cref="HashRanges.FromPairs"/>).</exception>
    public static HashRanges Ranges(RepeatedField<ulong> pairs)
    {
        if (pairs.Count > 2 * AntiEntropyHandler.MaxIntervals)
        {
            throw new RequestRejectedException($"{pairs.Count / 2} ranges named; at most {AntiEntropyHandler.MaxIntervals}");
        }

        return HashRanges.FromPairs(pairs);
    }

    /// <summary>Unsigned indices from the wire as ints; one past int's range can only be invalid, and stays so.</summary>
    public static List<int> Indices(RepeatedField<uint> values) => values.Select(v => (int)Math.Min(v, int.MaxValue)).ToList();

    /// <summary>What an answer carries to show which request it answers: the first 16 bytes of SHA-256 of the sealed request.</summary>
    public static ByteString Digest(ReadOnlySpan<byte> sealedRequest) =>
        UnsafeByteOperations.UnsafeWrap(System.Security.Cryptography.SHA256.HashData(sealedRequest)[..16]);

    /// <summary>
    /// Whether a failed call certainly never reached the peer: the connection was refused. Only
    /// then may a non-idempotent request be tried elsewhere.
    /// </summary>
    public static bool NeverSent(global::Grpc.Core.RpcException e)
    {
        for (Exception? x = e.Status.DebugException; x is not null; x = x.InnerException)
        {
            if (x is System.Net.Sockets.SocketException { SocketErrorCode: System.Net.Sockets.SocketError.ConnectionRefused })
            {
                return true;
            }
        }

        return false;
    }

    public static ConsistencyLevel Level(int value) => value switch
    {
        1 => ConsistencyLevel.One,
        2 => ConsistencyLevel.Quorum,
        3 => ConsistencyLevel.All,
        _ => ConsistencyLevel.Default,
    };

    private static ByteString Context(CausalContext? context) =>
        context is null ? ByteString.Empty : UnsafeByteOperations.UnsafeWrap(ObjectCodec.EncodeContext(context));
}
