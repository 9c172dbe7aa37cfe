using System.Diagnostics;
using System.Net.Http.Json;
using System.Text.Json;
using Google.Protobuf;
using KvStore.Protocol.V1;
using KvStore.Testing;

namespace KvStore.Server.Tests;

/// <summary>Whole-process behaviour: crashes, graceful stops, the admin port and start-up checks.</summary>
public sealed class ProcessTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static ByteString B(string s) => ByteString.CopyFromUtf8(s);

    [Fact]
    public async Task Every_acknowledged_write_survives_kill_9_and_a_restart()
    {
        var dataDir = ServerProcess.NewDataDir();
        try
        {
            var acknowledged = new List<int>();
            await using (var server = await ServerProcess.StartAsync(dataDir, cancellationToken: Ct))
            {
                using var channel = Channels.Open(server.GrpcEndpoint);
                var client = new Protocol.V1.KvStore.KvStoreClient(channel);
                await Task.WhenAll(Enumerable.Range(0, 300).Select(async i =>
                {
                    if (i % 3 == 0)
                    {
                        await client.SetAddAsync(new SetAddRequest { Key = B("crash-set"), Elements = { B($"m{i}") } }, cancellationToken: Ct);
                    }
                    else
                    {
                        await client.PutAsync(new PutRequest { Key = B($"crash/{i}"), Value = B($"v{i}") }, cancellationToken: Ct);
                    }

                    lock (acknowledged)
                    {
                        acknowledged.Add(i);
                    }
                }));

                // Straight after the acknowledgements: no graceful shutdown, no flush.
                await server.KillAsync();
            }

            await using var restarted = await ServerProcess.StartAsync(dataDir, cancellationToken: Ct);
            using var channel2 = Channels.Open(restarted.GrpcEndpoint);
            var client2 = new Protocol.V1.KvStore.KvStoreClient(channel2);
            var members = (await client2.SetMembersAsync(new SetMembersRequest { Key = B("crash-set") }, cancellationToken: Ct))
                .Members.Select(m => m.ToStringUtf8()).ToHashSet();
            Assert.Equal(300, acknowledged.Count);
            foreach (var i in acknowledged)
            {
                if (i % 3 == 0)
                {
                    Assert.Contains($"m{i}", members);
                }
                else
                {
                    var r = await client2.GetAsync(new GetRequest { Key = B($"crash/{i}") }, cancellationToken: Ct);
                    Assert.True(r.Found, $"acknowledged write {i} lost");
                    Assert.Equal($"v{i}", r.Value.ToStringUtf8());
                }
            }
        }
        finally
        {
            ServerProcess.TryDelete(dataDir);
        }
    }

    [Fact]
    public async Task Sigterm_drains_and_exits_cleanly_keeping_the_data_and_the_actor()
    {
        var dataDir = ServerProcess.NewDataDir();
        try
        {
            string actor;
            await using (var server = await ServerProcess.StartAsync(dataDir, ["--node-id", "graceful"], Ct))
            {
                using var channel = Channels.Open(server.GrpcEndpoint);
                var client = new Protocol.V1.KvStore.KvStoreClient(channel);
                await client.PutAsync(new PutRequest { Key = B("k"), Value = B("v") }, cancellationToken: Ct);
                actor = (await AdminJson(server, "/debug/routingtable")).GetProperty("actor").GetString()!;
                Assert.StartsWith("graceful#", actor, StringComparison.Ordinal);

                Assert.Equal(0, await server.TerminateAsync(TimeSpan.FromSeconds(30)));
                Assert.Contains("Closed the data directory", server.Output, StringComparison.Ordinal);
            }

            await using var restarted = await ServerProcess.StartAsync(dataDir, cancellationToken: Ct);
            Assert.Equal(actor, (await AdminJson(restarted, "/debug/routingtable")).GetProperty("actor").GetString());
            var data = await AdminJson(restarted, "/debug/data?key=k");
            Assert.Equal("v", data.GetProperty("value").GetString());
        }
        finally
        {
            ServerProcess.TryDelete(dataDir);
        }
    }

    [Fact]
    public async Task The_admin_port_serves_health_routing_table_data_and_metrics()
    {
        await using var server = await ServerProcess.StartAsync(extraArgs: ["--node-id", "admin-test"], cancellationToken: Ct);
        using var channel = Channels.Open(server.GrpcEndpoint);
        var client = new Protocol.V1.KvStore.KvStoreClient(channel);
        await client.PutAsync(new PutRequest { Key = B("reg"), Value = B("hello") }, cancellationToken: Ct);
        await client.SetAddAsync(new SetAddRequest { Key = B("set"), Elements = { B("a"), B("b") } }, cancellationToken: Ct);

        Assert.Equal("serving", (await AdminJson(server, "/healthz")).GetProperty("status").GetString());

        var table = await AdminJson(server, "/debug/routingtable");
        var member = Assert.Single(table.GetProperty("members").EnumerateArray());
        Assert.Equal("admin-test", member.GetProperty("id").GetString());
        Assert.Equal("alive", member.GetProperty("state").GetString());

        var reg = await AdminJson(server, "/debug/data?key=reg");
        Assert.Equal("register", reg.GetProperty("type").GetString());
        Assert.Equal("hello", reg.GetProperty("value").GetString());
        Assert.False(reg.GetProperty("concurrent").GetBoolean());
        var vv = Assert.Single(reg.GetProperty("versionVector").EnumerateArray());
        Assert.Equal("admin-test", vv.GetProperty("node").GetString());
        Assert.Equal(1, vv.GetProperty("counter").GetInt32());
        Assert.True(Assert.Single(reg.GetProperty("siblings").EnumerateArray()).GetProperty("wallMillis").GetInt64() > 0);

        var set = await AdminJson(server, "/debug/data?key=set");
        Assert.Equal(["a", "b"], set.GetProperty("members").EnumerateArray().Select(e => e.GetString()));

        using var http = new HttpClient();
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.GetAsync($"{server.AdminEndpoint}/debug/data?key=nope", Ct)).StatusCode);
        var metrics = await http.GetStringAsync($"{server.AdminEndpoint}/metrics", Ct);
        Assert.Contains("kvstore_grpc_calls_total{method=\"Put\",status=\"OK\"} 1", metrics, StringComparison.Ordinal);
        Assert.Contains("kvstore_storage_writes_total 2", metrics, StringComparison.Ordinal);

        // Behind port mapping the Host header names a port the node does not listen on: the
        // connection's own port decides, so admin still answers...
        using var mapped = new HttpRequestMessage(HttpMethod.Get, $"{server.AdminEndpoint}/healthz");
        mapped.Headers.Host = "kvstore.example:17071";
        Assert.Equal(System.Net.HttpStatusCode.OK, (await http.SendAsync(mapped, Ct)).StatusCode);

        // ...and admin paths are not served on the gRPC listener.
        using var onGrpcPort = new HttpRequestMessage(HttpMethod.Get, $"{server.GrpcEndpoint}/healthz")
        {
            Version = System.Net.HttpVersion.Version20,
            VersionPolicy = HttpVersionPolicy.RequestVersionExact,
        };
        Assert.Equal(System.Net.HttpStatusCode.NotFound, (await http.SendAsync(onGrpcPort, Ct)).StatusCode);
    }

    [Theory]
    [InlineData("--bogus", "unknown option")]
    [InlineData("--listen=nope", "listen address 'nope'")]
    [InlineData("--node-id=bad id", "node id 'bad id'")]
    [InlineData("--seeds=nohost", "seed 'nohost'")]
    [InlineData("--cluster-key=nope", "Membership:Keys: key 1 decodes to 3 bytes; 32 to 64 are required")]
    public async Task Bad_configuration_exits_2_with_a_clear_message(string arg, string expected)
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(ServerProcess.ServerPath);
        psi.ArgumentList.Add(arg);
        using var p = Process.Start(psi)!;
        var stderr = await p.StandardError.ReadToEndAsync(Ct);
        await p.WaitForExitAsync(Ct);
        Assert.Equal(2, p.ExitCode);
        Assert.Contains(expected, stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_batch_limit_out_of_range_exits_2_naming_the_setting()
    {
        var psi = new ProcessStartInfo("dotnet") { RedirectStandardError = true, RedirectStandardOutput = true };
        psi.ArgumentList.Add(ServerProcess.ServerPath);
        psi.Environment["KVSTORE_LIMITS__MAX_BATCH_OPERATIONS"] = "0";
        using var p = Process.Start(psi)!;
        var stderr = await p.StandardError.ReadToEndAsync(Ct);
        await p.WaitForExitAsync(Ct);
        Assert.Equal(2, p.ExitCode);
        Assert.Contains("Limits:MaxBatchOperations must be between 1 and 100000 (is 0)", stderr, StringComparison.Ordinal);
    }

    private static async Task<JsonElement> AdminJson(ServerProcess server, string path)
    {
        using var http = new HttpClient();
        return await http.GetFromJsonAsync<JsonElement>(server.AdminEndpoint + path, Ct);
    }
}
