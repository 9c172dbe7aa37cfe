using System.Diagnostics;
using System.Net;
using System.Net.Sockets;
using System.Reflection;

namespace KvStore.Testing;

/// <summary>
/// A KvStore server running as its own process on loopback, started from the build output of
/// src/KvStore.Server. The process is stopped by its own id when the fixture is disposed.
/// </summary>
public sealed class ServerProcess : IAsyncDisposable
{
    private static readonly TimeSpan StartTimeout = TimeSpan.FromSeconds(60);
    private readonly Process _process;
    private readonly List<string> _output = [];
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);
    private readonly bool _ownsDataDir;

    private ServerProcess(Process process, string dataDir, int grpcPort, int adminPort, bool ownsDataDir)
    {
        _process = process;
        DataDir = dataDir;
        GrpcPort = grpcPort;
        AdminPort = adminPort;
        _ownsDataDir = ownsDataDir;
    }

    public string DataDir { get; }
    public int GrpcPort { get; }
    public int AdminPort { get; }
    public int ProcessId => _process.Id;

    /// <summary>The gRPC address, as an http:// URI.</summary>
    public string GrpcEndpoint => $"http://127.0.0.1:{GrpcPort}";

    /// <summary>The admin HTTP address, as an http:// URI.</summary>
    public string AdminEndpoint => $"http://127.0.0.1:{AdminPort}";

    public bool HasExited => _process.HasExited;

    /// <summary>Everything the process wrote to stdout and stderr so far.</summary>
    public string Output
    {
        get { lock (_output) { return string.Join('\n', _output); } }
    }

    public static string ServerPath { get; } = typeof(ServerProcess).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .Single(a => a.Key == "KvStoreServerPath").Value!;

    /// <summary>A fresh, empty data directory under the system temp folder.</summary>
    public static string NewDataDir()
    {
        var dir = Path.Combine(Path.GetTempPath(), "kvstore-test-" + Guid.NewGuid().ToString("N"));
        Directory.CreateDirectory(dir);
        return dir;
    }

    /// <summary>
    /// Starts a server and waits until it reports that it is ready. With no data directory a fresh
    /// one is made and deleted on dispose. Ports are picked free on 127.0.0.1; if another process
    /// takes one first, the start is retried on new ports.
    /// </summary>
    /// <param name="environment">Extra environment variables, such as settings (KVSTORE_SECTION__NAME).</param>
    public static async Task<ServerProcess> StartAsync(
        string? dataDir = null, IEnumerable<string>? extraArgs = null, CancellationToken cancellationToken = default, IReadOnlyDictionary<string, string>? environment = null)
    {
        var owns = dataDir is null;
        dataDir ??= NewDataDir();
        Exception? last = null;
        for (var attempt = 0; attempt < 3; attempt++)
        {
            try
            {
                return await StartOnAsync(dataDir, FreePort(), FreePort(), extraArgs, owns, cancellationToken, environment);
            }
            catch (InvalidOperationException e) when (LostPortRace(e))
            {
                last = e;
            }
        }

        throw new InvalidOperationException("could not start a server on free ports", last);
    }

    /// <summary>
    /// Whether a start failed because another process bound one of the ports after <see cref="FreePort"/>
    /// found it free: then a start on new ports may succeed.
    /// </summary>
    public static bool LostPortRace(InvalidOperationException e) => e.Message.Contains("already in use", StringComparison.OrdinalIgnoreCase);

    /// <summary>Starts a server on the given ports (a restart keeps its address) and waits until it is ready.</summary>
    public static async Task<ServerProcess> StartOnAsync(
        string dataDir, int grpcPort, int adminPort, IEnumerable<string>? extraArgs, bool ownsDataDir, CancellationToken cancellationToken = default,
        IReadOnlyDictionary<string, string>? environment = null)
    {
        var args = new List<string>
        {
            ServerPath,
            "--data-dir", dataDir,
            "--listen", $"127.0.0.1:{grpcPort}",
            "--admin", $"127.0.0.1:{adminPort}",
        };
        if (extraArgs is not null)
        {
            args.AddRange(extraArgs);
        }

        var server = Launch(args, dataDir, grpcPort, adminPort, ownsDataDir, environment);
        try
        {
            await server.WaitReadyAsync(cancellationToken);
            return server;
        }
        catch (InvalidOperationException) when (server.Output.Contains("already in use", StringComparison.OrdinalIgnoreCase))
        {
            await server.DisposeAsync(keepData: true);
            throw;
        }
        catch
        {
            await server.DisposeAsync(keepData: !ownsDataDir);
            throw;
        }
    }

    /// <summary>Starts a server process and returns at once, without waiting for it to be ready.</summary>
    public static ServerProcess Launch(
        IEnumerable<string> dotnetArgs, string dataDir, int grpcPort, int adminPort, bool ownsDataDir, IReadOnlyDictionary<string, string>? environment = null)
    {
        var psi = new ProcessStartInfo("dotnet")
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            UseShellExecute = false,
        };
        foreach (var a in dotnetArgs)
        {
            psi.ArgumentList.Add(a);
        }

        psi.Environment["DOTNET_CLI_TELEMETRY_OPTOUT"] = "1";
        foreach (var (name, value) in environment ?? new Dictionary<string, string>())
        {
            psi.Environment[name] = value;
        }

        var process = new Process { StartInfo = psi, EnableRaisingEvents = true };
        var server = new ServerProcess(process, dataDir, grpcPort, adminPort, ownsDataDir);
        process.OutputDataReceived += (_, e) => server.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => server.OnLine(e.Data);
        process.Exited += (_, _) => server._ready.TrySetException(new InvalidOperationException(
            $"server exited with code {SafeExitCode(process)} before it was ready:\n{server.Output}"));
        process.Start();
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        return server;
    }

    /// <summary>Waits for the line the server logs once both listeners are open.</summary>
    public async Task WaitReadyAsync(CancellationToken cancellationToken = default)
    {
        try
        {
            await _ready.Task.WaitAsync(StartTimeout, cancellationToken);
        }
        catch (TimeoutException)
        {
            throw new InvalidOperationException($"server not ready after {StartTimeout.TotalSeconds} s:\n{Output}");
        }
    }

    /// <summary>Kills the process at once (SIGKILL), as a crash would.</summary>
    public async Task KillAsync()
    {
        if (!_process.HasExited)
        {
            _process.Kill(entireProcessTree: true);
        }

        await _process.WaitForExitAsync();
    }

    /// <summary>Sends SIGTERM and waits for the process to exit; returns its exit code.</summary>
    public async Task<int> TerminateAsync(TimeSpan timeout)
    {
        if (!_process.HasExited)
        {
            if (kill(_process.Id, SigTerm) != 0)
            {
                throw new InvalidOperationException($"kill({_process.Id}, SIGTERM) failed");
            }
        }

        using var cts = new CancellationTokenSource(timeout);
        await _process.WaitForExitAsync(cts.Token);
        return _process.ExitCode;
    }

    public async ValueTask DisposeAsync() => await DisposeAsync(keepData: !_ownsDataDir);

    private async ValueTask DisposeAsync(bool keepData)
    {
        try
        {
            await KillAsync();
        }
        finally
        {
            _process.Dispose();
            if (!keepData)
            {
                TryDelete(DataDir);
            }
        }
    }

    public static void TryDelete(string dir)
    {
        try
        {
            Directory.Delete(dir, recursive: true);
        }
        catch (IOException)
        {
        }
        catch (UnauthorizedAccessException)
        {
        }
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        lock (_output)
        {
            _output.Add(line);
        }

        if (line.Contains("ready: grpc", StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    /// <summary>A loopback port free for both TCP and UDP (a node gossips on UDP at its gRPC port number).</summary>
    public static int FreePort()
    {
        while (true)
        {
            using var listener = new TcpListener(IPAddress.Loopback, 0);
            listener.Start();
            var port = ((IPEndPoint)listener.LocalEndpoint).Port;
            try
            {
                using var udp = new UdpClient(new IPEndPoint(IPAddress.Loopback, port));
                return port;
            }
            catch (SocketException)
            {
                // Taken for UDP: try another.
            }
        }
    }

    private static string SafeExitCode(Process p)
    {
        try
        {
            return p.ExitCode.ToString(System.Globalization.CultureInfo.InvariantCulture);
        }
        catch (InvalidOperationException)
        {
            return "?";
        }
    }

    private const int SigTerm = 15;

    [System.Runtime.InteropServices.DllImport("libc", SetLastError = true)]
#pragma warning disable CA5392, SYSLIB1054
    private static extern int kill(int pid, int sig);
#pragma warning restore CA5392, SYSLIB1054
}
