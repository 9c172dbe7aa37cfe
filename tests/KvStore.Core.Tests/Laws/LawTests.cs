using KvStore.Core.Crdt;

namespace KvStore.Core.Tests.Laws;

public sealed class LawTests
{
    [Fact]
    public void OrSet_merge_is_a_semilattice() =>
        CrdtLaws.CheckSemilattice(() => new OrSetModel(), static (a, b) => a.Merge(b));

    [Fact]
    public void OrSet_replicas_converge_to_the_add_wins_model() =>
        CrdtLaws.CheckConvergence(() => new OrSetModel(), static (a, b) => a.Merge(b));

    [Fact]
    public void LwwRegister_merge_is_a_semilattice() =>
        CrdtLaws.CheckSemilattice(() => new LwwRegisterModel(), static (a, b) => a.Merge(b));

    [Fact]
    public void LwwRegister_replicas_converge_to_the_model() =>
        CrdtLaws.CheckConvergence(() => new LwwRegisterModel(), static (a, b) => a.Merge(b));

    /// <summary>
    /// The harness must be able to fail. A merge that forgets the other side's removals (it keeps
    /// every dot either side holds, as a naive union would) resurrects removed elements, and a merge
    /// that takes only the left side is not commutative; both are caught.
    /// </summary>
    [Fact]
    public void Harness_rejects_a_merge_that_ignores_removals()
    {
        static OrSet NaiveUnion(OrSet a, OrSet b)
        {
            // Re-add everything b holds as if a had never seen it: removals on a are lost.
            var result = a.Merge(b);
            foreach (var m in a.Members.ToArray().Concat(b.Members.ToArray()))
            {
                if (!result.Contains(m.Element))
                {
                    result = result.Add(m.Dots[0].Actor, [m.Element]);
                }
            }

            return result;
        }

        AssertCaught(() => CrdtLaws.CheckConvergence(() => new OrSetModel(), NaiveUnion));
    }

    [Fact]
    public void Harness_rejects_a_left_biased_merge() =>
        AssertCaught(() => CrdtLaws.CheckSemilattice(() => new LwwRegisterModel(), static (a, _) => a));

    /// <summary>CsCheck reports a failing history with the seed that replays it, wrapping the law's own exception.</summary>
    private static void AssertCaught(Action check)
    {
        var e = Assert.Throws<CsCheck.CsCheckException>(check);
        Assert.IsType<CrdtLawException>(e.InnerException);
        Assert.Contains("CsCheck_Seed=", e.Message, StringComparison.Ordinal);
    }
}
