using System.Reflection;

namespace KvStore.Kvctl.Dev;

/// <summary>How to start a server: a program and the arguments that come before the node's flags.</summary>
internal sealed record ServerCommand(string FileName, IReadOnlyList<string> Arguments, string Path);

/// <summary>
/// Finds the KvStore server to launch: --server, else $KVSTORE_SERVER, else the build of
/// src/KvStore.Server that kvctl's project builds alongside itself (kvctl never loads its code).
/// </summary>
internal static class ServerLocator
{
    public const string Variable = "KVSTORE_SERVER";

    /// <summary>Where the server's build output was when kvctl was built; see kvctl.csproj.</summary>
    public static string? BuiltPath { get; } = typeof(ServerLocator).Assembly
        .GetCustomAttributes<AssemblyMetadataAttribute>()
        .SingleOrDefault(a => a.Key == "KvStoreServerPath")?.Value;

    /// <exception cref="UsageException">The server is not where it was said or built to be.</exception>
    public static ServerCommand Locate(string? option)
    {
        var given = option ?? (Environment.GetEnvironmentVariable(Variable) is { Length: > 0 } fromEnv ? fromEnv : null);
        if (given is not null)
        {
            var path = System.IO.Path.GetFullPath(given);
            return File.Exists(path)
                ? For(path)
                : throw new UsageException($"server not found: {path} (from {(option is not null ? "--server" : "$" + Variable)})");
        }

        if (BuiltPath is null || !File.Exists(BuiltPath))
        {
            throw new UsageException(
                $"the server is not built at {(BuiltPath is null ? "its usual place" : System.IO.Path.GetFullPath(BuiltPath))}; " +
                $"run `dotnet build src/KvStore.Server`, or pass --server PATH or set ${Variable}");
        }

        return For(System.IO.Path.GetFullPath(BuiltPath));
    }

    /// <summary>A .dll runs on the dotnet host, as `dotnet run` would; anything else is executed directly.</summary>
    private static ServerCommand For(string path) =>
        path.EndsWith(".dll", StringComparison.OrdinalIgnoreCase)
            ? new ServerCommand("dotnet", [path], path)
            : new ServerCommand(path, [], path);
}
