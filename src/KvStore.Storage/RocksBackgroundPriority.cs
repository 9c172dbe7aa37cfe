using System.Runtime.InteropServices;

namespace KvStore.Storage;

/// <summary>
/// Runs RocksDB's flush and compaction threads at the lowest CPU priority (nice 19), through the C
/// API calls RocksDbSharp does not wrap. On a node that shares its cores, a memtable flush and the
/// compaction after it take a core each for tens of milliseconds; at normal priority they push
/// the threads answering requests off the CPU, and every request in flight waits. At the lowest
/// priority they run on the time those threads leave. The threads belong to RocksDB's default
/// environment, shared by every database in the process; each takes the priority when it next
/// starts a job.
/// </summary>
internal static class RocksBackgroundPriority
{
    // The library RocksDbSharp loaded: the same file under the same name resolves to the same
    // loaded image, so the environment below is the one its databases use.
    private const string Library = "rocksdb";

    // Done once per process; every later open is told how that went.
    private static readonly Lazy<string?> Failure = new(Lower);

    /// <summary>Lowers the priority (once per process); false, with the reason, if the library could not do it.</summary>
    public static bool TryLower(out string? failure)
    {
        failure = Failure.Value;
        return failure is null;
    }

    /// <summary>Lowers both pools' priority; the reason it could not, or null.</summary>
    private static string? Lower()
    {
        try
        {
            var env = rocksdb_create_default_env();
            try
            {
                // LOW runs compactions, HIGH runs flushes.
                rocksdb_env_lower_thread_pool_cpu_priority(env);
                rocksdb_env_lower_high_priority_thread_pool_cpu_priority(env);
            }
            finally
            {
                // Frees the handle only: the default environment itself lives on.
                rocksdb_env_destroy(env);
            }

            return null;
        }
        catch (Exception e) when (e is DllNotFoundException or EntryPointNotFoundException)
        {
            return e.Message;
        }
    }

    [DllImport(Library)]
    private static extern IntPtr rocksdb_create_default_env();

    [DllImport(Library)]
    private static extern void rocksdb_env_lower_thread_pool_cpu_priority(IntPtr env);

    [DllImport(Library)]
    private static extern void rocksdb_env_lower_high_priority_thread_pool_cpu_priority(IntPtr env);

    [DllImport(Library)]
    private static extern void rocksdb_env_destroy(IntPtr env);
}
