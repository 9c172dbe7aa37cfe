using Google.Protobuf;
using Grpc.Core;
using KvStore.Cluster;
using KvStore.Cluster.Replication;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;
using KvStore.Protocol.V1;

namespace KvStore.Server.Grpc;

/// <summary>The public API: maps requests to the coordinator and results back, nothing more.</summary>
/// <remarks>
/// Each operation has one method that takes its consistency separately, because a batch
/// (<c>KvGrpcService.Batch.cs</c>) overrides the level inside the request with its own.
/// </remarks>
internal sealed partial class KvGrpcService(Coordinator coordinator, RequestValidator validate, BatchSlots batchSlots) : KvStore.Protocol.V1.KvStore.KvStoreBase
{
    public override Task<GetResponse> Get(GetRequest request, ServerCallContext context) =>
        GetAsync(request, request.Consistency, context.CancellationToken);

    public override Task<PutResponse> Put(PutRequest request, ServerCallContext context) =>
        PutAsync(request, request.Consistency, context.CancellationToken);

    public override Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context) =>
        DeleteAsync(request, request.Consistency, context.CancellationToken);

    public override Task<SetResponse> SetAdd(SetAddRequest request, ServerCallContext context) =>
        SetAddAsync(request, request.Consistency, context.CancellationToken);

    public override Task<SetResponse> SetRemove(SetRemoveRequest request, ServerCallContext context) =>
        SetRemoveAsync(request, request.Consistency, context.CancellationToken);

    public override Task<SetMembersResponse> SetMembers(SetMembersRequest request, ServerCallContext context) =>
        SetMembersAsync(request, request.Consistency, context.CancellationToken);

    private async Task<GetResponse> GetAsync(GetRequest request, Consistency consistency, CancellationToken cancellationToken)
    {
        var key = validate.Key(request.Key);
        var obj = await coordinator.ReadAsync(key, RequestValidator.Level(consistency), cancellationToken);
        var response = new GetResponse();
        if (obj is null)
        {
            return response;
        }

        RequireType(obj, ObjectType.Register);
        response.Context = EncodeContext(obj);
        if (obj.Register!.Winner is { } winner)
        {
            response.Found = true;
            response.Value = UnsafeByteOperations.UnsafeWrap(winner.Value);
        }

        return response;
    }

    private async Task<PutResponse> PutAsync(PutRequest request, Consistency consistency, CancellationToken cancellationToken)
    {
        var key = validate.Key(request.Key);
        var obj = await WriteAsync(key, ToMutation(request), consistency, cancellationToken);
        return new PutResponse { Context = EncodeContext(obj!) };
    }

    private async Task<DeleteResponse> DeleteAsync(DeleteRequest request, Consistency consistency, CancellationToken cancellationToken)
    {
        var key = validate.Key(request.Key);
        await WriteAsync(key, ToMutation(request), consistency, cancellationToken);
        return new DeleteResponse();
    }

    private async Task<SetResponse> SetAddAsync(SetAddRequest request, Consistency consistency, CancellationToken cancellationToken)
    {
        var key = validate.Key(request.Key);
        var obj = await WriteAsync(key, ToMutation(request), consistency, cancellationToken);
        return new SetResponse { Context = EncodeContext(obj!) };
    }

    private async Task<SetResponse> SetRemoveAsync(SetRemoveRequest request, Consistency consistency, CancellationToken cancellationToken)
    {
        var key = validate.Key(request.Key);
        var obj = await WriteAsync(key, ToMutation(request), consistency, cancellationToken);
        return SetRemoved(obj);
    }

    private async Task<SetMembersResponse> SetMembersAsync(SetMembersRequest request, Consistency consistency, CancellationToken cancellationToken)
    {
        var key = validate.Key(request.Key);
        var obj = await coordinator.ReadAsync(key, RequestValidator.Level(consistency), cancellationToken);
        var response = new SetMembersResponse();
        if (obj is null)
        {
            return response;
        }

        RequireType(obj, ObjectType.Set);
        response.Context = EncodeContext(obj);
        foreach (var m in obj.Set!.Members)
        {
            response.Members.Add(UnsafeByteOperations.UnsafeWrap(m.Element));
        }

        response.Found = response.Members.Count > 0;
        return response;
    }

    private Mutation ToMutation(PutRequest request) => new Mutation.Put(validate.Value(request.Value), validate.Context(request.Context));

    private Mutation ToMutation(DeleteRequest request) => new Mutation.Delete(validate.Context(request.Context));

    private Mutation ToMutation(SetAddRequest request) => new Mutation.SetAdd(validate.Elements(request.Elements));

    private Mutation ToMutation(SetRemoveRequest request) => new Mutation.SetRemove(validate.Elements(request.Elements), validate.Context(request.Context));

    private static SetResponse SetRemoved(KvObject? obj) => new() { Context = obj is null ? ByteString.Empty : EncodeContext(obj) };

    private Task<KvObject?> WriteAsync(byte[] key, Mutation mutation, Consistency consistency, CancellationToken cancellationToken) =>
        coordinator.WriteAsync(key, mutation, RequestValidator.Level(consistency), cancellationToken);

    private static void RequireType(KvObject obj, ObjectType wanted)
    {
        if (obj.Type != wanted)
        {
            throw MutationRejectedException.WrongType(obj.Type, wanted);
        }
    }

    private static ByteString EncodeContext(KvObject obj) =>
        UnsafeByteOperations.UnsafeWrap(ObjectCodec.EncodeContext(obj.Context));
}
