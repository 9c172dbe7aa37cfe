using Grpc.Core;
using Grpc.Net.Client;

namespace KvStore.Client;

/// <summary>
/// Client for a KvStore cluster. Create one per application and share it: it is thread-safe and
/// keeps one HTTP/2 channel per endpoint, which is expensive to open and cheap to multiplex.
/// </summary>
/// <remarks>
/// <para>Any node coordinates any request, so the client talks to one endpoint at a time. When that
/// endpoint cannot be reached (connection refused, unknown host) the call moves on to the next
/// endpoint, trying each at most once, and the endpoint that answered stays current for later calls.
/// An UNAVAILABLE sent by a reachable server (too few replicas answered) is not retried elsewhere:
/// another coordinator would see the same replicas, and a write may already have been applied.</para>
/// <para>Every failure is a <see cref="KvException"/>; cancellation through a token is an
/// <see cref="OperationCanceledException"/>.</para>
/// </remarks>
public sealed partial class KvClient : IDisposable, IAsyncDisposable
{
    private readonly KvEndpointChannel[] _endpoints;
    private readonly TimeSpan _timeout;
    private readonly KvConsistency _defaultConsistency;
    private int _current;
    private int _disposed;

    /// <summary>Connects to the endpoints in <paramref name="options"/>, which are validated first.</summary>
    /// <exception cref="ArgumentException">An option is invalid; see <see cref="KvClientOptions.Validate"/>.</exception>
    public KvClient(KvClientOptions options)
    {
        ArgumentNullException.ThrowIfNull(options);
        var addresses = options.Validate();
        _endpoints = addresses.Select(a => new KvEndpointChannel(a, options)).ToArray();
        _timeout = options.Timeout;
        _defaultConsistency = options.DefaultConsistency;
    }

    /// <summary>Connects to a single endpoint (<c>host:port</c> or an http:// or https:// URI) with default options.</summary>
    public KvClient(string endpoint)
        : this(new KvClientOptions { Endpoints = [endpoint] })
    {
    }

    /// <summary>
    /// Uses a channel configured by the caller (TLS certificates, interceptors, load balancing),
    /// with default options and no failover. The caller keeps owning the channel and disposes it
    /// after the client.
    /// </summary>
    public KvClient(GrpcChannel channel)
    {
        ArgumentNullException.ThrowIfNull(channel);
        var defaults = new KvClientOptions();
        _endpoints = [new KvEndpointChannel(channel)];
        _timeout = defaults.Timeout;
        _defaultConsistency = defaults.DefaultConsistency;
    }

    /// <summary>Closes the channels this client opened; calls in flight fail.</summary>
    public void Dispose()
    {
        if (Interlocked.Exchange(ref _disposed, 1) != 0)
        {
            return;
        }

        foreach (var endpoint in _endpoints)
        {
            endpoint.Dispose();
        }
    }

    /// <summary>Same as <see cref="Dispose"/>: closing a channel does not block.</summary>
    public ValueTask DisposeAsync()
    {
        Dispose();
        return ValueTask.CompletedTask;
    }
}
