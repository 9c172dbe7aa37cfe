using System.Text.Json;

namespace KvStore.Kvsim.Tests;

public sealed class MembershipCommandTests
{
    private static async Task<(int Exit, string Out, string Err)> RunAsync(params string[] args)
    {
        using var stdout = new StringWriter();
        using var stderr = new StringWriter();
        var exit = await KvsimApp.RunAsync(args, stdout, stderr, TestContext.Current.CancellationToken);
        return (exit, stdout.ToString(), stderr.ToString());
    }

    [Theory]
    [InlineData("--sizes", "1")]
    [InlineData("--sizes", "10,abc")]
    [InlineData("--sizes", "5000")]
    [InlineData("--trials", "0")]
    [InlineData("--drop", "0.9")]
    [InlineData("--steady-seconds", "0")]
    public async Task Bad_options_are_refused_with_usage_exit_code(string option, string value)
    {
        var (exit, _, err) = await RunAsync("membership", option, value);
        Assert.Equal(KvsimApp.Usage, exit);
        Assert.Contains(option, err);
    }

    [Theory]
    [InlineData(1, 1, 0)]
    [InlineData(16, 1, 4 + 2.7725887)]
    [InlineData(64, 3, 3 + 1.3862944)]
    public void The_push_gossip_estimate_is_log_base_fanout_plus_one_plus_ln_over_fanout(int n, int fanout, double rounds) =>
        Assert.Equal(rounds, Membership.ScaleReport.PushGossipEstimate(n, fanout), 5);

    [Fact]
    public async Task Prints_the_table_and_writes_markdown_and_json()
    {
        var dir = Directory.CreateTempSubdirectory("kvsim-");
        try
        {
            var md = Path.Combine(dir.FullName, "scale.md");
            var json = Path.Combine(dir.FullName, "scale.json");
            var (exit, stdout, stderr) = await RunAsync("membership", "--sizes", "8,12", "--trials", "1", "--steady-seconds", "30", "--seed", "7", "--markdown", md, "--json", json);

            Assert.True(exit == 0, stderr);
            Assert.Contains("join: all (rounds)", stdout);
            Assert.Contains("N=12: converged", stderr);
            Assert.Contains("Command: `kvsim membership --sizes 8,12", File.ReadAllText(md));

            using var doc = JsonDocument.Parse(File.ReadAllText(json));
            var sizes = doc.RootElement.EnumerateArray().Select(e => e.GetProperty("Nodes").GetInt32()).ToList();
            Assert.Equal([8, 12], sizes);
            var trial = doc.RootElement[1].GetProperty("Trials")[0];
            Assert.Equal(12, trial.GetProperty("Dead").GetProperty("Reached").GetInt32());
            Assert.True(trial.GetProperty("Dead").GetProperty("AllSeconds").GetDouble() > 0);
        }
        finally
        {
            dir.Delete(recursive: true);
        }
    }
}
