using System.Net.Sockets;
using Grpc.Core;

namespace KvStore.Kvbench.Targets;

/// <summary>How a failed operation is counted: by gRPC status where there is one.</summary>
internal static class ErrorNames
{
    public static string Of(Exception e) => e switch
    {
        RpcException rpc => rpc.StatusCode.ToString(),
        RedisErrorException => "RedisError",
        SocketException or IOException => "ConnectionError",
        OperationCanceledException => "Cancelled",
        _ => e.GetType().Name,
    };

    /// <summary>The name of a status code carried in a batch result, the same as <see cref="Of"/> gives the call's own.</summary>
    public static string OfCode(int code) => ((StatusCode)code).ToString();
}
