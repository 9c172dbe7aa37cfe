using System.Net;
using System.Net.Sockets;

namespace KvStore.Kvctl.Dev;

/// <summary>
/// Checks that a loopback port is free before a node is started on it, so a taken port is
/// reported by number instead of as a node that died during start-up.
/// </summary>
internal static class PortProbe
{
    /// <summary>"tcp" or "udp" when that protocol's port is taken on 127.0.0.1, null when both are free.</summary>
    public static string? InUse(int port)
    {
        if (!CanBind(port, SocketType.Stream, ProtocolType.Tcp))
        {
            return "tcp";
        }

        // gRPC's port number is also the node's UDP gossip port; admin ports are checked the same way for simplicity.
        return CanBind(port, SocketType.Dgram, ProtocolType.Udp) ? null : "udp";
    }

    private static bool CanBind(int port, SocketType type, ProtocolType protocol)
    {
        using var socket = new Socket(AddressFamily.InterNetwork, type, protocol);
        try
        {
            socket.Bind(new IPEndPoint(IPAddress.Loopback, port));
            if (type == SocketType.Stream)
            {
                // .NET binds with SO_REUSEADDR on Unix, so only a listen meets another listener the way the server's would.
                socket.Listen();
            }

            return true;
        }
        catch (SocketException)
        {
            return false;
        }
    }
}
