using System.CommandLine;
using System.Text;
using KvStore.Client;

namespace KvStore.Kvctl;

/// <summary>batch: many operations from a file or stdin, sent in one call, one result line each.</summary>
internal static class BatchCommand
{
    public static Command Create(GlobalOptions globals, Func<Stream> openStdin)
    {
        var file = new Argument<string>("FILE")
        {
            Description = "File of operations, or - (the default) for stdin. VALUE is the rest of the line after the key; " +
                "blank lines and lines starting with # are skipped. Output, one line per operation: OK, the value (empty when " +
                "missing), the members separated by spaces, or error: STATUS: message; use -o json for exact values",
            Arity = ArgumentArity.ZeroOrOne,
            DefaultValueFactory = _ => "-",
        };
        var command = new Command(
            "batch",
            "Run many operations in one call, one per line (put KEY VALUE, get KEY, del KEY, sadd KEY ELEM..., srem KEY ELEM..., " +
            "smembers KEY); prints a result line for each and exits 1 if any failed") { file };
        CommandRunner.SetAction(command, globals, async (result, run, cancellationToken) =>
        {
            var operations = Parse(await ReadAsync(result.GetValue(file)!, openStdin, cancellationToken));
            var batch = run.Client.CreateBatch();
            foreach (var operation in operations)
            {
                operation.AddTo(batch);
            }

            var results = await run.Client.ExecuteAsync(batch, cancellationToken: cancellationToken);
            for (var i = 0; i < results.Count; i++)
            {
                await run.Results.BatchResultAsync(operations[i].Verb, operations[i].Key, results[i]);
            }

            return results.All(r => r.IsSuccess) ? ExitCodes.Ok : ExitCodes.Error;
        });
        return command;
    }

    /// <summary>One parsed line: the verb as written, its key, and the rest (a value or elements).</summary>
    internal sealed record Operation(string Verb, string Key, string Value, string[] Elements)
    {
        public void AddTo(KvBatch batch)
        {
            switch (Verb)
            {
                case "put": batch.Put(Key, Value); break;
                case "get": batch.Get(Key); break;
                case "del": batch.Delete(Key); break;
                case "sadd": batch.SetAdd(Key, Elements); break;
                case "srem": batch.SetRemove(Key, Elements); break;
                case "smembers": batch.GetSet(Key); break;
                default: throw new InvalidOperationException($"{Verb} was not refused by the parser");
            }
        }
    }

    /// <summary>Parses every line before anything is sent, so a typo on line 900 leaves the store untouched.</summary>
    internal static List<Operation> Parse(string text)
    {
        var operations = new List<Operation>();
        var lines = text.Split('\n');
        for (var n = 0; n < lines.Length; n++)
        {
            var line = lines[n].TrimEnd('\r');
            var (verb, afterVerb) = NextToken(line, 0);
            if (verb.Length == 0 || verb.StartsWith('#'))
            {
                continue;
            }

            var (key, afterKey) = NextToken(line, afterVerb);
            var rest = line[afterKey..].TrimStart();
            var elements = rest.Split([' ', '\t'], StringSplitOptions.RemoveEmptyEntries);
            var (arguments, ok) = verb switch
            {
                "put" => ("KEY VALUE", key.Length > 0 && rest.Length > 0),
                "get" or "del" or "smembers" => ("KEY", key.Length > 0 && rest.Length == 0),
                "sadd" or "srem" => ("KEY ELEM...", key.Length > 0 && elements.Length > 0),
                _ => throw new UsageException($"line {n + 1}: unknown operation '{verb}'; use put, get, del, sadd, srem or smembers"),
            };
            if (!ok)
            {
                throw new UsageException($"line {n + 1}: {verb} takes {arguments}");
            }

            operations.Add(new Operation(verb, key, rest, elements));
        }

        if (operations.Count == 0)
        {
            throw new UsageException("the batch has no operations");
        }

        return operations;
    }

    private static (string Token, int End) NextToken(string line, int start)
    {
        var i = start;
        while (i < line.Length && char.IsWhiteSpace(line[i]))
        {
            i++;
        }

        var begin = i;
        while (i < line.Length && !char.IsWhiteSpace(line[i]))
        {
            i++;
        }

        return (line[begin..i], i);
    }

    private static async Task<string> ReadAsync(string file, Func<Stream> openStdin, CancellationToken cancellationToken)
    {
        if (file == "-")
        {
            await using var stdin = openStdin();
            using var reader = new StreamReader(stdin, Encoding.UTF8);
            return await reader.ReadToEndAsync(cancellationToken);
        }

        try
        {
            return await File.ReadAllTextAsync(file, Encoding.UTF8, cancellationToken);
        }
        catch (Exception e) when (e is IOException or UnauthorizedAccessException)
        {
            throw new UsageException($"cannot read {file}: {e.Message}", e);
        }
    }
}
