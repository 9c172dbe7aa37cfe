using Google.Protobuf;
using Grpc.Core;
using KvStore.Cluster;
using KvStore.Cluster.AntiEntropy;
using KvStore.Cluster.Membership;
using KvStore.Cluster.Replication;
using KvStore.Cluster.Security;
using KvStore.Cluster.Tombstones;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;
using KvStore.Protocol.Peer.V1;
using KvStore.Server.Configuration;
using KvStore.Server.Grpc;
using KvStore.Storage;
using Microsoft.Extensions.Options;
using Mutation = KvStore.Core.Crdt.Mutation;

namespace KvStore.Server.Peer;

/// <summary>
/// The peer side of replication and membership: opens each sealed envelope, runs the operation on
/// this node and seals the answer. Refusals travel inside the sealed answer as a
/// <see cref="PeerError"/>; an envelope that does not open is UNAUTHENTICATED and a body that does
/// not parse INVALID_ARGUMENT, both counted.
/// </summary>
internal sealed partial class PeerGrpcService(
    MessageAuthenticator authenticator,
    SwimMembership membership,
    PeerHandler handler,
    AntiEntropyHandler antiEntropy,
    TombstoneHandler tombstones,
    RequestValidator validate,
    IOptions<StorageOptions> storage,
    IOptions<ReplicaOptions> replicaOptions,
    PeerCounters counters,
    PeerStreamsClosing closing) : Protocol.Peer.V1.Peer.PeerBase
{
    private readonly DecodeLimits _objectLimits = PeerLimits.Objects(replicaOptions.Value, storage.Value);

    public override async Task<Envelope> Call(Envelope request, ServerCallContext context)
    {
        var peerRequest = Open(request);
        var response = await HandleAsync(peerRequest, context.CancellationToken);
        response.RequestDigest = PeerMessages.Digest(request.Sealed.Span);

        return new Envelope { Sealed = UnsafeByteOperations.UnsafeWrap(authenticator.Seal(membership.Current.SelfId, response.ToByteArray())) };
    }

    public override Task<Envelope> PushPull(Envelope request, ServerCallContext context)
    {
        byte[] reply;
        try
        {
            reply = membership.HandlePushPull(request.Sealed.Span);
        }
        catch (PushPullRejectedException e)
        {
            throw new RpcException(new Status(StatusCode.Unauthenticated, e.Message));
        }

        return Task.FromResult(new Envelope { Sealed = UnsafeByteOperations.UnsafeWrap(reply) });
    }

    private PeerRequest Open(Envelope request)
    {
        var result = authenticator.Open(request.Sealed.Span, rememberNonce: false, out _, out var payload);
        if (result != AuthResult.Ok)
        {
            throw Refuse(result);
        }

        PeerRequest parsed;
        try
        {
            parsed = PeerRequest.Parser.ParseFrom(payload.Span);
        }
        catch (InvalidProtocolBufferException e)
        {
            counters.CountMalformed();
            throw new RpcException(new Status(StatusCode.InvalidArgument, $"peer message malformed: {e.Message}"));
        }

        // Reads and merges may repeat harmlessly (a merge is idempotent); a coordinated mutation may
        // not, so only its nonce goes into the bounded replay cache.
        if (parsed.OpCase == PeerRequest.OpOneofCase.Coordinate && authenticator.RememberNonce(request.Sealed.Span) is var replay && replay != AuthResult.Ok)
        {
            throw Refuse(replay);
        }

        return parsed;
    }

    private RpcException Refuse(AuthResult result)
    {
        counters.Refused(result);
        return new RpcException(new Status(StatusCode.Unauthenticated, $"peer message refused: {result}"));
    }

    /// <summary>Runs one request; a refusal becomes the answer's error rather than an exception.</summary>
    private async Task<PeerResponse> HandleAsync(PeerRequest request, CancellationToken cancellationToken)
    {
        try
        {
            return await DispatchAsync(request, cancellationToken);
        }
        catch (Exception e) when (ToError(e) is { } error)
        {
            return new PeerResponse { Error = error };
        }
    }

    private async Task<PeerResponse> DispatchAsync(PeerRequest request, CancellationToken cancellationToken)
    {
        switch (request.OpCase)
        {
            case PeerRequest.OpOneofCase.Coordinate:
            {
                var c = request.Coordinate;
                var key = validate.Key(c.Key);
                var stored = c.ExpiresUnixMs == 0
                    ? await handler.CoordinateAsync(key, ToMutation(c.Mutation), PeerMessages.Level(c.Consistency), cancellationToken)
                    : await handler.CoordinateAsync(key, ToMutation(c.Mutation), PeerMessages.Level(c.Consistency), DateTimeOffset.FromUnixTimeMilliseconds(c.ExpiresUnixMs), cancellationToken);
                return new PeerResponse { Object = PeerMessages.Object(stored) };
            }

            case PeerRequest.OpOneofCase.Read:
            {
                var read = handler.Read(validate.Key(request.Read.Key), request.Read.IncludeHints);
                var response = new PeerResponse { Object = PeerMessages.Object(read.Object) };

                // Hints are for the debug view: as many as fit one object's size, so the answer stays within the peer message bound.
                var budget = (long)storage.Value.MaxObjectBytes;
                foreach (var hint in read.Hints)
                {
                    var bytes = PeerMessages.Object(hint.Object);
                    if ((budget -= bytes.Length) < 0)
                    {
                        break;
                    }

                    response.Hints.Add(new HeldHint { Target = hint.Target, Object = bytes });
                }

                return response;
            }

            case PeerRequest.OpOneofCase.Merge:
            {
                var (key, obj) = DecodeMerge(request.Merge);
                await handler.MergeAsync(key, obj, request.Merge.HintFor, cancellationToken);
                return new PeerResponse();
            }

            case PeerRequest.OpOneofCase.MergeMany:
                return await MergeManyAsync(request.MergeMany, cancellationToken);

            case PeerRequest.OpOneofCase.Tree:
            {
                var t = request.Tree;
                var response = new PeerResponse();
                response.NodeHashes.AddRange(antiEntropy.TreeNodes(PeerMessages.Ranges(t.Ranges), (int)Math.Min(t.Depth, int.MaxValue), PeerMessages.Indices(t.Parents)));
                return response;
            }

            case PeerRequest.OpOneofCase.KeyHashes:
            {
                var k = request.KeyHashes;
                var after = k.After.IsEmpty ? null : validate.Key(k.After);
                var page = antiEntropy.KeyHashes(PeerMessages.Ranges(k.Ranges), PeerMessages.Indices(k.Segments), after, (int)Math.Min(k.Max, int.MaxValue));
                var response = new PeerResponse { More = page.More };
                response.KeyHashes.AddRange(page.Entries.Select(e => new KeyHashEntry { Key = UnsafeByteOperations.UnsafeWrap(e.Key), Hash = e.Hash }));
                return response;
            }

            case PeerRequest.OpOneofCase.Tombstones:
            {
                var t = request.Tombstones;
                if (t.Entries.Count > TombstoneHandler.MaxEntries)
                {
                    throw new RequestRejectedException($"a tombstone request carries at most {TombstoneHandler.MaxEntries} keys (got {t.Entries.Count})");
                }

                var entries = t.Entries.Select(e => new KeyTombstone(
                    validate.Key(e.Key),
                    PeerMessages.Object(e.Object, _objectLimits) ?? throw new MalformedDataException("tombstone entry without an object"))).ToList();
                var states = await tombstones.HandleAsync(t.Collect, entries, cancellationToken);
                var response = new PeerResponse();
                response.Tombstones.AddRange(states.Select(s => new Protocol.Peer.V1.TombstoneState { Holds = s.Holds, Hinted = s.Hinted, Collected = s.Collected, Present = s.Present }));
                return response;
            }

            case PeerRequest.OpOneofCase.Collections:
            {
                var response = new PeerResponse();
                if (tombstones.LastCollection is { } at)
                {
                    response.LastCollectionUnixMs = at.ToUnixTimeMilliseconds();
                }

                return response;
            }

            default:
                throw new MalformedDataException($"unknown peer operation {request.OpCase}");
        }
    }

    private async Task<PeerResponse> MergeManyAsync(MergeManyRequest request, CancellationToken cancellationToken)
    {
        var response = new PeerResponse();
        response.MergeErrors.AddRange(await ApplyMergesAsync(request.Merges, cancellationToken));
        return response;
    }

    /// <summary>
    /// Merges many objects in one store update (<see cref="Cluster.Replication.PeerHandler.MergeManyAsync"/>),
    /// for a merge-many request and for the plain merges of one stream envelope alike. A merge that
    /// does not decode, carries a hint, or is refused gets its own error; the others are merged.
    /// </summary>
    /// <returns>Per merge, in order, its error, or an empty error (code unspecified) when it was merged.</returns>
    private async Task<PeerError[]> ApplyMergesAsync(IReadOnlyList<MergeRequest> merges, CancellationToken cancellationToken)
    {
        var errors = new PeerError[merges.Count];
        var keys = new List<byte[]>(merges.Count);
        var objects = new List<KvObject>(merges.Count);
        var positions = new List<int>(merges.Count);
        for (var i = 0; i < merges.Count; i++)
        {
            try
            {
                if (merges[i].HintFor.Length != 0)
                {
                    throw new RequestRejectedException("a merge-many request carries no hints; send each hint on its own");
                }

                var (key, obj) = DecodeMerge(merges[i]);
                keys.Add(key);
                objects.Add(obj);
                positions.Add(i);
                errors[i] = new PeerError();
            }
            catch (Exception e) when (ToError(e) is { } error)
            {
                errors[i] = error;
            }
        }

        var outcomes = await handler.MergeManyAsync(keys, objects, cancellationToken);
        for (var i = 0; i < outcomes.Length; i++)
        {
            if (outcomes[i].Error is { } e)
            {
                errors[positions[i]] = ToError(e) ?? throw e;
            }
        }

        return errors;
    }

    private (byte[] Key, KvObject Object) DecodeMerge(MergeRequest m) =>
        (validate.Key(m.Key), PeerMessages.Object(m.Object, _objectLimits) ?? throw new MalformedDataException("merge without an object"));

    private Mutation ToMutation(MutationMessage message) => message.KindCase switch
    {
        MutationMessage.KindOneofCase.Put => new Mutation.Put(validate.Value(message.Put.Value), validate.Context(message.Put.Context)),
        MutationMessage.KindOneofCase.Delete => new Mutation.Delete(validate.Context(message.Delete.Context)),
        MutationMessage.KindOneofCase.SetAdd => new Mutation.SetAdd(validate.Elements(message.SetAdd.Elements)),
        MutationMessage.KindOneofCase.SetRemove => new Mutation.SetRemove(validate.Elements(message.SetRemove.Elements), validate.Context(message.SetRemove.Context)),
        _ => throw new MalformedDataException("coordinate without a mutation"),
    };

    private static PeerError? ToError(Exception e) => e switch
    {
        MutationRejectedException { Reason: RejectReason.WrongType } m => new PeerError { Code = ErrorCode.WrongType, Message = m.Message },
        MutationRejectedException m => new PeerError { Code = ErrorCode.LimitExceeded, Message = m.Message },
        ClockDriftException d => new PeerError { Code = ErrorCode.ClockDrift, Message = "context " + d.Message },
        RequestRejectedException r => new PeerError { Code = ErrorCode.Invalid, Message = r.Message },
        ReplicaUnavailableException u => new PeerError { Code = ErrorCode.Unavailable, Message = u.Message },
        OverloadedException o => new PeerError { Code = ErrorCode.Overloaded, Message = o.Message },
        StorageException s => new PeerError { Code = ErrorCode.Unavailable, Message = s.Message },
        MalformedDataException m => new PeerError { Code = ErrorCode.Invalid, Message = m.Message },
        RpcException { StatusCode: StatusCode.InvalidArgument } r => new PeerError { Code = ErrorCode.Invalid, Message = r.Status.Detail },
        RpcException { StatusCode: StatusCode.ResourceExhausted } r => new PeerError { Code = ErrorCode.LimitExceeded, Message = r.Status.Detail },
        ArgumentException a => new PeerError { Code = ErrorCode.Invalid, Message = a.Message },
        ObjectDisposedException => new PeerError { Code = ErrorCode.Unavailable, Message = "the node is shutting down" },
        OperationCanceledException => new PeerError { Code = ErrorCode.Unavailable, Message = "the call was cancelled or timed out" },
        _ => null,
    };
}
