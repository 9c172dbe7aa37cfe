using System.Diagnostics;
using System.Runtime.InteropServices;

namespace KvStore.Kvctl.Dev;

/// <summary>
/// One server process of a local cluster. Its stdout and stderr lines are handed on prefixed
/// with <c>[ID]</c>; it counts as ready once it logs <c>ready: grpc</c>. It is stopped by its own
/// process id only, never by name.
/// </summary>
internal sealed class NodeProcess : IDisposable
{
    /// <summary>The line the server logs once both listeners are open.</summary>
    public const string ReadyMarker = "ready: grpc";

    private readonly Process _process;
    private readonly Action<string> _writeLine;
    private readonly TaskCompletionSource _ready = new(TaskCreationOptions.RunContinuationsAsynchronously);

    private NodeProcess(NodeSpec spec, Process process, Action<string> writeLine)
    {
        Spec = spec;
        _process = process;
        _writeLine = writeLine;
    }

    public NodeSpec Spec { get; }

    public int ProcessId { get; private set; }

    /// <summary>Completes when the node logged that it serves; faults if it exited first.</summary>
    public Task Ready => _ready.Task;

    /// <summary>The exit code, once the process exited and its output was read to the end.</summary>
    public Task<int> Exit { get; private set; } = Task.FromResult(-1);

    /// <summary>Starts the node; <paramref name="writeLine"/> is called from reader threads, one line at a time.</summary>
    public static NodeProcess Start(NodeSpec spec, ServerCommand server, IReadOnlyDictionary<string, string> environment, Action<string> writeLine)
    {
        var psi = new ProcessStartInfo(server.FileName)
        {
            RedirectStandardOutput = true,
            RedirectStandardError = true,
            RedirectStandardInput = false,
            UseShellExecute = false,
        };
        foreach (var arg in server.Arguments.Concat(spec.ServerArguments()))
        {
            psi.ArgumentList.Add(arg);
        }

        foreach (var (name, value) in environment)
        {
            psi.Environment[name] = value;
        }

        var process = new Process { StartInfo = psi };
        var node = new NodeProcess(spec, process, writeLine);
        process.OutputDataReceived += (_, e) => node.OnLine(e.Data);
        process.ErrorDataReceived += (_, e) => node.OnLine(e.Data);
        process.Start();
        node.ProcessId = process.Id;
        process.BeginOutputReadLine();
        process.BeginErrorReadLine();
        node.Exit = node.WaitForExitAsync();
        return node;
    }

    /// <summary>Asks the node to leave the cluster and exit (SIGTERM); does nothing once it has exited.</summary>
    public void Terminate()
    {
        if (_process.HasExited)
        {
            return;
        }

        if (OperatingSystem.IsWindows())
        {
            // There is no SIGTERM to send; a hard stop is the only way in.
            Kill();
            return;
        }

        if (kill(ProcessId, SigTerm) != 0 && !_process.HasExited)
        {
            throw new InvalidOperationException($"kill({ProcessId}, SIGTERM) failed with errno {Marshal.GetLastPInvokeError()}");
        }
    }

    /// <summary>Stops the node at once (SIGKILL), for one that ignored SIGTERM past the grace period.</summary>
    public void Kill()
    {
        try
        {
            _process.Kill(entireProcessTree: false);
        }
        catch (InvalidOperationException)
        {
            // It exited between the check and the kill.
        }
    }

    public void Dispose() => _process.Dispose();

    private async Task<int> WaitForExitAsync()
    {
        // Also waits until both output streams reached their end, so no line comes after the exit is reported.
        await _process.WaitForExitAsync();
        var code = _process.ExitCode;
        _ready.TrySetException(new InvalidOperationException($"{Spec.Id} exited with code {code} before it was ready"));
        return code;
    }

    private void OnLine(string? line)
    {
        if (line is null)
        {
            return;
        }

        _writeLine($"[{Spec.Id}] {line}");
        if (line.Contains(ReadyMarker, StringComparison.Ordinal))
        {
            _ready.TrySetResult();
        }
    }

    private const int SigTerm = 15;

    [DllImport("libc", SetLastError = true)]
#pragma warning disable CA5392, SYSLIB1054 // As in KvStore.Testing: one libc call, not worth LibraryImport's unsafe code.
    private static extern int kill(int pid, int sig);
#pragma warning restore CA5392, SYSLIB1054
}
