using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using KvStore.Kvctl.Dev;
using KvStore.Testing;

namespace KvStore.Kvctl.Tests;

/// <summary>kvctl dev cluster: the plan, its bounds, and a real two-node run stopped by cancellation.</summary>
public sealed class DevClusterTests
{
    [Fact]
    public void Plan_gives_node_i_the_port_pair_from_base_and_seeds_every_other_node_with_node1()
    {
        var plan = LocalClusterPlan.Create(3, 7070, "/tmp/c");

        Assert.Equal(
            [
                new NodeSpec("node1", 7070, 7071, Path.Combine("/tmp/c", "node1"), null),
                new NodeSpec("node2", 7072, 7073, Path.Combine("/tmp/c", "node2"), "127.0.0.1:7070"),
                new NodeSpec("node3", 7074, 7075, Path.Combine("/tmp/c", "node3"), "127.0.0.1:7070"),
            ],
            plan);
        Assert.Equal(
            ["--node-id", "node2", "--data-dir", Path.Combine("/tmp/c", "node2"), "--listen", "127.0.0.1:7072", "--admin", "127.0.0.1:7073", "--seeds", "127.0.0.1:7070"],
            plan[1].ServerArguments());
        Assert.DoesNotContain("--seeds", plan[0].ServerArguments());
    }

    [Theory]
    [InlineData("--nodes", "0")]
    [InlineData("--nodes", "17")]
    [InlineData("--base-port", "0")]
    [InlineData("--base-port", "65531")]
    [InlineData("--nodes", "1", "--base-port", "65535")]
    public async Task Out_of_bounds_nodes_or_ports_exit_1_before_anything_starts(params string[] args)
    {
        var run = await Kvctl.RunAsync(["dev", "cluster", .. args, "--server", "/nonexistent/server"]);

        Assert.Equal(1, run.ExitCode);
        Assert.Contains("must", run.Stderr, StringComparison.Ordinal);
    }

    [Fact]
    public async Task The_highest_base_port_that_fits_is_accepted()
    {
        var run = await Kvctl.RunAsync("dev", "cluster", "--nodes", "1", "--base-port", "65534", "--server", "/nonexistent/server");

        Assert.Equal(new KvctlRun(1, "", "error: server not found: /nonexistent/server (from --server)\n"), run);
    }

    [Fact]
    public async Task A_taken_port_is_named()
    {
        using var taken = new TcpListener(IPAddress.Loopback, 0);
        taken.Start();
        var port = ((IPEndPoint)taken.LocalEndpoint).Port;

        var run = await Kvctl.RunAsync("dev", "cluster", "--nodes", "1", "--base-port", $"{port}", "--dir", Path.GetTempPath(), "--server", "/bin/false");

        Assert.Equal(new KvctlRun(1, "", $"error: port {port} (tcp) on 127.0.0.1 is in use; pick another --base-port\n"), run);
    }

    [Fact]
    public async Task A_node_that_exits_during_start_up_stops_the_cluster_with_exit_1()
    {
        var dir = ServerProcess.NewDataDir();
        try
        {
            var basePort = FreePortRange(2);

            var run = await Kvctl.RunAsync("dev", "cluster", "--nodes", "1", "--base-port", $"{basePort}", "--dir", dir, "--server", "/bin/false");

            Assert.Equal(1, run.ExitCode);
            Assert.Equal("error: node1 exited with code 1 before it was ready; stopping the cluster\n", run.Stderr);
            Assert.EndsWith("exited with code 1\n", run.Stdout, StringComparison.Ordinal);
        }
        finally
        {
            ServerProcess.TryDelete(dir);
        }
    }

