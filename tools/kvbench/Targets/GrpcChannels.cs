using Grpc.Net.Client;

namespace KvStore.Kvbench.Targets;

/// <summary>The one long-lived channel per endpoint that all callers share.</summary>
internal static class GrpcChannels
{
    public static GrpcChannel[] Create(IReadOnlyList<Endpoint> endpoints)
    {
        var channels = new GrpcChannel[endpoints.Count];
        for (var i = 0; i < channels.Length; i++)
        {
            channels[i] = GrpcChannel.ForAddress(endpoints[i].HttpUri, new GrpcChannelOptions
            {
                HttpHandler = new SocketsHttpHandler
                {
                    // One HTTP/2 connection allows about 100 concurrent streams; with more callers
                    // than that, further connections open instead of calls queueing in the client,
                    // which would show up as store latency.
                    EnableMultipleHttp2Connections = true,
                    PooledConnectionIdleTimeout = Timeout.InfiniteTimeSpan,
                    ConnectTimeout = TimeSpan.FromSeconds(5),
                },
                MaxReceiveMessageSize = 8 * 1024 * 1024,
            });
        }

        return channels;
    }

    /// <summary>Whether a failed probe means "nobody answered" rather than "answered with an error".</summary>
    public static bool IsUnreachable(Grpc.Core.StatusCode code) =>
        code is Grpc.Core.StatusCode.Unavailable or Grpc.Core.StatusCode.DeadlineExceeded or Grpc.Core.StatusCode.Unimplemented;

    /// <summary>The most specific cause of a failed call, e.g. "Connection refused".</summary>
    public static string Reason(Grpc.Core.RpcException e)
    {
        Exception? cause = e.Status.DebugException;
        while (cause?.InnerException is not null)
        {
            cause = cause.InnerException;
        }

        return cause?.Message ?? e.Status.Detail;
    }
}
