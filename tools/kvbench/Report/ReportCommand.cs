using System.CommandLine;

namespace KvStore.Kvbench.Report;

/// <summary>kvbench report: the page and the chart from a folder of results.</summary>
internal static class ReportCommand
{
    public static Command Create(TextWriter stdout, TextWriter stderr)
    {
        var results = new Option<DirectoryInfo>("--results")
        {
            Description = "Folder of kvbench JSON results (one file per measurement, named freely), with bench/run's environment.txt and commands.txt",
            HelpName = "DIR",
            Required = true,
        };
        var output = new Option<FileInfo>("--out")
        {
            Description = "The markdown page to write",
            HelpName = "FILE",
            DefaultValueFactory = _ => new FileInfo("docs/BENCHMARKS.md"),
        };
        var chart = new Option<FileInfo>("--chart")
        {
            Description = "The SVG chart to write; the page links to it by a path relative to itself",
            HelpName = "FILE",
            DefaultValueFactory = _ => new FileInfo("docs/bench/throughput.svg"),
        };
        var command = new Command("report", "Write the benchmark page and its throughput chart from the JSON results of one run of bench/run.")
        {
            results, output, chart,
        };
        command.SetAction(async (parsed, cancellationToken) =>
        {
            var folder = parsed.GetValue(results)!;
            var page = parsed.GetValue(output)!;
            var svg = parsed.GetValue(chart)!;
            if (!folder.Exists)
            {
                await stderr.WriteLineAsync($"error: no folder {folder.FullName}");
                return ExitCodes.UsageOrUnreachable;
            }

            ResultSet set;
            try
            {
                set = ResultSet.Load(folder.FullName);
            }
            catch (FormatException e)
            {
                await stderr.WriteLineAsync($"error: {e.Message}");
                return ExitCodes.UsageOrUnreachable;
            }

            if (set.Runs.Count == 0)
            {
                await stderr.WriteLineAsync($"error: no *.json results in {folder.FullName}");
                return ExitCodes.UsageOrUnreachable;
            }

            var link = Path.GetRelativePath(page.Directory!.FullName, svg.FullName).Replace('\\', '/');
            try
            {
                Directory.CreateDirectory(page.Directory.FullName);
                Directory.CreateDirectory(svg.Directory!.FullName);
                await File.WriteAllTextAsync(svg.FullName, SvgLineChart.Render(BenchmarkReport.Chart(set)), cancellationToken);
                await File.WriteAllTextAsync(page.FullName, BenchmarkReport.Markdown(set, link), cancellationToken);
            }
            catch (Exception e) when (e is IOException or UnauthorizedAccessException)
            {
                await stderr.WriteLineAsync($"error: cannot write the report: {e.Message}");
                return ExitCodes.Failed;
            }

            await stdout.WriteLineAsync($"wrote {page.FullName} and {svg.FullName} from {set.Runs.Count} results");
            return ExitCodes.Ok;
        });
        return command;
    }
}
