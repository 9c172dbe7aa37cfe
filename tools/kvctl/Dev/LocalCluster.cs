using System.Globalization;
using System.Security.Cryptography;

namespace KvStore.Kvctl.Dev;

/// <summary>
/// Runs <c>kvctl dev cluster</c>: starts every node, waits until all serve, prints where they
/// are, and on cancellation (Ctrl+C, SIGTERM, or the caller's token) stops them the way an
/// operator would: SIGTERM so each leaves the cluster, a hard kill only after a grace period.
/// </summary>
internal sealed class LocalCluster
{
    /// <summary>How long every node together has to log that it serves; a cold start builds nothing, so this is generous.</summary>
    public static readonly TimeSpan ReadyTimeout = TimeSpan.FromSeconds(60);

    /// <summary>How long a node has between SIGTERM and SIGKILL: enough to leave the cluster and flush storage.</summary>
    public static readonly TimeSpan StopGrace = TimeSpan.FromSeconds(20);

    /// <summary>The whole of a stop: the grace period, then a kill and the wait for it.</summary>
    public static readonly TimeSpan StopBudget = StopGrace + TimeSpan.FromSeconds(10);

    /// <summary>The server's variable for its cluster keys (comma-separated base64, 32 bytes each).</summary>
    public const string ClusterKeysVariable = "KVSTORE_MEMBERSHIP__KEYS";

    private readonly IReadOnlyList<NodeSpec> _plan;
    private readonly ServerCommand _server;
    private readonly TextWriter _stdout;
    private readonly TextWriter _stderr;
    private readonly Lock _outputLock = new();
    private readonly List<NodeProcess> _nodes = [];
    private volatile bool _stopping;
    private bool _stopped;

    public LocalCluster(IReadOnlyList<NodeSpec> plan, ServerCommand server, TextWriter stdout, TextWriter stderr)
    {
        _plan = plan;
        _server = server;
        _stdout = stdout;
        _stderr = stderr;
    }

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        foreach (var spec in _plan)
        {
            foreach (var port in new[] { spec.GrpcPort, spec.AdminPort })
            {
                if (PortProbe.InUse(port) is { } protocol)
                {
                    Error($"error: port {port} ({protocol}) on 127.0.0.1 is in use; pick another --base-port");
                    return ExitCodes.Error;
                }
            }
        }

