using System.Diagnostics;

namespace KvStore.Kvchaos.Network;

/// <summary>Runs the ip and nft commands that build and cut the network.</summary>
internal static class Shell
{
    /// <summary>Runs a command and throws with its output when it fails.</summary>
    public static async Task RunAsync(string command, IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var (code, output) = await TryRunAsync(command, args, cancellationToken);
        if (code != 0)
        {
            throw new InvalidOperationException($"{command} {string.Join(' ', args)} exited with {code}: {output.Trim()}");
        }
    }

    /// <summary>Runs a command; returns its exit code and its stdout and stderr together.</summary>
    public static async Task<(int Code, string Output)> TryRunAsync(string command, IEnumerable<string> args, CancellationToken cancellationToken)
    {
        var psi = new ProcessStartInfo(command) { RedirectStandardOutput = true, RedirectStandardError = true, UseShellExecute = false };
        foreach (var a in args)
        {
            psi.ArgumentList.Add(a);
        }

        using var process = Process.Start(psi) ?? throw new InvalidOperationException($"could not start {command}");
        var stdout = process.StandardOutput.ReadToEndAsync(cancellationToken);
        var stderr = process.StandardError.ReadToEndAsync(cancellationToken);
        await process.WaitForExitAsync(cancellationToken);
        return (process.ExitCode, await stdout + await stderr);
    }
}
