using System.Text.Json;

namespace KvStore.Kvbench.Tests;

/// <summary>The redis target's RESP client against <see cref="FakeRedis"/>.</summary>
public sealed class RedisTargetTests
{
    [Theory]
    [InlineData("A")]
    [InlineData("F")]
    public async Task A_run_against_a_resp_server_writes_the_seeded_values(string workload)
    {
        await using var redis = new FakeRedis();

        var run = await Kvbench.RunAsync(
            "--target", "redis", "--endpoints", redis.Endpoint, "--workload", workload, "--records", "100",
            "--value-size", "300", "--duration", "1", "--warmup", "0", "--concurrency", "3", "--seed", "11", "--output", "json");

        Assert.True(run.ExitCode == 0, run.Stderr);
        using var json = JsonDocument.Parse(run.Stdout);
        Assert.True(json.RootElement.GetProperty("throughput").GetDouble() > 0);
        Assert.Equal(0, json.RootElement.GetProperty("errorCount").GetInt64());
        Assert.False(json.RootElement.TryGetProperty("consistency", out _));
        var written = ValuePool.Create(11, 300).Bytes.Select(Convert.ToBase64String).ToHashSet();
        Assert.Equal(100, redis.Data.Count);
        Assert.All(redis.Data.Values, v => Assert.Contains(Convert.ToBase64String(v), written));
    }
}
