using System.Globalization;
using System.Security;
using System.Text;

namespace KvStore.Kvbench.Report;

/// <summary>One line of a chart: its points, joined in order of x, and how it is drawn.</summary>
/// <param name="Color">An SVG colour, e.g. #1f77b4.</param>
/// <param name="Dashed">Drawn dashed, as a baseline is, so it reads apart from the measured lines.</param>
internal sealed record ChartSeries(string Name, IReadOnlyList<ChartPoint> Points, string Color, bool Dashed = false);

internal readonly record struct ChartPoint(double X, double Y);

/// <summary>A line chart with a logarithmic x axis (concurrency doubles and quadruples) and a linear y axis from zero.</summary>
internal sealed record LineChart(string Title, string XLabel, string YLabel, IReadOnlyList<ChartSeries> Series);

/// <summary>
/// Draws a <see cref="LineChart"/> as a plain SVG document: axes, ticks with labels, grid lines,
/// one polyline with point markers per series and a legend. No package and no script, so the file
/// shows the same in a browser, on a code host and in an editor's preview.
/// </summary>
internal static class SvgLineChart
{
    public const int Width = 760;
    public const int Height = 460;
    private const double Left = 90;
    private const double Right = Width - 30;
    private const double Top = 50;
    private const double Bottom = Height - 100;
    private const string Font = "font-family=\"sans-serif\"";

    /// <summary>A generous average width of a character of 12-pixel sans-serif, to lay out the legend without measuring text.</summary>
    private const double CharWidth = 7;

    public static string Render(LineChart chart)
    {
        var points = chart.Series.SelectMany(s => s.Points).ToList();
        var svg = new StringBuilder();
        Line(svg, $"""<svg xmlns="http://www.w3.org/2000/svg" width="{Width}" height="{Height}" viewBox="0 0 {Width} {Height}">""");
        Line(svg, $"""  <title>{Escape(chart.Title)}</title>""");
        Line(svg, $"""  <rect x="0" y="0" width="{Width}" height="{Height}" fill="white"/>""");
        Line(svg, $"""  <text x="{Width / 2}" y="28" text-anchor="middle" font-size="17" font-weight="bold" {Font}>{Escape(chart.Title)}</text>""");
        if (points.Count == 0)
        {
            Line(svg, $"""  <text x="{Width / 2}" y="{Height / 2}" text-anchor="middle" font-size="14" {Font}>no measurements</text>""");
            Line(svg, "</svg>");
            return svg.ToString();
        }

        var xs = points.Select(p => p.X).Where(x => x > 0).Distinct().Order().ToList();
        var (yTop, yStep) = NiceAxis(points.Max(p => p.Y));
        double X(double x) => xs.Count < 2 ? (Left + Right) / 2 : Left + ((Math.Log2(x) - Math.Log2(xs[0])) / (Math.Log2(xs[^1]) - Math.Log2(xs[0])) * (Right - Left));
        double Y(double y) => Bottom - (y / yTop * (Bottom - Top));

        // Grid and y ticks.
        for (var y = 0.0; y <= yTop + (yStep / 2); y += yStep)
        {
            var py = Y(y);
            Line(svg, $"""  <line x1="{N(Left)}" y1="{N(py)}" x2="{N(Right)}" y2="{N(py)}" stroke="#e0e0e0" stroke-width="1"/>""");
            Line(svg, $"""  <text x="{N(Left - 8)}" y="{N(py + 4)}" text-anchor="end" font-size="12" {Font}>{Escape(TickLabel(y))}</text>""");
        }

        // x ticks at every concurrency measured.
        foreach (var x in xs)
        {
            var px = X(x);
            Line(svg, $"""  <line x1="{N(px)}" y1="{N(Top)}" x2="{N(px)}" y2="{N(Bottom)}" stroke="#f0f0f0" stroke-width="1"/>""");
            Line(svg, $"""  <line x1="{N(px)}" y1="{N(Bottom)}" x2="{N(px)}" y2="{N(Bottom + 5)}" stroke="black" stroke-width="1"/>""");
            Line(svg, $"""  <text x="{N(px)}" y="{N(Bottom + 20)}" text-anchor="middle" font-size="12" {Font}>{Escape(TickLabel(x))}</text>""");
        }

        // Axes.
        Line(svg, $"""  <line x1="{N(Left)}" y1="{N(Bottom)}" x2="{N(Right)}" y2="{N(Bottom)}" stroke="black" stroke-width="1.5"/>""");
        Line(svg, $"""  <line x1="{N(Left)}" y1="{N(Top)}" x2="{N(Left)}" y2="{N(Bottom)}" stroke="black" stroke-width="1.5"/>""");
        Line(svg, $"""  <text x="{N((Left + Right) / 2)}" y="{N(Bottom + 42)}" text-anchor="middle" font-size="13" {Font}>{Escape(chart.XLabel)}</text>""");
        Line(svg, $"""  <text x="22" y="{N((Top + Bottom) / 2)}" text-anchor="middle" font-size="13" {Font} transform="rotate(-90 22 {N((Top + Bottom) / 2)})">{Escape(chart.YLabel)}</text>""");

        // Series.
        foreach (var series in chart.Series.Where(s => s.Points.Count > 0))
        {
            var ordered = series.Points.Where(p => p.X > 0).OrderBy(p => p.X).ToList();
            var dash = series.Dashed ? " stroke-dasharray=\"7 5\"" : "";
            Line(svg, $"""  <g class="series">""");
            Line(svg, $"""    <title>{Escape(series.Name)}</title>""");
            Line(svg, $"""    <polyline fill="none" stroke="{Escape(series.Color)}" stroke-width="2.5"{dash} points="{string.Join(' ', ordered.Select(p => $"{N(X(p.X))},{N(Y(p.Y))}"))}"/>""");
            foreach (var p in ordered)
            {
                Line(svg, $"""    <circle cx="{N(X(p.X))}" cy="{N(Y(p.Y))}" r="3.5" fill="{Escape(series.Color)}"/>""");
            }

            Line(svg, "  </g>");
        }

        // Legend, in rows under the x label; an entry that would run off the right edge starts a new row.
        var legendX = Left;
        var legendY = Height - 34.0;
        foreach (var series in chart.Series)
        {
            var width = 34 + (series.Name.Length * CharWidth);
            if (legendX > Left && legendX + width > Width - 10)
            {
                legendX = Left;
                legendY += 20;
            }

            var dash = series.Dashed ? " stroke-dasharray=\"7 5\"" : "";
            Line(svg, $"""  <line x1="{N(legendX)}" y1="{N(legendY - 4)}" x2="{N(legendX + 28)}" y2="{N(legendY - 4)}" stroke="{Escape(series.Color)}" stroke-width="2.5"{dash}/>""");
            Line(svg, $"""  <text x="{N(legendX + 34)}" y="{N(legendY)}" font-size="12" {Font}>{Escape(series.Name)}</text>""");
            legendX += width + 24;
        }

        Line(svg, "</svg>");
        return svg.ToString();
    }

