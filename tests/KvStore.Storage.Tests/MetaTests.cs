using Microsoft.Extensions.Logging.Abstractions;

namespace KvStore.Storage.Tests;

public sealed class MetaTests
{
    private static RocksObjectStore Open(string dir) =>
        RocksObjectStore.Open(new StorageOptions { DataDir = dir }, "n1", "default-node", NullLogger.Instance);

    [Fact]
    public async Task Meta_values_are_read_back_after_reopening()
    {
        using var dir = new TempDir();
        await using (var store = Open(dir.Path))
        {
            Assert.Null(store.ReadMeta("identity-key"));
            store.WriteMeta("identity-key", [1, 2, 3]);
            store.WriteMeta("other", []);
            store.WriteMeta("identity-key", [4, 5]);
            Assert.Equal([4, 5], store.ReadMeta("identity-key")!);
        }

        await using (var reopened = Open(dir.Path))
        {
            Assert.Equal([4, 5], reopened.ReadMeta("identity-key")!);
            Assert.Equal([], reopened.ReadMeta("other")!);
            Assert.Null(reopened.ReadMeta("missing"));
        }
    }

    [Theory]
    [InlineData("format-version")]
    [InlineData("node-id")]
    [InlineData("epoch")]
    [InlineData("")]
    public async Task Reserved_and_empty_meta_names_are_refused(string name)
    {
        using var dir = new TempDir();
        await using var store = Open(dir.Path);
        var actor = store.Actor;
        Assert.Throws<ArgumentException>(() => store.WriteMeta(name, [1]));
        Assert.Throws<ArgumentException>(() => store.ReadMeta(name));
        await store.DisposeAsync();
        await using var reopened = Open(dir.Path);
        Assert.Equal(actor, reopened.Actor);
    }
}
