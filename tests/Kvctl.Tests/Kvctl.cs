using System.Text;

namespace KvStore.Kvctl.Tests;

/// <summary>What one in-process run of kvctl printed and returned.</summary>
internal sealed record KvctlRun(int ExitCode, string Stdout, string Stderr)
{
    /// <summary>Stdout split into lines, without the final empty one.</summary>
    public string[] Lines => Stdout.Split('\n', StringSplitOptions.RemoveEmptyEntries);
}

/// <summary>Runs kvctl in-process, capturing both streams.</summary>
internal static class Kvctl
{
    public static Task<KvctlRun> RunAsync(params string[] args) => RunAsync(stdin: null, args);

    public static async Task<KvctlRun> RunAsync(byte[]? stdin, params string[] args)
    {
        var stdout = new StringWriter { NewLine = "\n" };
        var stderr = new StringWriter { NewLine = "\n" };
        var exit = await KvctlApp.RunAsync(
            args,
            stdout,
            stderr,
            () => new MemoryStream(stdin ?? throw new InvalidOperationException("this run has no stdin")),
            TestContext.Current.CancellationToken);
        return new KvctlRun(exit, stdout.ToString(), stderr.ToString());
    }

    public static byte[] Utf8(string text) => Encoding.UTF8.GetBytes(text);
}
