using System.Globalization;

namespace KvStore.Client;

/// <summary>
/// Turns the endpoint strings users write into channel addresses. A bare <c>host:port</c> means
/// plaintext HTTP/2 (h2c), the way KvStore nodes listen by default; anything else must be a full
/// http:// or https:// URI so that TLS is never guessed.
/// </summary>
internal static class KvEndpoint
{
    public static Uri Parse(string endpoint)
    {
        if (string.IsNullOrWhiteSpace(endpoint))
        {
            throw new ArgumentException("An endpoint is empty; expected host:port (for example 127.0.0.1:7070) or an http:// or https:// URI.");
        }

        var text = endpoint.Trim();
        if (text.Contains("://", StringComparison.Ordinal))
        {
            if (!Uri.TryCreate(text, UriKind.Absolute, out var uri)
                || (uri.Scheme != Uri.UriSchemeHttp && uri.Scheme != Uri.UriSchemeHttps))
            {
                throw Invalid(endpoint, "only http:// and https:// URIs are supported");
            }

            return Check(endpoint, uri);
        }

        // host:port, where host may be a bracketed IPv6 literal: the port is after the last colon.
        var colon = text.LastIndexOf(':');
        if (colon <= 0 || colon == text.Length - 1)
        {
            throw Invalid(endpoint, "a port is required");
        }

        var port = text[(colon + 1)..];
        if (!int.TryParse(port, NumberStyles.None, CultureInfo.InvariantCulture, out var portNumber) || portNumber is < 1 or > 65535)
        {
            throw Invalid(endpoint, $"'{port}' is not a port number (1-65535)");
        }

        if (!Uri.TryCreate("http://" + text, UriKind.Absolute, out var plain))
        {
            throw Invalid(endpoint, "the host is not valid");
        }

        return Check(endpoint, plain);
    }

    /// <summary>Rejects URI parts a gRPC channel would silently ignore or misuse.</summary>
    private static Uri Check(string endpoint, Uri uri)
    {
        if (string.IsNullOrEmpty(uri.Host))
        {
            throw Invalid(endpoint, "the host is missing");
        }

        if (uri.AbsolutePath != "/" || uri.Query.Length > 0 || uri.Fragment.Length > 0 || uri.UserInfo.Length > 0)
        {
            throw Invalid(endpoint, "a path, query, fragment or user name is not allowed");
        }

        return uri;
    }

    private static ArgumentException Invalid(string endpoint, string reason) =>
        new($"Invalid endpoint '{endpoint}': {reason}. Expected host:port (for example 127.0.0.1:7070) or an http:// or https:// URI.");
}
