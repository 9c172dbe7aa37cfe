using System.Net.Http;
using System.Net.Sockets;
using Grpc.Core;
using Grpc.Net.Client;
using Rpc = KvStore.Protocol.V1;

namespace KvStore.Client;

/// <summary>
/// One endpoint of a <see cref="KvClient"/>: its channel, the generated stub, and a count of the
/// TCP connections currently open to it. The count is what tells "the deadline passed while we
/// were still connecting" (the node is unreachable) apart from "the node is up but slow".
/// </summary>
internal sealed class KvEndpointChannel : IDisposable
{
    private readonly GrpcChannel _channel;
    private readonly bool _ownsChannel;
    private readonly bool _tracksConnections;
    private int _openConnections;

    /// <summary>Creates and owns a channel to <paramref name="address"/>.</summary>
    public KvEndpointChannel(Uri address, KvClientOptions options)
    {
        var handler = new SocketsHttpHandler
        {
            // Matches what grpc-dotnet configures for itself: more than 100 concurrent calls on one
            // node open a second HTTP/2 connection instead of queueing.
            EnableMultipleHttp2Connections = true,
            ConnectCallback = ConnectAsync,
        };
        _channel = GrpcChannel.ForAddress(address, new GrpcChannelOptions
        {
            HttpHandler = handler,
            DisposeHttpClient = true,
            MaxSendMessageSize = options.MaxSendMessageBytes,
            MaxReceiveMessageSize = options.MaxReceiveMessageBytes,
        });
        _ownsChannel = true;
        _tracksConnections = true;
        Client = new Rpc.KvStore.KvStoreClient(_channel);
    }

    /// <summary>Wraps a channel the caller built and keeps owning; its connections cannot be observed.</summary>
    public KvEndpointChannel(GrpcChannel channel)
    {
        _channel = channel;
        Client = new Rpc.KvStore.KvStoreClient(channel);
    }

    public Rpc.KvStore.KvStoreClient Client { get; }

    /// <summary>
    /// Whether a failed call means the endpoint could not be reached at all: a connection error
    /// (refused, no route, unknown host), or a deadline that passed while no connection was open.
    /// </summary>
    public bool IsUnreachable(RpcException e) => e.StatusCode switch
    {
        StatusCode.Unavailable => IsConnectFailure(e.Status.DebugException),
        StatusCode.DeadlineExceeded => _tracksConnections && Volatile.Read(ref _openConnections) == 0,
        _ => false,
    };

    public void Dispose()
    {
        if (_ownsChannel)
        {
            _channel.Dispose();
        }
    }

    private static bool IsConnectFailure(Exception? exception)
    {
        for (var e = exception; e is not null; e = e.InnerException)
        {
            if (e is SocketException
                || e is HttpRequestException { HttpRequestError: HttpRequestError.ConnectionError or HttpRequestError.NameResolutionError })
            {
                return true;
            }
        }

        return false;
    }

    /// <summary>Plain TCP connect, as SocketsHttpHandler does by default, but counting open connections.</summary>
    private async ValueTask<Stream> ConnectAsync(SocketsHttpConnectionContext context, CancellationToken cancellationToken)
    {
        var socket = new Socket(SocketType.Stream, ProtocolType.Tcp) { NoDelay = true };
        try
        {
            await socket.ConnectAsync(context.DnsEndPoint, cancellationToken).ConfigureAwait(false);
        }
        catch
        {
            socket.Dispose();
            throw;
        }

        Interlocked.Increment(ref _openConnections);
        return new CountedStream(socket, () => Interlocked.Decrement(ref _openConnections));
    }

    /// <summary>A socket stream that reports its disposal exactly once.</summary>
    private sealed class CountedStream(Socket socket, Action onClosed) : NetworkStream(socket, ownsSocket: true)
    {
        private int _closed;

        protected override void Dispose(bool disposing)
        {
            if (Interlocked.Exchange(ref _closed, 1) == 0)
            {
                onClosed();
            }

            base.Dispose(disposing);
        }
    }
}
