namespace KvStore.Server;

/// <summary>
/// Endpoint metadata: the local port a request must have arrived on. Matching the connection's
/// port, not the Host header, keeps gRPC and admin apart behind port mapping and proxies, where the
/// client's Host names a port the node never listens on.
/// </summary>
internal sealed record ListenerPort(int Port)
{
    /// <summary>Answers 404 when a request reached an endpoint through the other listener.</summary>
    public static async Task Enforce(HttpContext context, RequestDelegate next)
    {
        if (context.GetEndpoint()?.Metadata.GetMetadata<ListenerPort>() is { } wanted && context.Connection.LocalPort != wanted.Port)
        {
            context.Response.StatusCode = StatusCodes.Status404NotFound;
            return;
        }

        await next(context);
    }
}

internal static class ListenerPortExtensions
{
    public static TBuilder OnPort<TBuilder>(this TBuilder builder, int port) where TBuilder : IEndpointConventionBuilder =>
        builder.WithMetadata(new ListenerPort(port));
}
