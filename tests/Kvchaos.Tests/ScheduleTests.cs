namespace KvStore.Kvchaos.Tests;

public sealed class ScheduleTests
{
    [Fact]
    public void A_seed_gives_the_same_schedule_and_every_schedule_keeps_its_bounds_and_ends_with_everything_back()
    {
        var duration = TimeSpan.FromSeconds(60);
        Assert.Equal(Schedule.Generate(42, 5, duration, true), Schedule.Generate(42, 5, duration, true), new FaultComparer());
        Assert.NotEqual(Schedule.Generate(42, 5, duration, true), Schedule.Generate(43, 5, duration, true), new FaultComparer());

        for (var seed = 0; seed < 200; seed++)
        {
            foreach (var partitions in new[] { true, false })
            {
                var faults = Schedule.Generate(seed, 5, duration, partitions);
                var down = new HashSet<int>();
                var cut = false;
                var last = TimeSpan.Zero;
                foreach (var f in faults)
                {
                    Assert.True(f.At >= last && f.At <= duration, $"seed {seed}: {f} at {f.At} out of order or past the end");
                    last = f.At;
                    switch (f.Kind)
                    {
                        case FaultKind.Kill:
                            Assert.True(down.Add(f.Nodes[0]), $"seed {seed}: {f} while it is down");
                            Assert.True(down.Count <= Schedule.MaxDown, $"seed {seed}: {down.Count} nodes down");
                            break;
                        case FaultKind.Restart:
                            Assert.True(down.Remove(f.Nodes[0]), $"seed {seed}: {f} while it is up");
                            break;
                        case FaultKind.Heal:
                            Assert.True(cut, $"seed {seed}: heal with nothing cut");
                            cut = false;
                            break;
                        default:
                            Assert.True(partitions, $"seed {seed}: {f} on a network that cannot cut");
                            Assert.False(cut, $"seed {seed}: {f} while another cut is in force");
                            Assert.True(f.Nodes.Count < 5 && f.Nodes.All(n => n is >= 0 and < 5), $"seed {seed}: {f}");
                            cut = true;
                            break;
                    }
                }

                Assert.True(down.Count == 0 && !cut, $"seed {seed}: the schedule ends with nodes down or links cut");
                Assert.Contains(faults, f => f.Kind == FaultKind.Kill);
            }
        }
    }

    private sealed class FaultComparer : IEqualityComparer<Fault>
    {
        public bool Equals(Fault? x, Fault? y) => x!.At == y!.At && x.Kind == y.Kind && x.Nodes.SequenceEqual(y.Nodes);

        public int GetHashCode(Fault f) => HashCode.Combine(f.At, f.Kind);
    }
}
