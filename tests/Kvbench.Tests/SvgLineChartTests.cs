using System.Xml.Linq;
using KvStore.Kvbench.Report;

namespace KvStore.Kvbench.Tests;

public sealed class SvgLineChartTests
{
    private static readonly XNamespace Svg = "http://www.w3.org/2000/svg";

    private static readonly LineChart Chart = new(
        "Throughput & concurrency",
        "callers",
        "operations per second",
        [
            new ChartSeries("put, 1 node", [new(1, 1000), new(4, 4000), new(16, 12_000), new(64, 20_000), new(128, 21_000)], "#1f77b4"),
            new ChartSeries("put, 3 nodes", [new(64, 8000), new(1, 400), new(16, 6000)], "#d62728"),
            new ChartSeries("empty <baseline>", [new(1, 2000), new(128, 23_456)], "#7f7f7f", Dashed: true),
        ]);

    [Fact]
    public void Each_series_is_a_polyline_through_its_points_in_order_of_x()
    {
        var svg = XDocument.Parse(SvgLineChart.Render(Chart));

        var lines = svg.Descendants(Svg + "polyline").ToList();
        Assert.Equal(3, lines.Count);
        Assert.Equal([5, 3, 2], lines.Select(l => Points(l).Count));
        var threeNodes = Points(lines[1]);
        Assert.True(threeNodes[0].X < threeNodes[1].X && threeNodes[1].X < threeNodes[2].X, "points joined left to right");
        // More throughput is higher up the page: a smaller y.
        Assert.True(threeNodes[0].Y > threeNodes[1].Y && threeNodes[1].Y > threeNodes[2].Y);
        Assert.Equal("7 5", lines[2].Attribute("stroke-dasharray")?.Value);
        Assert.Null(lines[0].Attribute("stroke-dasharray"));
        Assert.Equal(10, svg.Descendants(Svg + "circle").Count());
    }

    [Fact]
    public void It_has_a_title_axis_labels_ticks_and_a_legend_with_names_escaped()
    {
        var svg = XDocument.Parse(SvgLineChart.Render(Chart));
        var texts = svg.Descendants(Svg + "text").Select(t => t.Value).ToList();

        Assert.Contains("Throughput & concurrency", texts);
        Assert.Contains("callers", texts);
        Assert.Contains("operations per second", texts);
        Assert.Contains("empty <baseline>", texts);
        Assert.Contains("put, 3 nodes", texts);
        foreach (var x in new[] { "1", "4", "16", "64", "128" })
        {
            Assert.Contains(x, texts);
        }

        // The y axis runs from 0 to 25k in steps of 5k.
        foreach (var y in new[] { "0", "5k", "10k", "15k", "20k", "25k" })
        {
            Assert.Contains(y, texts);
        }

        Assert.DoesNotContain("30k", texts);
    }

    [Fact]
    public void Concurrency_is_on_a_log_scale()
    {
        var svg = XDocument.Parse(SvgLineChart.Render(Chart));
        var x = Points(svg.Descendants(Svg + "polyline").First()).Select(p => p.X).ToList();

        // 1, 4, 16, 64: each a factor of four, so evenly spaced.
        Assert.Equal(x[1] - x[0], x[2] - x[1], 0.2);
        Assert.Equal(x[2] - x[1], x[3] - x[2], 0.2);
    }

    [Fact]
    public void A_chart_with_nothing_to_draw_says_so()
    {
        var svg = SvgLineChart.Render(new LineChart("t", "x", "y", [new ChartSeries("none", [], "#000")]));

        Assert.Contains("no measurements", XDocument.Parse(svg).Descendants(Svg + "text").Select(t => t.Value));
    }

    [Theory]
    [InlineData(23_456, 25_000, 5_000)]
    [InlineData(1_000, 1_000, 200)]
    [InlineData(99, 100, 20)]
    [InlineData(170_000, 175_000, 25_000)]
    [InlineData(0, 1, 0.25)]
    public void The_y_axis_ends_on_a_round_number(double max, double top, double step) =>
        Assert.Equal((top, step), SvgLineChart.NiceAxis(max));

    [Theory]
    [InlineData(25_000, "25k")]
    [InlineData(2_500_000, "2.5M")]
    [InlineData(64, "64")]
    [InlineData(0, "0")]
    public void Tick_labels_are_short(double value, string label) => Assert.Equal(label, SvgLineChart.TickLabel(value));

    private static List<(double X, double Y)> Points(XElement polyline) =>
        [.. polyline.Attribute("points")!.Value.Split(' ').Select(p => p.Split(',')).Select(p => (double.Parse(p[0], System.Globalization.CultureInfo.InvariantCulture), double.Parse(p[1], System.Globalization.CultureInfo.InvariantCulture)))];
}
