namespace KvStore.Kvbench.Tests;

public sealed class WorkloadTests
{
    private const int Seed = 7;
    private const int Draws = 10_000;

    [Theory]
    [InlineData("A", 0.50, 0.03)]
    [InlineData("B", 0.95, 0.02)]
    [InlineData("C", 1.00, 0.0)]
    [InlineData("D", 0.95, 0.02)]
    [InlineData("F", 0.50, 0.03)]
    public void Read_share_is_the_workloads(string name, double reads, double tolerance)
    {
        var counts = Count(Workload.Find(name)!);

        Assert.InRange(counts[Operation.Read] / (double)Draws, reads - tolerance, reads + tolerance);
    }

    [Fact]
    public void Each_workload_draws_only_its_own_operations()
    {
        Assert.Equal([Operation.Read, Operation.Update], Count(Workload.A).Keys.Order());
        Assert.Equal([Operation.Read, Operation.Update], Count(Workload.B).Keys.Order());
        Assert.Equal([Operation.Read], Count(Workload.C).Keys);
        Assert.Equal([Operation.Read, Operation.Insert], Count(Workload.D).Keys.Order());
        Assert.Equal([Operation.Read, Operation.ReadModifyWrite], Count(Workload.F).Keys.Order());
        Assert.Equal([Operation.Update], Count(Workload.Put).Keys);
        Assert.Equal([Operation.Empty], Count(Workload.EmptyCall).Keys);
    }

    [Fact]
    public void The_top_of_the_unit_interval_still_picks_an_operation_of_the_workload()
    {
        Assert.Equal(Operation.Update, Workload.A.Choose(Math.BitDecrement(1.0)));
        Assert.Equal(Operation.Read, Workload.C.Choose(Math.BitDecrement(1.0)));
    }

    [Theory]
    [InlineData("a", "A")]
    [InlineData("PUT", "put")]
    [InlineData("Empty", "empty")]
    public void Names_are_found_ignoring_case(string typed, string name) => Assert.Equal(name, Workload.Find(typed)!.Name);

    [Fact]
    public void There_is_no_workload_e() => Assert.Null(Workload.Find("E"));

    private static Dictionary<Operation, int> Count(Workload workload)
    {
        var random = new Random(Seed);
        var counts = new Dictionary<Operation, int>();
        for (var i = 0; i < Draws; i++)
        {
            var op = workload.Choose(random.NextDouble());
            counts[op] = counts.GetValueOrDefault(op) + 1;
        }

        return counts;
    }
}
