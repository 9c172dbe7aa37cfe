using System.Text;
using KvStore.Core.Causality;
using KvStore.Core.Clock;
using KvStore.Core.Crdt;

namespace KvStore.Core.Tests;

public sealed class RegisterSemanticsTests
{
    private static readonly ActorId A = new("a", 1);
    private static readonly ActorId B = new("b", 1);

    private static byte[] B8(string s) => Encoding.UTF8.GetBytes(s);

    private static string? Read(LwwRegister r) => r.Winner is { } w ? Encoding.UTF8.GetString(w.Value.Span) : null;

    [Fact]
    public void A_write_with_the_read_context_supersedes_what_was_read()
    {
        var r1 = LwwRegister.Empty.Assign(A, new HlcTimestamp(1, 0), B8("v1"), null);
        var r2 = r1.Assign(A, new HlcTimestamp(2, 0), B8("v2"), r1.Clock);
        Assert.Equal("v2", Read(r2));
        Assert.False(r2.HasConcurrentWrites);
    }

    [Fact]
    public void Concurrent_writes_are_both_kept_and_the_later_timestamp_is_shown_everywhere()
    {
        var onA = LwwRegister.Empty.Assign(A, new HlcTimestamp(5, 0), B8("from-a"), null);
        var onB = LwwRegister.Empty.Assign(B, new HlcTimestamp(3, 0), B8("from-b"), null);
        var ab = onA.Merge(onB);
        Assert.True(ab.HasConcurrentWrites);
        Assert.Equal("from-a", Read(ab));
        Assert.Equal(ab, onB.Merge(onA));
    }

    [Fact]
    public void Equal_timestamps_are_broken_by_actor_id()
    {
        var onA = LwwRegister.Empty.Assign(A, new HlcTimestamp(5, 0), B8("from-a"), null);
        var onB = LwwRegister.Empty.Assign(B, new HlcTimestamp(5, 0), B8("from-b"), null);
        Assert.Equal("from-b", Read(onA.Merge(onB)));
    }

    [Fact]
    public void A_write_concurrent_with_a_delete_survives_it()
    {
        var v1 = LwwRegister.Empty.Assign(A, new HlcTimestamp(1, 0), B8("v1"), null);
        var deletedOnA = v1.Clear(v1.Clock);
        var rewrittenOnB = v1.Assign(B, new HlcTimestamp(2, 0), B8("v2"), v1.Clock);
        Assert.Null(Read(deletedOnA));
        Assert.Equal("v2", Read(deletedOnA.Merge(rewrittenOnB)));
    }

    [Fact]
    public void A_delete_that_saw_the_value_removes_it_on_every_replica()
    {
        var v1 = LwwRegister.Empty.Assign(A, new HlcTimestamp(1, 0), B8("v1"), null);
        var deleted = v1.Clear(v1.Clock);
        Assert.Null(Read(deleted.Merge(v1)));
        Assert.Null(Read(v1.Merge(deleted)));
    }

    [Fact]
    public void A_write_supersedes_what_its_context_saw_even_when_this_replica_does_not_hold_it_yet()
    {
        // The client read v1 on B; the write lands on A, which has not received v1.
        var onB = LwwRegister.Empty.Assign(B, new HlcTimestamp(1, 0), B8("v1"), null);
        var onA = LwwRegister.Empty.Assign(A, new HlcTimestamp(2, 0), B8("v2"), onB.Clock);

        // When v1 arrives it is dropped, not kept as a sibling: a delete that saw only v2 leaves nothing.
        var merged = onA.Merge(onB);
        Assert.Single(merged.Entries.ToArray());
        Assert.Equal("v2", Read(merged));
        Assert.Null(Read(onA.Clear(onA.Clock).Merge(onB)));
    }

    [Fact]
    public void A_stale_context_keeps_writes_it_did_not_see_as_siblings_but_replaces_the_replicas_own()
    {
        var v1 = LwwRegister.Empty.Assign(A, new HlcTimestamp(1, 0), B8("v1"), null);
        var staleRead = v1.Clock;
        var fromB = LwwRegister.Empty.Assign(B, new HlcTimestamp(2, 0), B8("b"), null);
        var merged = v1.Merge(fromB).Assign(A, new HlcTimestamp(3, 0), B8("v2"), staleRead);
        Assert.Equal(2, merged.Entries.Length);
        Assert.Contains(merged.Entries.ToArray(), e => e.Dot.Actor == B);
        Assert.Equal("v2", Read(merged));
        var again = merged.Assign(A, new HlcTimestamp(4, 0), B8("v3"), staleRead);
        Assert.Equal(2, again.Entries.Length);
    }
}
