using System.Text.Json;
using Google.Protobuf;
using Grpc.Net.Client;
using KvStore.Protocol.V1;
using KvStore.Testing;

namespace KvStore.Kvbench.Tests;

/// <summary>Short runs against a real server on loopback. They check that runs work, never how fast.</summary>
public sealed class EndToEndTests(ServerFixture server) : IClassFixture<ServerFixture>
{
    [Fact]
    public async Task Workload_a_runs_without_errors_and_its_writes_read_back()
    {
        const long seed = 4242;
        var run = await Kvbench.RunAsync(
            "--workload", "A", "--records", "200", "--duration", "2", "--warmup", "0", "--concurrency", "4",
            "--output", "json", "--seed", seed.ToString(System.Globalization.CultureInfo.InvariantCulture), "--endpoints", server.Endpoint);

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.True(root.GetProperty("throughput").GetDouble() > 0, run.Stdout);
        Assert.Equal(0, root.GetProperty("errorCount").GetInt64());
        Assert.Equal("A", root.GetProperty("workload").GetString());
        Assert.Equal(seed, root.GetProperty("seed").GetInt64());
        Assert.True(root.GetProperty("loaded").GetBoolean());
        Assert.True(root.GetProperty("operations").GetProperty("read").GetInt64() > 0);
        Assert.True(root.GetProperty("operations").GetProperty("update").GetInt64() > 0);
        Assert.True(root.GetProperty("latencyMs").GetProperty("p50").GetDouble() > 0);

        // Every record holds one of the values the run wrote, which the seed determines.
        var written = ValuePool.Create(seed, 100).Bytes.Select(Convert.ToBase64String).ToHashSet();
        using var channel = GrpcChannel.ForAddress(server.Server.GrpcEndpoint);
        var client = new KvStore.Protocol.V1.KvStore.KvStoreClient(channel);
        for (var record = 0; record < 200; record++)
        {
            var read = await client.GetAsync(new GetRequest { Key = ByteString.CopyFrom(KeyFormat.ToBytes(record)) }, cancellationToken: TestContext.Current.CancellationToken);
            Assert.True(read.Found, $"{KeyFormat.ToText(record)} is missing");
            Assert.Contains(Convert.ToBase64String(read.Value.ToByteArray()), written);
        }
    }

    [Fact]
    public async Task The_empty_call_baseline_runs_without_errors()
    {
        var run = await Kvbench.RunAsync(
            "--workload", "empty", "--records", "200", "--duration", "2", "--warmup", "0", "--concurrency", "4",
            "--output", "json", "--endpoints", server.Endpoint);

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.True(json.RootElement.GetProperty("throughput").GetDouble() > 0, run.Stdout);
        Assert.Equal(0, json.RootElement.GetProperty("errorCount").GetInt64());
        Assert.False(json.RootElement.GetProperty("loaded").GetBoolean());
        Assert.True(json.RootElement.GetProperty("operations").GetProperty("empty").GetInt64() > 0);
    }

    [Fact]
    public async Task Text_output_names_the_parameters_and_json_out_gets_the_json()
    {
        var file = Path.Combine(Path.GetTempPath(), $"kvbench-{Guid.NewGuid():N}.json");
        try
        {
            var run = await Kvbench.RunAsync(
                "--workload", "F", "--records", "50", "--duration", "1", "--warmup", "0", "--concurrency", "2",
                "--seed", "9", "--consistency", "all", "--endpoints", server.Endpoint, "--json-out", file);

            Assert.True(run.ExitCode == 0, run.Stderr);
            Assert.Contains("workload     F (50% read, 50% read-modify-write), zipfian keys", run.Stdout);
            Assert.Contains("consistency all", run.Stdout);
            Assert.Contains("seed 9", run.Stdout);
            Assert.Contains("errors       none", run.Stdout);
            using var json = JsonDocument.Parse(await File.ReadAllTextAsync(file, TestContext.Current.CancellationToken));
            Assert.True(json.RootElement.GetProperty("operations").GetProperty("readModifyWrite").GetInt64() > 0);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Workload_d_inserts_new_records_after_the_loaded_ones()
    {
        var run = await Kvbench.RunAsync(
            "--workload", "D", "--records", "100", "--duration", "1", "--warmup", "0", "--concurrency", "2",
            "--output", "json", "--endpoints", server.Endpoint);

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.Equal("latest", json.RootElement.GetProperty("distribution").GetString());
        Assert.True(json.RootElement.GetProperty("operations").GetProperty("insert").GetInt64() > 0);
    }

    [Fact]
    public async Task A_batch_run_counts_operations_and_calls()
    {
        var run = await Kvbench.RunAsync(
            "--workload", "batch", "--batch-size", "10", "--records", "100", "--duration", "1", "--warmup", "0", "--concurrency", "2",
            "--setup", "kvstore-1", "--output", "json", "--endpoints", server.Endpoint);

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        var root = json.RootElement;
        Assert.Equal("kvstore-1", root.GetProperty("setup").GetString());
        Assert.Equal(10, root.GetProperty("batchSize").GetInt32());
        Assert.Equal(0, root.GetProperty("errorCount").GetInt64());
        var calls = root.GetProperty("calls").GetInt64();
        Assert.True(calls > 0, run.Stdout);
        Assert.Equal(calls * 10, root.GetProperty("ops").GetInt64());
        Assert.Equal(calls * 10, root.GetProperty("operations").GetProperty("batchPut").GetInt64());
        Assert.True(root.GetProperty("callsPerSecond").GetDouble() > 0, run.Stdout);
    }

    [Fact]
    public async Task A_paced_run_sends_no_more_than_its_rate()
    {
        var run = await Kvbench.RunAsync(
            "--workload", "put", "--rate", "200", "--records", "100", "--duration", "2", "--warmup", "0.5", "--concurrency", "4",
            "--endpoints", server.Endpoint);

        Assert.True(run.ExitCode == 0, run.Stderr);
        Assert.Contains("rate         target 200 ops/s, achieved ", run.Stdout);
        var ops = long.Parse(System.Text.RegularExpressions.Regex.Match(run.Stdout, @"\((\d+) ops\)").Groups[1].Value, System.Globalization.CultureInfo.InvariantCulture);
        // 400 calls fall due in the window; a loaded machine may still be finishing a few at its end.
        Assert.InRange(ops, 300, 400);
    }
}
