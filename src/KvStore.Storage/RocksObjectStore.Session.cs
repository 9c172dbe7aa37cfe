using System.Text;
using KvStore.Core.Causality;
using Microsoft.Extensions.Logging;
using RocksDbSharp;

namespace KvStore.Storage;

/// <summary>
/// Whether the last run ended cleanly. Without fsync on acknowledge (Storage:Sync off) an
/// acknowledged write sits in the write-ahead log in the operating system's page cache: it survives
/// the process being killed, but not the machine losing power or crashing. A store that reopened
/// after such a loss with its old epoch would mint again the dot counters of the writes it lost,
/// dots the other replicas already hold for other values, so its next writes would look already
/// seen and be dropped everywhere: Riak's KV679 without an empty directory. So an open session is
/// recorded in the directory with the machine's boot id, and a directory left open by an earlier
/// boot of the machine, without fsync, comes back as a new incarnation (new epoch), keeping its data.
/// A process that was merely killed reopens on the same boot and keeps its epoch, so version vectors
/// do not widen with every crash.
/// </summary>
public sealed partial class RocksObjectStore
{
    internal const string SessionName = "open-session";

    private static readonly byte[] SessionKey = "open-session"u8.ToArray();

    /// <summary>This boot of the machine (Linux's boot id), or null where the system does not say.</summary>
    internal static string? CurrentBootId()
    {
        const string path = "/proc/sys/kernel/random/boot_id";
        try
        {
            return File.Exists(path) ? File.ReadAllText(path).Trim() : null;
        }
        catch (IOException)
        {
            return null;
        }
    }

    /// <summary>
    /// Records that the directory is open on <paramref name="bootId"/>. If an earlier session never
    /// ended, without fsync, on another boot (or on a system without boot ids), gives the directory a
    /// new epoch first.
    /// </summary>
    /// <returns>The actor to use: <paramref name="actor"/>, or the same node with its new epoch.</returns>
    private static ActorId BeginSession(RocksDb db, ActorId actor, bool sync, string? bootId, ILogger logger)
    {
        var meta = db.GetColumnFamily(MetaFamily);
        var open = db.Get(SessionKey, meta) is { } stored ? Encoding.UTF8.GetString(stored) : null;
        using var batch = new WriteBatch();
        if (open is not null && !sync && (bootId is null || open != bootId))
        {
            var epoch = DataDirectoryMeta.RenewEpoch(db, batch);
            LogUncleanStop(logger, actor.ToString(), epoch);
            actor = actor with { Epoch = epoch };
        }

        batch.Put(SessionKey, Encoding.UTF8.GetBytes(bootId ?? ""), meta);
        db.Write(batch, SyncWrite);
        return actor;
    }

    /// <summary>Marks the session ended: everything acknowledged is in the closed database.</summary>
    private void EndSession() => _db.Remove(SessionKey, _meta, SyncWrite);

    [LoggerMessage(Level = LogLevel.Warning, Message = "The data directory of {Actor} was not closed before the machine restarted, and writes were acknowledged without fsync: some may be lost, so it continues as epoch {Epoch} and never reuses their counters")]
    private static partial void LogUncleanStop(ILogger logger, string actor, ulong epoch);
}
