using System.Buffers.Binary;
using System.Net.Sockets;
using System.Security.Cryptography;
using System.Text;
using System.Text.Json;
using Google.Protobuf;
using Grpc.Core;
using KvStore.Protocol.Peer.V1;
using KvStore.Testing;

namespace KvStore.Server.Tests;

/// <summary>
/// A real node refuses forged gossip and peer calls and counts each refusal where an operator sees
/// it. Envelopes are built here from the format documented in peer.proto, not with server code.
/// </summary>
public sealed class ForgeryTests
{
    private static readonly byte[] ClusterKey = Enumerable.Range(1, 32).Select(i => (byte)i).ToArray();

    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    /// <summary>version 1 | key id (first 4 bytes of SHA-256(key), big-endian) | sender length | sender | sent-at ms (LE) | nonce (LE) | payload | HMAC-SHA256.</summary>
    private static byte[] Seal(byte[] key, string sender, byte[] payload, ulong nonce)
    {
        var name = Encoding.UTF8.GetBytes(sender);
        var body = new byte[1 + 4 + 1 + name.Length + 16 + payload.Length];
        body[0] = 1;
        SHA256.HashData(key).AsSpan(0, 4).CopyTo(body.AsSpan(1));
        body[5] = (byte)name.Length;
        name.CopyTo(body, 6);
        var at = 6 + name.Length;
        BinaryPrimitives.WriteInt64LittleEndian(body.AsSpan(at), DateTimeOffset.UtcNow.ToUnixTimeMilliseconds());
        BinaryPrimitives.WriteUInt64LittleEndian(body.AsSpan(at + 8), nonce);
        payload.CopyTo(body, at + 16);
        return [.. body, .. HMACSHA256.HashData(key, body)];
    }

    /// <summary>Checks an envelope's tag under <paramref name="key"/> and returns its sender and body.</summary>
    private static (string Sender, byte[] Body) Open(byte[] key, byte[] sealedBytes)
    {
        var signed = sealedBytes.AsSpan(0, sealedBytes.Length - 32);
        Assert.Equal(HMACSHA256.HashData(key, signed), sealedBytes[^32..]);
        var senderLength = sealedBytes[5];
        var sender = Encoding.UTF8.GetString(sealedBytes, 6, senderLength);
        return (sender, signed[(6 + senderLength + 16)..].ToArray());
    }

    private static async Task<JsonElement> DroppedAsync(HttpClient http, ServerProcess server)
    {
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"{server.AdminEndpoint}/debug/routingtable", Ct));
        return doc.RootElement.GetProperty("gossip").GetProperty("dropped").Clone();
    }

    [Fact]
    public async Task Forged_gossip_packets_are_dropped_and_counted_by_reason()
    {
        await using var server = await ServerProcess.StartAsync(extraArgs: ["--cluster-key", Convert.ToBase64String(ClusterKey)], cancellationToken: Ct);
        using var http = new HttpClient();
        using var udp = new UdpClient();
        udp.Connect("127.0.0.1", server.GrpcPort);

        var wrongKey = RandomNumberGenerator.GetBytes(32);
        await udp.SendAsync(Seal(wrongKey, "mallory", [1, 2, 3], 1), Ct);
        await udp.SendAsync(new byte[] { 9, 9, 9 }, Ct);
        await udp.SendAsync(new byte[4000], Ct);

        await LocalCluster.WithinAsync(TimeSpan.FromSeconds(10), async () =>
        {
            var dropped = await DroppedAsync(http, server);
            var seen = (dropped.GetProperty("unauthenticated").GetInt64(), dropped.GetProperty("malformed").GetInt64(), dropped.GetProperty("udpOversized").GetInt64());
            return (seen == (1, 1, 1), $"unauthenticated, malformed, udpOversized = {seen}");
        }, Ct);

        // The node itself is untouched: it still knows only itself.
        using var doc = JsonDocument.Parse(await http.GetStringAsync($"{server.AdminEndpoint}/debug/routingtable", Ct));
        Assert.Equal(1, doc.RootElement.GetProperty("members").GetArrayLength());
    }

    [Fact]
    public async Task Peer_calls_under_a_wrong_key_or_replayed_are_refused_and_counted()
    {
        await using var server = await ServerProcess.StartAsync(extraArgs: ["--cluster-key", Convert.ToBase64String(ClusterKey)], cancellationToken: Ct);
        using var channel = Channels.Open(server.GrpcEndpoint);
        var peer = new Peer.PeerClient(channel);
        using var http = new HttpClient();

        var write = new PeerRequest
        {
            Coordinate = new CoordinateRequest
            {
                Key = ByteString.CopyFromUtf8("k"),
                Mutation = new MutationMessage { SetAdd = new SetAddMutation { Elements = { ByteString.CopyFromUtf8("x") } } },
                Consistency = 1,
            },
        }.ToByteArray();

        var forged = await Assert.ThrowsAsync<RpcException>(() =>
            peer.CallAsync(new Envelope { Sealed = ByteString.CopyFrom(Seal(RandomNumberGenerator.GetBytes(32), "mallory", write, 1)) }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal(StatusCode.Unauthenticated, forged.StatusCode);
        Assert.Equal("peer message refused: Unauthenticated", forged.Status.Detail);

        // Under the right key the write is done once; the same envelope again is a replay.
        var genuine = ByteString.CopyFrom(Seal(ClusterKey, "node-x", write, 42));
        var reply = await peer.CallAsync(new Envelope { Sealed = genuine }, cancellationToken: Ct);

        // The answer is sealed by the node and names the request it answers.
        using var health = JsonDocument.Parse(await http.GetStringAsync($"{server.AdminEndpoint}/healthz", Ct));
        var (sender, body) = Open(ClusterKey, reply.Sealed.ToByteArray());
        Assert.Equal(health.RootElement.GetProperty("node").GetString(), sender);
        var answer = PeerResponse.Parser.ParseFrom(body);
        Assert.Null(answer.Error);
        Assert.Equal(SHA256.HashData(genuine.Span)[..16], answer.RequestDigest.ToByteArray());
        var replayed = await Assert.ThrowsAsync<RpcException>(() => peer.CallAsync(new Envelope { Sealed = genuine }, cancellationToken: Ct).ResponseAsync);
        Assert.Equal("peer message refused: Replayed", replayed.Status.Detail);

        var metrics = await http.GetStringAsync($"{server.AdminEndpoint}/metrics", Ct);
        Assert.Contains("kvstore_peer_refused_total{reason=\"unauthenticated\"} 1\n", metrics);
        Assert.Contains("kvstore_peer_refused_total{reason=\"replayed\"} 1\n", metrics);
    }
}
