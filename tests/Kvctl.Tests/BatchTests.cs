using System.Text.Json;
using KvStore.Testing;

namespace KvStore.Kvctl.Tests;

/// <summary>kvctl batch against a real server, from a file and from stdin.</summary>
public sealed class BatchTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private string[] At(params string[] args) => [.. args, "--endpoints", fixture.Endpoint];

    [Fact]
    public async Task A_file_of_operations_prints_one_line_each_in_order()
    {
        var reg = ServerFixture.NewKey("batch");
        var set = ServerFixture.NewKey("batch-set");
        var file = Path.Combine(Path.GetTempPath(), $"kvctl-batch-{Guid.NewGuid():N}.txt");
        await File.WriteAllTextAsync(file, $"""
            # comments and blank lines are skipped

            put {reg} hello  big world
            get {reg}
            sadd {set} b a c
            srem {set} b
            smembers {set}
            del {reg}
            get {reg}
            """, TestContext.Current.CancellationToken);
        try
        {
            var run = await Kvctl.RunAsync(At("batch", file));

            Assert.Equal(new KvctlRun(0, "OK\nhello  big world\nOK\nOK\na c\nOK\n\n", ""), run);
        }
        finally
        {
            File.Delete(file);
        }
    }

    [Fact]
    public async Task Stdin_with_a_failing_operation_exits_1_and_the_others_still_apply()
    {
        var reg = ServerFixture.NewKey("batch-stdin");
        var after = ServerFixture.NewKey("batch-after");
        var input = Kvctl.Utf8($"put {reg} v\r\nsadd {reg} x\nput {after} w\n");

        var run = await Kvctl.RunAsync(input, At("batch", "-"));
        var get = await Kvctl.RunAsync(At("get", after));

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("", run.Stderr);
        Assert.Equal(3, run.Lines.Length);
        Assert.Equal("OK", run.Lines[0]);
        Assert.StartsWith("error: FAILED_PRECONDITION: ", run.Lines[1], StringComparison.Ordinal);
        Assert.Equal("OK", run.Lines[2]);
        Assert.Equal("w\n", get.Stdout);
    }

    [Fact]
    public async Task No_file_reads_stdin_and_json_prints_one_object_per_operation()
    {
        var reg = ServerFixture.NewKey("batch-json");
        var set = ServerFixture.NewKey("batch-json-set");
        var input = Kvctl.Utf8($"put {reg} v\nget {reg}\nsadd {set} a\nsmembers {set}\ndel {set}\nsadd {reg} x\n");

        var run = await Kvctl.RunAsync(input, At("batch", "-o", "json"));

        Assert.Equal(1, run.ExitCode);
        var docs = run.Lines.Select(l => JsonDocument.Parse(l)).ToArray();
        try
        {
            Assert.Equal(["put", "get", "sadd", "smembers", "del", "sadd"], docs.Select(d => d.RootElement.GetProperty("op").GetString()));
            Assert.Equal([reg, reg, set, set, set, reg], docs.Select(d => d.RootElement.GetProperty("key").GetString()));
            Assert.NotEmpty(docs[0].RootElement.GetProperty("context").GetBytesFromBase64());
            Assert.Equal("v", docs[1].RootElement.GetProperty("value").GetString());
            Assert.True(docs[1].RootElement.GetProperty("found").GetBoolean());
            Assert.Equal(["a"], docs[3].RootElement.GetProperty("members").EnumerateArray().Select(e => e.GetString()));
            Assert.Equal([("op", "del"), ("key", set)], docs[4].RootElement.EnumerateObject().Select(p => (p.Name, p.Value.GetString())));
            Assert.Equal("FAILED_PRECONDITION", docs[5].RootElement.GetProperty("error").GetString());
            Assert.NotEmpty(docs[5].RootElement.GetProperty("message").GetString()!);
        }
        finally
        {
            foreach (var doc in docs)
            {
                doc.Dispose();
            }
        }
    }

    [Theory]
    [InlineData("frob k\n", "line 1: unknown operation 'frob'")]
    [InlineData("get k\nput k\n", "line 2: put takes KEY VALUE")]
    [InlineData("get k extra\n", "line 1: get takes KEY")]
    [InlineData("sadd k\n", "line 1: sadd takes KEY ELEM...")]
    [InlineData("\n# nothing\n", "the batch has no operations")]
    public async Task Bad_input_exits_1_before_contacting_a_node(string input, string message)
    {
        using var closed = new ClosedPort();

        var run = await Kvctl.RunAsync(Kvctl.Utf8(input), "batch", "--endpoints", closed.Endpoint);

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.StartsWith($"error: {message}", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task A_missing_file_exits_1_naming_it()
    {
        var missing = Path.Combine(Path.GetTempPath(), $"kvctl-missing-{Guid.NewGuid():N}.txt");

        var run = await Kvctl.RunAsync(At("batch", missing));

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith($"error: cannot read {missing}", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task An_unreachable_node_exits_2()
    {
        using var closed = new ClosedPort();

        var run = await Kvctl.RunAsync(Kvctl.Utf8("get k\n"), "batch", "--endpoints", closed.Endpoint);

        Assert.Equal(2, run.ExitCode);
        Assert.StartsWith($"error: cannot reach {closed.Endpoint}", run.Stderr, StringComparison.Ordinal);
    }
}
