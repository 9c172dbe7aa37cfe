using System.Diagnostics;
using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;
using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Storage.Tests;

public sealed class BackgroundPriorityTests
{
    [Fact]
    public async Task A_memtable_flush_runs_on_a_thread_at_the_lowest_cpu_priority()
    {
        if (!OperatingSystem.IsLinux())
        {
            Assert.Skip("reads thread priorities from /proc");
        }

        using var dir = new TempDir();
        var store = RocksObjectStore.Open(new StorageOptions { DataDir = dir.Path }, "n1", "n1", NullLogger.Instance);
        await using var _ = store;

        // 20 values of 1 MiB fill the 16 MiB memtable of the objects family, so RocksDB flushes it
        // on its flush thread, which takes the lowered priority when it starts the job.
        var actor = new ActorId("n1", 1);
        var value = new byte[1024 * 1024];
        for (var i = 0; i < 20; i++)
        {
            var physical = i + 1;
            await store.UpdateAsync([(byte)'k', (byte)i], _ =>
                KvObject.Of(LwwRegister.Empty.Assign(actor, new HlcTimestamp(physical, 0), value, null)), TestContext.Current.CancellationToken);
        }

        var waited = Stopwatch.StartNew();
        IReadOnlyList<int> nices;
        while ((nices = FlushThreadNices()).Count == 0 || nices.Any(n => n != 19))
        {
            Assert.True(waited.Elapsed < TimeSpan.FromSeconds(30), $"flush threads' nice values after 30 s: [{string.Join(", ", nices)}], expected 19");
            await Task.Delay(50, TestContext.Current.CancellationToken);
        }
    }

    /// <summary>The nice value of each of this process's RocksDB flush threads.</summary>
    private static IReadOnlyList<int> FlushThreadNices()
    {
        var nices = new List<int>();
        foreach (var task in Directory.EnumerateDirectories("/proc/self/task"))
        {
            try
            {
                if (File.ReadAllText(Path.Combine(task, "comm")).Trim() != "rocksdb:high")
                {
                    continue;
                }

                // Field 19 of stat is the nice value; the name in field 2 may hold spaces, so count from its ')'.
                var stat = File.ReadAllText(Path.Combine(task, "stat"));
                var fields = stat[(stat.LastIndexOf(')') + 2)..].Split(' ');
                nices.Add(int.Parse(fields[19 - 3], System.Globalization.CultureInfo.InvariantCulture));
            }
            catch (IOException)
            {
                // The thread ended meanwhile.
            }
        }

        return nices;
    }
}
