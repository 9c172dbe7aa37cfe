using System.Text.Json;

using KvStore.Testing;

namespace KvStore.Kvctl.Tests;

/// <summary>kvctl against a real server, the way a user would drive it.</summary>
public sealed class TourTests(ServerFixture fixture) : IClassFixture<ServerFixture>
{
    private string[] At(params string[] args) => [.. args, "--endpoints", fixture.Endpoint];

    [Fact]
    public async Task Register_tour_put_get_json_del()
    {
        var key = ServerFixture.NewKey("tour");

        var put = await Kvctl.RunAsync(At("put", key, "hello world"));
        var get = await Kvctl.RunAsync(At("get", key));
        var json = await Kvctl.RunAsync(At("get", key, "-o", "json"));
        var del = await Kvctl.RunAsync(At("del", key));
        var missing = await Kvctl.RunAsync(At("get", key));
        var fail = await Kvctl.RunAsync(At("get", key, "--fail-if-missing"));

        Assert.Equal(new KvctlRun(0, "OK\n", ""), put);
        Assert.Equal(new KvctlRun(0, "hello world\n", ""), get);
        Assert.Equal(0, json.ExitCode);
        var line = Assert.Single(json.Lines);
        using (var doc = JsonDocument.Parse(line))
        {
            Assert.Equal(key, doc.RootElement.GetProperty("key").GetString());
            Assert.True(doc.RootElement.GetProperty("found").GetBoolean());
            Assert.Equal("hello world", doc.RootElement.GetProperty("value").GetString());
            Assert.NotEmpty(doc.RootElement.GetProperty("context").GetBytesFromBase64());
        }

        Assert.Equal(new KvctlRun(0, "OK\n", ""), del);
        Assert.Equal(new KvctlRun(0, "", ""), missing);
        Assert.Equal(new KvctlRun(1, "", $"key not found: {key}\n"), fail);
    }

    [Fact]
    public async Task Json_output_of_a_missing_key_and_of_writes()
    {
        var key = ServerFixture.NewKey("json");

        var missing = await Kvctl.RunAsync(At("get", key, "-o", "json"));
        var put = await Kvctl.RunAsync(At("-o", "json", "put", key, "v"));
        var del = await Kvctl.RunAsync(At("del", key, "--output", "json"));

        Assert.Equal(new KvctlRun(0, $"{{\"key\":\"{key}\",\"found\":false}}\n", ""), missing);
        Assert.Equal(0, put.ExitCode);
        using (var doc = JsonDocument.Parse(put.Stdout))
        {
            Assert.NotEmpty(doc.RootElement.GetProperty("context").GetBytesFromBase64());
        }

        Assert.Equal(new KvctlRun(0, "{}\n", ""), del);
    }

    [Fact]
    public async Task Put_with_the_context_from_a_json_get_overwrites()
    {
        var key = ServerFixture.NewKey("ctx");
        await Kvctl.RunAsync(At("put", key, "v1"));
        var read = await Kvctl.RunAsync(At("get", key, "-o", "json"));
        var context = ContextOf(read);

        var put = await Kvctl.RunAsync(At("put", key, "v2", "--context", context));
        var get = await Kvctl.RunAsync(At("get", key));

        Assert.Equal(0, put.ExitCode);
        Assert.Equal("v2\n", get.Stdout);
    }

    [Fact]
    public async Task Put_dash_reads_the_value_from_stdin_unchanged()
    {
        var key = ServerFixture.NewKey("stdin");

        var put = await Kvctl.RunAsync(Kvctl.Utf8("from stdin\n"), At("put", key, "-"));
        var get = await Kvctl.RunAsync(At("get", key));

        Assert.Equal(new KvctlRun(0, "OK\n", ""), put);
        Assert.Equal("from stdin\n\n", get.Stdout);
    }

