using System.Diagnostics;

namespace KvStore.Kvchaos;

/// <summary>
/// One server process of the run. Each start appends the server's output to the node's log file
/// and writes its process id to a pid file, which chaos/run reads to stop what a killed run left
/// behind; a kill stops it by that id with SIGKILL and removes the file.
/// </summary>
internal sealed class ChaosNode(int index, string runDir, IReadOnlyList<string> launcher, IReadOnlyList<string> serverArgs)
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private Process? _process;
    private StreamWriter? _log;

    public int Index => index;

    public string Id => $"node{index + 1}";

    public string DataDir => Path.Combine(runDir, Id);

    public string LogPath => Path.Combine(runDir, $"{Id}.log");

    private string PidPath => Path.Combine(runDir, "pids", $"{Id}.pid");

    public bool IsRunning => _process is { HasExited: false };

    public int Starts { get; private set; }

    /// <summary>Starts the server on its data directory and waits until it logs that it is ready.</summary>
    public async Task StartAsync(CancellationToken cancellationToken)
    {
        if (IsRunning)
        {
            return;
        }

        Directory.CreateDirectory(Path.GetDirectoryName(PidPath)!);
        var command = launcher.Count > 0 ? launcher[0] : "dotnet";
        var psi = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in launcher.Skip(1).Concat(launcher.Count > 0 ? ["dotnet"] : []).Concat(serverArgs))
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        var ready = new TaskCompletionSource(TaskCreationOptions.RunContinuationsAsynchronously);
        var log = new StreamWriter(LogPath, append: true) { AutoFlush = true };
        _log = log;
        var logLock = new Lock();
        Starts++;
        log.WriteLine($"===== start {Starts} at {DateTimeOffset.UtcNow:O}");
        void OnLine(string? line)
        {
            if (line is null)
            {
                return;
            }

            lock (logLock)
            {
                log.WriteLine(line);
            }

            if (line.Contains("ready: grpc", StringComparison.Ordinal))
            {
                ready.TrySetResult();
            }
        }

        // "ip netns exec" replaces itself with the program, so the id is the server's own.
        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        process.OutputDataReceived += (_, e) => OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => OnLine(e.Data);
        process.Exited += (_, _) =>
        {
            ready.TrySetException(new InvalidOperationException($"{Id} exited before it was ready; see {LogPath}"));
        };
        process.Start();
        _process = process;
        await File.WriteAllTextAsync(PidPath, process.Id.ToString(System.Globalization.CultureInfo.InvariantCulture), cancellationToken);
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        try
        {
            await ready.Task.WaitAsync(StartTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"{Id} not ready after {StartTimeout.TotalSeconds} s; see {LogPath}");
        }
    }

    /// <summary>SIGKILL, as a crash: no shutdown code runs on the node.</summary>
    public async Task KillAsync()
    {
        if (_process is not { } process)
        {
            return;
        }

        if (!process.HasExited)
        {
            process.Kill(entireProcessTree: false);
        }

        await process.WaitForExitAsync();
        process.Dispose();
        _process = null;
        if (_log is not null)
        {
            await _log.DisposeAsync();
            _log = null;
        }

        File.Delete(PidPath);
    }
}
