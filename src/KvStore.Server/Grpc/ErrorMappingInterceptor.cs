using Grpc.Core;
using Grpc.Core.Interceptors;
using KvStore.Server.Metrics;

namespace KvStore.Server.Grpc;

/// <summary>
/// Turns the domain's exceptions into gRPC statuses (by <see cref="StatusMapping"/>), in one place,
/// and counts every call by method and status for the metrics endpoint.
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
            var status = StatusMapping.ToStatus(e);
            metrics.RecordCall(method, status.StatusCode);
            throw new RpcException(status);
        }
    }
}
