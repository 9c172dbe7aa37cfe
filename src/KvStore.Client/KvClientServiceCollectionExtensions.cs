using KvStore.Client;
using Microsoft.Extensions.DependencyInjection.Extensions;
using Microsoft.Extensions.Options;

namespace Microsoft.Extensions.DependencyInjection;

/// <summary>Registers <see cref="KvClient"/> with a dependency-injection container.</summary>
public static class KvClientServiceCollectionExtensions
{
    /// <summary>
    /// Registers <see cref="KvClientOptions"/> through the options pattern and one shared
    /// <see cref="KvClient"/>: the client holds long-lived channels, so a singleton is the only
    /// lifetime that does not leak connections. The options are validated when the client is
    /// first resolved, and the container disposes the client.
    /// </summary>
    public static IServiceCollection AddKvStoreClient(this IServiceCollection services, Action<KvClientOptions>? configure = null)
    {
        ArgumentNullException.ThrowIfNull(services);
        var options = services.AddOptions<KvClientOptions>();
        if (configure is not null)
        {
            options.Configure(configure);
        }

        services.TryAddSingleton(sp => new KvClient(sp.GetRequiredService<IOptions<KvClientOptions>>().Value));
        return services;
    }
}
