namespace KvStore.Kvctl;

internal static class Program
{
    /// <summary>
    /// The process entry only wires the console; everything else lives in <see cref="KvctlApp"/>
    /// so that tests run the tool in-process. Ctrl+C is turned into cancellation by System.CommandLine.
    /// </summary>
    public static Task<int> Main(string[] args) =>
        KvctlApp.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
}
