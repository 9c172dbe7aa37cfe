namespace KvStore.Kvbench.Tests;

/// <summary>What one in-process run of kvbench printed and returned.</summary>
internal sealed record KvbenchRun(int ExitCode, string Stdout, string Stderr);

/// <summary>Runs kvbench in-process, capturing both streams.</summary>
internal static class Kvbench
{
    public static async Task<KvbenchRun> RunAsync(params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var exit = await KvbenchApp.RunAsync(args, stdout, stderr, stderrIsTerminal: false, TestContext.Current.CancellationToken);
        return new KvbenchRun(exit, stdout.ToString(), stderr.ToString());
    }
}