    /// <summary>
    /// The top of an axis from zero that holds <paramref name="max"/>, and a step of 1, 2, 2.5 or 5
    /// times a power of ten that divides it into five to eight steps.
    /// </summary>
    public static (double Top, double Step) NiceAxis(double max)
    {
        if (!(max > 0))
        {
            return (1, 0.25);
        }

        var magnitude = Math.Pow(10, Math.Floor(Math.Log10(max / 5)));
        foreach (var factor in new[] { 1, 2, 2.5, 5, 10 })
        {
            var step = factor * magnitude;
            var top = Math.Ceiling(max / step) * step;
            if (top / step <= 8)
            {
                return (top, step);
            }
        }

        return (Math.Ceiling(max / (10 * magnitude)) * 10 * magnitude, 10 * magnitude);
    }

    /// <summary>A tick's label: 25k for 25000, 2.5M for 2500000, the number itself below a thousand.</summary>
    public static string TickLabel(double value) => value switch
    {
        >= 1_000_000 => (value / 1_000_000).ToString("0.##", CultureInfo.InvariantCulture) + "M",
        >= 1_000 => (value / 1_000).ToString("0.##", CultureInfo.InvariantCulture) + "k",
        _ => value.ToString("0.##", CultureInfo.InvariantCulture),
    };

    private static string N(double value) => value.ToString("0.#", CultureInfo.InvariantCulture);

    private static string Escape(string text) => SecurityElement.Escape(text);

    private static void Line(StringBuilder svg, string line) => svg.Append(line).Append('\n');
}
