using KvStore.Testing;

namespace KvStore.Kvctl.Tests;

/// <summary>Failures that need no server: unreachable nodes and bad input.</summary>
public sealed class UsageTests
{
    [Fact]
    public async Task Unreachable_endpoint_exits_2_naming_it()
    {
        using var closed = new ClosedPort();

        var run = await Kvctl.RunAsync("get", "k", "--endpoints", closed.Endpoint);

        Assert.Equal(2, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.StartsWith($"error: cannot reach {closed.Endpoint}: ", run.Stderr, StringComparison.Ordinal);
        Assert.Contains("refused", run.Stderr, StringComparison.OrdinalIgnoreCase);
    }

    [Fact]
    public async Task Every_unreachable_endpoint_is_named()
    {
        using var first = new ClosedPort();
        using var second = new ClosedPort();

        var run = await Kvctl.RunAsync("put", "k", "v", "--endpoints", $"{first.Endpoint}, {second.Endpoint}");

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"error: cannot reach {first.Endpoint},{second.Endpoint}: ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_endpoint_exits_1_with_a_message()
    {
        var run = await Kvctl.RunAsync("get", "k", "--endpoints", "nohost");

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: Invalid endpoint 'nohost'", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Bad_context_exits_1_before_contacting_a_node()
    {
        using var closed = new ClosedPort();

        var run = await Kvctl.RunAsync("put", "k", "v", "--context", "%%%", "--endpoints", closed.Endpoint);

        Assert.Equal(new KvctlRun(1, "", "error: --context is not valid base64.\n"), run);
    }

    [Theory]
    [InlineData("get")]
    [InlineData("set", "add", "k")]
    [InlineData("get", "k", "-o", "yaml")]
    [InlineData("get", "k", "--consistency", "most")]
    [InlineData("get", "k", "--timeout", "0")]
    [InlineData("frobnicate")]
    public async Task Parser_errors_exit_1_with_a_message(params string[] args)
    {
        var run = await Kvctl.RunAsync(args);

        Assert.Equal(1, run.ExitCode);
        Assert.NotEmpty(run.Stderr);
    }

    [Fact]
    public async Task Help_lists_every_command()
    {
        var run = await Kvctl.RunAsync("--help");

        Assert.Equal(0, run.ExitCode);
        foreach (var command in new[] { "get", "put", "del", "set", "batch", "cluster", "dev" })
        {
            Assert.Contains(command, run.Stdout, StringComparison.Ordinal);
        }
    }
}
