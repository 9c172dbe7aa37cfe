using System.Collections.Concurrent;
using System.Net;
using System.Net.Sockets;
using Microsoft.Extensions.Logging;

namespace KvStore.Cluster.Membership;

/// <summary>
/// Gossip over UDP, bound to the listen IP and port (the gRPC port number: TCP and UDP ports are
/// separate namespaces). Datagrams larger than the configured maximum are dropped before anyone
/// decodes them, and counted.
/// </summary>
public sealed partial class UdpDatagramTransport : IDatagramTransport
{
    private readonly Socket _socket;
    private readonly int _maxPacketBytes;
    private readonly ILogger _logger;
    private readonly CancellationTokenSource _stopping = new();
    private readonly ConcurrentDictionary<string, IPEndPoint> _endpoints = new(StringComparer.Ordinal);
    private Task? _receiving;
    private long _oversized;

    /// <param name="listen">HOST:PORT with an IP address (or "localhost"); port 0 picks a free one.</param>
    /// <exception cref="SocketException">The address cannot be bound.</exception>
    public UdpDatagramTransport(string listen, int maxPacketBytes, ILogger logger)
    {
        var endpoint = Parse(listen) ?? throw new ArgumentException($"'{listen}' is not IP:PORT", nameof(listen));
        _maxPacketBytes = maxPacketBytes;
        _logger = logger;
        _socket = new Socket(endpoint.AddressFamily, SocketType.Dgram, ProtocolType.Udp);
        _socket.Bind(endpoint);
        var bound = (IPEndPoint)_socket.LocalEndPoint!;
        LocalAddress = bound.AddressFamily == AddressFamily.InterNetworkV6 ? $"[{bound.Address}]:{bound.Port}" : $"{bound.Address}:{bound.Port}";
    }

    public string LocalAddress { get; }

    /// <summary>Datagrams dropped for exceeding the maximum size.</summary>
    public long Oversized => Interlocked.Read(ref _oversized);

    public async ValueTask SendAsync(string address, ReadOnlyMemory<byte> datagram, CancellationToken ct)
    {
        if (datagram.Length > _maxPacketBytes)
        {
            throw new ArgumentException($"a datagram of {datagram.Length} bytes exceeds {_maxPacketBytes}", nameof(datagram));
        }

        var to = _endpoints.GetOrAdd(address, static a => Parse(a) ?? throw new ArgumentException($"'{a}' is not IP:PORT", nameof(address)));
        await _socket.SendToAsync(datagram, SocketFlags.None, to, ct).ConfigureAwait(false);
    }

    public void Start(Action<string, ReadOnlyMemory<byte>> onDatagram)
    {
        if (_receiving is not null)
        {
            throw new InvalidOperationException("already started");
        }

        _receiving = ReceiveLoopAsync(onDatagram);
    }

    public async ValueTask DisposeAsync()
    {
        await _stopping.CancelAsync().ConfigureAwait(false);
        _socket.Dispose();
        if (_receiving is not null)
        {
            try
            {
                await _receiving.ConfigureAwait(false);
            }
            catch (OperationCanceledException)
            {
                // Stopped.
            }
        }

        _stopping.Dispose();
    }

    private async Task ReceiveLoopAsync(Action<string, ReadOnlyMemory<byte>> onDatagram)
    {
        // Room for the largest UDP payload, so an oversized datagram is seen whole and counted rather than silently truncated.
        var buffer = new byte[65_536];
        EndPoint any = _socket.AddressFamily == AddressFamily.InterNetworkV6 ? new IPEndPoint(IPAddress.IPv6Any, 0) : new IPEndPoint(IPAddress.Any, 0);
        while (!_stopping.IsCancellationRequested)
        {
            SocketReceiveFromResult received;
            try
            {
                received = await _socket.ReceiveFromAsync(buffer, SocketFlags.None, any, _stopping.Token).ConfigureAwait(false);
            }
            catch (Exception e) when (e is OperationCanceledException or ObjectDisposedException)
            {
                return;
            }
            catch (SocketException e)
            {
                // On some platforms an ICMP "port unreachable" from an earlier send surfaces here; it is not fatal.
                LogReceiveFailed(_logger, e.SocketErrorCode);
                continue;
            }

            if (received.ReceivedBytes > _maxPacketBytes)
            {
                Interlocked.Increment(ref _oversized);
                continue;
            }

            var from = received.RemoteEndPoint.ToString() ?? "";
            try
            {
                onDatagram(from, buffer.AsMemory(0, received.ReceivedBytes).ToArray());
            }
            catch (Exception e) when (e is not OutOfMemoryException)
            {
                LogHandlerFailed(_logger, from, e);
            }
        }
    }

    private static IPEndPoint? Parse(string address)
    {
        var colon = address.LastIndexOf(':');
        if (colon <= 0 || !int.TryParse(address.AsSpan(colon + 1), out var port) || port is < 0 or > 65535)
        {
            return null;
        }

        var host = address[..colon].Trim('[', ']');
        if (host.Equals("localhost", StringComparison.OrdinalIgnoreCase))
        {
            return new IPEndPoint(IPAddress.Loopback, port);
        }

        return IPAddress.TryParse(host, out var ip) ? new IPEndPoint(ip, port) : null;
    }

    [LoggerMessage(Level = LogLevel.Debug, Message = "UDP receive failed: {Error}")]
    private static partial void LogReceiveFailed(ILogger logger, SocketError error);

    [LoggerMessage(Level = LogLevel.Error, Message = "Handling a datagram from {From} failed")]
    private static partial void LogHandlerFailed(ILogger logger, string from, Exception exception);
}
