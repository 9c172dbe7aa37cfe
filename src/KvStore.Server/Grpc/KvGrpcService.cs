using Google.Protobuf;
using Grpc.Core;
using KvStore.Cluster;
using KvStore.Cluster.Replication;
using KvStore.Core.Crdt;
using KvStore.Core.Serialization;
using KvStore.Protocol.V1;

namespace KvStore.Server.Grpc;

/// <summary>The public API: maps requests to the coordinator and results back, nothing more.</summary>
internal sealed class KvGrpcService(Coordinator coordinator, RequestValidator validate) : KvStore.Protocol.V1.KvStore.KvStoreBase
{
    public override async Task<GetResponse> Get(GetRequest request, ServerCallContext context)
    {
        var key = validate.Key(request.Key);
        var level = RequestValidator.Level(request.Consistency);
        var obj = await coordinator.ReadAsync(key, level, context.CancellationToken);
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

    public override async Task<PutResponse> Put(PutRequest request, ServerCallContext context)
    {
        var key = validate.Key(request.Key);
        var mutation = new Mutation.Put(validate.Value(request.Value), validate.Context(request.Context));
        var obj = await WriteAsync(key, mutation, request.Consistency, context);
        return new PutResponse { Context = EncodeContext(obj!) };
    }

    public override async Task<DeleteResponse> Delete(DeleteRequest request, ServerCallContext context)
    {
        var key = validate.Key(request.Key);
        await WriteAsync(key, new Mutation.Delete(validate.Context(request.Context)), request.Consistency, context);
        return new DeleteResponse();
    }

    public override async Task<SetResponse> SetAdd(SetAddRequest request, ServerCallContext context)
    {
        var key = validate.Key(request.Key);
        var obj = await WriteAsync(key, new Mutation.SetAdd(validate.Elements(request.Elements)), request.Consistency, context);
        return new SetResponse { Context = EncodeContext(obj!) };
    }

    public override async Task<SetResponse> SetRemove(SetRemoveRequest request, ServerCallContext context)
    {
        var key = validate.Key(request.Key);
        var mutation = new Mutation.SetRemove(validate.Elements(request.Elements), validate.Context(request.Context));
        var obj = await WriteAsync(key, mutation, request.Consistency, context);
        return new SetResponse { Context = obj is null ? ByteString.Empty : EncodeContext(obj) };
    }

    public override async Task<SetMembersResponse> SetMembers(SetMembersRequest request, ServerCallContext context)
    {
        var key = validate.Key(request.Key);
        var level = RequestValidator.Level(request.Consistency);
        var obj = await coordinator.ReadAsync(key, level, context.CancellationToken);
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

    private async Task<KvObject?> WriteAsync(byte[] key, Mutation mutation, Consistency consistency, ServerCallContext context)
    {
        var level = RequestValidator.Level(consistency);
        return await coordinator.WriteAsync(key, mutation, level, context.CancellationToken);
    }

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
