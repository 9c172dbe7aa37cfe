using KvStore.Testing;

namespace KvStore.Kvbench.Tests;

public sealed class UsageTests
{
    [Theory]
    [InlineData("--workload", "Z")]
    [InlineData("--concurrency", "0")]
    [InlineData("--duration", "0")]
    [InlineData("--target", "mysql")]
    [InlineData("--endpoints", "not a host")]
    [InlineData("--target", "etcd", "--workload", "empty")]
    [InlineData("--target", "redis", "--workload", "batch")]
    [InlineData("--workload", "put", "--batch-size", "10")]
    [InlineData("--workload", "batch", "--batch-size", "0")]
    [InlineData("--rate", "0")]
    [InlineData("--rate", "-5")]
    public async Task Bad_usage_exits_2_with_a_message(params string[] args)
    {
        var run = await Kvbench.RunAsync(args);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith("error: ", run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public async Task Workload_e_is_refused_with_the_reason()
    {
        var run = await Kvbench.RunAsync("--workload", "E");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains("no range scan", run.Stderr);
    }

    [Theory]
    [InlineData("kvstore")]
    [InlineData("etcd")]
    [InlineData("redis")]
    public async Task An_unreachable_target_exits_2(string target)
    {
        using var closed = new ClosedPort();

        var run = await Kvbench.RunAsync("--target", target, "--endpoints", closed.Endpoint, "--duration", "1");

        Assert.Equal(2, run.ExitCode);
        Assert.Contains($"cannot reach", run.Stderr);
        Assert.Contains(closed.Endpoint, run.Stderr);
        Assert.Equal("", run.Stdout);
    }

    [Fact]
    public async Task Help_describes_the_workloads_and_why_e_is_missing()
    {
        var run = await Kvbench.RunAsync("--help");

        Assert.Equal(0, run.ExitCode);
        Assert.Contains("read-modify-write", run.Stdout);
        Assert.Contains("workload E", run.Stdout);
        Assert.Contains("--value-size", run.Stdout);
    }
}