    [Fact]
    public async Task Set_tour_add_members_remove_with_context()
    {
        var key = ServerFixture.NewKey("set");

        var add = await Kvctl.RunAsync(At("set", "add", key, "b", "a", "c"));
        var members = await Kvctl.RunAsync(At("set", "members", key));
        var json = await Kvctl.RunAsync(At("set", "members", key, "-o", "json"));
        var remove = await Kvctl.RunAsync(At("set", "remove", key, "b", "--context", ContextOf(json)));
        var after = await Kvctl.RunAsync(At("set", "members", key));
        var reAdd = await Kvctl.RunAsync(At("set", "add", key, "b", "-o", "json"));
        var final = await Kvctl.RunAsync(At("set", "members", key));

        Assert.Equal(new KvctlRun(0, "OK\n", ""), add);
        Assert.Equal(new KvctlRun(0, "a\nb\nc\n", ""), members);
        using (var doc = JsonDocument.Parse(Assert.Single(json.Lines)))
        {
            Assert.Equal(key, doc.RootElement.GetProperty("key").GetString());
            Assert.True(doc.RootElement.GetProperty("found").GetBoolean());
            Assert.Equal(["a", "b", "c"], doc.RootElement.GetProperty("members").EnumerateArray().Select(m => m.GetString()));
        }

        Assert.Equal(new KvctlRun(0, "OK\n", ""), remove);
        Assert.Equal(new KvctlRun(0, "a\nc\n", ""), after);
        Assert.Equal(0, reAdd.ExitCode);
        Assert.StartsWith("{\"context\":\"", reAdd.Stdout, StringComparison.Ordinal);
        Assert.Equal("a\nb\nc\n", final.Stdout);
    }

    [Fact]
    public async Task Missing_set_prints_nothing_or_fails_when_asked()
    {
        var key = ServerFixture.NewKey("no-set");

        var members = await Kvctl.RunAsync(At("set", "members", key));
        var json = await Kvctl.RunAsync(At("set", "members", key, "-o", "json"));
        var fail = await Kvctl.RunAsync(At("set", "members", key, "--fail-if-missing"));

        Assert.Equal(new KvctlRun(0, "", ""), members);
        Assert.Equal(new KvctlRun(0, $"{{\"key\":\"{key}\",\"found\":false}}\n", ""), json);
        Assert.Equal(new KvctlRun(1, "", $"key not found: {key}\n"), fail);
    }

    [Fact]
    public async Task Empty_key_exits_1_with_the_server_message()
    {
        var run = await Kvctl.RunAsync(At("get", ""));

        Assert.Equal(1, run.ExitCode);
        Assert.Equal("", run.Stdout);
        Assert.StartsWith("error: INVALID_ARGUMENT: ", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Set_command_on_a_register_exits_1_with_failed_precondition()
    {
        var key = ServerFixture.NewKey("typed");
        await Kvctl.RunAsync(At("put", key, "v"));

        var run = await Kvctl.RunAsync(At("set", "add", key, "a"));

        Assert.Equal(1, run.ExitCode);
        Assert.StartsWith("error: FAILED_PRECONDITION", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task Consistency_and_timeout_options_are_accepted()
    {
        var key = ServerFixture.NewKey("levels");

        var put = await Kvctl.RunAsync(At("put", key, "v", "--consistency", "all", "--timeout", "5"));
        var get = await Kvctl.RunAsync(At("get", key, "--consistency", "one", "--timeout", "0.5"));

        Assert.Equal(new KvctlRun(0, "OK\n", ""), put);
        Assert.Equal(new KvctlRun(0, "v\n", ""), get);
    }

    [Fact]
    public async Task KVCTL_ENDPOINTS_is_used_when_no_endpoints_are_given()
    {
        var key = ServerFixture.NewKey("env");
        await Kvctl.RunAsync(At("put", key, "from env"));
        using var closed = new ClosedPort();
        var saved = Environment.GetEnvironmentVariable("KVCTL_ENDPOINTS");
        try
        {
            Environment.SetEnvironmentVariable("KVCTL_ENDPOINTS", $"{closed.Endpoint},{fixture.Endpoint}");

            var run = await Kvctl.RunAsync("get", key);

            Assert.Equal(new KvctlRun(0, "from env\n", ""), run);
        }
        finally
        {
            Environment.SetEnvironmentVariable("KVCTL_ENDPOINTS", saved);
        }
    }

    private static string ContextOf(KvctlRun jsonRun)
    {
        Assert.Equal(0, jsonRun.ExitCode);
        using var doc = JsonDocument.Parse(jsonRun.Stdout);
        return doc.RootElement.GetProperty("context").GetString()!;
    }
}
