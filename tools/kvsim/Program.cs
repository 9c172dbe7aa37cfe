namespace KvStore.Kvsim;

internal static class Program
{
    /// <summary>The process entry only wires the console; the commands live in <see cref="KvsimApp"/> so tests run them in-process.</summary>
    public static Task<int> Main(string[] args) =>
        KvsimApp.RunAsync(args, Console.Out, Console.Error, CancellationToken.None);
}
