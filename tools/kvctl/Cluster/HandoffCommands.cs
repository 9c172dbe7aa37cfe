using System.CommandLine;
using System.Globalization;
using System.Text;
using System.Text.Json;

namespace KvStore.Kvctl.Cluster;

/// <summary>
/// cluster handoff and cluster leave: the range transfers a node runs (<c>/debug/handoff</c>), once
/// or as a live display, and a graceful leave (<c>POST /cluster/leave</c>), after which the node
/// hands its ranges to the nodes that replace it and stops.
/// </summary>
internal static class HandoffCommands
{
    private const string HandoffPath = "/debug/handoff";
    private const string LeavePath = "/cluster/leave";
    private const int BarWidth = 20;

    public static Command Handoff(GlobalOptions globals, Option<string> admin)
    {
        var watch = new Option<bool>("--watch", "-w") { Description = "Redraw the progress until no transfer is unfinished (Ctrl+C to stop watching)" };
        var interval = Interval();
        var command = new Command("handoff", "Show the node's range transfers to new owners and their progress") { watch, interval };
        AdminRunner.SetAction(command, globals, admin, async (result, run, cancellationToken) =>
        {
            if (!result.GetValue(watch))
            {
                using var doc = await run.Client.GetJsonAsync(run.Address, HandoffPath, cancellationToken);
                await WriteAsync(run, doc.RootElement);
                return ExitCodes.Ok;
            }

            await WatchAsync(run, TimeSpan.FromSeconds(result.GetValue(interval)), untilGone: false, cancellationToken);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Leave(GlobalOptions globals, Option<string> admin)
    {
        var watch = new Option<bool>("--watch", "-w") { Description = "Show the handoff progress until the node has stopped" };
        var interval = Interval();
        var command = new Command(
            "leave",
            "Make the node leave the cluster gracefully, as on SIGTERM: it hands its ranges to the nodes that replace it, then stops") { watch, interval };
        AdminRunner.SetAction(command, globals, admin, async (result, run, cancellationToken) =>
        {
            using (var doc = await run.Client.PostJsonAsync(run.Address, LeavePath, cancellationToken))
            {
                if (run.Json)
                {
                    await ResultWriter.WriteJsonLineAsync(run.Output, doc.RootElement.WriteTo);
                }
                else
                {
                    var node = doc.RootElement.TryGetProperty("node", out var id) ? id.GetString() : run.Address;
                    await run.Output.WriteLineAsync($"{node} is leaving: it hands its ranges over, then stops");
                }
            }

            if (result.GetValue(watch))
            {
                await WatchAsync(run, TimeSpan.FromSeconds(result.GetValue(interval)), untilGone: true, cancellationToken);
            }

            return ExitCodes.Ok;
        });
        return command;
    }

    private static Option<double> Interval()
    {
        var interval = new Option<double>("--interval")
        {
            Description = "Seconds between refreshes with --watch",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 1,
        };
        interval.Validators.Add(r =>
        {
            if (r.GetValueOrDefault<double>() is not (>= 0.1 and <= 3600))
            {
                r.AddError("--interval must be between 0.1 and 3600 seconds.");
            }
        });
        return interval;
    }

    /// <summary>
    /// Polls until nothing is unfinished or, with <paramref name="untilGone"/>, until the node stops
    /// answering (it has left and exited). On a terminal each refresh replaces the last one; into a
    /// pipe or file each is appended, so a log of the run reads top to bottom.
    /// </summary>
    private static async Task WatchAsync(AdminInvocation run, TimeSpan interval, bool untilGone, CancellationToken cancellationToken)
    {
        var live = ReferenceEquals(run.Output, Console.Out) && !Console.IsOutputRedirected && !run.Json;
        var drawn = 0;
        while (true)
        {
            JsonDocument doc;
            try
            {
                doc = await run.Client.GetJsonAsync(run.Address, HandoffPath, cancellationToken);
            }
            catch (AdminUnreachableException) when (untilGone)
            {
                await run.Output.WriteLineAsync($"{run.Address} has stopped");
                return;
            }

            using (doc)
            {
                var text = run.Json ? null : Render(doc.RootElement);
                if (run.Json)
                {
                    await ResultWriter.WriteJsonLineAsync(run.Output, doc.RootElement.WriteTo);
                }
                else if (live)
                {
                    // Cursor up over the last drawing and clear to the end of the screen (ANSI CSI F and J).
                    await run.Output.WriteAsync((drawn > 0 ? $"\u001b[{drawn}F\u001b[J" : "") + text);
                    drawn = text!.Count(c => c == '\n');
                }
                else
                {
                    await run.Output.WriteAsync(text + "\n");
                }

                await run.Output.FlushAsync(cancellationToken);
                if (!untilGone && Unfinished(doc.RootElement) == 0)
                {
                    return;
                }
            }

            await Task.Delay(interval, cancellationToken);
        }
    }

    private static async Task WriteAsync(AdminInvocation run, JsonElement root)
    {
        if (run.Json)
        {
            await ResultWriter.WriteJsonLineAsync(run.Output, root.WriteTo);
            return;
        }

        await run.Output.WriteAsync(Render(root));
    }

    private static int Unfinished(JsonElement root) =>
        root.TryGetProperty("unfinished", out var u) && u.TryGetInt32(out var n) ? n
            : throw new AdminResponseException("the handoff view has no unfinished count; is the node older than handoff?");

    /// <summary>A summary line and one row per transfer, with a progress bar over the differing segments.</summary>
    private static string Render(JsonElement root)
    {
        var node = root.TryGetProperty("node", out var n) ? n.GetString() : "?";
        var leaving = root.TryGetProperty("leaving", out var l) && l.ValueKind == JsonValueKind.True;
        var unfinished = Unfinished(root);
        var text = new StringBuilder();
        text.Append(CultureInfo.InvariantCulture, $"{node}{(leaving ? " (leaving)" : "")}: {unfinished} transfer{(unfinished == 1 ? "" : "s")} unfinished\n");
        if (!root.TryGetProperty("transfers", out var transfers) || transfers.ValueKind != JsonValueKind.Array)
        {
            throw new AdminResponseException("the handoff view has no transfers array");
        }

        if (transfers.GetArrayLength() == 0)
        {
            return text.ToString();
        }

        var table = new TextTable("ID", "TARGET", "STATE", "PROGRESS", "SEGMENTS", "KEYS", "BYTES", "ATTEMPTS", "ERROR");
        foreach (var t in transfers.EnumerateArray())
        {
            var state = t.GetProperty("state").GetString() ?? "?";
            var done = t.GetProperty("segmentsDone").GetInt32();
            var total = t.GetProperty("segmentsTotal").GetInt32();
            table.Add(
                t.GetProperty("id").GetInt64().ToString(CultureInfo.InvariantCulture),
                t.GetProperty("target").GetString() ?? "?",
                state,
                Bar(state == "done" ? 1 : total == 0 ? 0 : (double)done / total),
                $"{done}/{total}",
                t.GetProperty("keysSent").GetInt64().ToString(CultureInfo.InvariantCulture),
                Bytes(t.GetProperty("bytes").GetInt64()),
                t.GetProperty("attempts").GetInt32().ToString(CultureInfo.InvariantCulture),
                t.TryGetProperty("error", out var e) && e.ValueKind == JsonValueKind.String ? e.GetString()! : "-");
        }

        text.Append(table);
        return text.ToString();
    }

    private static string Bar(double fraction)
    {
        var filled = (int)Math.Round(Math.Clamp(fraction, 0, 1) * BarWidth);
        return $"[{new string('#', filled)}{new string('.', BarWidth - filled)}] {Math.Floor(fraction * 100).ToString("0", CultureInfo.InvariantCulture),3}%";
    }

    private static string Bytes(long bytes) => bytes switch
    {
        < 1 << 10 => $"{bytes} B",
        < 1 << 20 => (bytes / 1024.0).ToString("0.0 'KiB'", CultureInfo.InvariantCulture),
        _ => (bytes / 1048576.0).ToString("0.0 'MiB'", CultureInfo.InvariantCulture),
    };
}