        Out($"starting {_plan.Count} node(s) with {_server.Path}");
        try
        {
            return await RunStartedAsync(cancellationToken);
        }
        finally
        {
            await StopAsync();
            foreach (var node in _nodes)
            {
                node.Dispose();
            }
        }
    }

    private async Task<int> RunStartedAsync(CancellationToken cancellationToken)
    {
        var environment = new Dictionary<string, string>
        {
            // One fresh key per run: every node of this cluster shares it, no other cluster does.
            [ClusterKeysVariable] = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32)),
            // Several nodes share this machine; server GC would give each one heaps per core.
            ["DOTNET_gcServer"] = "0",
            ["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1",
        };
        foreach (var spec in _plan)
        {
            try
            {
                Directory.CreateDirectory(spec.DataDir);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                Error($"error: cannot create {spec.DataDir}: {e.Message}");
                return ExitCodes.Error;
            }

            try
            {
                _nodes.Add(NodeProcess.Start(spec, _server, environment, Out));
            }
            catch (System.ComponentModel.Win32Exception e)
            {
                Error($"error: cannot start {spec.Id} with {_server.FileName}: {e.Message}");
                return ExitCodes.Error;
            }
        }

        if (await WaitReadyAsync(cancellationToken) is { } failed)
        {
            return failed;
        }

        PrintNodes();
        var watchers = _nodes.Select(WatchAsync).ToArray();
        var allExited = Task.WhenAll(_nodes.Select(n => n.Exit));
        try
        {
            await allExited.WaitAsync(cancellationToken);
            Error("error: every node has exited");
            return ExitCodes.Error;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            return ExitCodes.Ok;
        }
        finally
        {
            _stopping = true;
            await StopAsync();
            await Task.WhenAll(watchers);
        }
    }

    /// <summary>Null once every node serves; otherwise the exit code after saying why not.</summary>
    private async Task<int?> WaitReadyAsync(CancellationToken cancellationToken)
    {
        using var deadline = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
        deadline.CancelAfter(ReadyTimeout);
        var pending = _nodes.ToDictionary(n => n.Ready);
        try
        {
            while (pending.Count > 0)
            {
                var done = await Task.WhenAny(pending.Keys).WaitAsync(deadline.Token);
                pending.Remove(done);
                await done;
            }

            return null;
        }
        catch (InvalidOperationException e)
        {
            Error($"error: {e.Message}; stopping the cluster");
            return ExitCodes.Error;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Error("error: cancelled before every node was ready");
            return ExitCodes.Cancelled;
        }
        catch (OperationCanceledException)
        {
            var late = string.Join(", ", pending.Values.Select(n => n.Spec.Id));
            Error($"error: not ready after {ReadyTimeout.TotalSeconds:0} s: {late}; stopping the cluster");
            return ExitCodes.Error;
        }
    }

    private void PrintNodes()
    {
        var table = new TextTable("ID", "GRPC", "ADMIN", "PID", "DATA");
        foreach (var node in _nodes)
        {
            table.Add(node.Spec.Id, node.Spec.Grpc, node.Spec.Admin, node.ProcessId.ToString(CultureInfo.InvariantCulture), node.Spec.DataDir);
        }

        lock (_outputLock)
        {
            _stdout.Write(table.ToString());
            _stdout.WriteLine($"export {GlobalOptions.EndpointsVariable}={string.Join(',', _plan.Select(n => n.Grpc))}");
            _stdout.WriteLine($"export {Cluster.AdminAddress.Variable}={_plan[0].Admin}");
            _stdout.WriteLine("Ctrl+C stops every node.");
            _stdout.Flush();
        }
    }

    /// <summary>Reports a node that exits while the cluster runs; the others keep running.</summary>
    private async Task WatchAsync(NodeProcess node)
    {
        var code = await node.Exit;
        if (!_stopping)
        {
            Error($"warning: {node.Spec.Id} (pid {node.ProcessId}) exited on its own with code {code}; the other nodes keep running");
        }
    }

    /// <summary>
    /// SIGTERM to every node at once, SIGKILL to any still running after the grace period; reports
    /// each exit code, those of nodes that had already exited included. Runs once.
    /// </summary>
    private async Task StopAsync()
    {
        _stopping = true;
        if (_stopped)
        {
            return;
        }

        _stopped = true;
        foreach (var node in _nodes)
        {
            try
            {
                node.Terminate();
            }
            catch (InvalidOperationException e)
            {
                Error($"warning: {e.Message}");
            }
        }

        await Task.WhenAll(_nodes.Select(StopOneAsync));
    }

    private async Task StopOneAsync(NodeProcess node)
    {
        int code;
        try
        {
            code = await node.Exit.WaitAsync(StopGrace);
        }
        catch (TimeoutException)
        {
            Error($"warning: {node.Spec.Id} (pid {node.ProcessId}) still running {StopGrace.TotalSeconds:0} s after SIGTERM; killing it");
            node.Kill();
            code = await node.Exit;
        }

        Out($"{node.Spec.Id} (pid {node.ProcessId}) exited with code {code}");
    }

    private void Out(string line) => WriteLine(_stdout, line);

    private void Error(string line) => WriteLine(_stderr, line);

    /// <summary>Node output arrives on reader threads; whole lines, one at a time, keep it readable.</summary>
    private void WriteLine(TextWriter writer, string line)
    {
        lock (_outputLock)
        {
            writer.WriteLine(line);
            writer.Flush();
        }
    }
}
