using System.Text;

namespace KvStore.Client.Tests;

/// <summary>Get, put and delete against a real server.</summary>
public sealed class RegisterTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private KvClient Client => fixture.Client;

    [Fact]
    public async Task Put_then_get_returns_the_same_bytes()
    {
        byte[] key = [.. Encoding.UTF8.GetBytes(ServerFixture.NewKey("bytes")), 0x00, 0xFF];
        var value = Enumerable.Range(0, 256).Select(i => (byte)i).ToArray();

        var written = await Client.PutAsync(key, value, cancellationToken: Ct);
        var read = await Client.GetAsync(key, cancellationToken: Ct);

        Assert.False(written.IsEmpty);
        Assert.NotNull(read);
        Assert.Equal(value, read.Value.ToArray());
        Assert.False(read.Context.IsEmpty);
    }

    [Fact]
    public async Task Put_then_get_strings_as_utf8()
    {
        var key = ServerFixture.NewKey("käse");
        const string value = "grüße, 世界";

        await Client.PutAsync(key, value, cancellationToken: Ct);
        var read = await Client.GetAsync(key, cancellationToken: Ct);
        var asBytes = await Client.GetAsync(Encoding.UTF8.GetBytes(key), cancellationToken: Ct);

        Assert.NotNull(read);
        Assert.Equal(value, read.ValueAsString);
        Assert.Equal(value, read.ToString());
        Assert.NotNull(asBytes);
        Assert.Equal(Encoding.UTF8.GetBytes(value), asBytes.Value.ToArray());
    }

    [Fact]
    public async Task Missing_key_returns_null()
    {
        Assert.Null(await Client.GetAsync(ServerFixture.NewKey("missing"), cancellationToken: Ct));
    }

    [Fact]
    public async Task Empty_value_is_a_value_not_a_missing_key()
    {
        var key = ServerFixture.NewKey("empty-value");

        await Client.PutAsync(key, "", cancellationToken: Ct);
        var read = await Client.GetAsync(key, cancellationToken: Ct);

        Assert.NotNull(read);
        Assert.True(read.Value.IsEmpty);
    }

    [Fact]
    public async Task Overwrite_with_the_context_of_a_read_replaces_the_value()
    {
        var key = ServerFixture.NewKey("overwrite");
        await Client.PutAsync(key, "v1", cancellationToken: Ct);
        var first = await Client.GetAsync(key, cancellationToken: Ct);
        Assert.NotNull(first);

        var written = await Client.PutAsync(key, "v2", first.Context, cancellationToken: Ct);
        var second = await Client.GetAsync(key, cancellationToken: Ct);

        Assert.NotNull(second);
        Assert.Equal("v2", second.ValueAsString);
        Assert.NotEqual(first.Context, second.Context);
        Assert.False(written.IsEmpty);
    }

    [Fact]
    public async Task Context_survives_a_base64_round_trip_between_read_and_write()
    {
        var key = ServerFixture.NewKey("base64");
        await Client.PutAsync(key, "v1", cancellationToken: Ct);
        var read = await Client.GetAsync(key, cancellationToken: Ct);
        Assert.NotNull(read);

        await Client.PutAsync(key, "v2", KvContext.FromBase64(read.Context.ToBase64()), cancellationToken: Ct);

        Assert.Equal("v2", (await Client.GetAsync(key, cancellationToken: Ct))?.ValueAsString);
    }

    [Fact]
    public async Task Delete_with_context_then_get_returns_null()
    {
        var key = ServerFixture.NewKey("delete");
        await Client.PutAsync(key, "v", cancellationToken: Ct);
        var read = await Client.GetAsync(key, cancellationToken: Ct);
        Assert.NotNull(read);

        await Client.DeleteAsync(key, read.Context, cancellationToken: Ct);

        Assert.Null(await Client.GetAsync(key, cancellationToken: Ct));
    }

    [Fact]
    public async Task Delete_without_context_then_get_returns_null()
    {
        var key = ServerFixture.NewKey("delete-blind");
        await Client.PutAsync(key, "v", cancellationToken: Ct);

        await Client.DeleteAsync(key, cancellationToken: Ct);

        Assert.Null(await Client.GetAsync(key, cancellationToken: Ct));
    }

    [Fact]
    public async Task Deleting_a_missing_key_succeeds()
    {
        var key = ServerFixture.NewKey("never-written");

        await Client.DeleteAsync(key, cancellationToken: Ct);

        Assert.Null(await Client.GetAsync(key, cancellationToken: Ct));
    }

    [Theory]
    [InlineData(KvConsistency.Default)]
    [InlineData(KvConsistency.One)]
    [InlineData(KvConsistency.Quorum)]
    [InlineData(KvConsistency.All)]
    public async Task Every_consistency_level_is_met_by_a_single_node(KvConsistency consistency)
    {
        var key = ServerFixture.NewKey($"level-{consistency}");

        await Client.PutAsync(key, "v", consistency: consistency, cancellationToken: Ct);
        var read = await Client.GetAsync(key, consistency, Ct);

        Assert.Equal("v", read?.ValueAsString);
    }

    [Fact]
    public async Task Client_default_consistency_applies_to_calls_that_pass_default()
    {
        await using var client = new KvClient(new KvClientOptions
        {
            Endpoints = [fixture.Server.GrpcEndpoint],
            DefaultConsistency = KvConsistency.All,
        });
        var key = ServerFixture.NewKey("client-default");

        await client.PutAsync(key, "v", cancellationToken: Ct);

        Assert.Equal("v", (await client.GetAsync(key, cancellationToken: Ct))?.ValueAsString);
    }

    [Fact]
    public async Task Unknown_consistency_level_is_rejected_before_sending()
    {
        await Assert.ThrowsAsync<ArgumentOutOfRangeException>(() => Client.GetAsync("k", (KvConsistency)42, Ct));
    }

    [Fact]
    public async Task A_cancelled_token_surfaces_as_OperationCanceledException()
    {
        using var cts = new CancellationTokenSource();
        await cts.CancelAsync();

        await Assert.ThrowsAnyAsync<OperationCanceledException>(() => Client.GetAsync(ServerFixture.NewKey("cancel"), cancellationToken: cts.Token));
    }

    [Fact]
    public async Task A_disposed_client_refuses_calls()
    {
        var client = new KvClient(fixture.Server.GrpcEndpoint);
        await client.DisposeAsync();

        await Assert.ThrowsAsync<ObjectDisposedException>(() => client.GetAsync("k", cancellationToken: Ct));
    }
}
