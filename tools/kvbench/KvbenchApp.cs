using System.CommandLine;
using System.Globalization;
using KvStore.Kvbench.Generators;
using KvStore.Kvbench.Running;
using KvStore.Kvbench.Targets;

namespace KvStore.Kvbench;

/// <summary>The kvbench command line, runnable in-process with any writers.</summary>
internal static class KvbenchApp
{
    /// <summary>Above this share of failed operations the numbers describe failures, not the store, and the run exits 1.</summary>
    public const double MaxFailedFraction = 0.01;

    private const string Description = """
        kvbench: a YCSB-style load generator for KvStore, with etcd and redis as references.

        Each of --concurrency callers runs a closed loop (send, wait for the answer, send the next)
        for --warmup seconds, which are not recorded, then for --duration seconds, which are. With
        --rate the callers share that many operations a second instead, each sending on a fixed
        schedule, and a call's latency counts from when it was due, so a stall that delays the calls
        behind it shows in their latencies rather than vanishing from the record. The calls due in
        the measured window get as long again to finish; any still unanswered count as failed
        (Unfinished).
        Workloads (YCSB core workloads on KvStore's register API, and baselines):
          A      50% read, 50% update
          B      95% read, 5% update
          C      100% read
          D      95% read, 5% insert; reads favour the latest inserted records
          F      50% read, 50% read-modify-write (Get, then Put with the read's context)
          put    100% put of a fresh random value to the record keys
          empty  100% gRPC health check: the cost of a call that does no work (kvstore only)
          batch  Batch calls of --batch-size puts of fresh values (kvstore only); throughput counts
                 operations, latency is per call, and a failed operation in a batch counts by status
        YCSB's workload E (short range scans) is left out: KvStore has no range scan, because keys
        are hashed across the ring rather than kept in order.
        Exit codes: 0 done; 1 more than 1% of operations failed, or loading failed; 2 bad usage or
        an endpoint that does not answer.
        kvbench report writes docs/BENCHMARKS.md and its chart from the JSON results that bench/run
        collects (see kvbench report --help).
        """;

    public static Task<int> RunAsync(string[] args, TextWriter stdout, TextWriter stderr, bool stderrIsTerminal, CancellationToken cancellationToken)
    {
        var options = new Options();
        var root = new RootCommand(Description);
        options.AddTo(root);
        root.Subcommands.Add(Report.ReportCommand.Create(stdout, stderr));
        root.SetAction((result, ct) => RunAsync(result, options, stdout, stderr, stderrIsTerminal, ct));
        var parsed = root.Parse(args);
        if (parsed.Errors.Count > 0)
        {
            foreach (var error in parsed.Errors)
            {
                stderr.WriteLine($"error: {error.Message}");
            }

            stderr.WriteLine("See kvbench --help.");
            return Task.FromResult(ExitCodes.UsageOrUnreachable);
        }

        return parsed.InvokeAsync(new InvocationConfiguration { Output = stdout, Error = stderr }, cancellationToken);
    }

