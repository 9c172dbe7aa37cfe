namespace KvStore.Kvctl.Cluster;

/// <summary>A node's admin HTTP address as users and the routing table write it: HOST:PORT, or an http(s):// URI.</summary>
internal static class AdminAddress
{
    /// <summary>Lets a shell session point the cluster commands at a node once, like KVCTL_ENDPOINTS.</summary>
    public const string Variable = "KVCTL_ADMIN";

    public const string Default = "127.0.0.1:7071";

    /// <summary>The URI of <paramref name="pathAndQuery"/> on the node at <paramref name="address"/>.</summary>
    /// <exception cref="UsageException">The address is not HOST:PORT or an http(s) URI.</exception>
    public static Uri Resolve(string address, string pathAndQuery)
    {
        var text = address.Contains("://", StringComparison.Ordinal) ? address : "http://" + address;
        if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
            || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps)
            || string.IsNullOrEmpty(uri.Host)
            || (uri.IsDefaultPort && !address.Contains("://", StringComparison.Ordinal))
            || uri.AbsolutePath != "/")
        {
            throw new UsageException($"Invalid admin address '{address}': expected HOST:PORT or an http:// URI.");
        }

        return new Uri(uri, pathAndQuery);
    }
}
