using KvStore.Core.Crdt;
using Microsoft.Extensions.Logging.Abstractions;
using RocksDbSharp;

namespace KvStore.Storage.Tests;

public sealed class HintOptionsAndLayoutTests
{
    private static CancellationToken Ct => TestContext.Current.CancellationToken;

    private static RocksObjectStore Open(string dir) =>
        RocksObjectStore.Open(new StorageOptions { DataDir = dir }, "n1", "default-node", NullLogger.Instance);

    /// <summary>
    /// Directories written before hints existed have no "hints" column family. Dropping it from a
    /// current directory gives exactly that layout; opening must add the family and keep the data.
    /// The family names are spelled out: they are on disk, so renaming one breaks existing directories.
    /// </summary>
    [Fact]
    public async Task A_directory_without_the_hints_family_still_opens()
    {
        using var dir = new TempDir();
        var obj = KvObject.Of(OrSet.Empty.Add(new("a", 1), ["x"u8.ToArray()]));
        await using (var store = Open(dir.Path))
        {
            await store.UpdateAsync("k"u8.ToArray(), _ => obj, Ct);
        }

        // Back to the first release's layout: no hints, and no anti-entropy tree either.
        var families = new ColumnFamilies();
        foreach (var name in RocksDb.ListColumnFamilies(new DbOptions(), dir.Path))
        {
            families.Add(name, new ColumnFamilyOptions());
        }

        using (var db = RocksDb.Open(new DbOptions(), dir.Path, families))
        {
            db.DropColumnFamily("hints");
            db.DropColumnFamily("positions");
            db.DropColumnFamily("segments");
            db.Remove("merkle-format"u8.ToArray(), db.GetColumnFamily("meta"));
        }

        Assert.DoesNotContain("hints", RocksDb.ListColumnFamilies(new DbOptions(), dir.Path));

        await using (var reopened = Open(dir.Path))
        {
            Assert.Equal(obj, reopened.Get("k"u8));
            Assert.Equal(1, reopened.TreeBuiltFrom);
            Assert.Empty(reopened.HintCounts);
            Assert.True(await reopened.AddHintAsync("n2", "k"u8.ToArray(), obj, Ct));
        }

        await using (var again = Open(dir.Path))
        {
            Assert.Equal(1, again.HintCounts["n2"]);
        }
    }

    [Theory]
    [InlineData(0, false)]
    [InlineData(1, true)]
    [InlineData(100_000, true)]
    [InlineData(10_000_000, true)]
    [InlineData(10_000_001, false)]
    public void The_hint_bound_is_validated(int max, bool valid)
    {
        var errors = new StorageOptions { MaxHintsPerTarget = max }.Validate().ToList();
        if (valid)
        {
            Assert.Empty(errors);
        }
        else
        {
            Assert.Contains("Storage:MaxHintsPerTarget", Assert.Single(errors), StringComparison.Ordinal);
        }
    }

    [Fact]
    public void The_default_hint_bound_is_one_hundred_thousand() =>
        Assert.Equal(100_000, new StorageOptions().MaxHintsPerTarget);
}