    private static async Task<int> RunAsync(ParseResult result, Options options, TextWriter stdout, TextWriter stderr, bool stderrIsTerminal, CancellationToken cancellationToken)
    {
        if (options.Settings(result, stderrIsTerminal, out var usageError) is not { } settings)
        {
            await stderr.WriteLineAsync($"error: {usageError}");
            return ExitCodes.UsageOrUnreachable;
        }

        await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"kvbench: workload {settings.Workload.Name} against {ResultFormat.TargetName(settings.Target)}, seed {settings.Seed}"));
        var values = ValuePool.Create(settings.Seed, settings.ValueSize);
        await using var target = CreateTarget(settings, values);
        try
        {
            await target.ProbeAsync(cancellationToken);
            var bench = await BenchRunner.RunAsync(settings, target, values, stderr, cancellationToken);
            var json = ResultFormat.Json(bench);
            await stdout.WriteAsync(result.GetValue(options.Output) == "json" ? json + "\n" : ResultFormat.Text(bench));
            if (result.GetValue(options.JsonOut) is { } file)
            {
                await File.WriteAllTextAsync(file.FullName, json + "\n", cancellationToken);
            }

            if (bench.FailedFraction > MaxFailedFraction)
            {
                await stderr.WriteLineAsync(string.Create(CultureInfo.InvariantCulture, $"error: {bench.FailedFraction:0.##%} of operations failed"));
                return ExitCodes.Failed;
            }

            return ExitCodes.Ok;
        }
        catch (UnreachableException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.UsageOrUnreachable;
        }
        catch (LoadFailedException e)
        {
            await stderr.WriteLineAsync($"error: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (IOException e) when (e is not FileNotFoundException)
        {
            await stderr.WriteLineAsync($"error: cannot write --json-out: {e.Message}");
            return ExitCodes.Failed;
        }
        catch (OperationCanceledException) when (cancellationToken.IsCancellationRequested)
        {
            await stderr.WriteLineAsync("error: cancelled");
            return ExitCodes.Cancelled;
        }
    }

    private static ITarget CreateTarget(BenchSettings settings, ValuePool values) => settings.Target switch
    {
        TargetKind.Etcd => new EtcdTarget(settings.Endpoints, values),
        TargetKind.Redis => new RedisTarget(settings.Endpoints, values, settings.ValueSize),
        _ => new KvStoreTarget(settings.Endpoints, settings.Consistency, values),
    };

    /// <summary>The options, and how they become <see cref="BenchSettings"/>.</summary>
    private sealed class Options
    {
        public Option<string> Workload { get; } = new("--workload", "-w")
        {
            Description = "A, B, C, D, F, put, empty or batch (see above)",
            DefaultValueFactory = _ => "A",
        };

        public Option<string> Target { get; } = new("--target")
        {
            Description = "The store: kvstore, or etcd or redis to compare with the same client loop",
            DefaultValueFactory = _ => "kvstore",
        };

        public Option<string?> Endpoints { get; } = new("--endpoints")
        {
            Description = "Comma-separated host:port; requests go round-robin over them (redis: each caller keeps one). Default 127.0.0.1 on port 7070 (kvstore), 2379 (etcd) or 6379 (redis)",
            HelpName = "ENDPOINTS",
        };

        public Option<long> Records { get; } = new("--records")
        {
            Description = "Records (keys) the workload reads and updates; written before the run unless --no-load",
            DefaultValueFactory = _ => 100_000,
        };

        public Option<bool> NoLoad { get; } = new("--no-load")
        {
            Description = "Skip writing the records first (they are there from an earlier run)",
        };

        public Option<int> ValueSize { get; } = new("--value-size")
        {
            Description = "Bytes in each value written",
            HelpName = "BYTES",
            DefaultValueFactory = _ => 100,
        };

        public Option<int> Concurrency { get; } = new("--concurrency", "-c")
        {
            Description = "Callers, each with one operation in flight",
            DefaultValueFactory = _ => 64,
        };

        public Option<double> Duration { get; } = new("--duration", "-d")
        {
            Description = "Seconds measured",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 10,
        };

        public Option<double> Warmup { get; } = new("--warmup")
        {
            Description = "Seconds run before measuring (connections, JIT, caches), not recorded",
            HelpName = "SECONDS",
            DefaultValueFactory = _ => 2,
        };

        public Option<string> Distribution { get; } = new("--distribution")
        {
            Description = "How operations pick records: zipfian (YCSB's scrambled Zipfian, constant 0.99) or uniform. Workload D always favours the latest records",
            DefaultValueFactory = _ => "zipfian",
        };

        public Option<string> Consistency { get; } = new("--consistency")
        {
            Description = "Replicas that must answer each KvStore request: one, quorum or all (kvstore only)",
            DefaultValueFactory = _ => "quorum",
        };

        public Option<long?> Seed { get; } = new("--seed")
        {
            Description = "Seed of every random choice (keys, operations, values); a random one is picked and printed if not given",
        };

        public Option<string> Output { get; } = new("--output", "-o")
        {
            Description = "Result on stdout: text for people, json (one object) for scripts",
            DefaultValueFactory = _ => "text",
        };

        public Option<FileInfo?> JsonOut { get; } = new("--json-out")
        {
            Description = "Also write the JSON result to this file",
            HelpName = "FILE",
        };

        public Option<int> BatchSize { get; } = new("--batch-size")
        {
            Description = "Puts in each Batch call of --workload batch",
            HelpName = "OPERATIONS",
            DefaultValueFactory = _ => 100,
        };

        public Option<double?> Rate { get; } = new("--rate")
        {
            Description = "Operations per second, shared evenly by the callers, each on a fixed schedule; latency counts from when each call was due. Default: closed loops, as fast as answers come",
            HelpName = "OPS",
        };

        public Option<string?> Setup { get; } = new("--setup")
        {
            Description = "What is being measured (e.g. kvstore-3), recorded in the JSON result for kvbench report",
            HelpName = "NAME",
        };

        public Option<bool> Progress { get; } = new("--progress")
        {
            Description = "Print a progress line on stderr every second (the default when stderr is a terminal)",
        };

        public void AddTo(RootCommand root)
        {
            Target.AcceptOnlyFromAmong("kvstore", "etcd", "redis");
            Distribution.AcceptOnlyFromAmong("zipfian", "uniform");
            Consistency.AcceptOnlyFromAmong("one", "quorum", "all");
            Output.AcceptOnlyFromAmong("text", "json");
            Workload.Validators.Add(r =>
            {
                var name = r.GetValueOrDefault<string>();
                if (string.Equals(name, "E", StringComparison.OrdinalIgnoreCase))
                {
                    r.AddError("Workload E (range scans) is not offered: KvStore has no range scan, because keys are hashed across the ring.");
                }
                else if (Kvbench.Workload.Find(name) is null)
                {
                    r.AddError($"Unknown workload '{name}'; use A, B, C, D, F, put, empty or batch.");
                }
            });
            Positive(Records, "--records");
            Positive(Concurrency, "--concurrency");
            ValueSize.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<int>() is < 0 or > 16 * 1024 * 1024)
                {
                    r.AddError("--value-size must be 0 to 16777216 bytes.");
                }
            });
            Duration.Validators.Add(r =>
            {
                if (!(r.GetValueOrDefault<double>() is > 0 and <= 86_400))
                {
                    r.AddError("--duration must be more than 0 and at most 86400 seconds.");
                }
            });
            BatchSize.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<int>() is < 1 or > 100_000)
                {
                    r.AddError("--batch-size must be 1 to 100000 operations.");
                }
            });
            Rate.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<double?>() is not (> 0 and <= 100_000_000))
                {
                    r.AddError("--rate must be more than 0 and at most 100000000 operations a second.");
                }
            });
            Warmup.Validators.Add(r =>
            {
                if (!(r.GetValueOrDefault<double>() is >= 0 and <= 86_400))
                {
                    r.AddError("--warmup must be 0 to 86400 seconds.");
                }
            });
            foreach (Option option in new Option[] { Workload, Target, Endpoints, Records, NoLoad, ValueSize, Concurrency, Duration, Warmup, Distribution, Consistency, Seed, BatchSize, Rate, Setup, Output, JsonOut, Progress })
            {
                root.Options.Add(option);
            }
        }

        private static void Positive<T>(Option<T> option, string name)
            where T : System.Numerics.INumber<T> =>
            option.Validators.Add(r =>
            {
                if (r.GetValueOrDefault<T>() <= T.Zero)
                {
                    r.AddError($"{name} must be at least 1.");
                }
            });

        /// <summary>The validated settings, or null and the reason for an error the parser cannot see.</summary>
        public BenchSettings? Settings(ParseResult result, bool stderrIsTerminal, out string? error)
        {
            var target = result.GetValue(Target) switch
            {
                "etcd" => TargetKind.Etcd,
                "redis" => TargetKind.Redis,
                _ => TargetKind.KvStore,
            };
            var workload = Kvbench.Workload.Find(result.GetValue(Workload)!)!;
            if (workload == Kvbench.Workload.EmptyCall && target != TargetKind.KvStore)
            {
                error = "--workload empty is the gRPC health check of KvStore; it has no counterpart for this target.";
                return null;
            }

            if (workload.Batched && target != TargetKind.KvStore)
            {
                error = "--workload batch is KvStore's Batch call; it has no counterpart for this target.";
                return null;
            }

            if (!workload.Batched && result.GetResult(BatchSize) is { Implicit: false })
            {
                error = "--batch-size applies to --workload batch only.";
                return null;
            }

            var defaultPort = target switch
            {
                TargetKind.Etcd => 2379,
                TargetKind.Redis => 6379,
                _ => 7070,
            };
            if (Endpoint.ParseList(result.GetValue(Endpoints) ?? $"127.0.0.1:{defaultPort}", out error) is not { } endpoints)
            {
                return null;
            }

            error = null;
            return new BenchSettings(
                target,
                endpoints,
                workload,
                result.GetValue(Distribution) == "uniform" ? Generators.Distribution.Uniform : Generators.Distribution.Zipfian,
                result.GetValue(Records),
                !result.GetValue(NoLoad),
                result.GetValue(ValueSize),
                result.GetValue(Concurrency),
                TimeSpan.FromSeconds(result.GetValue(Duration)),
                TimeSpan.FromSeconds(result.GetValue(Warmup)),
                result.GetValue(Consistency)!,
                result.GetValue(Seed) ?? Random.Shared.NextInt64(1, 1L << 53),
                result.GetValue(Progress) || stderrIsTerminal,
                result.GetValue(BatchSize),
                result.GetValue(Rate),
                result.GetValue(Setup));
        }
    }
}
