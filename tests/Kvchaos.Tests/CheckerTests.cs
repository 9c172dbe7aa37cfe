namespace KvStore.Kvchaos.Tests;

public sealed class CheckerTests
{
    private static int _clock;

    private static Op Put(string key, string value, bool ok) => Make(key, OpKind.Put, value, ok);

    private static Op Add(string key, string element, bool ok) => Make(key, OpKind.Add, element, ok);

    private static Op Remove(string key, string element, bool ok) => Make(key, OpKind.Remove, element, ok);

    private static Op Make(string key, OpKind kind, string value, bool ok)
    {
        var t = TimeSpan.FromMilliseconds(++_clock);
        return new Op(0, key, kind, value, ok, ok ? null : "Unavailable: timeout", t, t, 0, "Quorum");
    }

    private static KeyObservation Register(string? value, params string[] replicaVersions) =>
        new(value is not null, value, [], Replicas(replicaVersions.Length == 0 ? ["v", "v", "v"] : replicaVersions));

    private static KeyObservation Set(IReadOnlyList<string> members, params string[] replicaVersions) =>
        new(members.Count > 0, null, members, Replicas(replicaVersions.Length == 0 ? ["v", "v", "v"] : replicaVersions));

    private static List<ReplicaObservation> Replicas(string[] versions) =>
        versions.Select((v, i) => new ReplicaObservation($"node{i + 1}", v, null)).ToList();

    private static List<(string Kind, string Key)> Kinds(IReadOnlyList<Finding> findings) => findings.Select(f => (f.Kind, f.Key)).ToList();

    [Fact]
    public void A_register_may_end_on_its_last_acknowledged_put_or_a_failed_put_concurrent_with_it()
    {
        // p1 ok, f2 failed, p3 ok (carrying p1's context, so concurrent with f2), f4 failed.
        List<Op> puts = [Put("r", "p1", true), Put("r", "f2", false), Put("r", "p3", true), Put("r", "f4", false)];
        Assert.Equal(["f2", "f4", "p3"], Checker.AllowedRegisterValues(puts).Order(StringComparer.Ordinal));

        foreach (var allowed in new[] { "p3", "f2", "f4" })
        {
            Assert.Empty(Checker.Check(puts, new Dictionary<string, KeyObservation> { ["r"] = Register(allowed) }));
        }

        Assert.Equal([("lost", "r")], Kinds(Checker.Check(puts, new Dictionary<string, KeyObservation> { ["r"] = Register(null) })));
        Assert.Equal([("resurrected", "r")], Kinds(Checker.Check(puts, new Dictionary<string, KeyObservation> { ["r"] = Register("p1") })));
        Assert.Equal([("phantom", "r")], Kinds(Checker.Check(puts, new Dictionary<string, KeyObservation> { ["r"] = Register("zz") })));
    }

    [Fact]
    public void A_register_only_failed_puts_reached_may_be_absent_or_hold_any_of_them()
    {
        List<Op> puts = [Put("r", "f1", false), Put("r", "f2", false)];
        Assert.Empty(Checker.Check(puts, new Dictionary<string, KeyObservation> { ["r"] = Register(null) }));
        Assert.Empty(Checker.Check(puts, new Dictionary<string, KeyObservation> { ["r"] = Register("f1") }));
    }

    [Fact]
    public void A_set_must_hold_every_acknowledged_add_never_removed_and_none_whose_remove_was_acknowledged()
    {
        List<Op> ops =
        [
            Add("s", "kept", true),
            Add("s", "maybe", false),
            Add("s", "gone", true),
            Remove("s", "gone", true),
            Add("s", "halfgone", true),
            Remove("s", "halfgone", false),
        ];

        Assert.Empty(Checker.Check(ops, new Dictionary<string, KeyObservation> { ["s"] = Set(["kept"]) }));
        Assert.Empty(Checker.Check(ops, new Dictionary<string, KeyObservation> { ["s"] = Set(["halfgone", "kept", "maybe"]) }));

        var findings = Checker.Check(ops, new Dictionary<string, KeyObservation> { ["s"] = Set(["gone", "stranger"]) });
        Assert.Equal(["lost", "phantom", "resurrected"], findings.Select(f => f.Kind).Order(StringComparer.Ordinal));
        Assert.Contains(findings, f => f.Kind == "lost" && f.Detail.StartsWith("kept ", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Kind == "resurrected" && f.Detail.StartsWith("gone ", StringComparison.Ordinal));
        Assert.Contains(findings, f => f.Kind == "phantom" && f.Detail.StartsWith("stranger ", StringComparison.Ordinal));
    }

    [Fact]
    public void Replicas_holding_different_objects_are_divergent_and_one_that_did_not_answer_is_unverified()
    {
        List<Op> puts = [Put("r", "p1", true)];
        var divergent = Checker.Check(puts, new Dictionary<string, KeyObservation> { ["r"] = Register("p1", "a", "a", "b") });
        Assert.Equal([("divergent", "r")], Kinds(divergent));

        var missingOnOne = Checker.Check(puts, new Dictionary<string, KeyObservation>
        {
            ["r"] = new(true, "p1", [], [new("node1", "a", null), new("node2", null, null)]),
        });
        Assert.Equal([("divergent", "r")], Kinds(missingOnOne));

        var silent = Checker.Check(puts, new Dictionary<string, KeyObservation>
        {
            ["r"] = new(true, "p1", [], [new("node1", "a", null), new("node2", null, "deadline exceeded")]),
        });
        Assert.Equal([("unverified", "r")], Kinds(silent));

        Assert.Equal([("unverified", "r")], Kinds(Checker.Check(puts, new Dictionary<string, KeyObservation>())));
    }
}
