using System.Runtime.InteropServices;

namespace KvStore.Kvchaos;

internal static class Program
{
    /// <summary>
    /// Ctrl-C, SIGTERM and SIGHUP cancel the run rather than end the process, so that it still
    /// stops its servers and removes its namespaces on the way out.
    /// </summary>
    public static async Task<int> Main(string[] args)
    {
        ChaosSettings settings;
        try
        {
            settings = ChaosSettings.Parse(args);
        }
        catch (FormatException e)
        {
            await Console.Error.WriteLineAsync($"kvchaos: {e.Message}\n{ChaosSettings.Usage}");
            return ExitCodes.Usage;
        }

        using var cts = new CancellationTokenSource();
        void Cancel(PosixSignalContext context)
        {
            context.Cancel = true;
            Console.Error.WriteLine($"kvchaos: {context.Signal}: stopping and cleaning up");
            cts.Cancel();
        }

        using var sigint = PosixSignalRegistration.Create(PosixSignal.SIGINT, Cancel);
        using var sigterm = PosixSignalRegistration.Create(PosixSignal.SIGTERM, Cancel);
        using var sighup = PosixSignalRegistration.Create(PosixSignal.SIGHUP, Cancel);
        return await new ChaosRun(settings, Console.Out).RunAsync(cts.Token);
    }
}

internal static class ExitCodes
{
    public const int Passed = 0;

    /// <summary>The check found lost, resurrected, phantom or divergent data.</summary>
    public const int Findings = 1;
    public const int Usage = 2;

    /// <summary>The run itself could not be carried out (a node would not start, the network could not be built, cancelled).</summary>
    public const int RunFailed = 3;
}
