using System.Diagnostics;
using System.Security.Cryptography;
using System.Text.Json;
using Grpc.Net.Client;
using KvStore.Kvchaos.Network;

namespace KvStore.Kvchaos;

/// <summary>
/// One run: build the network, start the nodes, run the load while the schedule kills, restarts
/// and cuts, heal and restart everything, wait until anti-entropy finds nothing left to repair,
/// then check every key the load touched. Whatever happens, the servers are killed by their ids
/// and the network is removed at the end.
/// </summary>
internal sealed class ChaosRun(ChaosSettings settings, TextWriter output)
{
    private const int GrpcPort = 7070;
    private const int AdminPort = 7071;
    private readonly Stopwatch _clock = new();
    private readonly string _runDir = Path.Combine(Path.GetTempPath(), $"kvchaos-{settings.RunId}");

    public async Task<int> RunAsync(CancellationToken cancellationToken)
    {
        Say($"seed {settings.Seed}; replay with: {settings.ReplayCommand}");
        Directory.CreateDirectory(_runDir);
        Say($"run folder {_runDir} (node logs, history.jsonl, findings.txt)");
        if (!File.Exists(settings.Server))
        {
            Say($"error: no server at {settings.Server}");
            return ExitCodes.RunFailed;
        }

        var partitions = settings.Network == "netns";
        IChaosNetwork network = partitions ? new NetnsNetwork(settings.RunId, settings.Nodes, Say) : new LoopbackNetwork(settings.Nodes);
        var nodes = new List<ChaosNode>();
        var channels = new List<GrpcChannel>();
        try
        {
            await network.SetUpAsync(cancellationToken);
            Say(network.Description);
            _clock.Start();
            var key = Convert.ToBase64String(RandomNumberGenerator.GetBytes(32));
            for (var i = 0; i < settings.Nodes; i++)
            {
                var seeds = string.Join(',', Enumerable.Range(0, settings.Nodes).Where(j => j != i).Select(j => $"{network.Address(j)}:{GrpcPort}"));
                var node = new ChaosNode(i, _runDir, network.Launcher(i), [
                    settings.Server,
                    "--node-id", $"node{i + 1}",
                    "--data-dir", Path.Combine(_runDir, $"node{i + 1}"),
                    "--listen", $"{network.Address(i)}:{GrpcPort}",
                    "--admin", $"{network.Address(i)}:{AdminPort}",
                    "--cluster-key", key,
                    "--seeds", seeds,
                ]);
                nodes.Add(node);
            }

            await Task.WhenAll(nodes.Select(n => n.StartAsync(cancellationToken)));
            using var inspector = new Inspector(Enumerable.Range(0, settings.Nodes).Select(i => $"http://{network.Address(i)}:{AdminPort}").ToList());
            var joined = await UntilAsync(TimeSpan.FromSeconds(60), async () => await AllAsync(i => inspector.AllAliveAsync(i, cancellationToken)), cancellationToken);
            if (!joined.Done)
            {
                throw new InvalidOperationException($"the nodes did not all see each other alive within 60 s: {joined.Seen}");
            }

            Say($"{settings.Nodes} nodes up and every one sees all alive");

            channels.AddRange(Enumerable.Range(0, settings.Nodes).Select(i => GrpcChannel.ForAddress($"http://{network.Address(i)}:{GrpcPort}", new GrpcChannelOptions
            {
                // A restarted node should get the load again within a second or two, not after a long backoff.
                InitialReconnectBackoff = TimeSpan.FromMilliseconds(200),
                MaxReconnectBackoff = TimeSpan.FromSeconds(1),
            })));
            var clients = channels.Select(c => new KvStore.Protocol.V1.KvStore.KvStoreClient(c)).ToList();
            var history = new History();
            var schedule = Schedule.Generate(settings.Seed, settings.Nodes, settings.Duration, network.CanPartition);
            Say($"schedule: {schedule.Count} faults over {settings.Duration.TotalSeconds:F0} s");

            using var stopLoad = CancellationTokenSource.CreateLinkedTokenSource(cancellationToken);
            var loadStarted = _clock.Elapsed;
            var load = new Workload(settings.Seed, settings.RunId, settings.Writers, clients, history, _clock).RunAsync(stopLoad.Token);
            try
            {
                await RunScheduleAsync(schedule, network, nodes, loadStarted, history, cancellationToken);
                var end = loadStarted + settings.Duration;
                if (_clock.Elapsed < end)
                {
                    await Task.Delay(end - _clock.Elapsed, cancellationToken);
                }
            }
            finally
            {
                await stopLoad.CancelAsync();
                await load;
            }

            // Every fault is undone by the schedule's end; make sure of it before waiting for quiet.
            await network.HealAsync(cancellationToken);
            foreach (var n in nodes.Where(n => !n.IsRunning))
            {
                await n.StartAsync(cancellationToken);
            }

            var healed = DateTimeOffset.UtcNow;
            Say($"load stopped: {Summary(history.Ops)}; all nodes running, all links healed");
            await WriteHistoryAsync(history.Ops);

            var quiet = await UntilAsync(settings.Settle, async () =>
            {
                var alive = await AllAsync(i => inspector.AllAliveAsync(i, cancellationToken));
                return alive.Done ? await AllAsync(i => inspector.QuietSinceAsync(i, healed, cancellationToken)) : alive;
            }, cancellationToken);
            Say(quiet.Done
                ? $"quiet {quiet.Took.TotalSeconds:F1} s after the heal: every node's latest anti-entropy exchange with each peer found nothing differing"
                : $"NOT quiet after {settings.Settle.TotalSeconds:F0} s ({quiet.Seen}); checking anyway");

            var observed = new Dictionary<string, KeyObservation>(StringComparer.Ordinal);
            var keys = history.Ops.Select(o => o.Key).Distinct(StringComparer.Ordinal).ToList();
            foreach (var (k, i) in keys.Select((k, i) => (k, i)))
            {
                try
                {
                    observed[k] = await inspector.ObserveAsync(i % settings.Nodes, k, cancellationToken);
                }
                catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    Say($"could not inspect {k}: {e.Message}");
                }
            }

            await ReportCountersAsync(inspector, cancellationToken);
            var findings = Checker.Check(history.Ops, observed);
            await File.WriteAllLinesAsync(Path.Combine(_runDir, "findings.txt"), findings.Select(f => $"{f.Kind}\t{f.Key}\t{f.Detail}"), CancellationToken.None);
            Report(keys.Count, findings);
            var bad = findings.Count(f => f.Kind != "unverified");
            Say(bad == 0 && quiet.Done
                ? $"PASSED: seed {settings.Seed}"
                : $"FAILED: seed {settings.Seed}; replay with: {settings.ReplayCommand}");
            return bad == 0 && quiet.Done ? ExitCodes.Passed : ExitCodes.Findings;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            Say("cancelled");
            return ExitCodes.RunFailed;
        }
        catch (Exception e) when (e is InvalidOperationException or TimeoutException or HttpRequestException)
        {
            Say($"error: {e.Message}");
            return ExitCodes.RunFailed;
        }
        finally
        {
            foreach (var node in nodes)
            {
                await node.KillAsync();
            }

            channels.ForEach(c => c.Dispose());
            await network.DisposeAsync();
            if (!settings.Keep)
            {
                foreach (var node in nodes)
                {
                    TryDelete(node.DataDir);
                }
            }

            Say("servers stopped, network removed");
        }
    }

    private async Task RunScheduleAsync(IReadOnlyList<Fault> schedule, IChaosNetwork network, List<ChaosNode> nodes, TimeSpan start, History history, CancellationToken cancellationToken)
    {
        foreach (var fault in schedule)
        {
            var due = start + fault.At - _clock.Elapsed;
            if (due > TimeSpan.Zero)
            {
                await Task.Delay(due, cancellationToken);
            }

            switch (fault.Kind)
            {
                case FaultKind.Kill:
                    await nodes[fault.Nodes[0]].KillAsync();
                    break;
                case FaultKind.Restart:
                    await nodes[fault.Nodes[0]].StartAsync(cancellationToken);
                    break;
                case FaultKind.Partition:
                    foreach (var a in fault.Nodes)
                    {
                        foreach (var b in Enumerable.Range(0, nodes.Count).Except(fault.Nodes))
                        {
                            await network.CutAsync(a, b, cancellationToken);
                            await network.CutAsync(b, a, cancellationToken);
                        }
                    }

                    break;
                case FaultKind.OneWay:
                    await network.CutAsync(fault.Nodes[0], fault.Nodes[1], cancellationToken);
                    break;
                case FaultKind.Heal:
                    await network.HealAsync(cancellationToken);
                    break;
            }

            var ops = history.Ops;
            Say($"planned {fault.At.TotalSeconds,5:F1} s: {fault} ({ops.Count(o => o.Ok)} ok, {ops.Count(o => !o.Ok)} failed so far)");
        }
    }

    /// <summary>Checks <paramref name="condition"/> every half second until it holds or <paramref name="bound"/> passes.</summary>
    private static async Task<(bool Done, string Seen, TimeSpan Took)> UntilAsync(TimeSpan bound, Func<Task<(bool Done, string Seen)>> condition, CancellationToken cancellationToken)
    {
        var watch = Stopwatch.StartNew();
        var seen = "";
        while (watch.Elapsed < bound)
        {
            try
            {
                (var done, seen) = await condition();
                if (done)
                {
                    return (true, seen, watch.Elapsed);
                }
            }
            catch (Exception e) when (e is HttpRequestException or JsonException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
            {
                seen = e.Message;
            }

            await Task.Delay(500, cancellationToken);
        }

        return (false, seen, watch.Elapsed);
    }

    private async Task<(bool Done, string Seen)> AllAsync(Func<int, Task<(bool Done, string Seen)>> perNode)
    {
        var results = new List<(bool Done, string Seen)>();
        for (var i = 0; i < settings.Nodes; i++)
        {
            results.Add(await perNode(i));
        }

        return (results.All(r => r.Done), string.Join("; ", results.Where(r => !r.Done).Select(r => r.Seen)));
    }

    /// <summary>What the repair paths did, summed over the nodes; a node's counters start again at each restart.</summary>
    private async Task ReportCountersAsync(Inspector inspector, CancellationToken cancellationToken)
    {
        string[] names =
        [
            "kvstore_hints_kept_locally_total", "kvstore_hints_handed_off_total", "kvstore_hints_delivered_total",
            "kvstore_coordinator_stale_forwards_refused_total", "kvstore_peer_failures_total",
        ];
        var sums = new List<string>();
        foreach (var name in names)
        {
            long sum = 0;
            for (var i = 0; i < settings.Nodes; i++)
            {
                try
                {
                    sum += await inspector.CounterAsync(i, name, cancellationToken);
                }
                catch (Exception e) when (e is HttpRequestException or TaskCanceledException && !cancellationToken.IsCancellationRequested)
                {
                    // Counters are for the report only.
                }
            }

            sums.Add($"{name.Replace("kvstore_", "", StringComparison.Ordinal).Replace("_total", "", StringComparison.Ordinal)} {sum}");
        }

        Say("counters since each node's last start: " + string.Join(", ", sums));
    }

    private static string Summary(IReadOnlyList<Op> ops) =>
        $"{ops.Count} operations invoked, {ops.Count(o => o.Ok)} ok, {ops.Count(o => !o.Ok)} failed (" +
        string.Join(", ", ops.GroupBy(o => o.Kind).OrderBy(g => g.Key).Select(g => $"{g.Key.ToString().ToLowerInvariant()} {g.Count(o => o.Ok)}/{g.Count()}")) + " ok)";

    private void Report(int keys, IReadOnlyList<Finding> findings)
    {
        Say($"checked {keys} keys: " + string.Join(", ", new[] { "lost", "resurrected", "phantom", "divergent", "unverified" }
            .Select(kind => $"{findings.Count(f => f.Kind == kind)} {kind}")));
        foreach (var f in findings.Take(20))
        {
            Say($"  {f.Kind} {f.Key}: {f.Detail}");
        }

        if (findings.Count > 20)
        {
            Say($"  ... {findings.Count - 20} more in {Path.Combine(_runDir, "findings.txt")}");
        }
    }

    private async Task WriteHistoryAsync(IReadOnlyList<Op> ops)
    {
        await using var file = File.CreateText(Path.Combine(_runDir, "history.jsonl"));
        foreach (var op in ops)
        {
            await file.WriteLineAsync(JsonSerializer.Serialize(op));
        }
    }

    private void Say(string line)
    {
        lock (output)
        {
            output.WriteLine($"[{_clock.Elapsed.TotalSeconds,6:F1}] {line}");
        }
    }

    private static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (DirectoryNotFoundException)
        {
        }
        catch (IOException)
        {
        }
    }
}
