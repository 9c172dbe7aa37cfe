using Grpc.Core;
using Grpc.Core.Interceptors;
using KvStore.Cluster.Replication;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using KvStore.Server.Metrics;
using KvStore.Storage;

namespace KvStore.Server.Grpc;

/// <summary>
/// Turns the domain's exceptions into gRPC statuses, in one place, and counts every call by method
/// and status for the metrics endpoint.
/// </summary>
internal sealed class ErrorMappingInterceptor(ServerMetrics metrics) : Interceptor
{
    public override async Task<TResponse> UnaryServerHandler<TRequest, TResponse>(
        TRequest request, ServerCallContext context, UnaryServerMethod<TRequest, TResponse> continuation)
    {
        var method = context.Method[(context.Method.LastIndexOf('/') + 1)..];
        try
        {
            var response = await continuation(request, context);
            metrics.RecordCall(method, StatusCode.OK);
            return response;
        }
        catch (Exception e)
        {
            var status = Map(e);
            metrics.RecordCall(method, status.StatusCode);
            throw new RpcException(status);
        }
    }

    private static Status Map(Exception e) => e switch
    {
        RpcException rpc => rpc.Status,
        MutationRejectedException { Reason: RejectReason.WrongType } m => new Status(StatusCode.FailedPrecondition, m.Message),
        MutationRejectedException m => new Status(StatusCode.ResourceExhausted, m.Message),
        ClockDriftException d => new Status(StatusCode.InvalidArgument, "context " + d.Message),
        StorageException s => new Status(StatusCode.Unavailable, s.Message),
        ReplicaUnavailableException u => new Status(StatusCode.Unavailable, u.Message),
        OverloadedException o => new Status(StatusCode.ResourceExhausted, o.Message),
        RequestRejectedException r => new Status(StatusCode.InvalidArgument, r.Message),
        PeerUnreachableException p => new Status(StatusCode.Unavailable, p.Message),
        ObjectDisposedException => new Status(StatusCode.Unavailable, "the node is shutting down"),
        OperationCanceledException => new Status(StatusCode.Cancelled, "the call was cancelled"),
        _ => new Status(StatusCode.Internal, $"internal error: {e.Message}"),
    };
}
