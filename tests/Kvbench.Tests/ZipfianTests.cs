using KvStore.Kvbench.Generators;

namespace KvStore.Kvbench.Tests;

public sealed class ZipfianTests
{
    private const int Seed = 20240611;

    [Fact]
    public void Item_0_is_the_most_frequent_and_frequency_falls_with_rank()
    {
        var zipfian = new ZipfianGenerator(1000);
        var random = new Random(Seed);
        var counts = new int[1000];
        for (var i = 0; i < 100_000; i++)
        {
            counts[zipfian.Next(random)]++;
        }

        Assert.Equal(0, Array.IndexOf(counts, counts.Max()));
        Assert.True(counts[0] > counts[1] && counts[1] > counts[10] && counts[10] > counts[500], $"seed {Seed}: {counts[0]}, {counts[1]}, {counts[10]}, {counts[500]}");
        // theta 0.99 over 1000 items: rank 0 draws about 1/zeta(1000) = 13% of the time.
        Assert.InRange(counts[0] / 100_000.0, 0.11, 0.15);
    }

    [Fact]
    public void The_first_ranks_get_the_share_the_formula_gives()
    {
        const int items = 100;
        var zeta = ZipfianGenerator.Zeta(items, ZipfianGenerator.YcsbConstant);
        var zipfian = new ZipfianGenerator(items);
        var random = new Random(Seed);
        var counts = new int[items];
        const int draws = 200_000;
        for (var i = 0; i < draws; i++)
        {
            counts[zipfian.Next(random)]++;
        }

        for (var rank = 0; rank < 2; rank++)
        {
            var expected = 1 / Math.Pow(rank + 1, ZipfianGenerator.YcsbConstant) / zeta;
            Assert.InRange(counts[rank] / (double)draws, expected - 0.01, expected + 0.01);
        }
    }

    [Fact]
    public void Grown_generator_covers_the_new_items_and_still_favours_item_0()
    {
        var zipfian = new ZipfianGenerator(10);
        zipfian.Grow(1000);
        var random = new Random(Seed);
        var max = 0L;
        var zeros = 0;
        for (var i = 0; i < 50_000; i++)
        {
            var item = zipfian.Next(random);
            max = Math.Max(max, item);
            zeros += item == 0 ? 1 : 0;
        }

        Assert.Equal(1000, zipfian.Items);
        Assert.InRange(max, 500, 999);
        Assert.InRange(zeros / 50_000.0, 0.11, 0.15);
    }

    [Fact]
    public void Scrambled_draws_cover_the_whole_range_yet_stay_skewed()
    {
        const int items = 100;
        var scrambled = new ScrambledZipfianGenerator(items);
        var random = new Random(Seed);
        var counts = new int[items];
        const int draws = 100_000;
        for (var i = 0; i < draws; i++)
        {
            counts[scrambled.Next(random)]++;
        }

        Assert.All(counts, c => Assert.True(c > 0, $"seed {Seed}: an item was never drawn"));
        // The hottest item is far above the uniform share of 1%, and not item 0 by construction.
        Assert.True(counts.Max() > 3 * draws / items, $"seed {Seed}: hottest item drawn only {counts.Max()} times");
    }

    [Fact]
    public void The_same_seed_gives_the_same_sequence()
    {
        Assert.Equal(Draw(Seed), Draw(Seed));
        Assert.NotEqual(Draw(Seed), Draw(Seed + 1));

        static long[] Draw(int seed)
        {
            var plain = new ZipfianGenerator(10_000);
            var scrambled = new ScrambledZipfianGenerator(10_000);
            var random = new Random(seed);
            var drawn = new long[200];
            for (var i = 0; i < drawn.Length; i += 2)
            {
                drawn[i] = plain.Next(random);
                drawn[i + 1] = scrambled.Next(random);
            }

            return drawn;
        }
    }

    [Fact]
    public void Fnv_matches_ycsbs_hash_of_zero()
    {
        // FNV-1a of eight zero bytes, low byte first.
        var expected = 0xCBF29CE484222325UL;
        for (var i = 0; i < 8; i++)
        {
            expected *= 1099511628211UL;
        }

        Assert.Equal(expected, ScrambledZipfianGenerator.Fnv1a64(0));
    }
}
