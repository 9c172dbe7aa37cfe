using System.Net;
using System.Net.Sockets;

namespace KvStore.Testing;

/// <summary>
/// A loopback port that is bound but not listening: connecting to it is refused at once, and
/// because the port stays bound until disposal no other process (or test server) can take it.
/// </summary>
public sealed class ClosedPort : IDisposable
{
    private readonly Socket _socket = new(AddressFamily.InterNetwork, SocketType.Stream, ProtocolType.Tcp);

    public ClosedPort()
    {
        _socket.Bind(new IPEndPoint(IPAddress.Loopback, 0));
        Endpoint = $"127.0.0.1:{((IPEndPoint)_socket.LocalEndPoint!).Port}";
    }

    /// <summary>The port as host:port.</summary>
    public string Endpoint { get; }

    public void Dispose() => _socket.Dispose();
}
