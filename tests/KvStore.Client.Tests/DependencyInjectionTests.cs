using Microsoft.Extensions.DependencyInjection;
using Microsoft.Extensions.Options;

namespace KvStore.Client.Tests;

public sealed class DependencyInjectionTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    [Fact]
    public async Task AddKvStoreClient_resolves_one_working_client_with_the_configured_options()
    {
        var services = new ServiceCollection();
        services.AddKvStoreClient(o =>
        {
            o.Endpoints = [fixture.Server.GrpcEndpoint];
            o.Timeout = TimeSpan.FromSeconds(30);
        });
        await using var provider = services.BuildServiceProvider(validateScopes: true);

        var client = provider.GetRequiredService<KvClient>();
        var key = ServerFixture.NewKey("di");
        await client.PutAsync(key, "v", cancellationToken: Ct);

        Assert.Same(client, provider.GetRequiredService<KvClient>());
        Assert.Equal(TimeSpan.FromSeconds(30), provider.GetRequiredService<IOptions<KvClientOptions>>().Value.Timeout);
        Assert.Equal("v", (await client.GetAsync(key, cancellationToken: Ct))?.ValueAsString);
    }

    [Fact]
    public async Task Invalid_options_fail_when_the_client_is_resolved()
    {
        var services = new ServiceCollection();
        services.AddKvStoreClient(o => o.Endpoints = ["nohost"]);
        await using var provider = services.BuildServiceProvider();

        var e = Assert.Throws<ArgumentException>(() => provider.GetRequiredService<KvClient>());
        Assert.Contains("nohost", e.Message, StringComparison.Ordinal);
    }
}
