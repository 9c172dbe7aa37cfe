using System.CommandLine;
using System.Text;

namespace KvStore.Kvctl;

/// <summary>get, put and del: commands on register keys (del works on sets too).</summary>
internal static class RegisterCommands
{
    public static Command Get(GlobalOptions globals)
    {
        var key = new Argument<string>("KEY") { Description = "The key (UTF-8)" };
        var failIfMissing = FailIfMissingOption();
        var command = new Command("get", "Print the value of a key; a missing key prints nothing") { key, failIfMissing };
        CommandRunner.SetAction(command, globals, async (result, run, cancellationToken) =>
        {
            var name = result.GetValue(key)!;
            var value = await run.Client.GetAsync(name, cancellationToken: cancellationToken);
            if (value is null && result.GetValue(failIfMissing))
            {
                await run.Error.WriteLineAsync($"key not found: {name}");
                return ExitCodes.Error;
            }

            await run.Results.ValueAsync(name, value);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Put(GlobalOptions globals, Func<Stream> openStdin)
    {
        var key = new Argument<string>("KEY") { Description = "The key (UTF-8)" };
        var value = new Argument<string>("VALUE") { Description = "The value (UTF-8), or - to read the bytes of stdin as they are" };
        var context = ContextOption("the value this write replaces");
        var command = new Command("put", "Write the value of a key") { key, value, context };
        CommandRunner.SetAction(command, globals, async (result, run, cancellationToken) =>
        {
            var text = result.GetValue(value)!;
            var bytes = text == "-" ? await ReadAllAsync(openStdin, cancellationToken) : Encoding.UTF8.GetBytes(text);
            var written = await run.Client.PutAsync(
                Encoding.UTF8.GetBytes(result.GetValue(key)!),
                bytes,
                CommandRunner.ParseContext(result.GetValue(context)),
                cancellationToken: cancellationToken);
            await run.Results.WrittenAsync(written);
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Command Delete(GlobalOptions globals)
    {
        var key = new Argument<string>("KEY") { Description = "The key (UTF-8)" };
        var context = ContextOption("what this delete removes");
        var command = new Command("del", "Delete a key of either type; deleting a missing key succeeds") { key, context };
        command.Aliases.Add("delete");
        CommandRunner.SetAction(command, globals, async (result, run, cancellationToken) =>
        {
            await run.Client.DeleteAsync(result.GetValue(key)!, CommandRunner.ParseContext(result.GetValue(context)), cancellationToken: cancellationToken);
            await run.Results.DeletedAsync();
            return ExitCodes.Ok;
        });
        return command;
    }

    public static Option<bool> FailIfMissingOption() => new("--fail-if-missing")
    {
        Description = "Exit with 1 and a message on stderr when the key is missing",
    };

    public static Option<string> ContextOption(string what) => new("--context")
    {
        Description = $"Base64 context from an earlier read (-o json): {what} is exactly what that read saw",
        HelpName = "BASE64",
    };

    private static async Task<byte[]> ReadAllAsync(Func<Stream> openStdin, CancellationToken cancellationToken)
    {
        await using var stdin = openStdin();
        using var buffer = new MemoryStream();
        await stdin.CopyToAsync(buffer, cancellationToken);
        return buffer.ToArray();
    }
}