    [Fact]
    public async Task Two_nodes_serve_and_cancellation_stops_both_with_SIGTERM()
    {
        var dir = ServerProcess.NewDataDir();
        var stdout = new WatchedWriter("export KVCTL_ENDPOINTS=");
        var stderr = new WatchedWriter("\0");
        using var stop = CancellationTokenSource.CreateLinkedTokenSource(TestContext.Current.CancellationToken);
        try
        {
            var basePort = FreePortRange(4);
            var run = KvctlApp.RunAsync(
                ["dev", "cluster", "--nodes", "2", "--base-port", $"{basePort}", "--dir", dir, "--server", ServerProcess.ServerPath],
                stdout,
                stderr,
                stop.Token);

            await Task.WhenAny(stdout.Seen, run).WaitAsync(TimeSpan.FromSeconds(90), TestContext.Current.CancellationToken);
            Assert.True(stdout.Seen.IsCompleted, $"no export line; stdout:\n{stdout}\nstderr:\n{stderr}");
            Assert.Equal($"export KVCTL_ENDPOINTS=127.0.0.1:{basePort},127.0.0.1:{basePort + 2}", await stdout.Seen);
            Assert.Contains($"export KVCTL_ADMIN=127.0.0.1:{basePort + 1}\n", stdout.ToString(), StringComparison.Ordinal);
            var pids = new[] { "node1", "node2" }.Select(id => PidOf(stdout.ToString(), id)).ToArray();

            using (var http = new HttpClient(new SocketsHttpHandler { UseProxy = false }))
            {
                foreach (var adminPort in new[] { basePort + 1, basePort + 3 })
                {
                    using var health = await http.GetAsync($"http://127.0.0.1:{adminPort}/healthz", TestContext.Current.CancellationToken);
                    Assert.Equal(HttpStatusCode.OK, health.StatusCode);
                }
            }

            stop.Cancel();
            var exit = await run.WaitAsync(KvStore.Kvctl.Dev.LocalCluster.StopBudget, TestContext.Current.CancellationToken);

            Assert.Equal(0, exit);
            Assert.Equal("", stderr.ToString());
            foreach (var pid in pids)
            {
                Assert.False(IsRunning(pid), $"pid {pid} still running");
            }

            var output = stdout.ToString();
            Assert.Contains("[node1] ", output, StringComparison.Ordinal);
            Assert.Contains("[node2] ", output, StringComparison.Ordinal);
            Assert.Contains($"node1 (pid {pids[0]}) exited with code 0\n", output, StringComparison.Ordinal);
            Assert.Contains($"node2 (pid {pids[1]}) exited with code 0\n", output, StringComparison.Ordinal);
            Assert.True(Directory.Exists(Path.Combine(dir, "node1")) && Directory.Exists(Path.Combine(dir, "node2")));
        }
        finally
        {
            await stop.CancelAsync();
            ServerProcess.TryDelete(dir);
        }
    }

    /// <summary>The PID column of a node's row in the table dev cluster prints once all nodes serve.</summary>
    private static int PidOf(string output, string id)
    {
        var row = output.Split('\n').Single(line => line.StartsWith(id + " ", StringComparison.Ordinal));
        return int.Parse(row.Split(' ', StringSplitOptions.RemoveEmptyEntries)[3], System.Globalization.CultureInfo.InvariantCulture);
    }

    private static bool IsRunning(int pid)
    {
        try
        {
            using var process = Process.GetProcessById(pid);
            return !process.HasExited;
        }
        catch (ArgumentException)
        {
            return false;
        }
    }

    /// <summary>
    /// A base port whose next <paramref name="count"/> ports are free on TCP and UDP. Candidates
    /// come from below Linux's ephemeral range, so outgoing connections do not take them meanwhile.
    /// </summary>
    private static int FreePortRange(int count)
    {
        for (var attempt = 0; attempt < 200; attempt++)
        {
            var basePort = Random.Shared.Next(20_000, 32_000 - count);
            if (Enumerable.Range(basePort, count).All(port => PortProbe.InUse(port) is null))
            {
                return basePort;
            }
        }

        throw new InvalidOperationException($"no {count} free consecutive ports on 127.0.0.1");
    }
}
