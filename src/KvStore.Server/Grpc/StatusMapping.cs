using Grpc.Core;
using KvStore.Cluster.Replication;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using KvStore.Storage;

namespace KvStore.Server.Grpc;

/// <summary>
/// The one table from the domain's exceptions to gRPC statuses, shared by the interceptor (a whole
/// call) and the batch (one operation), so that an operation fails the same way in both.
/// </summary>
internal static class StatusMapping
{
    public static Status ToStatus(Exception e) => e switch
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
