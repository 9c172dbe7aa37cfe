using System.Net;
using System.Text;
using KvStore.Core.Causality;

namespace KvStore.Server.Configuration;

/// <summary>Who this node is and where it listens.</summary>
public sealed class NodeOptions
{
    /// <summary>
    /// The node's name in the cluster. Empty means: the one stored in the data directory, or for a
    /// new directory "HOSTNAME-PORT", which is unique per machine and port.
    /// </summary>
    public string? NodeId { get; set; }

    /// <summary>gRPC address for clients and peers (and, in a cluster, the UDP gossip port). Loopback by default: exposing a node is a choice.</summary>
    public string Listen { get; set; } = "127.0.0.1:7070";

    /// <summary>Admin HTTP address: health, metrics and debug views.</summary>
    public string Admin { get; set; } = "127.0.0.1:7071";

    /// <summary>Comma-separated HOST:PORT addresses of nodes to join through.</summary>
    public string Seeds { get; set; } = "";

    public IPEndPoint ListenEndPoint => ParseEndPoint(Listen)!;

    public IPEndPoint AdminEndPoint => ParseEndPoint(Admin)!;

    public IReadOnlyList<string> SeedList =>
        Seeds.Split(',', StringSplitOptions.RemoveEmptyEntries | StringSplitOptions.TrimEntries);

    /// <summary>The node id a new data directory gets when none is configured.</summary>
    public string DefaultNodeId()
    {
        var sb = new StringBuilder();
        foreach (var ch in Dns.GetHostName())
        {
            sb.Append(char.IsAsciiLetterOrDigit(ch) || ch is '.' or '_' or '-' ? ch : '-');
        }

        var id = $"{sb}-{ListenEndPoint.Port}";
        return id.Length <= ActorId.MaxNodeIdBytes ? id : id[^ActorId.MaxNodeIdBytes..];
    }

    public IEnumerable<string> Validate()
    {
        if (!string.IsNullOrEmpty(NodeId) && !ActorId.IsValidNodeId(NodeId))
        {
            yield return $"node id '{NodeId}' must be 1-64 characters of letters, digits, '.', '_', ':' and '-'";
        }

        var listen = ParseEndPoint(Listen);
        if (listen is null)
        {
            yield return $"listen address '{Listen}' is not HOST:PORT with an IP address or 'localhost' and a port from 1 to 65535";
        }

        var admin = ParseEndPoint(Admin);
        if (admin is null)
        {
            yield return $"admin address '{Admin}' is not HOST:PORT with an IP address or 'localhost' and a port from 1 to 65535";
        }

        if (listen is not null && admin is not null && listen.Port == admin.Port)
        {
            yield return $"listen and admin addresses must use different ports (both use {listen.Port})";
        }

        foreach (var seed in SeedList)
        {
            if (!IsHostPort(seed))
            {
                yield return $"seed '{seed}' is not HOST:PORT";
            }
        }
    }

    /// <summary>Parses "IP:PORT", "[IPv6]:PORT" or "localhost:PORT"; null when it is none of those.</summary>
    public static IPEndPoint? ParseEndPoint(string? text)
    {
        if (string.IsNullOrWhiteSpace(text))
        {
            return null;
        }

        if (text.StartsWith("localhost:", StringComparison.OrdinalIgnoreCase))
        {
            return int.TryParse(text["localhost:".Length..], out var p) && p is > 0 and <= 65535
                ? new IPEndPoint(IPAddress.Loopback, p)
                : null;
        }

        return IPEndPoint.TryParse(text, out var ep) && ep.Port is > 0 and <= 65535 && text.Contains(':') && !text.EndsWith(']')
            ? ep
            : null;
    }

    private static bool IsHostPort(string text)
    {
        var colon = text.LastIndexOf(':');
        return colon > 0 && int.TryParse(text[(colon + 1)..], out var p) && p is > 0 and <= 65535;
    }
}
