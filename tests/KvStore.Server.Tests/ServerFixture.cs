using Grpc.Net.Client;
using KvStore.Protocol.V1;
using KvStore.Testing;

namespace KvStore.Server.Tests;

/// <summary>One server process shared by the tests of a class, with a raw gRPC client.</summary>
public sealed class ServerFixture : IAsyncLifetime
{
    private ServerProcess? _server;
    private GrpcChannel? _channel;

    public ServerProcess Server => _server!;

    public Protocol.V1.KvStore.KvStoreClient Client { get; private set; } = null!;

    public async ValueTask InitializeAsync()
    {
        _server = await ServerProcess.StartAsync();
        _channel = Channels.Open(_server.GrpcEndpoint);
        Client = new Protocol.V1.KvStore.KvStoreClient(_channel);
    }

    public async ValueTask DisposeAsync()
    {
        _channel?.Dispose();
        if (_server is not null)
        {
            await _server.DisposeAsync();
        }
    }
}

internal static class Channels
{
    /// <summary>A channel that lets the server, not the client, decide what is too large.</summary>
    public static GrpcChannel Open(string endpoint) => GrpcChannel.ForAddress(endpoint, new GrpcChannelOptions
    {
        MaxSendMessageSize = null,
        MaxReceiveMessageSize = 64 * 1024 * 1024,
    });
}
