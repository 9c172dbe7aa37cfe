namespace KvStore.Kvbench;

internal static class Program
{
    /// <summary>
    /// The process entry only wires the console; everything else lives in <see cref="KvbenchApp"/>
    /// so that tests run the tool in-process. The progress line is on by default only for a person
    /// watching a terminal, not for a script capturing stderr.
    /// </summary>
    public static Task<int> Main(string[] args) =>
        KvbenchApp.RunAsync(args, Console.Out, Console.Error, stderrIsTerminal: !Console.IsErrorRedirected, CancellationToken.None);
}
